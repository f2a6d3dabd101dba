"""Rule metadata (from `rules/*.yaml`) bound to the check functions that find violations.

A rule is data plus a plain generator, as in yamllint and Spectral: the YAML says what the
rule is, why it exists and how to fix it; the function only finds. Binding fails loudly
when either side is missing, so docs and behaviour cannot drift apart.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from portal_lint.diagnostic import Finding, Severity

CheckFn = Callable[[Any, "RuleContext"], Iterable[Finding]]

# What a rule is called with, one call per subject:
#   yaml-doc  every document of a catalog file (portal_lint.parse.yaml12.YamlDoc), even broken ones
#   entity    every catalog document that parsed to a mapping (portal_lint.model.Entity)
#   repo      once per repository touched by the run (portal_lint.model.Repo)
#   skill     every SKILL.md; agents: every AGENTS.md
SUBJECTS = ("yaml-doc", "entity", "repo", "skill", "agents")

_CHECKS: dict[str, CheckFn] = {}


class RegistryError(Exception):
    """Metadata and code disagree; a bug in portal-lint, caught by the test suite."""


@dataclass(frozen=True, slots=True)
class OptionSpec:
    type: str  # int | str | bool | list[str]
    default: Any
    help: str


@dataclass(frozen=True, slots=True)
class RuleMeta:
    code: str
    name: str
    family: str
    severity: Severity
    subject: str
    summary: str
    why: str
    fix: str
    fixable: bool = False
    standard: str | None = None
    source: str | None = None
    enabled: bool = True
    options: dict[str, OptionSpec] = field(default_factory=dict)
    bad: str = ""
    good: str = ""
    bad_path: str = "catalog-info.yaml"
    good_path: str = ""  # where the good example goes when not at bad_path (e.g. the repository root)
    files: dict[str, str] = field(default_factory=dict)  # other files of both example repositories

    @property
    def help_uri(self) -> str:
        return f"https://github.com/portal-lint/portal-lint/blob/main/docs/rules.md#{self.code.lower()}"


@dataclass(slots=True)
class RuleContext:
    """What a check sees besides its subject: its options and the run's shared state."""

    meta: RuleMeta
    options: dict[str, Any]
    run: Any  # portal_lint.engine.Run; typed loosely to keep this module import-light


@dataclass(frozen=True, slots=True)
class Rule:
    meta: RuleMeta
    check: CheckFn


def rule(code: str) -> Callable[[CheckFn], CheckFn]:
    """Register `fn` as the check for `code` (metadata comes from rules/*.yaml)."""

    def register(fn: CheckFn) -> CheckFn:
        if code in _CHECKS:
            raise RegistryError(f"{code} is registered twice ({_CHECKS[code].__module__}, {fn.__module__})")
        _CHECKS[code] = fn
        return fn

    return register


def rules_dir() -> Path:
    """Installed wheels carry the metadata inside the package; a checkout keeps it at the top."""
    here = Path(__file__).resolve().parent
    packaged = here / "_rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


FAMILY_ORDER = ("YML", "CAT", "REF", "STD", "LIV", "SKL", "AGT", "POL")
_FAMILY_KEYS = {"family", "title", "description", "rules"}
_RULE_KEYS = {f for f in RuleMeta.__dataclass_fields__ if f not in {"code", "family"}}


@cache
def load_metadata() -> dict[str, RuleMeta]:
    metas: dict[str, RuleMeta] = {}
    names: dict[str, str] = {}
    for path in sorted(rules_dir().glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        extra = set(data) - _FAMILY_KEYS
        if extra:
            raise RegistryError(f"{path.name}: unknown keys {sorted(extra)}")
        family = data["family"]
        for code, entry in data["rules"].items():
            extra = set(entry) - _RULE_KEYS
            if extra:
                raise RegistryError(f"{path.name}: {code}: unknown keys {sorted(extra)}")
            if not code.startswith(family):
                raise RegistryError(f"{path.name}: {code} is not in family {family}")
            options = {
                k: OptionSpec(v["type"], v.get("default"), v.get("help", ""))
                for k, v in (entry.pop("options", None) or {}).items()
            }
            meta = RuleMeta(code=code, family=family, options=options, **entry)
            if meta.subject not in SUBJECTS:
                raise RegistryError(f"{code}: `subject: {meta.subject}` is not one of {SUBJECTS}")
            if meta.name in names or code in metas:
                raise RegistryError(f"{code}: code or name {meta.name!r} is used twice")
            names[meta.name] = code
            metas[code] = meta
    order = {f: i for i, f in enumerate(FAMILY_ORDER)}
    return dict(sorted(metas.items(), key=lambda kv: (order.get(kv[1].family, 99), kv[0])))


def _import_checks() -> None:
    import portal_lint.checks as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{info.name}")


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule, code → Rule, in code order; raises when metadata and checks disagree."""
    _import_checks()
    metas = load_metadata()
    missing_fn = sorted(set(metas) - set(_CHECKS))
    missing_meta = sorted(set(_CHECKS) - set(metas))
    if missing_fn or missing_meta:
        raise RegistryError(f"rules without a check: {missing_fn}; checks without metadata: {missing_meta}")
    return {code: Rule(metas[code], _CHECKS[code]) for code in metas}


def lookup(token: str) -> list[str]:
    """Codes matched by a selector: a code, a kebab name, a family (`CAT`) or a code prefix."""
    metas = load_metadata()
    token = token.strip()
    up = token.upper()
    if up in metas:
        return [up]
    by_name = [c for c, m in metas.items() if m.name == token.lower()]
    if by_name:
        return by_name
    return sorted(c for c in metas if c.startswith(up)) if up[:3].isalpha() else []
