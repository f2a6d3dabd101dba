"""Configuration from `[tool.portal-lint]` in pyproject.toml or `.portal-lint.yaml`.

Validated by hand against the table below rather than with pydantic: config is read on
every pre-commit run, and importing pydantic would cost more than the whole lint.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from portal_lint import registry
from portal_lint.diagnostic import LEVEL_WORDS

LEVELS_SAID = "error, warning, notice"


class ConfigError(Exception):
    """A config problem the user must fix; printed as `path:line: message`, exit 2. A config with
    several problems is one error listing them all, one `path:line: message` a line."""

    def __init__(self, *problems: str) -> None:
        super().__init__(*problems)
        self.problems = problems

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0]
        return f"{len(self.problems)} config problems:\n" + "\n".join(f"  {p}" for p in self.problems)


# key → (type, default, help). Types: str, bool, int, list, map, level, or a choice "a|b".
KEYS: dict[str, tuple[str, Any, str]] = {
    "select": ("list", [], "rules to run (codes, names, families); empty means every rule on by default"),
    "ignore": ("list", [], "rules to switch off (codes, names or families)"),
    "fail-on": ("level", "error", "lowest severity that makes the exit code 1"),
    "severity": ("map", {}, "per-rule severity overrides, e.g. {CAT012: warning}"),
    "rules": ("map", {}, "per-rule options, e.g. {name-invalid: {max-length: 120}}"),
    "exclude": ("list", [], "gitignore-style patterns (relative to the repository root) never linted"),
    "catalog-names": (
        "list",
        ["catalog-info.yaml", "catalog-info.yml"],
        "file names that are catalog files wherever they are (the discovery providers' catalogPath)",
    ),
    "catalog-files": ("list", [], "gitignore-style patterns of more catalog files, besides the locations"),
    "location-types": (
        "list",
        [],
        "Location types the installation reads besides file and url (e.g. github-org)",
    ),
    "catalog-url": ("str", None, "base URL of the Backstage backend for live checks"),
    "snapshot": ("str", None, "catalog snapshot file written by `portal-lint catalog export`"),
    "require-catalog": ("bool", False, "fail (exit 2) when the catalog cannot be reached"),
    "location": ("str", None, "this repository's catalog location, e.g. url:https://…/catalog-info.yaml"),
    "template-version-key": (
        "str",
        "backstage.io/template-version",
        "annotation holding a Template's current version and the version a service was scaffolded from",
    ),
    "policy": ("str", None, "an org-wide AGENTS.md whose standards apply besides the repository's"),
    "standards-heading": ("str", "Developer Portal Standards", "heading of the standards section"),
    "standards": (
        "maps",
        [],
        "standards as entries naming a rule and its parameters, e.g. "
        "[{rule: required-annotation, keys: [sentry.io/project-slug]}]",
    ),
    "skills-profile": (
        "strict|lenient",
        "strict",
        "SKILL.md fields: strict = the Agent Skills spec "
        "(unknown fields are errors), lenient = what clients accept (notes)",
    ),
}


class Config:
    """The settings in force. (A plain class: a pre-commit run does not import dataclasses.)"""

    __slots__ = ("source", "values")

    def __init__(self, values: dict[str, Any] | None = None, source: str = "defaults") -> None:
        self.values = {} if values is None else values
        self.source = source

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return (self.values, self.source) == (other.values, other.source)

    def __repr__(self) -> str:
        return f"Config(values={self.values!r}, source={self.source!r})"

    def get(self, key: str) -> Any:
        if key in self.values:
            return self.values[key]
        return KEYS[key][1]

    def rule_options(self, meta: registry.RuleMeta) -> dict[str, Any]:
        given = self.get("rules")
        opts = {k: spec.default for k, spec in meta.options.items()}
        for key in (meta.code, meta.name):
            opts.update(given.get(key) or {})
        return opts


def _line_of(text: str, key: str) -> int:
    # At the start of a line (block style) first, else inside a flow mapping (`{CAT005: x}`).
    m = re.search(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]", text, re.M) or re.search(
        rf"[{{,]\s*[\"']?{re.escape(key)}[\"']?\s*[:=]", text
    )
    return text.count("\n", 0, m.start()) + 1 if m else 1


def _check_type(kind: str, value: Any) -> str | None:
    if "|" in kind:  # a choice, e.g. "strict|lenient"
        return None if value in kind.split("|") else "one of " + ", ".join(kind.split("|"))
    ok = {
        "str": isinstance(value, str),
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "list": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "map": isinstance(value, dict),
        "maps": isinstance(value, list) and all(isinstance(v, dict) for v in value),
        "level": isinstance(value, str) and value in LEVEL_WORDS,
    }[kind]
    if ok:
        return None
    return f"one of {LEVELS_SAID}" if kind == "level" else f"a {kind}"


def _did_you_mean(word: object, known: list[str]) -> str:
    """` (did you mean `x`?)` for the closest known word, as the command line does for options."""
    import difflib

    key = str(word).lower().replace("_", "-")
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _rule_words() -> list[str]:
    metas = registry.load_metadata()
    return [*metas, *(m.name for m in metas.values())]


def _given(values: dict[str, Any], key: str, kind: type[Any]) -> Any:
    """A key's value when it has the right type, else an empty one (already reported)."""
    value = values.get(key)
    return value if isinstance(value, kind) else kind()


