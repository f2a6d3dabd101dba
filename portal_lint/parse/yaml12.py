"""YAML 1.2 (core schema) with positions, read the way Backstage's `yaml` v2 parser reads it.

PyYAML's C composer gives nodes with marks; its resolver is YAML 1.1, so the node tags are
only used to notice where a YAML 1.1 tool would read a plain scalar differently. Values
are resolved here with the 1.2 core schema: `yes`/`on` and dates stay strings, `<<` is an
ordinary key, and duplicate keys are reported (Backstage rejects the document).

PyYAML stops a stream at its first error, but Backstage drops only the broken document.
Document markers (`---`, `...`) at column 0 can never be content (YAML's c-forbidden
lines), so the text is split there and each document is composed with its line offset.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver
from yaml.tokens import FlowMappingEndToken, FlowSequenceEndToken, ScalarToken

from portal_lint.diagnostic import FILE_START, Span
from portal_lint.parse.tree import PMap, PSeq

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - libyaml ships in every PyYAML wheel we support
    from yaml.loader import BaseLoader as _Parser  # type: ignore[assignment]

_PLAIN = "!portal-lint/plain"  # a plain scalar without an explicit tag: resolved here, YAML 1.2
_STR = "tag:yaml.org,2002:str"


class _Loader(_Parser, BaseResolver):
    """libyaml's composer with a resolver that only marks plain scalars.

    PyYAML's own resolver is Python code run for every scalar, and YAML 1.1 besides;
    resolving here (1.2, only where needed) halves the cost of a parse.
    """

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _T + "str"
        return _T + ("map" if kind is MappingNode else "seq")

    # The composer calls these around every node, for path-based resolvers this loader has
    # none of: builtins that take the same arguments and do nothing cost a tenth of a Python call.
    descend_resolver = slice  # type: ignore[assignment]
    ascend_resolver = tuple  # type: ignore[assignment]


MAX_DEPTH = 200
MAX_EXPANDED_NODES = 100_000
MAX_ALIAS_COUNT = 100  # `yaml`'s maxAliasCount, which Backstage's parser leaves at its default

_T = "tag:yaml.org,2002:"
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_YAML11_BOOL = frozenset(
    ("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF")
)
_YAML11_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9].*)?")
_YAML11_INT = re.compile(r"[-+]?(?:0b[01_]+|0[0-7_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+|[0-9][0-9_]*_[0-9_]*)")
_YAML11_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
)
_YAML11_FIRST = frozenset("yYnNoO0123456789+-.")
# First characters of the plain scalars resolve_plain or _reading_11 may read as other than a string.
_RESOLVED_FIRST = frozenset("-+.0123456789~nNtTfF") | _YAML11_FIRST
_MARKER = re.compile(r"(?:---|\.\.\.)(?:[ \t]|$)")
# A plain scalar starting with a letter is a null or boolean word or else a string (every
# number, and every YAML 1.1 date or number, starts with a digit, sign or dot); of these only
# the YAML 1.1 booleans read differently elsewhere.
_LETTERS = frozenset("nNtTfFyYoO")
_WORDS: dict[str, Any] = {"null": None, "Null": None, "NULL": None, **_BOOL}


class SyntaxProblem(NamedTuple):
    message: str
    span: Span


class YamlDoc:
    """One document of a YAML file, with what the parse noticed on the way. (A plain class: a
    pre-commit run does not import dataclasses.)"""

    __slots__ = (
        "ambiguities",
        "duplicates",
        "empty",
        "index",
        "limit",
        "merges",
        "root",
        "root_span",
        "start_line",
        "syntax",
    )

    def __init__(
        self,
        index: int,
        start_line: int,
        root: Any = None,
        root_span: Span = FILE_START,
        syntax: SyntaxProblem | None = None,
        limit: SyntaxProblem | None = None,
        empty: bool = False,
    ) -> None:
        self.index = index
        self.start_line = start_line
        self.root = root
        self.root_span = root_span
        self.syntax = syntax
        self.limit = limit
        self.duplicates: list[tuple[str, Span, Span]] = []  # key, dup, first
        self.merges: list[Span] = []
        self.ambiguities: list[tuple[str, str, Span]] = []  # text, 1.1 reading
        self.empty = empty

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _DOC_FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, YamlDoc):
            return NotImplemented
        return self._fields() == other._fields()

    def __repr__(self) -> str:
        return "YamlDoc(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in _DOC_FIELDS) + ")"

    @property
    def ok(self) -> bool:
        """Parsed into a value Backstage would see (rules past YML may look at it)."""
        return self.syntax is None and self.limit is None and not self.empty


_DOC_FIELDS = (
    "index",
    "start_line",
    "root",
    "root_span",
    "syntax",
    "limit",
    "duplicates",
    "merges",
    "ambiguities",
    "empty",
)


def resolve_plain(text: str) -> Any:
    """A plain scalar's value under the YAML 1.2 core schema (as `yaml` v2 resolves it)."""
    if not text or text[0] in "-+.0123456789~nNtTfF":
        if _NULL.fullmatch(text):
            return None
        b = _BOOL.get(text)
        if b is not None:
            return b
        if _INT.fullmatch(text):
            return int(text)
        if _OCT.fullmatch(text):
            return int(text[2:], 8)
        if _HEX.fullmatch(text):
            return int(text[2:], 16)
        if _FLOAT.fullmatch(text):
            return float(text)
        if _INF.fullmatch(text):
            return -math.inf if text[0] == "-" else math.inf
        if _NAN.fullmatch(text):
            return math.nan
    return text


