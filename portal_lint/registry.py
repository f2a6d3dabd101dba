"""Rule metadata (from `rules/*.yaml`) bound to the check functions that find violations.

A rule is data plus a plain generator, as in yamllint and Spectral: the YAML says what the
rule is, why it exists and how to fix it; the function only finds. Binding fails loudly
when either side is missing, so docs and behaviour cannot drift apart.
"""

from __future__ import annotations

import contextlib
import importlib
import marshal
import os
import pkgutil
import sys
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from portal_lint.diagnostic import Finding, Severity

if TYPE_CHECKING:
    from portal_lint.state import Run

CheckFn = Callable[[Any, "RuleContext"], Iterable[Finding]]

# What a rule is called with, one call per subject:
#   yaml-doc  every document of a catalog file (portal_lint.parse.yaml12.YamlDoc), even broken ones
#   entity    every catalog document that parsed to a mapping (portal_lint.model.Entity)
#   repo      once per repository touched by the run (portal_lint.model.Repo)
#   skill     every SKILL.md; agents: every AGENTS.md
#   suppressions  once per repository after every other rule: its inline suppressions
#             (portal_lint.state.RepoState), so a rule can judge them as ruff's RUF100 does
SUBJECTS = ("yaml-doc", "entity", "repo", "skill", "agents", "suppressions")

_CHECKS: dict[str, CheckFn] = {}


class RegistryError(Exception):
    """Metadata and code disagree; a bug in portal-lint, caught by the test suite."""


class OptionSpec(NamedTuple):
    type: str  # int | str | bool | list[str]
    default: Any
    help: str


class RuleMeta(NamedTuple):
    code: str
    name: str
    family: str
    severity: Severity
    subject: str
    summary: str
    why: str
    fix: str
    fixable: bool = False
    # The standard keys (portal_lint.policy.STANDARDS) this rule enforces. A gated rule runs in
    # a repository only when its policy holds that standard (or config selects the rule); the
    # engine decides, and cites the bullet in its findings.
    standard: tuple[str, ...] = ()
    gated: bool = False
    # Codes whose finding at the same place says the same thing more precisely: where one of
    # them fires on the same node, this rule's finding is dropped (one root cause, one finding).
    yields_to: tuple[str, ...] = ()
    source: str | None = None
    enabled: bool = True
    # Shared defaults, as every field is read only.
    options: dict[str, OptionSpec] = {}  # noqa: RUF012
    bad: str = ""
    good: str = ""
    bad_path: str = "catalog-info.yaml"
    good_path: str = ""  # where the good example goes when not at bad_path (e.g. the repository root)
    files: dict[str, str] = {}  # noqa: RUF012  (other files of both example repositories)

    @property
    def help_uri(self) -> str:
        # The anchor GitHub gives the rule's heading in docs/rules.md (`### CAT005 name-invalid`).
        return f"https://github.com/portal-lint/portal-lint/blob/main/docs/rules.md#{self.code.lower()}-{self.name}"


class RuleContext:
    """What a check sees besides its subject: its options and the run's shared state."""

    __slots__ = ("meta", "options", "run", "standard")

    def __init__(self, meta: RuleMeta, options: dict[str, Any], run: Run, standard: Any = None) -> None:
        self.meta = meta
        self.options = options  # config's, else the policy's parameters, else the defaults
        self.run = run
        # portal_lint.policy.Standard: for a gated rule, the standard in force that asks for it
        # (None when only config selects it); its findings cite that standard's bullet.
        self.standard = standard


class Rule(NamedTuple):
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


FAMILY_ORDER = ("YML", "CAT", "REF", "STD", "TPL", "LIV", "SKL", "AGT", "POL")
_FAMILY_KEYS = {"family", "title", "description", "rules"}
_RULE_KEYS = {f for f in RuleMeta._fields if f not in {"code", "family"}}


@cache
def load_metadata() -> dict[str, RuleMeta]:
    cached = _cached()
    return cached[0] if cached is not None else load_metadata_yaml()


