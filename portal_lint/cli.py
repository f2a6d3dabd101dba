"""Command line: `portal-lint [PATHS...]` lints; `portal-lint <command>` runs a tool command.

Kept thin: parsing arguments and choosing output. The work is in `portal_lint.engine`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from portal_lint import __version__

# command → "module:function(argv) -> exit code"; imported only when used, to keep start-up cheap.
COMMANDS: dict[str, tuple[str, str]] = {
    "rule": ("portal_lint.commands.rule:main", "show a rule's documentation, or list all rules"),
    "policy": ("portal_lint.commands.policy:main", "show the standards in force and where each came from"),
    "schema": ("portal_lint.commands.schema:main", "print a JSON Schema of catalog-info.yaml for editors"),
    "catalog-hook": (
        "portal_lint.commands.catalog_hook:main",
        "lint with live catalog checks when PORTAL_LINT_CATALOG_URL is set, else skip (pre-commit)",
    ),
    "mcp": ("portal_lint.commands.mcp:main", "MCP server (stdio) for coding agents"),
    "lsp": ("portal_lint.commands.lsp:main", "language server (stdio) for editors"),
}


def build_parser() -> argparse.ArgumentParser:
    from portal_lint.report import FORMATS

    p = argparse.ArgumentParser(
        prog="portal-lint",
        description="Lint catalog-info.yaml, AGENTS.md and SKILL.md against Backstage and your portal's "
        "standards.",
        epilog="commands: " + "; ".join(f"portal-lint {k}: {v[1]}" for k, v in COMMANDS.items()),
    )
    p.add_argument("paths", nargs="*", help="files or folders (default: the current repository)")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--output", "-o", type=Path, help="write the report to this file instead of stdout")
    p.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FORMAT=FILE",
        help="also write the same run's findings in FORMAT to FILE (repeatable), "
        "e.g. --format github --report sarif=portal-lint.sarif",
    )
    p.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="CODES",
        help="only these rules (codes, names or families; comma-separated, repeatable)",
    )
    p.add_argument("--ignore", action="append", default=[], metavar="CODES", help="skip these rules")
    p.add_argument(
        "--fail-on",
        choices=("error", "warning", "note"),
        help="lowest severity that makes the exit code 1 (default: error)",
    )
    p.add_argument(
        "--fix",
        action="store_true",
        help="apply the fixes rules declare as certain, then report what is left",
    )
    p.add_argument("--diff", action="store_true", help="with --fix: print the fixes as a diff, write nothing")
    p.add_argument("--config", type=Path, help="config file (default: .portal-lint.yaml or pyproject.toml)")
    p.add_argument("--root", type=Path, help="repository root (default: nearest folder with .git)")
    p.add_argument("--no-color", action="store_true", help="no colours in text output")
    p.add_argument("--version", action="version", version=f"portal-lint {__version__}")
    return p


def _split(values: Sequence[str]) -> list[str]:
    return [t for v in values for t in v.split(",") if t.strip()]


def _report_spec(parser: argparse.ArgumentParser, spec: str) -> tuple[str, Path]:
    from portal_lint.report import FORMATS

    fmt, sep, path = spec.partition("=")
    if not sep or fmt not in FORMATS or not path:
        parser.error(f"--report expects FORMAT=FILE with FORMAT one of {', '.join(FORMATS)}, not {spec!r}")
    return fmt, Path(path)


def _rendered(fmt: str, result: Any, color: bool) -> str:
    from portal_lint import report

    if fmt == "text":
        from portal_lint.report.text import render

        return render(result, color=color)
    return report.get(fmt)(result)


def lint_main(argv: Sequence[str]) -> int:
    from portal_lint import engine
    from portal_lint.config import ConfigError
    from portal_lint.discover import UsageError
    from portal_lint.registry import lookup

    parser = build_parser()
    args = parser.parse_args(argv)
    reports = [_report_spec(parser, spec) for spec in args.report]
    select, ignore = _split(args.select), _split(args.ignore)
    for token in (*select, *ignore):
        if not lookup(token):
            print(f"portal-lint: unknown rule `{token}` (see `portal-lint rule`)", file=sys.stderr)
            return 2
    if args.diff and not args.fix:
        parser.error("--diff shows what --fix would change: use --fix --diff")

    def lint_once() -> Any:
        return engine.lint(args.paths, config_path=args.config, root=args.root, select=select, ignore=ignore)

    try:
        if args.fix:
            from portal_lint.fix import fix

            outcome = fix(lint_once, write=not args.diff)
            if args.diff:
                sys.stdout.write(outcome.diff)
                return 1 if outcome.changed else 0
            for err in outcome.errors:
                print(f"portal-lint: {err}", file=sys.stderr)
            print(f"portal-lint: {outcome.summary}", file=sys.stderr)
            result = outcome.result
        else:
            result = lint_once()
    except (ConfigError, UsageError) as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return 2
    for err in result.internal_errors:
        print(f"portal-lint: {err} (please report this bug)", file=sys.stderr)
    from portal_lint.report.text import use_color

    color = args.output is None and use_color(sys.stdout.isatty(), args.no_color)
    out = _rendered(args.format, result, color)
    if args.output:
        args.output.write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    for fmt, path in reports:
        path.write_text(_rendered(fmt, result, color=False), encoding="utf-8")
    fail_on = args.fail_on or result.fail_on
    return 1 if result.failed(fail_on) else 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS and not os.path.exists(argv[0]):
            module, func = COMMANDS[argv[0]][0].split(":")
            code: int = getattr(importlib.import_module(module), func)(argv[1:])
            return code
        return lint_main(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
