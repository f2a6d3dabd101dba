"""Entities for the differential test: valid ones of every kind, mutated along every field rule.

Deterministic (seeded): the same code always yields the same entities under the same ids, so
the verdicts recorded from the real server (verdicts.json) can be replayed offline. Each
entity's id says what was changed: `component/metadata.name/len-64`; combinations of two
mutations are `combo/0042/<first id>+<second id>`.

Entities are sent to `POST /api/catalog/validate-entity`, which runs the full processing
(placeholders, policies, kind validation, Location reading, relation emission). So nothing
here may make the server fetch: no `$text`-style placeholders, and Location targets are
`file` paths that do not exist, marked optional (docs/trust.md).

    python -m tests.differential.generate   # prints the count and a few ids
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

SEED = 20261125
COMBINATIONS = 700
# The server reads no URL on this host (no integration, not in backend.reading.allow), so a
# relative target or a placeholder that slipped in could never reach the network.
LOCATION = "url:http://127.0.0.1:9/acme/payments/blob/main/catalog-info.yaml"
MISSING_FILE = "/nonexistent/portal-lint-differential/other.yaml"

Entity = dict[str, Any]
Edit = Callable[[Entity], None]
DELETE = object()  # as a value: remove the field


def _meta(name: str) -> dict[str, Any]:
    return {"name": name, "description": f"The {name} entity."}


BASES: dict[str, Entity] = {
    "component": {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": _meta("payments"),
        "spec": {
            "type": "service",
            "lifecycle": "production",
            "owner": "group:default/team-payments",
            "system": "commerce",
            "providesApis": ["payments-api"],
            "dependsOn": ["resource:default/payments-db"],
        },
    },
    "api": {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "API",
        "metadata": _meta("payments-api"),
        "spec": {
            "type": "openapi",
            "lifecycle": "production",
            "owner": "team-payments",
            "system": "commerce",
            "definition": "openapi: 3.0.0\ninfo:\n  title: Payments\n  version: 1.0.0\npaths: {}\n",
        },
    },
    "resource": {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Resource",
        "metadata": _meta("payments-db"),
        "spec": {"type": "database", "owner": "team-payments", "system": "commerce"},
    },
    "system": {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "System",
        "metadata": _meta("commerce"),
        "spec": {"owner": "team-payments", "domain": "sales"},
    },
    "domain": {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Domain",
        "metadata": _meta("sales"),
        "spec": {"owner": "team-payments"},
    },
    "group": {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": _meta("team-payments"),
        "spec": {
            "type": "team",
            "profile": {"displayName": "Payments", "email": "payments@example.com"},
            "parent": "engineering",
            "children": [],
            "members": ["jdoe"],
        },
    },
    "user": {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": _meta("jdoe"),
        "spec": {
            "profile": {"displayName": "J. Doe", "email": "jdoe@example.com"},
            "memberOf": ["team-payments"],
        },
    },
    "location": {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": _meta("payments-locations"),
        "spec": {"type": "file", "target": MISSING_FILE, "presence": "optional"},
    },
    "template": {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": _meta("python-service"),
        "spec": {
            "owner": "team-platform",
            "type": "service",
            "parameters": [
                {"title": "Name", "required": ["name"], "properties": {"name": {"type": "string"}}}
            ],
            "steps": [
                {"id": "fetch", "name": "Fetch", "action": "fetch:template", "input": {"url": "./skeleton"}}
            ],
            "output": {"links": [{"title": "Repository", "url": "https://example.com/repo"}]},
        },
    },
}

# ---------------------------------------------------------------------------- values per field rule

NOT_STRINGS: list[tuple[str, Any]] = [
    ("int", 1),
    ("zero", 0),
    ("float", 1.5),
    ("true", True),
    ("null", None),
    ("list", ["x"]),
    ("empty-list", []),
    ("object", {"a": "b"}),
]
EMPTY_STRINGS: list[tuple[str, Any]] = [("empty", ""), ("space", " "), ("tab", "\t")]


def _named(*values: str) -> list[tuple[str, Any]]:
    return [(_label(v), v) for v in values]


def _label(value: str) -> str:
    """A readable, unique-enough id part for a string value."""
    if len(value) > 24:
        return f"{_label(value[:3])}..{_label(value[-3:])}-len-{len(value)}"
    text = "".join(c if c.isalnum() or c in "-_.:+#@" else f"%{ord(c):02x}" for c in value)
    return text or "empty"


def _long(n: int, fill: str = "a") -> str:
    return fill * n


API_VERSIONS = [
    *_named(
        "backstage.io/v1beta1",
        "backstage.io/v1",
        "backstage.io/v1beta2",
        "backstage.io/v2",
        "Backstage.io/v1alpha1",
        "backstage.io/V1alpha1",
        "backstage.io/",
        "/v1alpha1",
        "v1alpha1",
        "backstage.io/v1alpha1/x",
        "backstage.io/v1-alpha1",
        "backstage.io/v1_alpha1",
        "scaffolder.backstage.io/v1beta3",
        "example.com/v1alpha1",
        "backstage_io/v1alpha1",
        "-backstage.io/v1alpha1",
        "backstage..io/v1alpha1",
        " backstage.io/v1alpha1",
        "backstage.io/v1alpha1 ",
        "bäckstage.io/v1alpha1",
        "backstage.io/" + _long(63),
        "backstage.io/" + _long(64),
    ),
    ("empty", ""),
    *NOT_STRINGS,
]
KINDS = [
    *_named(
        "component",
        "COMPONENT",
        "Componnt",
        "Widget",
        "Compo nent",
        "1Component",
        "Component1",
        "Component-x",
        "Cömponent",
        "Component\n",
        _long(63, "A"),
        _long(64, "A"),
    ),
    ("empty", ""),
    *NOT_STRINGS,
]
OTHER_KINDS = ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"]
NAMES = [
    *_named(
        "a",
        "A",
        "0",
        "1",
        "123",
        "-",
        "_",
        ".",
        "a-b",
        "a_b",
        "a.b",
        "a--b",
        "a__b",
        "a..b",
        "a._b",
        "a-_.b",
        "-a",
        "a-",
        "_a",
        "a_",
        ".a",
        "a.",
        "a b",
        "a/b",
        "a:b",
        "a@b",
        "a+b",
        "é",
        "café",
        "ａ",
        "a\nb",
        " a",
        "a ",
        "Payments-V2.1_beta",
        _long(62),
        _long(63),
        _long(64),
        _long(63, "A"),
        "a" + "-" * 61 + "b",
        "a" * 62 + "-",
    ),
    ("empty", ""),
    *NOT_STRINGS,
]
NAMESPACES = [
    *_named(
        "default",
        "team-a",
        "a--b",
        "xn--bcher-kva",
        "a1",
        "1a",
        "Default",
        "DEFAULT",
        "team_a",
        "team.a",
        "-a",
        "a-",
        "a b",
        "a/b",
        "é",
        _long(63),
        _long(64),
    ),
    ("empty", ""),
    *NOT_STRINGS,
]
PREFIX_253 = ".".join([_long(63)] * 3 + [_long(61)])
LABEL_KEYS = [
    *_named(
        "team",
        "a",
        "a_b",
        "a.b",
        "a-b",
        "A",
        "Team",
        "-a",
        "a-",
        "a b",
        "é",
        "backstage.io/team",
        "example.com/team",
        "Example.com/team",
        "example_com/team",
        "x.y.z/team",
        "1/team",
        "a/b/c",
        "/team",
        "team/",
        "example.com/" + _long(63),
        "example.com/" + _long(64),
        _long(63),
        _long(64),
        PREFIX_253 + "/a",
        PREFIX_253 + "a/a",
        _long(64) + ".com/a",
    ),
    ("empty", ""),
]
LABEL_VALUES = [
    *_named("x", "a-b", "a_b", "a.b", "A", "a b", "-a", "a-", "é", "a/b", "a:b", _long(63), _long(64)),
    ("empty", ""),
    *NOT_STRINGS,
]
ANNOTATION_KEYS = LABEL_KEYS + _named("backstage.io/techdocs-ref", "github.com/project-slug")
ANNOTATION_VALUES = [*_named("anything / goes: here", "é", _long(5000)), ("empty", ""), *NOT_STRINGS]
TAGS = [
    *_named(
        "java",
        "a-b",
        "a_b",
        "a.b",
        "a:b",
        "a::b",
        ":a",
        "a#b",
        "c#",
        "a+b",
        "c++",
        "A",
        "Java",
        "a--b",
        "-a",
        "a-",
        " ",
        "é",
        "a b",
        "a/b",
        "a@b",
        _long(63),
        _long(64),
    ),
    ("empty", ""),
    *NOT_STRINGS,
]
URLS = [
    *_named(
        "https://example.com",
        "http://example.com/a?b=c#d",
        "example.com",
        "//example.com",
        "mailto:team@example.com",
        "ftp://example.com",
        "file:///etc/hosts",
        "https:",
        "https://",
        "https://exa mple.com",
        "javascript:alert(1)",
        "urn:isbn:0451450523",
        "relative/path",
        "/absolute/path",
        "https://例え.jp",
        "HTTPS://EXAMPLE.COM",
    ),
    ("empty", ""),
    *NOT_STRINGS,
]
LINK_TEXT = _named("Docs", "é") + EMPTY_STRINGS + NOT_STRINGS
REFS = _named(
    "team",
    "group:team",
    "group:default/team",
    "Group:Default/Team",
    "default/team",
    "user:jdoe",
    "system:commerce",
    "component:payments",
    "api:x",
    ":team",
    "group:",
    "group:/team",
    "group:default/",
    "/team",
    "a:b:c",
    "a/b/c",
    "group:a/b/c",
    "team ",
    "é",
    "Team",
    _long(64),
)


# ---------------------------------------------------------------------------- edits


def at(path: str, value: Any) -> Edit:
    """Set (or with DELETE remove) the value at a dotted path, making parents mappings."""
    *steps, last = path.split(".")

    def edit(entity: Entity) -> None:
        cur = entity
        for step in steps:
            if not isinstance(cur.get(step), dict):
                cur[step] = {}
            cur = cur[step]
        if value is DELETE:
            cur.pop(last, None)
        else:
            cur[last] = copy.deepcopy(value)

    return edit


def both(*edits: Edit) -> Edit:
    def edit(entity: Entity) -> None:
        for e in edits:
            e(entity)

    return edit


Mutation = tuple[str, Edit]  # (id: what changed, the edit)


def _values(path: str, values: list[tuple[str, Any]]) -> Iterator[Mutation]:
    for label, value in values:
        yield f"{path}/{label}", at(path, value)


def _shapes(path: str, keep: str) -> Iterator[Mutation]:
    """The field missing, or of the wrong container type (`keep` names the right one)."""
    yield f"{path}/missing", at(path, DELETE)
    for label, value in [("null", None), ("string", "x"), ("list", ["x"]), ("object", {"a": "b"})]:
        if label != keep:
            yield f"{path}/{label}", at(path, value)


def envelope() -> Iterator[Mutation]:
    yield "apiVersion/missing", at("apiVersion", DELETE)
    yield from _values("apiVersion", API_VERSIONS)
    yield "kind/missing", at("kind", DELETE)
    yield from _values("kind", KINDS)
    yield from _shapes("metadata", "object")
    yield from _shapes("spec", "object")
    for key, value in [
        ("status", {}),
        ("relations", []),
        ("foo", 1),
        ("Spec", {}),
        ("$schema", "x"),
        ("", 1),
    ]:
        yield f"root/{_label(key)}", at(key, value)


def metadata() -> Iterator[Mutation]:
    yield "metadata.name/missing", at("metadata.name", DELETE)
    yield from _values("metadata.name", NAMES)
    yield from _values("metadata.namespace", NAMESPACES)
    yield from _values("metadata.title", _named("Payments", _long(1000)) + EMPTY_STRINGS + NOT_STRINGS)
    yield from _values("metadata.description", [("empty", ""), *NOT_STRINGS])
    for key, value in [("uid", "x"), ("etag", "x"), ("generation", 1), ("foo", "bar"), ("foo", {"a": 1})]:
        yield f"metadata.{key}/{_label(str(value))}", at(f"metadata.{key}", value)
    for field, keys, values in [
        ("labels", LABEL_KEYS, LABEL_VALUES),
        ("annotations", ANNOTATION_KEYS, ANNOTATION_VALUES),
    ]:
        yield from (m for m in _shapes(f"metadata.{field}", "object") if not m[0].endswith("/missing"))
        yield f"metadata.{field}/empty", at(f"metadata.{field}", {})
        for label, key in keys:
            yield f"metadata.{field}.key/{label}", at(f"metadata.{field}", {key: "x"})
        for label, value in values:
            yield f"metadata.{field}.value/{label}", at(f"metadata.{field}", {"team": value})
    yield from (m for m in _shapes("metadata.tags", "list") if not m[0].endswith("/missing"))
    for label, tag in TAGS:
        yield f"metadata.tags.item/{label}", at("metadata.tags", [tag])
    yield "metadata.tags/empty", at("metadata.tags", [])
    yield from links()


def links() -> Iterator[Mutation]:
    yield from (m for m in _shapes("metadata.links", "list") if not m[0].endswith("/missing"))
    for label, url in URLS:
        yield f"metadata.links.url/{label}", at("metadata.links", [{"url": url}])
    for field in ("title", "icon", "type"):
        for label, value in LINK_TEXT:
            link = {"url": "https://example.com", field: value}
            yield f"metadata.links.{field}/{label}", at("metadata.links", [link])
    for label, item in [
        ("string", "https://example.com"),
        ("null", None),
        ("list", []),
        ("no-url", {"title": "Docs"}),
        ("extra-key", {"url": "https://example.com", "extra": 1}),
    ]:
        yield f"metadata.links.item/{label}", at("metadata.links", [item])


# kind → (required fields, {field: "string" | "strings" | "ref" | "refs" | other})
SPEC: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "component": (
        ("type", "lifecycle", "owner"),
        {
            "type": "string",
            "lifecycle": "string",
            "owner": "ref",
            "system": "ref",
            "subcomponentOf": "ref",
            "providesApis": "refs",
            "consumesApis": "refs",
            "dependsOn": "refs",
            "dependencyOf": "refs",
        },
    ),
    "api": (
        ("type", "lifecycle", "owner", "definition"),
        {"type": "string", "lifecycle": "string", "owner": "ref", "system": "ref", "definition": "string"},
    ),
    "resource": (
        ("type", "owner"),
        {"type": "string", "owner": "ref", "system": "ref", "dependsOn": "refs", "dependencyOf": "refs"},
    ),
    "system": (("owner",), {"owner": "ref", "domain": "ref", "type": "string"}),
    "domain": (("owner",), {"owner": "ref", "subdomainOf": "ref", "type": "string"}),
    "group": (
        ("type", "children"),
        {"type": "string", "parent": "ref", "children": "refs", "members": "refs", "profile": "profile"},
    ),
    "user": (("memberOf",), {"memberOf": "refs", "profile": "profile"}),
    "location": ((), {"type": "string", "presence": "presence", "target": "string", "targets": "strings"}),
    "template": (
        ("type", "steps"),
        {
            "type": "string",
            "owner": "ref",
            "lifecycle": "string",
            "steps": "steps",
            "parameters": "parameters",
        },
    ),
}
ARRAY_BAD: list[tuple[str, Any]] = [
    ("string", "x"),
    ("int", 1),
    ("null", None),
    ("object", {"a": "b"}),
    ("int-item", [1]),
    ("empty-item", [""]),
    ("null-item", [None]),
    ("list-item", [["x"]]),
    ("object-item", [{}]),
    ("empty", []),
]


def spec(kind: str) -> Iterator[Mutation]:
    required, fields = SPEC[kind]
    for field, shape in fields.items():
        path = f"spec.{field}"
        if field in required:
            yield f"{path}/missing", at(path, DELETE)
        elif field in BASES[kind]["spec"]:
            yield f"{path}/absent", at(path, DELETE)
        if shape in ("string", "ref"):
            yield from _values(path, EMPTY_STRINGS + NOT_STRINGS)
        if shape in ("strings", "refs"):
            yield from _values(path, ARRAY_BAD)
        if shape == "ref":
            yield from _values(path, REFS)
        if shape == "refs":
            for label, ref in REFS:
                yield f"{path}.item/{label}", at(path, [ref])
        if shape == "profile":
            yield from _shapes(path, "object")
            for sub in ("displayName", "email", "picture"):
                yield from _values(f"{path}.{sub}", [*EMPTY_STRINGS, *NOT_STRINGS, ("text", "x")])
        if shape == "presence":
            yield from _values(path, [*_named("required", "optional", "Optional", "sometimes"), *NOT_STRINGS])
        if shape == "steps":
            yield from _values(path, ARRAY_BAD)
            for label, step in [
                ("no-action", {"id": "fetch"}),
                ("action-int", {"action": 1}),
                ("action-empty", {"action": ""}),
                ("only-action", {"action": "fetch:plain"}),
                ("id-int", {"action": "fetch:plain", "id": 1}),
                ("input-string", {"action": "fetch:plain", "input": "x"}),
                ("if-string", {"action": "fetch:plain", "if": "${{ parameters.x }}"}),
                ("if-bool", {"action": "fetch:plain", "if": False}),
                ("if-int", {"action": "fetch:plain", "if": 1}),
                ("unknown-key", {"action": "fetch:plain", "foo": 1}),
            ]:
                yield f"{path}.item/{label}", at(path, [step])
        if shape == "parameters":
            for label, value in [
                ("object", {"properties": {"name": {"type": "string"}}}),
                ("empty-list", []),
                ("string", "x"),
                ("int", 1),
                ("null", None),
                ("string-item", ["x"]),
                ("list-item", [[]]),
            ]:
                yield f"{path}/{label}", at(path, value)
    yield "spec.foo/unknown-key", at("spec.foo", "bar")
    yield from _kind_specific(kind)


def _kind_specific(kind: str) -> Iterator[Mutation]:
    if kind == "location":
        yield "spec.target/dir-slash", at("spec.target", "/nonexistent/portal-lint-differential/")
        yield "spec.targets/list", both(at("spec.target", DELETE), at("spec.targets", [MISSING_FILE]))
        yield "spec.targets/both", at("spec.targets", [MISSING_FILE + ".2"])
        yield "spec.targets/dir-slash", at("spec.targets", ["/nonexistent/portal-lint-differential/"])
        yield "spec.presence/missing-file-required", at("spec.presence", DELETE)
        yield (
            "spec.type/url-loopback",
            both(at("spec.type", "url"), at("spec.target", "http://127.0.0.1:9/x.yaml")),
        )
        yield "spec/empty", at("spec", {})
    if kind == "template":
        yield from template_output()
        yield "spec.steps.item/name-int", at("spec.steps", [{"action": "fetch:plain", "name": 1}])
        yield (
            "spec.steps.item/permissions-tags-string",
            at("spec.steps", [{"action": "fetch:plain", "backstage:permissions": {"tags": "x"}}]),
        )
    if kind == "api":
        yield "spec.definition/openapi-object", at("spec.definition", {"openapi": "3.0.0"})
        yield (
            "spec.type/mcp-server-no-definition",
            both(at("spec.type", "mcp-server"), at("spec.definition", DELETE)),
        )
    for other in OTHER_KINDS:
        if other.lower() != kind:
            yield f"kind/as-{other}", at("kind", other)


def template_output() -> Iterator[Mutation]:
    """`spec.output`: links and text lists of objects, any other key a string."""
    yield from _values("spec.output", [("string", "x"), ("list", []), ("null", None), ("empty", {})])
    yield from _values(
        "spec.output.links", [("string", "x"), ("object", {"url": "https://x"}), ("empty", [])]
    )
    yield from _values("spec.output.text", [("string", "x"), ("object", {"title": "Hi"}), ("empty", [])])
    yield from _values("spec.output.extra", [("string", "x"), ("int", 1), ("list", ["x"]), ("null", None)])
    link = {"title": "Repository", "url": "https://example.com/repo"}
    for field in ("url", "entityRef", "title", "icon"):
        for label, value in [*EMPTY_STRINGS, ("int", 1), ("null", None)]:
            yield f"spec.output.links.{field}/{label}", at("spec.output.links", [{**link, field: value}])
    for label, value in [("string", "${{ parameters.x }}"), ("bool", False), ("int", 1)]:
        yield f"spec.output.links.if/{label}", at("spec.output.links", [{**link, "if": value}])
    yield "spec.output.links.item/string", at("spec.output.links", ["https://example.com"])
    yield "spec.output.links.item/no-url", at("spec.output.links", [{"title": "Repository"}])
    text = {"title": "Next steps", "content": "Run `make`."}
    for field in ("title", "icon", "content"):
        for label, value in [("empty", ""), ("int", 1)]:
            yield f"spec.output.text.{field}/{label}", at("spec.output.text", [{**text, field: value}])
    yield "spec.output.text.item/string", at("spec.output.text", ["Run make."])


def mutations(kind: str) -> Iterator[Mutation]:
    """Every single mutation for one base kind: the envelope and its spec ones, and a share of
    the metadata ones (each goes to Component and to one other kind, in turn)."""
    yield from envelope()
    others = [k for k in BASES if k != "component"]
    for n, mutation in enumerate(metadata()):
        if kind in ("component", others[n % len(others)]):
            yield mutation
    yield from spec(kind)


def _apply(kind: str, edits: list[Edit]) -> Entity:
    entity = copy.deepcopy(BASES[kind])
    for edit in edits:
        edit(entity)
    return entity


def entities() -> dict[str, Entity]:
    """id → entity, in a stable order: the bases, every single mutation, then seeded pairs."""
    out: dict[str, Entity] = {f"{kind}/base": copy.deepcopy(base) for kind, base in BASES.items()}
    singles: list[tuple[str, str, Edit]] = []
    for kind in BASES:
        for name, edit in mutations(kind):
            key = f"{kind}/{name}"
            if key in out:
                raise ValueError(f"two mutations are both called {key}")
            out[key] = _apply(kind, [edit])
            singles.append((kind, name, edit))
    rng = random.Random(SEED)
    for n in range(COMBINATIONS):
        kind = rng.choice(list(BASES))
        pool = [(name, edit) for k, name, edit in singles if k == kind]
        (a, ea), (b, eb) = rng.sample(pool, 2)
        out[f"combo/{n:04d}/{kind}/{a}+{b}"] = _apply(kind, [ea, eb])
    return out


def digest(entity: Entity) -> str:
    """A short fingerprint, so a replay notices that an id now names a different entity."""
    text = json.dumps(entity, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------- whole files

# A catalog file is judged as the catalog ingests it (judge.js): text-level classes that no
# entity sent as JSON can show. Each case is a main file and the files next to it.
FileCase = dict[str, Any]  # {"main": "catalog-info.yaml", "files": {path: text}}
_HEAD = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n"
_SPEC = (
    "spec:\n  type: service\n  lifecycle: production\n  owner: group:default/team-payments\n"
    "  system: commerce\n"
)
_API = (
    "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: payments-api\nspec:\n  type: {type}\n"
    "  lifecycle: production\n  owner: team-payments\n  system: commerce\n{extra}"
)


def _component(metadata: str = "", spec: str = "") -> str:
    """A valid Component with extra metadata lines (indented 2) and spec lines (indented 2)."""
    return _HEAD + metadata + _SPEC + spec


def _aliases(n: int, anchor: str = "gold") -> str:
    return f"  labels:\n    tier: &tier {anchor}\n" + "".join(f"    t{i}: *tier\n" for i in range(n))


TEXTS: dict[str, str] = {
    # keys that differ only in case (the stitcher's rule)
    "case/labels": _component("  labels:\n    tier: gold\n    Tier: silver\n"),
    "case/title": _component("  title: Payments\n  Title: Payments service\n"),
    "case/spec-owner": _component(spec="  Owner: group:default/team-billing\n"),
    "case/annotation-keys": _component("  annotations:\n    example.com/a: x\n    example.com/A: y\n"),
    "case/link-items": _component(
        "  links:\n    - url: https://a.example.com\n    - URL: https://b.example.com\n      url: https://c.example.com\n"
    ),
    "case/list-items": _component(spec="  providesApis: [payments-api, Payments-API]\n"),
    "case/different-subkeys": _component(spec="  x: {a: 1}\n  X: {b: 2}\n"),
    "case/same-key-other-levels": _component("  labels:\n    name: x\n"),
    # merge keys: Backstage does not merge
    "merge/spec": _HEAD + "spec:\n  <<: &d {type: service, lifecycle: production}\n  owner: team-payments\n",
    "merge/metadata-name": _HEAD.replace("  name: payments\n", "  <<: {name: payments}\n") + _SPEC,
    "merge/extra-key": _component(spec="  <<: {tier: gold}\n"),
    # the alias limit of the `yaml` package
    "alias/99": _component(_aliases(99)),
    "alias/100": _component(_aliases(100)),
    "alias/collection-40": _component("  x-list: &l [a, b]\n" + "".join(f"  x{i}: *l\n" for i in range(40))),
    "alias/nested-weight": _component(
        "  annotations:\n    a: &a x\n    b: *a\n  x-pair: &p [*a, *a]\n"
        + "".join(f"  x{i}: *p\n" for i in range(30))
    ),
    # comments must follow white space for `yaml`
    "comment/after-double-quote": _component('  title: "Payments"#svc\n'),
    "comment/after-single-quote": _component("  title: 'Payments'#svc\n"),
    "comment/after-flow-list": _component("  tags: [python]#svc\n"),
    "comment/spaced": _component('  title: "Payments" #svc\n'),
    "comment/inside-plain": _component("  title: Pay#ments\n"),
    # tags, and YAML 1.1 documents
    "tag/int-on-title": _component('  title: !!int "5"\n'),
    "tag/int-not-a-number": _component('  title: !!int "five"\n'),
    "tag/float-without-dot": _component('  labels:\n    size: !!float "3"\n'),
    "tag/float-with-dot": _component('  labels:\n    size: !!float "3.5"\n'),
    "tag/bool": _component('  labels:\n    pci: !!bool "true"\n'),
    "tag/null-title": _component('  title: !!null ""\n'),
    "tag/binary": _component("  description: !!binary aGVsbG8=\n"),
    "tag/timestamp": _component("  description: !!timestamp 2024-01-01\n"),
    "tag/str": _component("  title: !!str 5\n"),
    "tag/non-specific": _component("  title: ! 5\n"),
    "tag/custom": _component("  title: !custom 5\n"),
    "yaml11/boolean-label": "%YAML 1.1\n---\n" + _component("  labels:\n    pci: yes\n"),
    "yaml11/quoted": "%YAML 1.1\n---\n" + _component('  labels:\n    tier: "on"\n'),
    "yaml11/octal-annotation": "%YAML 1.1\n---\n"
    + _component("  annotations:\n    example.com/mode: 0755\n"),
    "yaml11/date-lifecycle": "%YAML 1.1\n---\n" + _HEAD + _SPEC.replace("production", "2024-01-01"),
    "yaml11/sexagesimal-title": "%YAML 1.1\n---\n" + _component("  title: 1:20\n"),
    "yaml12/yes-label": _component("  labels:\n    pci: yes\n"),
    # escapes
    "escape/lone-surrogate": _component('  title: "\\ud800"\n'),
    "escape/surrogate-pair": _component('  title: "\\ud83d\\ude00"\n'),
    # references without a kind where the field has no default
    "ref/depends-on-without-kind": _component(spec="  dependsOn: [payments-db]\n"),
    "ref/owner-email": _HEAD + _SPEC.replace("group:default/team-payments", "john@example.com"),
    "ref/owner-empty-kind": _HEAD + _SPEC.replace("group:default/team-payments", '":team-payments"'),
    # annotations the file reader repairs or refuses
    "annotations/empty": _component("  annotations:\n"),
    "annotations/empty-string": _component('  annotations: ""\n'),
    "annotations/zero": _component("  annotations: 0\n"),
    "annotations/false": _component("  annotations: false\n"),
    "annotations/nan": _component("  annotations: .nan\n"),
    "annotations/string": _component("  annotations: x\n"),
    "annotations/list": _component("  annotations: [x]\n"),
    "annotations/managed-by-location-number": _component(
        "  annotations:\n    backstage.io/managed-by-location: 5\n"
    ),
    # the same entity twice in one file
    "duplicate/same-file": _component() + "---\n" + _component().replace("name: payments", "name: Payments"),
    # an MCP server API: catalog-backend checks the plain API schema
    "api/mcp-server-remotes-only": _API.format(
        type="mcp-server",
        extra="  remotes:\n    - type: streamable-http\n      url: https://mcp.example.com\n",
    ),
    "api/mcp-server-definition": _API.format(type="mcp-server", extra="  definition: An MCP server\n"),
}

_TEMPLATE = (
    "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: python-service\n"
    "spec:\n  owner: team-platform\n  type: service\n  steps:\n    - id: fetch\n      action: fetch:plain\n"
    "{extra}"
)
# Template v1beta3 fields beyond steps and output (the scaffolder's schema, whole).
TEXTS.update(
    {
        f"template/{key}": _TEMPLATE.format(extra=extra)
        for key, extra in {
            "presentation-string": "  presentation: x\n",
            "presentation-object": "  presentation: {buttonLabels: {createButtonText: Go}}\n",
            "secrets-string": "  secrets: x\n",
            "form-decorators-object": "  formDecorators: {}\n",
            "form-decorators-list": "  formDecorators: [{id: a}]\n",
            "parameters-when-number": "  parameters: [{when: 5}]\n",
            "recovery-strategy-number": "  EXPERIMENTAL_recovery: {EXPERIMENTAL_strategy: 5}\n",
            "recovery-strategy-none": "  EXPERIMENTAL_recovery: {EXPERIMENTAL_strategy: none}\n",
        }.items()
    }
)

# Placeholders: the main file reads the others (the judge resolves them as the catalog does).
PLACEHOLDERS: dict[str, tuple[str, dict[str, str]]] = {
    "placeholder/links-yaml": (
        _component("  links: {$yaml: ./links.yaml}\n"),
        {"links.yaml": "- url: https://grafana.example.com\n  title: Dashboard\n"},
    ),
    "placeholder/tags-json": (
        _component("  tags: {$json: ./tags.json}\n"),
        {"tags.json": '["python", "payments"]'},
    ),
    "placeholder/provides-yaml": (
        _component(spec="  providesApis: {$yaml: ./apis.yaml}\n"),
        {"apis.yaml": "- payments-api\n"},
    ),
    "placeholder/missing": (_component("  links: {$yaml: ./nowhere.yaml}\n"), {}),
    "placeholder/two-documents": (
        _component("  tags: {$yaml: ./tags.yaml}\n"),
        {"tags.yaml": "- a\n---\n- b\n"},
    ),
    "placeholder/broken-yaml": (_component("  tags: {$yaml: ./tags.yaml}\n"), {"tags.yaml": "[a\n"}),
    "placeholder/broken-json": (_component("  tags: {$json: ./tags.json}\n"), {"tags.json": "[a]"}),
    "placeholder/text-into-list": (
        _component(spec="  providesApis: {$text: ./apis.yaml}\n"),
        {"apis.yaml": "- payments-api\n"},
    ),
    "placeholder/mapping-into-list": (
        _component(spec="  providesApis: {$yaml: ./apis.yaml}\n"),
        {"apis.yaml": "a: b\n"},
    ),
    "placeholder/outside": (_component("  links: {$yaml: ../links.yaml}\n"), {}),
    "placeholder/description-text": (
        _component("  description: {$text: ./README.md}\n"),
        {"README.md": "# Payments\n"},
    ),
    "placeholder/definition-text": (
        _API.format(type="openapi", extra="  definition: {$text: ./openapi.yaml}\n"),
        {"openapi.yaml": "openapi: 3.0.0\n"},
    ),
    "placeholder/definition-yaml": (
        _API.format(type="openapi", extra="  definition: {$yaml: ./openapi.yaml}\n"),
        {"openapi.yaml": "openapi: 3.0.0\n"},
    ),
    "placeholder/definition-missing": (
        _API.format(type="openapi", extra="  definition: {$text: ./openapi.yaml}\n"),
        {},
    ),
    "placeholder/bad-tag-from-json": (
        _component("  tags: {$json: ./tags.json}\n"),
        {"tags.json": '["Python"]'},
    ),
}


def file_cases() -> dict[str, FileCase]:
    """id → a catalog file (and what it reads), for the classes only a whole file shows."""
    out: dict[str, FileCase] = {
        f"file/{k}": {"main": "catalog-info.yaml", "files": {"catalog-info.yaml": v}}
        for k, v in TEXTS.items()
    }
    for key, (main, others) in PLACEHOLDERS.items():
        out[f"file/{key}"] = {"main": "catalog-info.yaml", "files": {"catalog-info.yaml": main, **others}}
    return out


def as_case(entity: Entity) -> FileCase:
    """An entity as the catalog file that holds it: JSON, which reads as the same YAML."""
    return {
        "main": "catalog-info.yaml",
        "files": {"catalog-info.yaml": json.dumps(entity, indent=2, ensure_ascii=False)},
    }


def cases() -> dict[str, FileCase]:
    """Every judged case: the entities, each as its own file, then the whole-file cases."""
    return {**{k: as_case(e) for k, e in entities().items()}, **file_cases()}


def case_digest(case: FileCase) -> str:
    text = json.dumps(case, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


if __name__ == "__main__":
    all_entities = entities()
    print(f"{len(all_entities)} entities, {len(file_cases())} whole files")
    for key in list(all_entities)[:: max(1, len(all_entities) // 10)]:
        print(" ", key)
