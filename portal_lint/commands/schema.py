"""`portal-lint schema`: a JSON Schema (draft-07) of catalog-info.yaml for editors.

yaml-language-server (VS Code's YAML extension, and most editors through it) validates each
document of a file against it while you type. It is built from the same tables the CAT rules
check with, and from this repository's config (extra kinds, name length), so the editor and
portal-lint agree. What a schema cannot say (references, files on disk, the live catalog, YAML
1.1 pitfalls) stays with portal-lint itself.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from portal_lint import config as config_mod
from portal_lint.checks import _fields as f
from portal_lint.checks import _schema as s
from portal_lint.commands import Parser
from portal_lint.config import ConfigError
from portal_lint.discover import git_root
from portal_lint.policy import load_policy, param_source
from portal_lint.registry import load_metadata, lookup
from portal_lint.schemas import template_spec

SCHEMA_ID = "https://github.com/portal-lint/portal-lint/catalog-info.schema.json"
# The portal standard: "Lifecycle values: production | experimental | deprecated."
LIFECYCLES = ("production", "experimental", "deprecated")
LIFECYCLE_KINDS = ("Component", "API")

Json = dict[str, Any]

_LABEL = f._DNS_LABEL.pattern
_SUBDOMAIN = rf"{_LABEL}(?:\.{_LABEL})*"
_NAME63 = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]"  # object name, length folded in
PREFIXED_KEY = rf"^(?:{_SUBDOMAIN}/)?{_NAME63}$"


def _anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _text(description: str = "") -> Json:
    """A non-empty string; a `$text`-style placeholder counts, as Backstage resolves it first."""
    out: Json = {"anyOf": [{"type": "string", "minLength": 1}, {"$ref": "#/definitions/placeholder"}]}
    if description:
        out["description"] = description
    return out


def _strings() -> Json:
    return {"type": "array", "items": _text()}


def _or_placeholder(schema: Json) -> Json:
    """A list or mapping, or a placeholder reading one (Backstage resolves it before validating;
    what the file holds is for portal-lint to check, the editor cannot read it)."""
    return {"anyOf": [schema, {"$ref": "#/definitions/placeholder"}]}


def _field(kind: str) -> Json:
    schema: Json = {
        s.STR: _text(),
        s.STRS: _strings(),
        s.OBJ: {"type": "object"},
        s.PRESENCE: {"enum": ["required", "optional"]},
        s.PROFILE: {
            "type": "object",
            "properties": {k: {"type": "string"} for k in ("displayName", "email", "picture")},
        },
        s.TARGET: _text(),
        s.TARGETS: _strings(),
    }[kind]
    return schema if kind in (s.STR, s.PRESENCE, s.TARGET) else _or_placeholder(schema)


def _spec(fields: tuple[tuple[str, ...], dict[str, str]], lifecycles: Sequence[str], kind: str) -> Json:
    required, types = fields
    props = {name: _field(t) for name, t in types.items()}
    if kind in LIFECYCLE_KINDS and "lifecycle" in props:
        props["lifecycle"] = {"enum": list(lifecycles), "description": "The portal's lifecycles."}
    return {"type": "object", "required": list(required), "properties": props}


def _api_spec(lifecycles: Sequence[str]) -> Json:
    """API: `definition` a string or one placeholder (every type, `mcp-server` too: the
    catalog backend validates every API against the plain API schema)."""
    api = _spec(s.SPEC_SCHEMAS["API"], lifecycles, "API")
    api["properties"]["definition"] = _text(
        "The API description, or a placeholder reading it: `{$text: ./api/openapi.yaml}`."
    )
    return api


def _metadata(max_name: int) -> Json:
    return {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": max_name,
                "pattern": _anchored(f._OBJECT_NAME.pattern),
                "description": f.NAME_RULE.format(max=max_name) + ".",
            },
            "namespace": {
                "type": "string",
                "minLength": 1,
                "maxLength": 63,
                "pattern": _anchored(_LABEL),
                "description": f.DNS_RULE + "; `default` when omitted.",
            },
            "title": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "uid": {"type": "string", "minLength": 1},
            "etag": {"type": "string", "minLength": 1},
            "labels": _or_placeholder(
                {
                    "type": "object",
                    "propertyNames": {"pattern": PREFIXED_KEY},
                    "additionalProperties": {"type": "string", "pattern": f"^(?:{_NAME63})?$"},
                }
            ),
            "annotations": {
                "anyOf": [
                    {
                        "type": "object",
                        "propertyNames": {"pattern": PREFIXED_KEY},
                        "additionalProperties": {
                            "type": "string",
                            "description": "Quote numbers and booleans.",
                        },
                    },
                    {"$ref": "#/definitions/placeholder"},
                    # Backstage's file reader replaces a falsy value with `{}` (also `.nan`,
                    # which JSON Schema cannot single out).
                    {"enum": [None, "", 0, False]},
                ]
            },
            "tags": _or_placeholder(
                {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 63,
                        "pattern": _anchored(f._TAG.pattern),
                    },
                }
            ),
            "links": _or_placeholder(
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["url"],
                        "properties": {
                            "url": {"type": "string", "pattern": "^" + f.SCHEME.pattern},
                            "title": {"type": "string", "pattern": r"\S"},
                            "icon": {"type": "string", "pattern": r"\S"},
                            "type": {"type": "string", "minLength": 1},
                        },
                    },
                }
            ),
        },
    }


def build(
    extra_kinds: Sequence[str] = (), max_name: int = f.MAX_NAME, lifecycles: Sequence[str] = LIFECYCLES
) -> Json:
    """The schema for one catalog document (editors apply it to each document of a file)."""
    kinds = [*f.BUILTIN_KINDS, *(k for k in extra_kinds if k not in f.KIND_API_VERSIONS)]
    per_kind = []
    for kind, versions in f.KIND_API_VERSIONS.items():
        if kind == "API":
            spec = _api_spec(lifecycles)
        elif kind == "Template":
            spec = template_spec()  # the scaffolder's own schema of it
        else:
            spec = _spec(s.SPEC_SCHEMAS[kind], lifecycles, kind)
        per_kind.append(
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {
                    "required": ["spec"],
                    "properties": {"apiVersion": {"enum": list(versions)}, "spec": spec},
                },
            }
        )
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "Backstage catalog entity (portal-lint)",
        "description": "One document of catalog-info.yaml, as @backstage/catalog-model validates it, "
        "plus the portal's lifecycle standard.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {
                "type": "string",
                "pattern": rf"^(?:{_SUBDOMAIN}/)?{f._API_SUFFIX.pattern}$",
                "description": "`backstage.io/v1alpha1` for the core kinds, "
                "`scaffolder.backstage.io/v1beta3` for Template.",
            },
            "kind": {"type": "string", "enum": kinds},
            "metadata": _metadata(max_name),
            "spec": {"type": "object"},
        },
        "allOf": per_kind,
        "definitions": {
            "placeholder": {
                "description": "Replaced by a file's content before validation: `$text: ./api/openapi.yaml`.",
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": False,
                "properties": {r: {"type": "string", "minLength": 1} for r in sorted(s.RESOLVERS)},
            }
        },
    }


def repo_options(root: Path, config: Path | None = None) -> tuple[list[str], int, list[str]]:
    """Extra kinds, the name length limit and the allowed lifecycles for the repository at
    `root`, as `portal-lint` reads them: config, then the AGENTS.md policy, then the defaults."""
    cfg = config_mod.load(root, config)
    metas = load_metadata()
    (kind_rule,), (name_rule,), (lifecycle_rule,) = (
        lookup("kind-unknown"),
        lookup("name-invalid"),
        lookup("lifecycle-allowed"),
    )
    extra: list[str] = cfg.rule_options(metas[kind_rule]).get("extra-kinds") or []
    max_name: int = cfg.rule_options(metas[name_rule]).get("max-length") or f.MAX_NAME
    allowed, _ = param_source(cfg, metas[lifecycle_rule], "allowed", load_policy(root, cfg))
    return extra, max_name, [str(v) for v in allowed or LIFECYCLES]


def main(argv: Sequence[str]) -> int:
    p = Parser(
        prog="portal-lint schema",
        description="Print a JSON Schema (draft-07) of catalog-info.yaml for yaml-language-server.",
    )
    p.add_argument("--output", "-o", type=Path, help="write the schema to this file instead of stdout")
    p.add_argument("--config", type=Path, help="config file (default: .portal-lint.yaml or pyproject.toml)")
    p.add_argument(
        "--lifecycle",
        action="append",
        metavar="VALUES",
        help="allowed spec.lifecycle values, comma-separated (default: the AGENTS.md lifecycle bullet, "
        f"else the lifecycle-allowed option, else {', '.join(LIFECYCLES)})",
    )
    args = p.parse_args(argv)

    try:
        extra, max_name, policy_lifecycles = repo_options(git_root(Path.cwd()) or Path.cwd(), args.config)
    except ConfigError as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return 2
    lifecycles = [
        v.strip() for arg in args.lifecycle or [] for v in arg.split(",") if v.strip()
    ] or policy_lifecycles
    text = json.dumps(build(extra, max_name, lifecycles), indent=2) + "\n"
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)  # e.g. a .vscode/ not made yet
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