def validate(values: dict[str, Any], source: str, text: str) -> Config:
    """Reject unknown keys and bad values, naming each key and its line: every problem at once,
    so a config is fixed in one edit rather than one run a mistake."""
    metas = registry.load_metadata()
    problems: list[str] = []

    def fail(key: str, msg: str) -> None:
        problems.append(f"{source}:{_line_of(text, key)}: {msg}")

    for key, value in values.items():
        if key not in KEYS:
            hint = _did_you_mean(key, list(KEYS)) or f"; known keys: {', '.join(KEYS)}"
            fail(key, f"unknown key `{key}`{hint}")
            continue
        want = _check_type(KEYS[key][0], value)
        if want:
            choices = KEYS[key][0].split("|") if "|" in KEYS[key][0] else list(LEVEL_WORDS)
            fail(key, f"`{key}` must be {want}, not {value!r}{_did_you_mean(value, choices)}")
    for key in ("select", "ignore"):
        for token in _given(values, key, list):
            if not registry.lookup(str(token)):
                fail(key, f"`{key}` names an unknown rule `{token}`{_did_you_mean(token, _rule_words())}")
    overrides: dict[Any, Any] = _given(values, "severity", dict)
    for token, level in overrides.items():
        if not registry.lookup(str(token)):
            hint = _did_you_mean(token, _rule_words())
            fail(token, f"severity override `{token}` names an unknown rule{hint}")
        elif not isinstance(level, str) or level not in LEVEL_WORDS:
            fail(
                token,
                f"severity override `{token}: {level}` must be one of {LEVELS_SAID}"
                f"{_did_you_mean(level, list(LEVEL_WORDS))}",
            )
        else:
            overrides[token] = LEVEL_WORDS[level]
    if "fail-on" in values and not _check_type("level", values["fail-on"]):
        values["fail-on"] = LEVEL_WORDS[values["fail-on"]]
    for token, opts in _given(values, "rules", dict).items():
        codes = registry.lookup(str(token))
        if len(codes) != 1 or not isinstance(opts, dict):
            hint = _did_you_mean(token, _rule_words())
            fail(token, f"`rules.{token}` must name one rule and map its options{hint}")
            continue
        meta = metas[codes[0]]
        for opt, value in opts.items():
            spec = meta.options.get(opt)
            if spec is None:
                known = ", ".join(meta.options) or "none"
                hint = _did_you_mean(opt, list(meta.options))
                fail(opt, f"{meta.code} ({meta.name}) has no option `{opt}`{hint}; its options: {known}")
                continue
            want = _check_type(spec.type, value)
            if want:
                fail(opt, f"option `{opt}` of {meta.code} must be {want}, not {value!r}")
    for n, entry in enumerate(_given(values, "standards", list), start=1):
        for problem in _standard_entry(entry, metas):
            fail("standards", f"`standards` entry {n}: {problem}")
    if problems:
        raise ConfigError(*problems)
    return Config(values, source)


def _standard_entry(entry: Any, metas: dict[str, registry.RuleMeta]) -> list[str]:
    """What is wrong with one `standards` entry: it names a rule a standard switches on, and
    that rule's options with values of their types."""
    if not isinstance(entry, dict):
        return ["must map `rule` and its parameters"]
    gated = {m.name: m for m in metas.values() if m.gated}
    meta = gated.get(str(entry.get("rule")))
    if meta is None:
        hint = _did_you_mean(entry.get("rule"), list(gated))
        return [f"`rule: {entry.get('rule')}` names no rule a standard switches on{hint}"]
    out = []
    for name, value in entry.items():
        spec = meta.options.get(name)
        if name == "rule":
            continue
        if spec is None:
            out.append(f"{meta.name} has no parameter `{name}`; its parameters: {', '.join(meta.options)}")
        elif want := _check_type(spec.type, value):
            out.append(f"parameter `{name}` of {meta.name} must be {want}, not {value!r}")
    return out


def _policy_found(cfg: Config, root: Path, text: str) -> Config:
    """A `policy` file that is not there would drop the org's standards without a word."""
    policy = cfg.get("policy")
    if policy and not (root / Path(policy).expanduser()).is_file():
        raise ConfigError(
            f"{cfg.source}:{_line_of(text, 'policy')}: `policy` names {policy}, which is not a file "
            f"(a relative path starts at the repository root, {root}): check it out or fix the path"
        )
    return cfg


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text: save the config as UTF-8") from None


def load(root: Path, explicit: Path | None = None) -> Config:
    """The config in force for a repository root: --config, .portal-lint.yaml, or pyproject.toml."""
    candidates = [explicit] if explicit else [root / ".portal-lint.yaml", root / "pyproject.toml"]
    for path in candidates:
        if path is None or not path.is_file():
            if explicit:
                raise ConfigError(f"{explicit}: config file not found")
            continue
        text = _read(path)
        if path.suffix == ".toml":
            import tomllib

            try:
                section = tomllib.loads(text).get("tool", {}).get("portal-lint")
            except tomllib.TOMLDecodeError as exc:
                at = re.search(r" \(at line (\d+), column \d+\)$", str(exc))
                where, msg = (f"{path}:{at[1]}", str(exc)[: at.start()]) if at else (str(path), str(exc))
                raise ConfigError(f"{where}: not valid TOML: {msg}") from None
            if section is None:
                if explicit:
                    raise ConfigError(f"{path}: no [tool.portal-lint] section")
                continue
            return _policy_found(validate(section, str(path), text), root, text)
        import yaml

        try:
            data = yaml.load(text, Loader=yaml.CSafeLoader) or {}
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            raise ConfigError(f"{where}: not valid YAML: {exc.problem or exc.context}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}:1: the config must be a mapping of keys")
        return _policy_found(validate(data, str(path), text), root, text)
    return Config()
