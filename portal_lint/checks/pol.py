"""POL: whether the written policy and the machine checks line up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from portal_lint.diagnostic import Finding, Span
from portal_lint.model import Repo
from portal_lint.registry import RuleContext, rule
from portal_lint.suppress import Suppressions


@rule("POL003")
def suppression_unknown_rule(repo: Repo, ctx: RuleContext) -> Iterator[Finding]:
    sups: dict[Path, Suppressions] = ctx.run.cache.get("suppressions", {}).get(repo.root, {})
    for path, sup in sups.items():
        for line, col, token in sup.unknown:
            yield Finding(
                f"`{token}` in a portal-lint suppression names no rule; use a code like CAT005 "
                "or a name like name-invalid (`portal-lint rule` lists them)",
                Span(line - 1, col - 1, line - 1, col - 1 + len(token)),
                path=path.relative_to(repo.root).as_posix(),
            )