# `yaml`'s explicitly tagged scalars: a core tag applies when its own pattern matches the text
# (`!!int "5"` is 5, `!!int "x"` and `!!float "3"` stay strings); !!binary and !!timestamp are
# tags it knows outside the core schema. A date becomes what JSON makes of it (the catalog
# stores entities as JSON before it validates them): its ISO string. Binary data stays bytes.
_EXPLICIT_INT = re.compile(r"0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+")
_EXPLICIT_FLOAT = re.compile(
    r"[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)"
)
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:(?:t|T|[ \t]+)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\.[0-9]+)?)"
    r"(?:[ \t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?"
)
# The `yaml-1.1` schema `yaml` switches to under a `%YAML 1.1` directive, in its order.
_Y11_TRUE = re.compile(r"Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON")
_Y11_FALSE = re.compile(r"N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF")
_Y11_INTS = (
    (re.compile(r"[-+]?0b[0-1_]+"), 2, 2),
    (re.compile(r"[-+]?0[0-7_]+"), 1, 8),
    (re.compile(r"[-+]?[0-9][0-9_]*"), 0, 10),
    (re.compile(r"[-+]?0x[0-9a-fA-F_]+"), 2, 16),
)
_Y11_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*"
)
_Y11_TIME = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")


def _js_int(text: str, offset: int, radix: int) -> Any:
    """`intResolve` of `yaml`: parseInt after the sign and prefix, underscores dropped."""
    sign = text[:1]
    digits = text[offset + (sign in "+-") :].replace("_", "")
    match = re.match(
        "[0-9a-fA-F]*" if radix == 16 else "[0-7]*" if radix == 8 else "[01]*" if radix == 2 else "[0-9]*",
        digits,
    )
    n = int(match.group(), radix) if match and match.group() else math.nan
    return -n if sign == "-" else n


