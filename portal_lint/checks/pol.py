"""POL: whether the written policy and the machine checks line up."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from portal_lint.config import Config
from portal_lint.diagnostic import Finding, Span, excerpt
from portal_lint.model import InputError, Repo, posix_rel, read_text
from portal_lint.policy import disabled_by_config, policy_for
from portal_lint.registry import RuleContext, load_metadata, rule
from portal_lint.selection import select_rules
from portal_lint.state import RepoState


@rule("POL003")
def suppression_unknown_rule(repo: RepoState, ctx: RuleContext) -> Iterator[Finding]:
    for path, sup in repo.suppressions.items():
        for line, col, token in sup.unknown:
            yield Finding(
                f"`{excerpt(token)}` in a portal-lint suppression names no rule; use a code like CAT005 "
                "or a name like name-invalid (`portal-lint rule` lists them)",
                Span(line - 1, col - 1, line - 1, col - 1 + len(token)),
                path=path.relative_to(repo.root).as_posix(),
            )


@rule("POL001")
def standard_unenforced(repo: Repo, ctx: RuleContext) -> Iterator[Finding]:
    for bullet in policy_for(ctx.run, repo).bullets:
        src = bullet.source
        outside = src.path is None or Path(src.path).is_absolute() or src.path.startswith("../")
        if not bullet.normative or bullet.enforced or outside:
            continue  # descriptive, checked, or in an org policy file (reported in its own repository)
        message = (
            "no portal-lint rule enforces this standard as written, so a violation goes unnoticed: check "
            f"it in review or CI; {bullet.hint()}"
        )
        line = src.line - 1
        yield Finding(message, Span(line, src.col - 1, line, src.col - 1 + len(src.text)), path=src.path)


def _token_span(text: str, key: str, token: str) -> Span:
    """The token under `key` in a config file (YAML or TOML), else the key itself."""
    m = re.search(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]", text, re.M)
    start = m.start() if m else 0
    hit = re.compile(rf"(?<![\w-]){re.escape(token)}(?![\w-])", re.I).search(text, start) if token else None
    at = hit.start() if hit else start + (len(m.group()) - len(m.group().lstrip()) if m else 0)
    line = text.count("\n", 0, at)
    col = at - (text.rfind("\n", 0, at) + 1)
    return Span(line, col, line, col + (len(token) if hit else len(key)))


@rule("POL002")
def required_rule_disabled(repo: Repo, ctx: RuleContext) -> Iterator[Finding]:
    policy = policy_for(ctx.run, repo)
    cfg: Config = ctx.run.config
    if not policy.bullets or cfg.source == "defaults":
        return  # without a written policy, what config switches off is the team's choice
    enabled = set(select_rules(cfg, (), ()))
    config_path = ctx.run.cwd / cfg.source
    try:
        text = read_text(config_path)
    except InputError:
        text = ""
    metas = load_metadata()
    reported: set[str] = set()
    for std in (s for s in policy.standards.values() if s.source.is_bullet):
        src = std.source
        for code in std.rules:
            cause = disabled_by_config(cfg, code, enabled)
            if cause is None or code in reported:
                continue
            reported.add(code)
            key, token = cause
            how = f"`{key}` lists `{excerpt(token)}`" if token else f"`{key}` leaves it out"
            yield Finding(
                f"{metas[code].name} ({code}) is switched off by config ({how}), but {src.label} requires "
                f"the standard it checks: remove it from `{key}`, or change the standard so config and "
                "AGENTS.md agree",
                _token_span(text, key, token),
                path=posix_rel(config_path, repo.root),
                related=(src.related(),),
            )