def load_metadata_yaml() -> dict[str, RuleMeta]:
    """The metadata as rules/*.yaml say, validated (what the cache holds a copy of)."""
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
            declared = entry.pop("standard", None) or ()
            standard = (declared,) if isinstance(declared, str) else tuple(declared)
            yields_to = tuple(entry.pop("yields_to", None) or ())
            meta = RuleMeta(
                code=code, family=family, options=options, standard=standard, yields_to=yields_to, **entry
            )
            if meta.subject not in SUBJECTS:
                raise RegistryError(f"{code}: `subject: {meta.subject}` is not one of {SUBJECTS}")
            if meta.gated and len(meta.standard) != 1:
                raise RegistryError(f"{code}: a gated rule names exactly one `standard`, not {standard}")
            if meta.name in names or code in metas:
                raise RegistryError(f"{code}: code or name {meta.name!r} is used twice")
            names[meta.name] = code
            metas[code] = meta
    order = {f: i for i, f in enumerate(FAMILY_ORDER)}
    return dict(sorted(metas.items(), key=lambda kv: (order.get(kv[1].family, 99), kv[0])))


# --------------------------------------------------------------------------- the metadata cache
#
# Loading rules/*.yaml and importing every check module costs a pre-commit run more than the
# interpreter's own start. A marshal file beside the bytecode keeps the validated metadata and
# which module holds each check, keyed by the size and mtime of every rule file and check
# module: any edit rebuilds it, and where it cannot be written every run reads the YAML.

_CACHE_FORMAT = 3
_META_FIELDS = tuple(f for f in RuleMeta._fields if f != "options")
CacheKey = tuple[tuple[str, int, int], ...]


def cache_path() -> Path:
    return Path(__file__).parent / "__pycache__" / f"rules.{sys.implementation.cache_tag}.marshal"


def _cache_key() -> CacheKey | None:
    import portal_lint.checks as pkg

    key: list[tuple[str, int, int]] = []
    try:
        for folder, suffix in ((str(rules_dir()), ".yaml"), (pkg.__path__[0], ".py")):
            for e in sorted(os.scandir(folder), key=lambda e: e.name):
                if e.name.endswith(suffix):
                    st = e.stat()
                    key.append((e.path, st.st_size, st.st_mtime_ns))
    except OSError:
        return None
    return tuple(key)


@cache
def _cached() -> tuple[dict[str, RuleMeta], dict[str, str]] | None:
    return read_cache()


def read_cache() -> tuple[dict[str, RuleMeta], dict[str, str]] | None:
    """(metadata, code → check module), or None when missing or stale."""
    key = _cache_key()
    try:
        fmt, stored_key, rows, modules = marshal.loads(cache_path().read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if fmt != _CACHE_FORMAT or stored_key != key:
        return None
    metas = {}
    for values, options in rows:
        meta = RuleMeta(
            **dict(zip(_META_FIELDS, values, strict=True)),
            options={k: OptionSpec(*v) for k, v in options.items()},
        )
        metas[meta.code] = meta
    return metas, modules


def _write_cache(metas: dict[str, RuleMeta], modules: dict[str, str]) -> None:
    key = _cache_key()
    if key is None:
        return
    rows = [
        (
            tuple(getattr(m, f) for f in _META_FIELDS),
            {k: (o.type, o.default, o.help) for k, o in m.options.items()},
        )
        for m in metas.values()
    ]
    path = cache_path()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        tmp.write_bytes(marshal.dumps((_CACHE_FORMAT, key, rows, modules)))
        os.replace(tmp, path)
    except (OSError, ValueError):  # a read-only install: every run reads the YAML instead
        with contextlib.suppress(OSError):
            tmp.unlink()


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
    if _cached() is None:  # the metadata came from the YAML just now
        _write_cache(metas, {code: _CHECKS[code].__module__ for code in metas})
    return {code: Rule(metas[code], _CHECKS[code]) for code in metas}


def rules_for(codes: Iterable[str]) -> dict[str, Rule]:
    """The rules of `codes`, importing only the check modules that hold them (all of them, and
    the checks against the metadata, when the cache is missing or out of date)."""
    codes = list(codes)
    cached = _cached()
    if cached is not None:
        metas, modules = cached
        for name in sorted({modules[c] for c in codes if c in modules}):
            importlib.import_module(name)
        if all(c in _CHECKS and c in metas for c in codes):
            return {c: Rule(metas[c], _CHECKS[c]) for c in codes}
    rules = all_rules()
    return {c: rules[c] for c in codes}


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
