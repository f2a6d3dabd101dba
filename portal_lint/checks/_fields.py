"""What the CAT rules share: Backstage's field validators, value descriptions and positions.

The validators mirror `@backstage/catalog-model` 1.10.1 (`KubernetesValidatorFunctions`,
`CommonValidatorFunctions`, `makeValidator`). Regexes are the JavaScript ones, matched with
`re.fullmatch` because Python's `$` would also accept a trailing newline.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, TypeVar

from portal_lint.checks import _placeholders as placeholders
from portal_lint.diagnostic import Fix, Span, excerpt
from portal_lint.model import Entity
from portal_lint.parse.tree import PMap, PSeq

ROOT_FIELDS = ("apiVersion", "kind", "metadata", "spec")
METADATA_FIELDS = frozenset(
    {"name", "namespace", "uid", "etag", "title", "description", "labels", "annotations", "tags", "links"}
)

# Kinds the catalog validates out of the box, with the apiVersions their schemas accept.
# Template needs the scaffolder's catalog module, which every installation that has
# templates runs.
_CORE_VERSIONS = ("backstage.io/v1alpha1", "backstage.io/v1beta1")
KIND_API_VERSIONS: dict[str, tuple[str, ...]] = {
    **{
        k: _CORE_VERSIONS
        for k in ("Component", "API", "System", "Domain", "Resource", "Group", "User", "Location")
    },
    "Template": ("scaffolder.backstage.io/v1beta3",),
}
BUILTIN_KINDS = tuple(KIND_API_VERSIONS)

MAX_NAME = 63
_OBJECT_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_LABEL = re.compile(r"[a-z0-9]+(?:-+[a-z0-9]+)*")
_API_SUFFIX = re.compile(r"[a-z0-9A-Z]+")
_KIND = re.compile(r"[a-zA-Z][a-z0-9A-Z]*")
_TAG = re.compile(r"[a-z0-9:+#]+(?:-[a-z0-9:+#]+)*")
SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")

_NAME_BAD_RUN = re.compile(r"[^A-Za-z0-9_.-]+")
_NAME_EDGES = re.compile(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$")
_DNS_BAD_RUN = re.compile(r"[^a-z0-9]+")
_TAG_BAD_RUN = re.compile(r"[^a-z0-9:+#]+")

NAME_RULE = (
    "1–{max} characters of [A-Za-z0-9] separated by `-`, `_` or `.`, "
    "starting and ending with a letter or digit"
)
DNS_RULE = "1–63 lowercase letters, digits and `-`, starting and ending with a letter or digit"


def is_object_name(value: str, max_len: int = MAX_NAME) -> bool:
    return 1 <= len(value) <= max_len and _OBJECT_NAME.fullmatch(value) is not None


def is_dns_label(value: str) -> bool:
    return 1 <= len(value) <= 63 and _DNS_LABEL.fullmatch(value) is not None


def is_dns_subdomain(value: str) -> bool:
    return 1 <= len(value) <= 253 and all(is_dns_label(p) for p in value.split("."))


def is_kind(value: str) -> bool:
    return 1 <= len(value) <= 63 and _KIND.fullmatch(value) is not None


@lru_cache(maxsize=4096)  # the same few values recur in every file
def is_api_version(value: str) -> bool:
    """`<suffix>` or `<dns-subdomain>/<suffix>` (CommonValidatorFunctions.isValidPrefixAndOrSuffix)."""
    parts = value.split("/")
    suffix = parts[-1]
    if len(parts) > 2 or not (1 <= len(suffix) <= 63 and _API_SUFFIX.fullmatch(suffix)):
        return False
    return len(parts) == 1 or is_dns_subdomain(parts[0])


@lru_cache(maxsize=4096)  # the same few values recur in every file
def is_prefixed_key(value: str) -> bool:
    """A label or annotation key: `[<dns-subdomain>/]<object-name>`."""
    parts = value.split("/")
    if len(parts) > 2 or not is_object_name(parts[-1]):
        return False
    return len(parts) == 1 or is_dns_subdomain(parts[0])


@lru_cache(maxsize=4096)  # the same few values recur in every file
def is_tag(value: str) -> bool:
    return 1 <= len(value) <= 63 and _TAG.fullmatch(value) is not None


# WHATWG URL parsing, reduced to what makes `new URL(value)` throw for the values people
# write: no scheme, or a special scheme (http, ws, ftp…) without a usable host or port.
_SPECIAL = frozenset({"http", "https", "ws", "wss", "ftp"})
_FORBIDDEN_HOST = frozenset(" #/<>?@[\\]^|%\x7f") | {chr(c) for c in range(0x20)}
_AUTHORITY_END = re.compile(r"[/\\?#]")
_STRIPPED = "".join(chr(c) for c in range(0x21))


def is_url(value: str) -> bool:
    text = value.strip(_STRIPPED).replace("\t", "").replace("\n", "").replace("\r", "")
    m = SCHEME.match(text)
    if m is None:
        return False
    scheme = m.group()[:-1].lower()
    if scheme not in _SPECIAL:
        return True  # opaque or non-special URLs (mailto:, urn:, file:) parse
    rest = text[m.end() :].lstrip("/\\")
    authority = _AUTHORITY_END.split(rest, maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    port = ""
    if host.startswith("["):
        close = host.find("]")
        if close < 0:
            return False
        host, port = host[: close + 1], host[close + 1 :].removeprefix(":")
        if host.count("[") != 1:
            return False
    else:
        host, _, port = host.partition(":")
        if not host or any(c in _FORBIDDEN_HOST for c in host):
            return False
    return not port or (port.isdigit() and int(port) <= 65535)


def suggest_name(value: str, max_len: int = MAX_NAME) -> str | None:
    """A valid entity name close to `value`, or None when there is no obvious one."""
    fixed = _NAME_EDGES.sub("", _NAME_BAD_RUN.sub("-", value))[:max_len]
    fixed = _NAME_EDGES.sub("", fixed)
    return fixed if fixed != value and is_object_name(fixed, max_len) else None


def suggest_dns_label(value: str) -> str | None:
    fixed = _DNS_BAD_RUN.sub("-", value.lower()).strip("-")[:63].strip("-")
    return fixed if fixed != value and is_dns_label(fixed) else None


def suggest_tag(value: str) -> str | None:
    fixed = _TAG_BAD_RUN.sub("-", value.lower()).strip("-")[:63].strip("-")
    return fixed if fixed != value and is_tag(fixed) else None


def describe(value: Any) -> str:
    """How a YAML value reads in a message: `the number 8080`, `a mapping`, `"text"`."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bytes):
        return "binary data (a `!!binary` value)"
    return f'"{excerpt(value)}"'


