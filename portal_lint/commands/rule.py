"""`portal-lint rule [CODE|NAME]`: one rule's documentation, or the table of all rules."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from portal_lint.commands import Parser
from portal_lint.registry import all_rules, load_metadata, lookup
from portal_lint.ruledocs import render_rule


def main(argv: Sequence[str]) -> int:
    p = Parser(
        prog="portal-lint rule",
        description="Show rule documentation. The list marks with `fix` the rules whose findings "
        "`portal-lint --fix` can fix.",
    )
    p.add_argument("rule", nargs="?", help="a code (CAT005) or name (name-invalid); omit to list all")
    args = p.parse_args(argv)
    metas = load_metadata()
    if args.rule is None:
        width = max(len(m.name) for m in metas.values())
        for m in metas.values():
            level = "notice" if m.severity == "note" else m.severity
            # `fix`: `portal-lint --fix` fixes some or all of the rule's findings (docs/fix.md).
            print(f"{m.code}  {m.name:<{width}}  {level:<7}  {'fix' if m.fixable else '   '}  {m.summary}")
        return 0
    codes = lookup(args.rule)
    if not codes:
        print(f"portal-lint: no rule `{args.rule}` (run `portal-lint rule` for the list)", file=sys.stderr)
        return 2
    print("\n\n".join(render_rule(metas[c], heading="#") + _where(c) for c in codes))
    return 0


def _where(code: str) -> str:
    """Where the rule is implemented, and (in a checkout) which fixtures show it."""
    check = all_rules()[code].check
    package = Path(__file__).resolve().parent.parent
    source = Path(check.__code__.co_filename).resolve()
    shown = source.relative_to(package.parent) if source.is_relative_to(package.parent) else source
    lines = [f"\nImplemented in {shown.as_posix()}:{check.__code__.co_firstlineno} ({check.__name__})"]
    cases = package.parent / "fixtures" / "rules" / code
    if cases.is_dir():
        names = ", ".join(sorted(p.name for p in cases.iterdir() if p.is_dir()))
        lines.append(f"Fixtures: fixtures/rules/{code}/ ({names})")
    return "\n".join(lines)
