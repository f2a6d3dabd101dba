"""The JSON-schema layer of an entity: field types of `metadata` and of each kind's `spec`.

Backstage validates these with Ajv against `EntityMeta.schema.json`, the kind schemas in
`packages/catalog-model/src/schema/kinds/*.v1alpha1.schema.json` and the scaffolder's
`Template.v1beta3.schema.json`, after `PlaceholderProcessor` has replaced `$text`/`$json`/
`$yaml` objects. One walk per entity finds every type problem and files it under the rule
that owns it, so a wrong type is reported once, by one rule, and the format rules only ever
look at strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from portal_lint.checks import _placeholders as placeholders
from portal_lint.checks._fields import (
    describe,
    is_scalar_non_string,
    item_span,
    quote_fix,
    source_text,
)
from portal_lint.diagnostic import Finding, Span, excerpt
from portal_lint.model import Entity
from portal_lint.parse.tree import PMap, PSeq

METADATA_INVALID = "CAT008"
NOT_STRING = "CAT011"
SPEC_MISSING = "CAT012"
SPEC_INVALID = "CAT013"
TARGET_INVALID = "CAT020"

# Placeholder resolvers of a stock catalog (text, json, yaml) plus the two the widely used
# OpenAPI module registers; an object with one of these as its only key becomes its content.
RESOLVERS = frozenset({"$text", "$json", "$yaml", "$openapi", "$asyncapi"})

STR, STRS, OBJ = "string", "strings", "object"
PRESENCE, PROFILE, TARGET, TARGETS, TEMPLATE = (
    "presence",
    "profile",
    "target",
    "targets",
    "template",  # a Template spec field: the scaffolder's schema checks it (checks/_template.py)
)
# Relation fields the kind schemas leave out (only the TypeScript types have them): the schema
# check never sees them, and relation emission skips a null.
_UNSCHEMED_NULLABLE = frozenset({"dependencyOf"})
# The top-level fields of Template.v1beta3.schema.json's `spec` (a test holds them equal), so
# that reading the schema file stays off the path of every other kind.
TEMPLATE_FIELDS = (
    "type",
    "owner",
    "lifecycle",
    "parameters",
    "secrets",
    "presentation",
    "EXPERIMENTAL_recovery",
    "formDecorators",
    "EXPERIMENTAL_formDecorators",
    "steps",
    "output",
)

# kind → (required spec fields, type of every field the schema describes)
SPEC_SCHEMAS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "Component": (
        ("type", "lifecycle", "owner"),
        {
            "type": STR,
            "lifecycle": STR,
            "owner": STR,
            "system": STR,
            "subcomponentOf": STR,
            "providesApis": STRS,
            "consumesApis": STRS,
            "dependsOn": STRS,
            "dependencyOf": STRS,
        },
    ),
    "API": (
        ("type", "lifecycle", "owner", "definition"),
        {"type": STR, "lifecycle": STR, "owner": STR, "system": STR, "definition": STR},
    ),
    "System": (("owner",), {"owner": STR, "domain": STR, "type": STR}),
    "Domain": (("owner",), {"owner": STR, "subdomainOf": STR, "type": STR}),
    "Resource": (
        ("type", "owner"),
        {"type": STR, "owner": STR, "system": STR, "dependsOn": STRS, "dependencyOf": STRS},
    ),
    "Group": (
        ("type", "children"),
        {"type": STR, "parent": STR, "children": STRS, "members": STRS, "profile": PROFILE},
    ),
    "User": (("memberOf",), {"memberOf": STRS, "profile": PROFILE}),
    "Location": ((), {"type": STR, "presence": PRESENCE, "target": TARGET, "targets": TARGETS}),
    "Template": (("type", "steps"), dict.fromkeys(TEMPLATE_FIELDS, TEMPLATE)),
}

_TYPE_EXAMPLES = {
    "Component": "`type: service` (or website, library)",
    "API": "`type: openapi` (or asyncapi, graphql, grpc)",
    "Resource": "`type: database` (or s3-bucket, kubernetes-cluster…)",
    "Group": "`type: team`",
    "Template": "`type: service`",
}
_HINTS = {
    "lifecycle": "`lifecycle: production` (or experimental, deprecated)",
    "owner": "`owner: group:default/<team>` naming the group that owns it",
    "definition": "`definition: {$text: ./api/openapi.yaml}` pointing at the API description",
    "children": "`children: []` when the group has no sub-groups",
    "memberOf": "`memberOf: []` or the groups the user belongs to",
    "steps": "`steps:` with at least one `- action: …` item",
}
# The catalog's file reader sets these two on every entity it reads, over whatever was written.
OVERWRITTEN_ANNOTATIONS = frozenset(
    {"backstage.io/managed-by-location", "backstage.io/managed-by-origin-location"}
)
_STRING_METADATA = frozenset({"name", "namespace", "uid", "etag", "title", "description"})
_PROFILE_FIELDS = ("displayName", "email", "picture")

_CACHE: WeakKeyDictionary[Entity, list[tuple[str, Finding]]] = WeakKeyDictionary()


def problems(entity: Entity, code: str) -> Iterator[Finding]:
    """The type problems of `entity` that rule `code` reports (the walk runs once per entity)."""
    found = _CACHE.get(entity)
    if found is None:
        walk = _Walk(entity, placeholders.view(entity))
        walk.metadata()
        walk.spec()
        found = _CACHE[entity] = walk.out
    for c, finding in found:
        if c == code:
            yield finding


def spec_schema(entity: Entity) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """Required fields and field types of the entity's kind; None for kinds without a schema.

    An API of `type: mcp-server` gets the plain API schema: catalog-model 1.9+ has an
    mcp-server schema (`remotes` instead of `definition`), but the catalog backend's
    BuiltinKindsEntityProcessor (4.0.5) validates every API against the plain one."""
    kind = entity.kind
    return SPEC_SCHEMAS.get(kind) if kind else None


def placeholder_problem(value: dict[str, Any]) -> str | None:
    """Why a mapping where a string belongs does not become one; None for a good placeholder."""
    keys = list(value)
    if len(keys) == 1 and keys[0].startswith("$"):
        key = keys[0]
        if key not in RESOLVERS:
            return (
                f"is a `{excerpt(key)}` object, and `{excerpt(key)}` is not a placeholder Backstage "
                "resolves, so the value stays a mapping where a string is required: use `$text`, "
                "`$json` or `$yaml` ($openapi and $asyncapi need the OpenAPI module)"
            )
        if not isinstance(value[key], str):
            return (
                f"uses the placeholder `{key}` with {describe(value[key])}; Backstage needs a "
                f"string there: write `{key}: ./api/<file>` (a path relative to this file) or an absolute URL"
            )
        return None
    if any(k.startswith("$") for k in keys):
        return (
            "mixes a placeholder with other keys; Backstage resolves a placeholder only when it is "
            "the object's single key, so the value stays a mapping where a string is required: "
            "keep only the placeholder"
        )
    return "must be a string, not a mapping: write the value on one line"


def falsy(value: Any) -> bool:
    """JavaScript's falsiness: null, "", 0, false and NaN (`value || {}` takes the `{}`)."""
    return (
        value is None
        or value is False
        or value == ""
        or (isinstance(value, int | float) and not isinstance(value, bool) and (value == 0 or value != value))
    )


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "AEIO" else f"a {kind}"  # an API, a User


