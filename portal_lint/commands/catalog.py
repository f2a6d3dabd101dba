"""`portal-lint catalog export -o FILE`: write a catalog snapshot for offline runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from portal_lint import config as config_mod
from portal_lint import live
from portal_lint.catalog import CatalogError
from portal_lint.catalog.snapshot import SnapshotError, export_snapshot
from portal_lint.commands import Parser
from portal_lint.engine import find_config

if TYPE_CHECKING:
    from portal_lint.catalog.client import CatalogClient


def add_catalog_arguments(p: argparse.ArgumentParser) -> None:
    """The options every command that talks to the catalog takes (the token is env-only)."""
    p.add_argument(
        "--catalog-url",
        metavar="URL",
        help=f"Backstage backend base URL (default: ${live.CATALOG_URL_ENV}, then the config's catalog-url); "
        f"the token is read from ${live.TOKEN_ENV}",
    )
    p.add_argument("--catalog-ca", type=Path, metavar="FILE", help="PEM bundle of a private CA")
    p.add_argument("--config", type=Path, help="config file (default: .portal-lint.yaml or pyproject.toml)")


def open_catalog(args: argparse.Namespace, prog: str) -> tuple[live.CatalogSettings, CatalogClient]:
    """Settings and a connected `CatalogClient`, or `LiveError` saying what is missing."""
    cwd = Path.cwd()
    try:
        cfg = find_config((), cwd, None, args.config)
    except config_mod.ConfigError as exc:
        raise live.LiveError(str(exc)) from None
    base = live.config_base(cfg, cwd).absolute()
    s = live.settings(cfg, base=base, url=args.catalog_url, ca=args.catalog_ca)
    if not s.url:
        raise live.LiveError(
            f"{prog.removeprefix('portal-lint ')} needs the catalog: pass --catalog-url URL or set "
            f"{live.CATALOG_URL_ENV} (and {live.TOKEN_ENV} when the catalog needs a token)"
        )
    index = live.build_index(live.CatalogSettings(url=s.url, ca=s.ca), [])
    assert index is not None and index.client is not None
    return s, index.client


def main(argv: Sequence[str]) -> int:
    p = Parser(
        prog="portal-lint catalog",
        description="Work with the Backstage catalog. `export` writes a snapshot (every entity's ref, kind, "
        "managing location and template version) that `--snapshot FILE` or the config's `snapshot` "
        "uses offline, e.g. in pre-commit hooks and editors.",
    )
    sub = p.add_subparsers(dest="action", required=True, metavar="export")
    export = sub.add_parser("export", help="write a snapshot of the catalog, streamed page by page")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="snapshot file")
    export.add_argument(
        "--page-size", type=int, default=500, help="entities per request (default: 500, at most 1000)"
    )
    add_catalog_arguments(export)
    args = p.parse_args(argv)
    if not 1 <= args.page_size <= 1000:
        p.error("--page-size must be between 1 and 1000")
    try:
        s, client = open_catalog(args, "portal-lint catalog export")
        with client:
            count = export_snapshot(client, args.output, s.template_version_key, page_size=args.page_size)
    except (live.LiveError, CatalogError, SnapshotError) as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return 2
    print(f"portal-lint: wrote {count} entities from {client.url} to {args.output}", file=sys.stderr)
    return 0