def is_scalar_non_string(value: Any) -> bool:
    """A number or boolean where Backstage wants a string: quoting it is the whole fix."""
    return isinstance(value, bool | int | float)


_Node = TypeVar("_Node", PMap, PSeq)


def in_metadata(entity: Entity, key: str, kind: type[_Node]) -> _Node | None:
    """`metadata.<key>` when it is a `kind` (mapping or list), as validation sees it (placeholders
    replaced by what they read); otherwise None, because a missing or mistyped value is the
    required-field or type rules' finding, and an unread placeholder is taken on trust."""
    md = placeholders.view(entity).root.get("metadata")
    value = md.get(key) if isinstance(md, PMap) else None
    return value if isinstance(value, kind) and not placeholders.unread(value) else None


def head(mapping: PMap) -> Span:
    """The first line of a mapping, where a finding about a key it lacks points."""
    first = next(iter(mapping.key_spans.values()), None)
    return first if first is not None else mapping.span


def source_text(entity: Entity, span: Span) -> str | None:
    """The text a one-line span covers in the entity's file."""
    if span.line != span.end_line:
        return None
    lines = entity.file.lines
    return lines[span.line][span.col : span.end_col] if span.line < len(lines) else None


def quote_fix(entity: Entity, span: Span) -> Fix | None:
    """Quote a plain scalar as written (`8080` → `"8080"`), keeping its exact text."""
    text = source_text(entity, span)
    if not text or text[0] in "\"'":
        return None
    return Fix("quote the value", ((span, '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'),))


def case_fix(entity: Entity, span: Span, old: str, new: str) -> Fix | None:
    """Write `new` where the scalar `old` is written, in the same quotes, when `new` is `old` in
    lower case (trimmed): the one value a case-sensitive field can have meant. None otherwise,
    or when the text at `span` is not plainly `old` (escapes, a multi-line value)."""
    if new != old.strip().lower():
        return None
    text = source_text(entity, span)
    for quote in ("", '"', "'"):
        if text == f"{quote}{old}{quote}":
            return Fix(f"write {new}", ((span, f"{quote}{new}{quote}"),))
    return None


def pointer(*parts: str | int) -> str:
    return ".".join(str(p) for p in parts)


def item_span(seq: PSeq, index: int) -> Span:
    return seq.item_spans[index] if index < len(seq.item_spans) else seq.span


def node_spans(root: PMap, root_span: Span, root_key: Span, path: tuple[str | int, ...]) -> tuple[Span, Span]:
    """(the node's span, its key's span) for a path of keys/indices below `root` (which sits at
    `root_span` under the key at `root_key`); an item of a list has no key but itself."""
    if not path:
        return root_span, root_key
    parent: Any = root
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if isinstance(parent, PSeq) and isinstance(last, int):
        span = item_span(parent, last)
        return span, span
    if isinstance(parent, PMap) and isinstance(last, str):
        return parent.value_span(last), parent.key_span(last)
    return root_span, root_key


def path_pointer(base: str, path: tuple[str | int, ...]) -> str:
    """`spec.steps[0].input` from a base and a path of keys/indices."""
    return base + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path)