class _Walk:
    """One pass over the entity as validation sees it: placeholders replaced by what they read."""

    __slots__ = ("entity", "out", "view")

    def __init__(self, entity: Entity, view: placeholders.View) -> None:
        self.entity = entity
        self.view = view
        self.out: list[tuple[str, Finding]] = []
        for problem in view.problems:
            code = METADATA_INVALID if problem.pointer.startswith("metadata") else SPEC_INVALID
            self.add(code, problem.message, problem.span, problem.pointer)

    def via(self, value: Any) -> str:
        """` (what `$yaml: ./x` reads)` for a value a placeholder read, else nothing."""
        origin = self.view.origin.get(id(value))
        return f" (what `{origin}` reads)" if origin else ""

    def add(self, code: str, message: str, span: Span, ptr: str) -> None:
        self.out.append((code, Finding(message, span, pointer=ptr)))

    def string(
        self,
        value: Any,
        span: Span,
        key_span: Span,
        ptr: str,
        code: str,
        *,
        min1: bool = True,
        skip_empty: bool = False,
        scalar_code: str = NOT_STRING,
    ) -> None:
        """A field the schema types as string (placeholders count: they resolve first)."""
        if skip_empty and (value is None or value == ""):
            return  # a format rule owns empty values of this field
        if isinstance(value, str):
            if min1 and not value:
                self.add(
                    code,
                    f"`{ptr}` is empty; Backstage requires a non-empty string here: give it a value",
                    span,
                    ptr,
                )
        elif is_scalar_non_string(value):
            read = span in self.view.read_at  # a value read from a placeholder's file: not this text
            text = json.dumps(value) if read else source_text(self.entity, span) or repr(value)
            reads = "a boolean" if isinstance(value, bool) else "a number"
            if read:
                message = (
                    f"`{ptr}` is `{text}` in the file a placeholder reads, {reads}, but Backstage requires "
                    "a string here: quote it there"
                )
                fix = None
            elif text.startswith("!"):  # `!!int "5"`: the tag, not the quoting, makes it a number
                tag = text.split()[0]
                message = (
                    f"`{ptr}` is `{excerpt(text)}`, which the `{excerpt(tag)}` tag makes {reads}, but "
                    "Backstage requires a string here: remove the tag"
                )
                fix = None
            else:
                message = (
                    f"`{ptr}` is `{text}`, which YAML reads as {reads}, but Backstage requires a "
                    f'string here: quote it ("{text}")'
                )
                fix = quote_fix(self.entity, span)
            self.out.append((scalar_code, Finding(message, span, pointer=ptr, fix=fix)))
        elif value is None:
            self.add(code, f"`{ptr}` has no value; give it one or delete the key", key_span, ptr)
        elif isinstance(value, dict) and self.via(value):
            self.add(
                code,
                f"`{ptr}` is a mapping{self.via(value)}, but Backstage requires a string here: use `$text` "
                "to take the file's text as it is",
                key_span,
                ptr,
            )
        elif isinstance(value, dict):
            written = source_text(self.entity, span) or ""
            if written.startswith("{{") and written.endswith("}}"):
                # A template's `{{ x }}` (cookiecutter, Jinja) left unquoted is a YAML flow mapping.
                self.out.append(
                    (
                        code,
                        Finding(
                            f"`{ptr}` is `{excerpt(written)}` without quotes, which YAML reads as a "
                            f'mapping, not the template text: quote it: "{excerpt(written)}"',
                            span,
                            pointer=ptr,
                            fix=quote_fix(self.entity, span),
                        ),
                    )
                )
                return
            why = placeholder_problem(value)
            if why is not None:
                self.add(code, f"`{ptr}` {why}", key_span, ptr)
        else:
            self.add(code, f"`{ptr}` must be a string, not {describe(value)}: write one value", key_span, ptr)

    def container(self, value: Any, span: Span, key_span: Span, ptr: str, code: str, want: type) -> bool:
        """Whether `value` is the mapping or list the schema wants; reports it when not."""
        if isinstance(value, want):
            return True
        if placeholders.unread(value) and placeholder_problem(value) is None:
            return False  # a placeholder never read here (a URL): taken on trust
        shape = "a mapping" if want is PMap else "a list"
        if value is None:
            self.add(
                code, f"`{ptr}` has no value; it must be {shape}: fill it in or delete the key", key_span, ptr
            )
        elif self.via(value):
            self.add(
                code,
                f"`{ptr}` must be {shape}, not {describe(value)}{self.via(value)}: make the file hold "
                f"{shape}",
                key_span,
                ptr,
            )
        elif want is PSeq and isinstance(value, str):
            self.add(
                code,
                f"`{ptr}` must be a list, not a single string: write it as `[{excerpt(value)}]` "
                f"or as `- {excerpt(value)}` items",
                span,
                ptr,
            )
        else:
            # A block mapping or list starts on the line below its key; the key is what to fix.
            where = key_span if isinstance(value, dict | list) else span
            how = "`key: value` lines indented under it" if want is PMap else "`- item` lines or `[a, b]`"
            self.add(code, f"`{ptr}` must be {shape}, not {describe(value)}: write {how}", where, ptr)
        return False

    # ------------------------------------------------------------------ metadata

    def metadata(self) -> None:
        raw = self.view.root
        md = raw.get("metadata")
        if md is None:
            return  # required-field-missing
        if not isinstance(md, PMap):
            self.add(
                METADATA_INVALID,
                f"`metadata` must be a mapping holding name, namespace, labels…, not {describe(md)}: "
                "indent `name: …` under `metadata:`",
                raw.value_span("metadata"),
                "metadata",
            )
            return
        code = METADATA_INVALID
        for key, value in md.items():
            if value.__class__ is str and value and key in _STRING_METADATA:
                continue  # the common case, valid for every string field
            ptr = f"metadata.{key}"
            span, kspan = md.value_span(key), md.key_span(key)
            if key in ("name", "namespace"):
                self.string(value, span, kspan, ptr, code, skip_empty=True)
            elif key in ("uid", "etag", "title"):
                self.string(value, span, kspan, ptr, code)
            elif key == "description":
                self.string(value, span, kspan, ptr, code, min1=False)
            elif key == "annotations" and falsy(value):
                continue  # the catalog's file reader replaces it with `{}`
            elif key in ("labels", "annotations"):
                if self.container(value, span, kspan, ptr, code, PMap):
                    for k, v in value.items():
                        if v.__class__ is str or (key == "annotations" and k in OVERWRITTEN_ANNOTATIONS):
                            continue
                        self.string(v, value.value_span(k), value.key_span(k), f"{ptr}.{k}", code, min1=False)
            elif key == "tags":
                if self.container(value, span, kspan, ptr, code, PSeq):
                    for i, tag in enumerate(value):
                        if tag.__class__ is str and tag:
                            continue
                        s = item_span(value, i)
                        self.string(tag, s, s, f"{ptr}[{i}]", code, skip_empty=True)
            elif key == "links" and self.container(value, span, kspan, ptr, code, PSeq):
                for i, link in enumerate(value):
                    self.link(link, item_span(value, i), f"{ptr}[{i}]")

    def link(self, link: Any, span: Span, ptr: str) -> None:
        if not isinstance(link, PMap):
            self.add(
                METADATA_INVALID,
                f"`{ptr}` must be a mapping with `url` (and optional title, icon, type), "
                f"not {describe(link)}: write `- url: https://…` and `title: …` below it",
                span,
                ptr,
            )
            return
        for key in ("url", "title", "icon", "type"):
            if key in link:
                self.string(
                    link[key],
                    link.value_span(key),
                    link.key_span(key),
                    f"{ptr}.{key}",
                    METADATA_INVALID,
                    skip_empty=True,
                )

    # ------------------------------------------------------------------ spec

    def spec(self) -> None:
        schema = spec_schema(self.entity)
        raw = self.view.root
        spec = raw.get("spec")
        if schema is None or spec is None:
            return  # unknown kind (kind-unknown) or no spec (required-field-missing)
        if not isinstance(spec, PMap):
            self.add(
                SPEC_INVALID,
                f"`spec` must be a mapping, not {describe(spec)}: indent the kind's fields under `spec:`",
                raw.value_span("spec"),
                "spec",
            )
            return
        required, types = schema
        kind = self.entity.kind or ""
        if kind == "Template":
            from portal_lint.checks._template import check_spec

            check_spec(self, spec, raw.value_span("spec"), raw.key_span("spec"))
            return
        for field in required:
            if field not in spec:
                self.missing_spec_field(field)
            elif spec[field] is None:
                self.add(
                    SPEC_MISSING,
                    f"`spec.{field}` has no value; Backstage rejects {_a(kind)} without it: give it a value",
                    spec.key_span(field),
                    f"spec.{field}",
                )
        for field, value in spec.items():
            kind_of = types.get(field)
            if kind_of is None or (value is None and (field in required or field in _UNSCHEMED_NULLABLE)):
                continue
            if kind_of is STR and value.__class__ is str and value:
                continue
            self.CHECKS[kind_of](self, value, spec.value_span(field), spec.key_span(field), f"spec.{field}")

    def missing_spec_field(self, field: str) -> None:
        raw = self.entity.raw
        kind = self.entity.kind or ""
        if field in raw:
            return  # root-field-unknown says to move it under spec
        hint = (
            _TYPE_EXAMPLES.get(kind, "`type: …`") if field == "type" else _HINTS.get(field, f"`{field}: …`")
        )
        self.add(
            SPEC_MISSING,
            f"`spec.{field}` is missing; Backstage rejects {_a(kind)} without it "
            f"(`/spec must have required property '{field}'`): add {hint}",
            raw.key_span("spec"),
            f"spec.{field}",
        )

    def check_string(self, value: Any, span: Span, kspan: Span, ptr: str) -> None:
        self.string(value, span, kspan, ptr, SPEC_INVALID)

    def check_strings(self, value: Any, span: Span, kspan: Span, ptr: str, code: str = SPEC_INVALID) -> None:
        if self.container(value, span, kspan, ptr, code, PSeq):
            for i, item in enumerate(value):
                if item.__class__ is str and item:
                    continue
                s = item_span(value, i)
                scalar_code = NOT_STRING if code == SPEC_INVALID else code
                self.string(item, s, s, f"{ptr}[{i}]", code, scalar_code=scalar_code)

    def check_object(self, value: Any, span: Span, kspan: Span, ptr: str) -> None:
        self.container(value, span, kspan, ptr, SPEC_INVALID, PMap)

    def check_presence(self, value: Any, span: Span, kspan: Span, ptr: str) -> None:
        if value in ("required", "optional"):
            return
        hint = (
            f" (did you mean `{value.lower()}`?)"
            if isinstance(value, str) and value.lower() in ("required", "optional")
            else ""
        )
        self.add(
            SPEC_INVALID,
            f"`{ptr}` is {describe(value)}; it must be `required` or `optional`{hint}",
            span,
            ptr,
        )

    def check_profile(self, value: Any, span: Span, kspan: Span, ptr: str) -> None:
        if self.container(value, span, kspan, ptr, SPEC_INVALID, PMap):
            for key in _PROFILE_FIELDS:
                if key in value:
                    self.check_string(value[key], value.value_span(key), value.key_span(key), f"{ptr}.{key}")

    def check_target(self, value: Any, span: Span, kspan: Span, ptr: str) -> None:
        self.string(value, span, kspan, ptr, TARGET_INVALID, scalar_code=TARGET_INVALID)

    def check_targets(self, value: Any, span: Span, kspan: Span, ptr: str) -> None:
        self.check_strings(value, span, kspan, ptr, TARGET_INVALID)

    CHECKS: ClassVar[dict[str, Callable[[_Walk, Any, Span, Span, str], None]]] = {
        STR: check_string,
        STRS: check_strings,
        OBJ: check_object,
        PRESENCE: check_presence,
        PROFILE: check_profile,
        TARGET: check_target,
        TARGETS: check_targets,
    }
