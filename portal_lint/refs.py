"""Entity references (`[kind:][namespace/]name`) as @backstage/catalog-model reads them.

`parse_ref` is a port of catalog-model's `parseRefString`/`parseEntityRef` (entity/ref.ts):
the first `:` and the first `/` split the string, a `/` before the `:` makes the colon part
of the name, and an empty part is a TypeError upstream. `refs_of(entity)` lists every
reference field a built-in kind has (the table of `BuiltinKindsEntityProcessor` and the
scaffolder's Template processor), with the field's default kind, the kinds Backstage
accepts there, and the position of each value, so REF, STD and the catalog checks walk
the same fields the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from portal_lint.diagnostic import Span, excerpt
from portal_lint.model import Entity
from portal_lint.parse.tree import PSeq

DEFAULT_NAMESPACE = "default"
FORM = "[<kind>:][<namespace>/]<name>"

# catalog-model validators (KubernetesValidatorFunctions): a reference whose parts fail
# these can never match an entity, so it is as broken as a syntax error.
_KIND = re.compile(r"[a-zA-Z][a-z0-9A-Z]*")
_NAMESPACE = re.compile(r"[a-z0-9]+(?:-+[a-z0-9]+)*")
_NAME = re.compile(r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_MAX_PART = 63


class RefError(ValueError):
    """A reference Backstage cannot use; the message says why, in catalog-model's words."""

    def __init__(self, message: str, missing_kind: bool = False) -> None:
        super().__init__(message)
        self.missing_kind = missing_kind  # well-formed, but no kind written and none to default to


class ParsedRef(NamedTuple):
    """The parts written in a reference string; None where the writer left a part out."""

    kind: str | None
    namespace: str | None
    name: str


