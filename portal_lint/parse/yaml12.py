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
from yaml.tokens import ScalarToken

from portal_lint.diagnostic import FILE_START, Span
from portal_lint.parse.tree import PMap, PSeq

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - libyaml ships in every PyYAML wheel we support
    from yaml.loader import BaseLoader as _Parser  # type: ignore[assignment]

_PLAIN = "!portal-lint/plain"  # a plain scalar without an explicit tag: resolved here, YAML 1.2


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
    """One document of a YAML file, with what the parse noticed on the way. (A plain class:
    importing dataclasses costs a pre-commit run ~5 ms.)"""

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


_new_tuple = tuple.__new__  # Span(...) goes through a Python-level __new__: ~0.2 µs per node more


class _Builder:
    """Turns one composed node graph into PMap/PSeq/scalars, bounded in depth and size.

    Without aliases (`shared` false) the graph is a tree: the build counts its nodes on the way
    instead of a separate walk, and keeps no memo."""

    __slots__ = ("active", "count", "doc", "line0", "memo", "restore", "shared", "sizes")

    def __init__(self, doc: YamlDoc, line0: int, restore: bool = False, shared: bool = True) -> None:
        self.doc = doc
        self.line0 = line0
        self.restore = restore  # scalars may hold stand-ins for YAML 1.1 line breaks
        self.shared = shared  # the text may hold aliases
        self.count = 0  # nodes built (tree builds only)
        self.memo: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()

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

    def build(self, node: Node, depth: int) -> Any:
        shared = self.shared
        if shared:
            key = id(node)
            if key in self.memo:  # an alias: share the value, the size check bounded the fan-out
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
        build, span, spans = self.build, self.span, seq.item_spans
        for item in node.value:
            seq.append(build(item, depth + 1))
            spans.append(span(item))
        return seq

    def scalar(self, node: ScalarNode) -> Any:
        text = node.value.translate(_RESTORE_BREAKS) if self.restore else node.value
        if node.tag != _PLAIN or (text and text[0] not in _RESOLVED_FIRST):
            # Quoted, block, or explicitly tagged; or plain and starting with a character no
            # null, boolean, number or YAML 1.1 reading starts with: a string as Backstage sees it.
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
        build, doc, line0 = self.build, self.doc, self.line0
        key_spans, value_spans = out.key_spans, out.value_spans
        for knode, vnode in node.value:
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
                same, key = id(knode), js_key(build(knode, depth + 1))
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
                out[key] = build(vnode, depth + 1)
            key_spans[key] = kspan
            s, e = vnode.start_mark, vnode.end_mark
            value_spans[key] = _new_tuple(Span, (s.line + line0, s.column, e.line + line0, e.column))
        return out


def _key_identity(value: Any) -> tuple[str, Any]:
    """Scalar keys are the same when their values are (`===` in JavaScript: 1 and 1.0 are, 1
    and "1" are not)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    return ("number", float(value))


class _Cycle(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _TooDeep(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


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
        try:
            # At the end of the stream `yaml` still ends a block scalar with its line break.
            nodes = _compose_all(chunk if chunk.endswith("\n") else chunk + "\n")
        except yaml.MarkedYAMLError as exc:
            doc = YamlDoc(len(docs), line0)
            doc.syntax = _syntax_problem(exc, line0, chunk)
            docs.append(doc)
            continue
        except (yaml.YAMLError, ValueError) as exc:  # reader errors: control characters and the like
            doc = YamlDoc(len(docs), line0)
            doc.syntax = SyntaxProblem(str(exc).splitlines()[0], Span(line0, 0, line0, 0))
            docs.append(doc)
            continue
        shared = "*" in chunk  # no `*`, no alias: each node is reached once
        for node in nodes:
            docs.append(_build_document(node, len(docs), line0, restore, shared, keys_only))
    return docs


def _build_document(
    node: Node | None,
    index: int,
    line0: int,
    restore: bool = False,
    shared: bool = True,
    keys_only: bool = False,
) -> YamlDoc:
    if node is None:
        return YamlDoc(index, line0, empty=True)
    doc = YamlDoc(index, line0 + node.start_mark.line)
    builder = _Builder(doc, line0, restore, shared)
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
    if root is None and isinstance(node, ScalarNode) and not node.style:
        doc.empty = True  # `--- null` / `--- ~`: Backstage ignores it like an empty document
    doc.root = root
    return doc
