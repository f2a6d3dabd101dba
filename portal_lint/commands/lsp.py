"""`portal-lint lsp`: a language server (stdio) for editors; see docs/agents-and-editors.md."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="portal-lint lsp",
        description="Language server over stdio: diagnostics for catalog-info.yaml, AGENTS.md and SKILL.md "
        "as you type, quick fixes and rule docs on hover. Started by your editor; see "
        "docs/agents-and-editors.md.",
    )
    # Editors' LSP clients append this; stdio is the only transport.
    p.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)
    p.parse_args(argv)
    try:
        import pygls.lsp.server  # noqa: F401  (only to say clearly when it is missing)
    except ModuleNotFoundError as exc:
        print(
            f"portal-lint: `portal-lint lsp` needs pygls ({exc.name} is missing): "
            "pip install 'portal-lint[servers]'",
            file=sys.stderr,
        )
        return 2
    from portal_lint.lsp_server import serve

    serve()
    return 0