class EntityRef(NamedTuple):
    """A complete reference after defaults; `str()` is the catalog's lower-cased key."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}".lower()


def split_ref(ref: str) -> ParsedRef:
    """`parseRefString`: split without defaults; RefError when a written part is empty."""
    colon = ref.find(":")
    slash = ref.find("/")
    if slash != -1 and slash < colon:
        colon = -1  # `ns/a:b`: the colon belongs to the name
    kind = None if colon == -1 else ref[:colon]
    namespace = None if slash == -1 else ref[colon + 1 : slash]
    name = ref[max(colon + 1, slash + 1) :]
    if kind == "" or namespace == "" or name == "":
        raise RefError(f'Entity reference "{excerpt(ref)}" was not on the form {FORM}')
    return ParsedRef(kind, namespace, name)


def parse_ref(ref: str, default_kind: str | None = None, default_namespace: str | None = None) -> EntityRef:
    """`parseEntityRef(ref, {defaultKind, defaultNamespace})` for a string reference."""
    if not ref:
        raise RefError("Entity reference must not be empty")
    return _complete(ref, split_ref(ref), default_kind, default_namespace)


def _complete(
    ref: str, parsed: ParsedRef, default_kind: str | None, default_namespace: str | None
) -> EntityRef:
    kind = parsed.kind or default_kind
    if not kind:
        raise RefError(
            f'Entity reference "{excerpt(ref)}" had missing or empty kind '
            '(e.g. did not start with "component:" or similar)',
            missing_kind=True,
        )
    return EntityRef(kind, parsed.namespace or default_namespace or DEFAULT_NAMESPACE, parsed.name)


@lru_cache(maxsize=1024)  # REF001, REF003 and the existence checks each ask about every reference
def format_problem(ref: ParsedRef) -> str | None:
    """Why no entity can have this reference (a written part fails catalog-model's formats), or None.
    Parts filled in from defaults are not judged: the referencing entity's own namespace is
    the envelope rules' business."""
    checks = (
        ("kind", ref.kind, _KIND, "a letter followed by letters and digits"),
        # Namespaces are compared lower-cased, so `Default` still finds `default`.
        (
            "namespace",
            ref.namespace and ref.namespace.lower(),
            _NAMESPACE,
            "a lowercase DNS label such as `default`",
        ),
        ("name", ref.name, _NAME, "letters, digits and [-_.], starting and ending with a letter or digit"),
    )
    for part, value, pattern, expectation in checks:
        if value is not None and (len(value) > _MAX_PART or not pattern.fullmatch(value)):
            return (
                f"its {part} `{excerpt(value)}` is not valid "
                f"(expected {expectation}, at most {_MAX_PART} characters)"
            )
    return None


class RefField(NamedTuple):
    """One reference field of a kind, as the catalog's processors read it."""

    key: str  # the key under spec
    many: bool  # a list of references rather than one
    default_kind: str | None  # None: the kind must be written (dependsOn / dependencyOf)
    allowed: frozenset[str] | None  # lower-cased kinds Backstage relates here; None = any
    relation: str

    @property
    def path(self) -> str:
        return f"spec.{self.key}"

    @property
    def expected(self) -> str:
        """The allowed kinds for messages, capitalised as users write them."""
        return " or ".join(_DISPLAY[k] for k in sorted(self.allowed or ()))


_DISPLAY = {k.lower(): k for k in ("API", "Component", "Domain", "Group", "Resource", "System", "User")}


def _field(
    key: str, default: str | None, allowed: tuple[str, ...] | None, relation: str, many: bool = False
) -> RefField:
    return RefField(key, many, default, frozenset(a.lower() for a in allowed) if allowed else None, relation)


_OWNER = _field("owner", "Group", ("Group", "User"), "ownedBy")
_SYSTEM = _field("system", "System", ("System",), "partOf")
_DEPENDS_ON = _field("dependsOn", None, None, "dependsOn", many=True)
_DEPENDENCY_OF = _field("dependencyOf", None, None, "dependencyOf", many=True)

# Entity kind (exact, as the processors compare it) → its reference fields.
FIELDS: dict[str, tuple[RefField, ...]] = {
    "Component": (
        _OWNER,
        _field("subcomponentOf", "Component", ("Component",), "partOf"),
        _field("providesApis", "API", ("API",), "providesApi", many=True),
        _field("consumesApis", "API", ("API",), "consumesApi", many=True),
        _DEPENDS_ON,
        _DEPENDENCY_OF,
        _SYSTEM,
    ),
    "API": (_OWNER, _SYSTEM),
    "Resource": (_OWNER, _DEPENDS_ON, _DEPENDENCY_OF, _SYSTEM),
    "System": (_OWNER, _field("domain", "Domain", ("Domain",), "partOf")),
    "Domain": (_OWNER, _field("subdomainOf", "Domain", ("Domain",), "partOf")),
    "Group": (
        _field("parent", "Group", ("Group",), "childOf"),
        _field("children", "Group", ("Group",), "parentOf", many=True),
        _field("members", "User", ("User",), "hasMember", many=True),
    ),
    "User": (_field("memberOf", "Group", ("Group",), "memberOf", many=True),),
    "Template": (_OWNER,),
}


class RefUse:
    """One reference written in an entity: where it is, what field, and how it resolves.

    Made once per entity (`refs_of` keeps them in the entity's memo) with the reference
    already split and parsed: REF001-004, STD002 and the live lookups all read the same uses.
    """

    __slots__ = ("default_namespace", "entity", "field", "index", "parsed", "span", "text", "written")

    def __init__(
        self, entity: Entity, field: RefField, text: str, span: Span, index: int | None = None
    ) -> None:
        self.entity = entity
        self.field = field
        self.text = text
        self.span = span  # of the value (0-based)
        self.index = index  # position in a list field
        # The referencing entity's own namespace, as the processors pass it.
        self.default_namespace = entity.namespace
        # The parts as written (before defaults), None when the string does not split; the
        # complete reference, or why Backstage cannot parse it.
        self.written: ParsedRef | None = None
        self.parsed: EntityRef | RefError
        try:
            self.written = split_ref(text)
            self.parsed = _complete(text, self.written, field.default_kind, self.default_namespace)
        except RefError as exc:
            self.parsed = exc

    def __repr__(self) -> str:
        return f"RefUse({self.pointer}={self.text!r})"

    @property
    def pointer(self) -> str:
        return self.field.path if self.index is None else f"{self.field.path}[{self.index}]"

    @property
    def default_kind(self) -> str | None:
        return self.field.default_kind

    @property
    def target(self) -> EntityRef | None:
        """The complete reference, or None when Backstage could not parse it."""
        got = self.parsed
        return got if isinstance(got, EntityRef) else None


def unmatchable(use: RefUse) -> str | None:
    """Why a reference that parses can name no entity (a written part breaks catalog-model's
    formats: Backstage ingests it, the relation never resolves), or None."""
    written = use.written
    if written is None or not isinstance(use.parsed, EntityRef):
        return None
    return format_problem(written)


_REFS = "refs"  # the entity memo's key for its uses


def refs_of(entity: Entity) -> tuple[RefUse, ...]:
    """Every non-empty string reference of a built-in kind, in field order (worked out once per
    entity).

    Values of the wrong type (a number, a mapping, a list where one ref belongs) and empty
    strings are the kind schemas' business (CAT); they are skipped here so one mistake
    gives one finding.
    """
    got: tuple[RefUse, ...] | None = entity.memo.get(_REFS)
    if got is None:
        got = entity.memo[_REFS] = tuple(_uses(entity))
    return got


def _uses(entity: Entity) -> Iterator[RefUse]:
    spec = entity.spec
    kind = entity.kind
    if spec is None or kind is None:
        return
    fields = FIELDS.get(kind)
    if fields is None:
        return
    for field in fields:
        value = spec.get(field.key)
        if field.many:
            if not isinstance(value, PSeq):
                continue
            for i, item in enumerate(value):
                if isinstance(item, str) and item:
                    yield RefUse(entity, field, item, value.item_spans[i], i)
        elif isinstance(value, str) and value:
            yield RefUse(entity, field, value, spec.value_span(field.key))