def _js_float(text: str) -> float:
    """parseFloat of the text without underscores (NaN when nothing parses)."""
    match = re.match(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", text.replace("_", ""))
    return float(match.group()) if match else math.nan


def _sexagesimal(text: str) -> float:
    sign = text[:1]
    total = 0.0
    for part in text.lstrip("+-").replace("_", "").split(":"):
        total = total * 60 + float(part)
    return -total if sign == "-" else total


def _timestamp(text: str) -> str | None:
    """A `!!timestamp` as JSON writes the Date `yaml` makes of it; None when it is no date."""
    import datetime

    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    hour, minute = int(m[4] or 0), int(m[5] or 0)
    second = int(float(m[6])) if m[6] else 0
    millis = int((m[7] + "00")[1:4]) if m[7] else 0
    try:
        when = datetime.datetime(year, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            days=_days_before(year, month) + day - 1,
            hours=hour,
            minutes=minute,
            seconds=second,
            milliseconds=millis,
        )
    except (OverflowError, ValueError):
        return None
    tz = m[8]
    if tz and tz != "Z":
        offset = _sexagesimal(tz)
        when -= datetime.timedelta(minutes=offset * 60 if abs(offset) < 30 else offset)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _days_before(year: int, month: int) -> int:
    """Days from 1 January to the first of `month` (Date.UTC rolls months past 12 over)."""
    import datetime

    years, month0 = divmod(month - 1, 12)
    start = datetime.date(year, 1, 1)
    return (datetime.date(year + years, month0 + 1, 1) - start).days


def _binary(text: str) -> bytes:
    """`!!binary`: base64, white space ignored (JSON makes the Buffer `{type, data}`)."""
    import base64
    import binascii

    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return b""


def resolve_tagged(tag: str, text: str) -> Any:
    """An explicitly tagged scalar's value, as `yaml` resolves it (unknown tags: the string)."""
    name = tag[len(_T) :] if tag.startswith(_T) else ""
    if name == "int" and _EXPLICIT_INT.fullmatch(text):
        return resolve_plain(text)
    if name == "float" and _EXPLICIT_FLOAT.fullmatch(text):
        return resolve_plain(text)
    if name == "bool" and text in _BOOL:
        return _BOOL[text]
    if name == "null" and _NULL.fullmatch(text):
        return None
    if name == "binary":
        return _binary(text)
    if name == "timestamp":
        stamp = _timestamp(text)
        if stamp is None:
            raise ValueError(
                "`!!timestamp` expects a date, starting with yyyy-mm-dd: remove the tag or write a date"
            )
        return stamp
    return text


def resolve_plain_11(text: str) -> Any:
    """A plain scalar's value under the `yaml-1.1` schema (a `%YAML 1.1` document)."""
    if _NULL.fullmatch(text):
        return None
    if _Y11_TRUE.fullmatch(text):
        return True
    if _Y11_FALSE.fullmatch(text):
        return False
    for pattern, offset, radix in _Y11_INTS:
        if pattern.fullmatch(text):
            return _js_int(text, offset, radix)
    if _INF.fullmatch(text):
        return -math.inf if text[0] == "-" else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    if _Y11_FLOAT.fullmatch(text):
        return _js_float(text)
    if _Y11_TIME.fullmatch(text):
        return _sexagesimal(text)
    stamp = _timestamp(text)
    return text if stamp is None else stamp


def js_key(value: Any) -> str:
    """The property name JavaScript gives a mapping key once the document becomes an object."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, bytes):  # a Buffer's String(): its bytes as UTF-8
        return value.decode("utf-8", "replace")
    return str(value)


def _reading_11(text: str, value: Any) -> str | None:
    """How a YAML 1.1 tool (PyYAML, js-yaml's default, Go yaml.v2) reads this plain scalar,
    when that differs from the YAML 1.2 value Backstage sees."""
    if text[0] not in _YAML11_FIRST:
        return None
    if text in _YAML11_BOOL:
        return "a boolean"
    if _YAML11_DATE.fullmatch(text):
        return "a date"
    if isinstance(value, str):
        if _YAML11_INT.fullmatch(text) or ("_" in text and _YAML11_FLOAT.fullmatch(text)):
            return "a number"
        return None
    if isinstance(value, int) and not isinstance(value, bool) and _YAML11_INT.fullmatch(text):
        return "a different number"  # 0755 is octal 493 in YAML 1.1 and 755 in 1.2
    if text.startswith(("0o", "+0o", "-0o")):
        return "a string"
    return None


_new_tuple = tuple.__new__  # Span(...) goes through a Python-level __new__, once per node


class _Builder:
    """Turns one composed node graph into PMap/PSeq/scalars, bounded in depth and size.

    Without aliases (`shared` false) the graph is a tree: the build counts its nodes on the way
    instead of a separate walk, and keeps no memo."""

    __slots__ = (
        "active",
        "aliased",
        "anchors",
        "bangs",
        "count",
        "doc",
        "line0",
        "memo",
        "restore",
        "shared",
        "sizes",
        "yaml11",
    )

    def __init__(
        self,
        doc: YamlDoc,
        line0: int,
        restore: bool = False,
        shared: bool = True,
        yaml11: bool = False,
        bangs: frozenset[tuple[int, int]] = frozenset(),
    ) -> None:
        self.doc = doc
        self.line0 = line0
        self.restore = restore  # scalars may hold stand-ins for YAML 1.1 line breaks
        self.shared = shared  # the text may hold aliases
        self.yaml11 = yaml11  # a `%YAML 1.1` document: `yaml` resolves with its 1.1 schema
        self.bangs = bangs  # (line, column) of plain scalars tagged `!`: strings, whatever they say
        self.count = 0  # nodes built (tree builds only)
        self.memo: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()
        # `yaml`'s alias budget: per anchored node [times used, aliases it holds]; and where,
        # (parent node, child position), a child was an alias rather than written out.
        self.anchors: dict[int, list[int]] = {}
        self.aliased: set[tuple[int, int]] = set()

    def span(self, node: Node) -> Span:
        s, e = node.start_mark, node.end_mark
        line0 = self.line0
        return _new_tuple(Span, (s.line + line0, s.column, e.line + line0, e.column))

    def expanded_size(self, node: Node, depth: int = 0) -> int:
        """Nodes the document would have with every alias expanded (memoised: O(graph))."""
        key = id(node)
        got = self.sizes.get(key)
        if got is not None:
            return got
        if key in self.active:
            raise _Cycle(node)
        if depth > MAX_DEPTH:
            raise _TooDeep(node)
        self.active.add(key)
        total = 1
        if isinstance(node, MappingNode):
            for k, v in node.value:
                total += self.expanded_size(k, depth + 1) + self.expanded_size(v, depth + 1)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                total += self.expanded_size(item, depth + 1)
        self.active.discard(key)
        self.sizes[key] = total
        return total

    def build(
        self, node: Node, depth: int, parent: int = 0, position: int = 0, where: Span | None = None
    ) -> Any:
        shared = self.shared
        if shared:
            key = id(node)
            if key in self.memo:  # an alias: share the value, the size check bounded the fan-out
                self.alias(node, parent, position, where)
                return self.memo[key]
        elif self.count > MAX_EXPANDED_NODES:
            raise _TooLarge
        if depth > MAX_DEPTH:
            raise _TooDeep(node)
        self.count += 1
        if type(node) is ScalarNode:
            value = self.scalar(node)
        elif type(node) is MappingNode:
            value = self.mapping(node, depth)
        else:
            value = self.sequence(node, depth)
        if shared:
            self.memo[key] = value
        return value

    def alias(self, node: Node, parent: int, position: int, where: Span | None) -> None:
        """Count a use of an anchor as `yaml`'s Alias.resolve does: past 100 (times the aliases
        the anchored node holds) it throws, and the catalog reads nothing more of the file."""
        self.aliased.add((parent, position))
        data = self.anchors.setdefault(id(node), [1, 0])
        data[0] += 1
        if data[1] == 0:
            data[1] = self.alias_weight(node)
        if data[0] * data[1] > MAX_ALIAS_COUNT:
            raise _TooManyAliases(where if where is not None else self.span(node))

    def alias_weight(self, node: Node) -> int:
        """`getAliasCount` of `yaml`: 1 for a scalar, the heaviest child for a collection, where
        an alias child weighs its anchor's uses times its own weight."""
        if isinstance(node, ScalarNode):
            return 1
        children = (
            [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else list(node.value)
        )
        best = 0
        for position, child in enumerate(children):
            if (id(node), position) in self.aliased:
                data = self.anchors.get(id(child), [1, 0])
                weight = data[0] * data[1]
            else:
                weight = self.alias_weight(child)
            best = max(best, weight)
        return best

    def root(self, node: Node, keys_only: bool) -> Any:
        if keys_only and isinstance(node, MappingNode):
            self.count += 1
            value: Any = self.mapping(node, 0, keys_only=True)
        else:
            value = self.build(node, 0)
        if not self.shared and self.count > MAX_EXPANDED_NODES:
            raise _TooLarge
        return value

    def sequence(self, node: Node, depth: int) -> PSeq:
        assert isinstance(node, SequenceNode)
        seq = PSeq(self.span(node))
        build, span, spans, parent = self.build, self.span, seq.item_spans, id(node)
        for position, item in enumerate(node.value):
            seq.append(build(item, depth + 1, parent, position, seq.span))
            spans.append(span(item))
        return seq

    def scalar(self, node: ScalarNode) -> Any:
        text = node.value.translate(_RESTORE_BREAKS) if self.restore else node.value
        tag = node.tag
        if tag != _PLAIN:
            # Quoted or block (a string), or explicitly tagged (`!!int "5"`: what the tag makes of it).
            if tag == _STR:
                return text
            try:
                return resolve_tagged(tag, text)
            except ValueError as exc:
                raise _BadScalar(str(exc), self.span(node)) from None
        if self.bangs and (node.start_mark.line, node.start_mark.column) in self.bangs:
            return text  # `! 5`: the non-specific tag makes any plain scalar a string
        if self.yaml11:
            return resolve_plain_11(text)
        if text and text[0] not in _RESOLVED_FIRST:
            # Plain and starting with a character no null, boolean, number or YAML 1.1 reading
            # starts with: a string as Backstage sees it.
            return text
        if text and text[0] in _LETTERS:  # `name`, `type`, `owner`: no pattern needs to run
            if text in _YAML11_BOOL:
                self.doc.ambiguities.append((text, "a boolean", self.span(node)))
            return _WORDS.get(text, text)
        value = resolve_plain(text)
        if text and text[0] in _YAML11_FIRST:
            reading = _reading_11(text, value)
            if reading is not None:
                self.doc.ambiguities.append((text, reading, self.span(node)))
        return value

    def mapping(self, node: MappingNode, depth: int, keys_only: bool = False) -> PMap:
        out = PMap(self.span(node))
        if node.value and depth >= MAX_DEPTH:
            raise _TooDeep(node.value[0][0])  # where the size walk stops: the first key
        seen: dict[Any, Span] = {}  # keys as `yaml`'s uniqueKeys compares them
        build, doc, line0, parent = self.build, self.doc, self.line0, id(node)
        key_spans, value_spans = out.key_spans, out.value_spans
        for n, (knode, vnode) in enumerate(node.value):
            # self.span(), inlined: two spans per entry are most of a mapping's own time.
            s, e = knode.start_mark, knode.end_mark
            kspan = _new_tuple(Span, (s.line + line0, s.column, e.line + line0, e.column))
            if type(knode) is ScalarNode:
                if knode.tag == _PLAIN and knode.value == "<<":
                    doc.merges.append(kspan)
                self.count += 1
                value = self.scalar(knode)
                if type(value) is str:
                    same: Any = ("str", value)
                    key = value
                else:
                    same, key = _key_identity(value), js_key(value)
            else:
                same, key = id(knode), js_key(build(knode, depth + 1, parent, 2 * n, kspan))
            if same in seen:
                doc.duplicates.append((key, kspan, seen[same]))
                continue
            seen[same] = kspan
            # Different keys with one JavaScript name (`1` and "1"): the later one wins, silently.
            if key in out:
                del out[key]
            if keys_only:
                out[key] = None
            elif type(vnode) is ScalarNode and not self.shared and self.count <= MAX_EXPANDED_NODES:
                self.count += 1  # build(), less its call: most values are scalars
                out[key] = self.scalar(vnode)
            else:
                out[key] = build(vnode, depth + 1, parent, 2 * n + 1, kspan)
            key_spans[key] = kspan
            s, e = vnode.start_mark, vnode.end_mark
            value_spans[key] = _new_tuple(Span, (s.line + line0, s.column, e.line + line0, e.column))
        return out


def _key_identity(value: Any) -> tuple[str, Any]:
    """Scalar keys are the same when their values are (`===` in JavaScript: 1 and 1.0 are, 1
    and "1" are not)."""
    if isinstance(value, bool | str | bytes) or value is None:
        return (type(value).__name__, value)
    return ("number", float(value))


class _Cycle(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _TooDeep(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _BadScalar(Exception):
    """A tagged scalar `yaml` cannot resolve: an error in the document, as a syntax error is."""

    def __init__(self, message: str, span: Span) -> None:
        self.message = message
        self.span = span


class _TooManyAliases(Exception):
    def __init__(self, span: Span) -> None:
        self.span = span


class _TooLarge(Exception):
    """A tree build passed MAX_EXPANDED_NODES: the size walk then counts it exactly."""


def split_documents(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each document chunk; see the module docstring for why."""
    lines = text.split("\n")
    chunks: list[tuple[int, str]] = []
    start = 0
    has_content = False
    for i, line in enumerate(lines):
        if line.startswith(("---", "...")) and _MARKER.match(line):
            if line.startswith("---") and has_content:
                chunks.append((start, "\n".join(lines[start:i])))
                start, has_content = i, False
            has_content = has_content or line.startswith("---")
            if line.startswith("..."):  # ends the document, or stands alone (then: nothing)
                if has_content:
                    chunks.append((start, "\n".join(lines[start : i + 1])))
                start, has_content = i + 1, False
        elif not has_content:
            stripped = line.lstrip()
            has_content = bool(stripped) and not stripped.startswith(("#", "%"))
    if start < len(lines):
        chunks.append((start, "\n".join(lines[start:])))
    return chunks


def _syntax_problem(exc: yaml.MarkedYAMLError, line0: int, chunk: str) -> SyntaxProblem:
    last_line = line0 + chunk.count("\n")
    problem = exc.problem or "invalid YAML"
    mark, ctx = exc.problem_mark, exc.context_mark
    # An unclosed quote or bracket is noticed far below (often at the end of the document);
    # the place to fix is where it was opened. Other contexts point at the right line already.
    opened = exc.context is not None and ("quoted" in exc.context or "flow" in exc.context)
    where = ctx if (opened and ctx is not None) or mark is None else mark
    detail = f"{problem} ({exc.context})" if exc.context else problem
    if where is ctx and mark is not None and ctx is not None and mark.line != ctx.line:
        detail = f"{exc.context}: {problem} (noticed at line {mark.line + line0 + 1})"
    runaway = _runaway_quote(chunk, mark) if not opened and mark is not None else None
    if runaway is not None and mark is not None:
        where = runaway
        detail = (
            f"the quoted value that starts here is not closed on its line, so it runs on to line "
            f"{mark.line + line0 + 1}, where a later quote ends it and the YAML breaks ({problem})"
        )
    if where is None:
        return SyntaxProblem(detail, Span(line0, 0, line0, 0))
    # libyaml puts end-of-stream one line past a chunk without a final newline.
    line = min(where.line + line0, last_line)
    return SyntaxProblem(detail, Span(line, where.column, line, where.column + 1))


_KEY_LINE = re.compile(r"[ \t]*(?:- |[^\s#'\"][^:#]*:(?:[ \t]|$))")


def _runaway_quote(chunk: str, mark: Any) -> Any:
    """Where a quoted scalar starts that ran over lines of mapping keys or list items and was
    closed by a quote on the line where the parse then failed: a quote left open, whose
    error libyaml notices only where some later quote happens to close it. None otherwise."""
    scanner = _Parser(chunk)
    found = None
    try:
        while scanner.check_token():
            token = scanner.get_token()
            assert token is not None
            start, end = token.start_mark, token.end_mark
            if start.line > mark.line:
                break
            if (
                isinstance(token, ScalarToken)
                and token.style in ('"', "'")
                and start.line < end.line == mark.line
            ):
                lines = chunk.split("\n")[start.line + 1 : end.line]
                if any(_KEY_LINE.match(line) for line in lines):
                    found = start
    except yaml.YAMLError:
        pass  # the scan stops at its own error; what it saw so far is enough
    finally:
        scanner.dispose()
    return found


class _RedefiningLoader(Composer, _Loader):
    """PyYAML's Python composer over libyaml's events, letting an anchor be defined again.

    YAML 1.2 (and Backstage's parser) allows it, the alias meaning the latest definition;
    libyaml's composer refuses. Used only for the documents libyaml refused for that."""

    def __init__(self, stream: str) -> None:
        _Loader.__init__(self, stream)
        Composer.__init__(self)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        anchor = getattr(self.peek_event(), "anchor", None)
        if anchor is not None and not self.check_event(AliasEvent):
            self.anchors.pop(anchor, None)
        node: Node | None = super().compose_node(parent, index)
        return node


def _compose_all(chunk: str) -> list[Node | None]:
    try:
        return _compose_with(_Loader(chunk))
    except yaml.composer.ComposerError as exc:
        if exc.context != "found duplicate anchor; first occurrence":
            raise
    return _compose_with(_RedefiningLoader(chunk))


def _compose_with(loader: _Loader) -> list[Node | None]:
    try:
        nodes: list[Node | None] = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return nodes
    finally:
        loader.dispose()


# libyaml composes recursively (tens of thousands of levels overflow the C stack: a segfault,
# not an exception) and scans in time quadratic in flow depth. A text that could nest deeper
# than MAX_DEPTH is first walked on the flat event stream, which stops at the limit.
_DEEP_HINT = MAX_DEPTH // 2
_DEEP_LINE = re.compile(rf"^[ \t?:-]{{{_DEEP_HINT}}}", re.MULTILINE)


def _too_deep(chunk: str, line0: int) -> Span | None:
    """Where the first node deeper than MAX_DEPTH starts, or None.

    Flow depth is at most the number of brackets, block depth about twice the longest run of
    indentation and indicators: below both hints a chunk cannot nest too deep for libyaml.
    """
    if chunk.count("[") + chunk.count("{") < _DEEP_HINT and not _DEEP_LINE.search(chunk):
        return None
    parser = _Parser(chunk)
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, CollectionEndEvent):
                depth -= 1
            elif isinstance(event, NodeEvent):
                mark = event.start_mark
                if depth > MAX_DEPTH and mark is not None:
                    return Span(mark.line + line0, mark.column, mark.line + line0, mark.column + 1)
                depth += isinstance(event, CollectionStartEvent)
    except yaml.MarkedYAMLError as exc:
        # libyaml 0.2.6 (PyYAML >= 6.0.4) refuses past 1000 flow levels while scanning ahead,
        # before any event: find the node past our limit in the text itself.
        if "nesting depth" in (exc.problem or ""):
            return _deep_flow_node(chunk, line0)
    except yaml.YAMLError:
        pass  # the compose that follows reports it, no deeper than this walk got
    finally:
        parser.dispose()
    return None


def _deep_flow_node(chunk: str, line0: int) -> Span | None:
    """Where the first flow collection deeper than MAX_DEPTH opens (quotes and comments skipped)."""
    depth, quote, line, col, comment = 0, "", 0, 0, False
    prev = "\n"
    for ch in chunk:
        if ch == "\n":
            line, col, comment, prev = line + 1, 0, False, ch
            continue
        if comment:
            pass
        elif quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and prev in " \t\n":
            comment = True
        elif ch in "[{":
            if depth > MAX_DEPTH:
                return Span(line + line0, col, line + line0, col + 1)
            depth += 1
        elif ch in "]}":
            depth -= 1
        prev = ch
        col += 1
    return None


# NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR and a lone CR break lines for libyaml, but
# Backstage's parser (the `yaml` package) reads them as content, as portal-lint's `split("\n")`
# lines do: libyaml gets stand-ins (noncharacters, printable to it), scalars the originals back.
_STAND_INS = {"\x85": "\ufdd0", "\u2028": "\ufdd1", "\u2029": "\ufdd2", "\r": "\ufdd3"}
_HIDE_BREAKS = str.maketrans({k: v for k, v in _STAND_INS.items() if k != "\r"})
_RESTORE_BREAKS = str.maketrans({v: k for k, v in _STAND_INS.items()})
_LONE_CR = re.compile(r"\r(?!\n)")


def _hide_breaks(text: str) -> str | None:
    """The text with stand-ins for the line breaks only libyaml sees, or None when it has none
    (or, implausibly, already holds a stand-in)."""
    lone_cr = "\r" in text and _LONE_CR.search(text) is not None
    if not (lone_cr or any(c in text for c in "\x85\u2028\u2029")):
        return None
    if any(c in text for c in _STAND_INS.values()):
        return None
    return (_LONE_CR.sub("\ufdd3", text) if lone_cr else text).translate(_HIDE_BREAKS)


def parse_yaml(text: str, keys_only: bool = False) -> list[YamlDoc]:
    """Every document of a YAML text; a broken one carries its problem and the others parse.

    `keys_only`: a root mapping holds its keys (with their spans) and None for every value, for
    callers that only ask whether a text parses, how many documents it has and what its
    top-level keys are (the whole text is still parsed and bounded as usual)."""
    docs: list[YamlDoc] = []
    yaml11 = False
    hidden = _hide_breaks(text)
    restore = hidden is not None
    text = hidden if hidden is not None else text
    for line0, chunk in split_documents(text):
        deep = _too_deep(chunk, line0)
        if deep is not None:
            doc = YamlDoc(len(docs), line0)
            doc.limit = SyntaxProblem(f"nesting is deeper than {MAX_DEPTH} levels", deep)
            docs.append(doc)
            continue
        unspaced = _unspaced_comment(chunk, line0)
        if unspaced is not None:
            doc = YamlDoc(len(docs), line0)
            doc.syntax = unspaced
            docs.append(doc)
            continue
        try:
            # At the end of the stream `yaml` still ends a block scalar with its line break.
            nodes = _compose_all(chunk if chunk.endswith("\n") else chunk + "\n")
        except yaml.MarkedYAMLError as exc:
            retried = _with_surrogates(chunk, exc)
            if retried is None:
                doc = YamlDoc(len(docs), line0)
                doc.syntax = _syntax_problem(exc, line0, chunk)
                docs.append(doc)
                continue
            nodes = retried
        except (yaml.YAMLError, ValueError) as exc:  # reader errors: control characters and the like
            doc = YamlDoc(len(docs), line0)
            doc.syntax = SyntaxProblem(str(exc).splitlines()[0], Span(line0, 0, line0, 0))
            docs.append(doc)
            continue
        shared = "*" in chunk  # no `*`, no alias: each node is reached once
        directive = _VERSION.search(chunk) if "%" in chunk else None
        if directive is not None:  # `yaml` keeps a version until the next %YAML directive
            yaml11 = directive.group(1) == "1.1"
        bangs = _bangs(chunk) if "!" in chunk else frozenset()
        for node in nodes:
            docs.append(_build_document(node, len(docs), line0, restore, shared, keys_only, yaml11, bangs))
    return docs


# A `%YAML` directive line before the document's `---`: its version.
_VERSION = re.compile(r"\A(?:[ \t]*(?:#.*|%.*)?\n)*?%YAML[ \t]+(\S+)", re.MULTILINE)
_BANG = re.compile(r"(?:^|(?<=[\s\[{,]))![ \t]")
_UNSPACED = re.compile(r"[\"'\]}]#")


def _bangs(chunk: str) -> frozenset[tuple[int, int]]:
    """(line, column) of every non-specific tag `! ` (libyaml resolves what follows as untagged)."""
    if _BANG.search(chunk) is None:
        return frozenset()
    found = set()
    for line_no, line in enumerate(chunk.split("\n")):
        for m in _BANG.finditer(line):
            found.add((line_no, m.start()))
    return frozenset(found)


def _unspaced_comment(chunk: str, line0: int) -> SyntaxProblem | None:
    """A `#` right after a closing quote or bracket: a comment `yaml` refuses (it must follow
    white space) and libyaml takes as a comment."""
    if _UNSPACED.search(chunk) is None:
        return None
    lines = chunk.split("\n")
    scanner = _Parser(chunk)
    try:
        while scanner.check_token():
            token = scanner.get_token()
            assert token is not None
            end = token.end_mark
            quoted = isinstance(token, ScalarToken) and token.style in ('"', "'")
            if (quoted or isinstance(token, FlowSequenceEndToken | FlowMappingEndToken)) and lines[end.line][
                end.column : end.column + 1
            ] == "#":
                line = end.line + line0
                return SyntaxProblem(
                    "a comment must be separated from the value by a space (Backstage's parser: "
                    "`Comments must be separated from other tokens by white space characters`)",
                    Span(line, end.column, line, end.column + 1),
                )
    except yaml.YAMLError:
        pass  # the compose that follows reports it
    finally:
        scanner.dispose()
    return None


_SURROGATE_PAIR = re.compile(r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})")
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\\U0000[dD][89a-fA-F][0-9a-fA-F]{2}")


def _with_surrogates(chunk: str, exc: yaml.MarkedYAMLError) -> list[Node | None] | None:
    """The nodes of a chunk libyaml refused only for a surrogate escape (`"\\ud800"`), which
    `yaml` accepts: a pair becomes its character, a lone half U+FFFD (a Python string holding it
    could not be printed). None when that was not the problem."""
    if "Unicode character escape" not in (exc.problem or ""):
        return None

    def pair(m: re.Match[str]) -> str:
        code = 0x10000 + ((int(m[1], 16) - 0xD800) << 10) + (int(m[2], 16) - 0xDC00)
        return f"\\U{code:08X}"

    fixed = _SURROGATE.sub(
        lambda m: "\\uFFFD" if m[0][1] == "u" else "\\U0000FFFD", _SURROGATE_PAIR.sub(pair, chunk)
    )
    try:
        return _compose_all(fixed if fixed.endswith("\n") else fixed + "\n")
    except yaml.YAMLError:
        return None


def _build_document(
    node: Node | None,
    index: int,
    line0: int,
    restore: bool = False,
    shared: bool = True,
    keys_only: bool = False,
    yaml11: bool = False,
    bangs: frozenset[tuple[int, int]] = frozenset(),
) -> YamlDoc:
    if node is None:
        return YamlDoc(index, line0, empty=True)
    doc = YamlDoc(index, line0 + node.start_mark.line)
    builder = _Builder(doc, line0, restore, shared, yaml11, bangs)
    doc.root_span = builder.span(node)
    try:
        root = None
        if not shared:
            try:
                root = builder.root(node, keys_only)
            except _TooLarge:
                shared = True  # count it exactly, as a graph
                doc.ambiguities.clear()
                doc.merges.clear()
                doc.duplicates.clear()
        if shared:
            size = builder.expanded_size(node)
            if size > MAX_EXPANDED_NODES:
                limit = f"(limit {MAX_EXPANDED_NODES:,})"
                message = (
                    f"aliases expand this document to {size:,} nodes {limit}; this looks like an alias bomb"
                    if size > len(builder.sizes)  # some node counted more than once: reached through aliases
                    else f"this document has {size:,} nodes {limit}; no catalog entity is this large"
                )
                doc.limit = SyntaxProblem(message, doc.root_span)
                return doc
            root = builder.root(node, keys_only)
    except _Cycle as exc:
        doc.limit = SyntaxProblem("an alias refers to the node that contains it", builder.span(exc.node))
        return doc
    except _TooDeep as exc:
        doc.limit = SyntaxProblem(f"nesting is deeper than {MAX_DEPTH} levels", builder.span(exc.node))
        return doc
    except _BadScalar as exc:
        doc.syntax = SyntaxProblem(exc.message, exc.span)
        return doc
    except _TooManyAliases as exc:
        doc.limit = SyntaxProblem(
            f"this alias uses its anchor more than {MAX_ALIAS_COUNT} times over, the most Backstage's "
            "parser allows (`Excessive alias count indicates a resource exhaustion attack`): it reads "
            "nothing from this file",
            exc.span,
        )
        return doc
    if root is None and isinstance(node, ScalarNode) and not node.style:
        doc.empty = True  # `--- null` / `--- ~`: Backstage ignores it like an empty document
    doc.root = root
    return doc
