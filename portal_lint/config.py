"""Configuration from `[tool.portal-lint]` in pyproject.toml or `.portal-lint.yaml`.

Validated by hand against the table below rather than with pydantic: config is read on
every pre-commit run, and importing pydantic would cost more than the whole lint.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from portal_lint import registry

LEVELS = ("error", "warning", "note")


class ConfigError(Exception):
    """A config problem the user must fix; printed as `path:line: message`, exit 2."""


# key → (type, default, help). Types: str, bool, int, list, map, level, or a choice "a|b".
KEYS: dict[str, tuple[str, Any, str]] = {
    "select": ("list", [], "rules to run (codes, names, families); empty means every rule on by default"),
    "ignore": ("list", [], "rules to switch off (codes, names or families)"),
    "fail-on": ("level", "error", "lowest severity that makes the exit code 1"),
    "severity": ("map", {}, "per-rule severity overrides, e.g. {CAT012: warning}"),
    "rules": ("map", {}, "per-rule options, e.g. {name-invalid: {max-length: 120}}"),
    "exclude": ("list", [], "glob patterns (relative to the repository root) never linted"),
    "catalog-files": ("list", [], "extra glob patterns of catalog files besides catalog-info.yaml"),
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
    "skills-profile": (
        "strict|lenient",
        "strict",
        "SKILL.md fields: strict = the Agent Skills spec "
        "(unknown fields are errors), lenient = what clients accept (notes)",
    ),
}


class Config:
    """The settings in force. (A plain class: importing dataclasses costs a pre-commit run ~5 ms.)"""

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
    m = re.search(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]", text, re.M)
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
        "level": value in LEVELS,
    }[kind]
    if ok:
        return None
    return "one of error, warning, note" if kind == "level" else f"a {kind}"


def validate(values: dict[str, Any], source: str, text: str) -> Config:
    """Reject unknown keys and bad values, naming the key and its line."""
    metas = registry.load_metadata()

    def fail(key: str, msg: str) -> ConfigError:
        return ConfigError(f"{source}:{_line_of(text, key)}: {msg}")

    for key, value in values.items():
        if key not in KEYS:
            close = [k for k in KEYS if k.replace("-", "") == key.replace("-", "").replace("_", "")]
            hint = f" (did you mean `{close[0]}`?)" if close else f"; known keys: {', '.join(KEYS)}"
            raise fail(key, f"unknown key `{key}`{hint}")
        want = _check_type(KEYS[key][0], value)
        if want:
            raise fail(key, f"`{key}` must be {want}, not {value!r}")
    for key in ("select", "ignore"):
        for token in values.get(key, []):
            if not registry.lookup(token):
                raise fail(key, f"`{key}` names an unknown rule `{token}`")
    for token, level in values.get("severity", {}).items():
        if not registry.lookup(token) or level not in LEVELS:
            raise fail(
                token, f"severity override `{token}: {level}` needs a known rule and error|warning|note"
            )
    for token, opts in values.get("rules", {}).items():
        codes = registry.lookup(token)
        if len(codes) != 1 or not isinstance(opts, dict):
            raise fail(token, f"`rules.{token}` must name one rule and map its options")
        meta = metas[codes[0]]
        for opt, value in opts.items():
            spec = meta.options.get(opt)
            if spec is None:
                known = ", ".join(meta.options) or "none"
                raise fail(opt, f"{meta.code} ({meta.name}) has no option `{opt}`; its options: {known}")
            want = _check_type(spec.type, value)
            if want:
                raise fail(opt, f"option `{opt}` of {meta.code} must be {want}, not {value!r}")
    return Config(values, source)


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
