"""Command line: `portal-lint [PATHS...]` lints; `portal-lint <command>` runs a tool command.

Kept thin: parsing arguments and choosing output. The work is in `portal_lint.engine`.

The engine, report and config modules are imported inside the functions that use them, not at
the top: `--version`, `--help` and the other commands (pre-commit, editors) start without the
linting machinery.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from portal_lint import __version__
from portal_lint.diagnostic import LEVEL_WORDS

if TYPE_CHECKING:
    import argparse

# command → "module:function(argv) -> exit code"; imported only when used, to keep start-up cheap.
COMMANDS: dict[str, tuple[str, str]] = {
    "rule": ("portal_lint.commands.rule:main", "show a rule's documentation, or list all rules"),
    "policy": ("portal_lint.commands.policy:main", "show the standards in force and where each came from"),
    "init": (
        "portal_lint.commands.init:main",
        "adopt the portal standards: write them into AGENTS.md, add a config and a pre-commit hook",
    ),
    "schema": ("portal_lint.commands.schema:main", "print a JSON Schema of catalog-info.yaml for editors"),
    "catalog-hook": (
        "portal_lint.commands.catalog_hook:main",
        "lint with live catalog checks when PORTAL_LINT_CATALOG_URL is set, else skip (pre-commit)",
    ),
    "catalog": ("portal_lint.commands.catalog:main", "export a catalog snapshot for offline runs"),
    "audit": (
        "portal_lint.commands.audit:main",
        "audit the catalog's services as JSON (--schema for its schema)",
    ),
    "mcp": ("portal_lint.commands.mcp:main", "MCP server (stdio) for coding agents"),
    "lsp": ("portal_lint.commands.lsp:main", "language server (stdio) for editors"),
}


class _Option(NamedTuple):
    """One option of the lint command: `build_parser` and `_quick_args` both read these."""

    flags: tuple[str, ...]
    help: str
    kind: str = "str"  # str | path | flag (store_true) | append
    choices: tuple[str, ...] | None = None
    default: Any = None
    metavar: str | None = None
    catalog: bool = False  # in the "catalog" group of --help


def _options() -> tuple[_Option, ...]:
    from portal_lint.report import FORMATS

    return (
        _Option(("--format",), "output format (default: text)", choices=FORMATS, default="text"),
        _Option(("--output", "-o"), "write the report to this file instead of stdout", "path"),
        _Option(
            ("--report",),
            "also write the same run's findings in FORMAT to FILE (repeatable), "
            "e.g. --format github --report sarif=portal-lint.sarif",
            "append",
            metavar="FORMAT=FILE",
        ),
        _Option(
            ("--select",),
            "only these rules (codes, names or families; comma-separated, repeatable)",
            "append",
            metavar="CODES",
        ),
        _Option(("--ignore",), "skip these rules", "append", metavar="CODES"),
        _Option(
            ("--fail-on",),
            "lowest severity that makes the exit code 1: error (default), warning or notice "
            "(`note` also accepted)",
            choices=("error", "warning", "notice", "note"),
        ),
        _Option(("--fix",), "apply the fixes rules declare as certain, then report what is left", "flag"),
        _Option(("--diff",), "with --fix: print the fixes as a diff, write nothing", "flag"),
        _Option(
            ("--catalog-url",),
            "Backstage backend base URL (default: $PORTAL_LINT_CATALOG_URL, then the config's catalog-url); "
            "the token is read from $PORTAL_LINT_TOKEN only",
            metavar="URL",
            catalog=True,
        ),
        _Option(
            ("--snapshot",),
            "catalog snapshot from `portal-lint catalog export`",
            "path",
            metavar="FILE",
            catalog=True,
        ),
        _Option(
            ("--require-catalog",),
            "exit 2 when the catalog cannot answer (default: warn and run the offline checks)",
            "flag",
            catalog=True,
        ),
        _Option(
            ("--location",),
            "this repository's managed-by-location, e.g. url:https://github.com/acme/x/blob/main/"
            "catalog-info.yaml (default: the config's location, then the git remote and branch)",
            metavar="LOCATION",
            catalog=True,
        ),
        _Option(("--catalog-ca",), "PEM bundle of a private CA", "path", metavar="FILE", catalog=True),
        _Option(("--config",), "config file (default: .portal-lint.yaml or pyproject.toml)", "path"),
        _Option(("--root",), "repository root (default: nearest folder with .git)", "path"),
        _Option(("--no-color",), "no colours in text output", "flag"),
        _Option(
            ("--show-files",),
            "list the files the run would lint and why (which Location, rule or name reached each), "
            "and those it passes over; lint nothing",
            "flag",
        ),
    )


def build_parser() -> argparse.ArgumentParser:
    from portal_lint.commands import Parser

    p = Parser(
        prog="portal-lint",
        description="Lint catalog-info.yaml, AGENTS.md and SKILL.md against Backstage and your portal's "
        "standards.",
        epilog="commands: " + "; ".join(f"portal-lint {k}: {v[1]}" for k, v in COMMANDS.items()),
    )
    p.add_argument("paths", nargs="*", help="files or folders (default: the current repository)")
    catalog = None
    for opt in _options():
        kw: dict[str, Any] = {"help": opt.help}
        if opt.kind == "flag":
            kw["action"] = "store_true"
        elif opt.kind == "append":
            kw.update(action="append", default=[])
        else:
            kw.update(type=Path if opt.kind == "path" else None, choices=opt.choices, default=opt.default)
        if opt.metavar:
            kw["metavar"] = opt.metavar
        group: Any = p
        if opt.catalog:
            if catalog is None:
                catalog = p.add_argument_group(
                    "catalog", "existence, name and template checks against a snapshot or the live catalog"
                )
            group = catalog
        group.add_argument(*opt.flags, **kw)
    p.add_argument("--version", action="version", version=f"portal-lint {__version__}")
    return p


def _dest(opt: _Option) -> str:
    return opt.flags[0][2:].replace("-", "_")  # as argparse names it


def _default(opt: _Option) -> Any:
    return [] if opt.kind == "append" else False if opt.kind == "flag" else opt.default


def _quick_args(argv: Sequence[str]) -> SimpleNamespace | None:
    """The arguments as argparse would read them, for the plain shapes a hook or a script passes
    (paths in one run, whole option names, values that do not start with `-`); None for
    anything else (help, --version, abbreviations, errors), which argparse then reads."""
    opts = _options()
    by_flag = {f: o for o in opts for f in o.flags}
    values: dict[str, Any] = {_dest(o): _default(o) for o in opts}
    paths: list[str] = []
    i, last_path = 0, -2
    while i < len(argv):
        token = argv[i]
        if not token.startswith("-"):
            if paths and last_path != i - 1:
                return None  # paths after an option's value: argparse reads those its own way
            paths.append(token)
            last_path = i
            i += 1
            continue
        flag, eq, value = token.partition("=")
        opt = by_flag.get(flag)
        if opt is None:
            return None
        dest = _dest(opt)
        if opt.kind == "flag":
            if eq:
                return None
            values[dest] = True
            i += 1
            continue
        if not eq:
            if i + 1 >= len(argv):
                return None
            value = argv[i + 1]
            i += 1
        i += 1
        if value.startswith("-") or (opt.choices is not None and value not in opt.choices):
            return None
        if opt.kind == "append":
            values[dest].append(value)
        else:
            values[dest] = Path(value) if opt.kind == "path" else value
    return SimpleNamespace(paths=paths, **values)


def _split(values: Sequence[str]) -> list[str]:
    return [t for v in values for t in v.split(",") if t.strip()]


def _usage_error(message: str) -> NoReturn:
    build_parser().error(message)


def _report_spec(spec: str) -> tuple[str, Path]:
    from portal_lint.report import FORMATS

    fmt, sep, path = spec.partition("=")
    if not sep or fmt not in FORMATS or not path:
        _usage_error(f"--report expects FORMAT=FILE with FORMAT one of {', '.join(FORMATS)}, not {spec!r}")
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

    args: Any = _quick_args(argv) or build_parser().parse_args(argv)
    reports = [_report_spec(spec) for spec in args.report]
    select, ignore = _split(args.select), _split(args.ignore)
    for token in (*select, *ignore):
        if not lookup(token):
            print(f"portal-lint: unknown rule `{token}` (see `portal-lint rule`)", file=sys.stderr)
            return 2
    if args.diff and not args.fix:
        _usage_error("--diff shows what --fix would change: use --fix --diff")

    from portal_lint import live

    if args.show_files:
        return _show_files(args.paths, args.root, args.config)
    try:
        linter = engine.Linter.for_paths(
            args.paths,
            cwd=Path.cwd(),
            root=args.root,
            config_path=args.config,
            url=args.catalog_url,
            snapshot=args.snapshot,
            location=args.location,
            ca=args.catalog_ca,
            require=args.require_catalog,
        )
    except (ConfigError, UsageError, live.LiveError) as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return 2
    require = linter.catalog.require

    def lint_once() -> Any:
        return linter.lint(args.paths, select=select, ignore=ignore)

    diff: tuple[str, int] | None = None  # --fix --diff: what is printed instead of a report, and its code
    unwritten = False  # --fix could not write a file: exit 2, whatever the findings
    try:
        if args.fix:
            from portal_lint.fix import fix

            outcome = fix(lint_once, write=not args.diff)
            if args.diff:
                diff = outcome.diff, 1 if outcome.changed else 0
            else:
                for err in outcome.errors:
                    print(f"portal-lint: error: {err}", file=sys.stderr)
                unwritten = bool(outcome.errors)
                print(f"portal-lint: {outcome.summary}", file=sys.stderr)
            result = outcome.result
        else:
            result = lint_once()
    except (ConfigError, UsageError) as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return 2
    finally:
        failure = linter.close()
    if failure is not None:
        level = "error" if require else "warning"
        print(f"portal-lint: {level}: {failure}", file=sys.stderr)
    if diff is not None:
        sys.stdout.write(diff[0])
        return 2 if failure is not None and require else diff[1]
    if failure is not None:
        result.incomplete = (
            "the run failed, as --require-catalog asks when the catalog cannot answer"
            if require
            else "the live-catalog checks did not run (warning above)"
        )
    for err in result.internal_errors:
        print(f"portal-lint: {err} (please report this bug)", file=sys.stderr)
    from portal_lint.report.text import use_color

    color = args.output is None and use_color(sys.stdout.isatty(), args.no_color)
    out = _rendered(args.format, result, color)
    from portal_lint.atomic import write_text

    if args.output:
        write_text(args.output, out)
    else:
        sys.stdout.write(out)
    for fmt, path in reports:
        write_text(path, _rendered(fmt, result, color=False))
    if unwritten or (failure is not None and require):
        return 2
    fail_on = LEVEL_WORDS[args.fail_on] if args.fail_on else result.fail_on
    return 1 if result.failed(fail_on) else 0


def _show_files(paths: list[str], root: Path | None, config: Path | None) -> int:
    from portal_lint.config import ConfigError
    from portal_lint.discover import Discovery, UsageError, show_files
    from portal_lint.engine import find_config, ingest_settings

    try:
        cfg = find_config(paths, Path.cwd(), root, config)
        discovery = Discovery(Path.cwd(), root, ingest_settings(cfg))
        targets = discovery.targets(paths)
    except (ConfigError, UsageError) as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return 2
    rows = show_files(discovery, targets, Path.cwd())
    width = min(max((len(p) for p, _ in rows), default=0), 60)
    for path, why in rows:
        print(f"{path:<{width}}  {why}")
    return 0


def _close_command(word: str) -> str | None:
    import difflib

    close = difflib.get_close_matches(word, COMMANDS, n=1)
    return close[0] if close else None


def _is_command(argv: Sequence[str]) -> bool:
    """`portal-lint catalog export` runs a command even beside a `catalog/` folder (common in
    Backstage repositories): a folder of a command's name is linted only when it stands alone, is
    followed by options or paths, or is written as a path (`./catalog`)."""
    if argv[0] not in COMMANDS:
        return False
    if not os.path.exists(argv[0]):
        return True
    return len(argv) > 1 and not argv[1].startswith("-") and not os.path.exists(argv[1])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and _is_command(argv):
            module, func = COMMANDS[argv[0]][0].split(":")
            code: int = getattr(importlib.import_module(module), func)(argv[1:])
            return code
        word = argv[0] if argv and argv[0].isalpha() and not os.path.exists(argv[0]) else ""
        command = _close_command(word) if word else None
        if command:  # `portal-lint rules`: a misspelt command, not a missing file
            print(
                f"portal-lint: {argv[0]}: no such file, folder or command; did you mean "
                f"`portal-lint {command}`?",
                file=sys.stderr,
            )
            return 2
        return lint_main(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `portal-lint … | head`: the reader is gone. Say nothing, as other CLIs do, and point
        # stdout at /dev/null so the interpreter's last flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as exc:  # an --output, --report or -o file that cannot be written
        print(f"portal-lint: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
