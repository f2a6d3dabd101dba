"""`portal-lint mcp [--root DIR]`: serve portal-lint's tools to coding agents over MCP (stdio)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from portal_lint import live


def main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="portal-lint mcp",
        description="MCP server (stdio) with the tools lint, explain_rule, check_name and policy. "
        "Register it with your coding agent; see docs/agents-and-editors.md.",
    )
    p.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="workspace root; no tool reads outside it (default: the current folder)",
    )
    p.add_argument(
        "--catalog-url",
        help=f"Backstage backend for check_name (default: ${live.CATALOG_URL_ENV}, then the config's "
        f"catalog-url); the token comes from ${live.TOKEN_ENV}",
    )
    p.add_argument("--snapshot", type=Path, help="catalog snapshot file (default: the config's snapshot)")
    args = p.parse_args(argv)
    try:
        import mcp.server.mcpserver  # noqa: F401  (only to say clearly when it is missing)
    except ModuleNotFoundError as exc:
        print(
            f"portal-lint: `portal-lint mcp` needs the MCP SDK ({exc.name} is missing): "
            "pip install 'portal-lint[servers]'",
            file=sys.stderr,
        )
        return 2
    from portal_lint.mcp_server import serve
    from portal_lint.session import WorkspaceError

    try:
        snapshot = args.snapshot.absolute() if args.snapshot else None
        serve(args.root, catalog_url=args.catalog_url, snapshot=snapshot)
    except WorkspaceError as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return 2
    return 0
