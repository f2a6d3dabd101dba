"""Markdown as the linter needs it: headings, links and code, each with its line and column.

Two block readers fill the same `MdDoc`:

* `scan()` is a line scanner for SKILL.md bodies. It knows fenced code and ATX/setext
  headings, nothing more, and costs about a tenth of a markdown-it parse; a pre-commit run
  over a skill never imports markdown-it.
* `parse()` asks markdown-it-py (CommonMark) which lines are code (fenced, indented, inside
  list items), raw HTML and headings. AGENTS.md files are long, hand-written and full of
  nested lists, where a line scanner gets code blocks wrong. markdown-it is imported on the
  first call, so the catalog path never pays for it.

Links and code spans are then found line by line in the non-code lines by one shared inline
scanner, so both readers report the same columns. Constructs that span lines (a link text
broken over two lines, a multi-line code span) are not seen; they are rare in these files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from portal_lint.diagnostic import Span

# ---------------------------------------------------------------- frontmatter


class Frontmatter(NamedTuple):
    """The YAML block between a leading `---` line and the next `---` line."""

    yaml: str  # the lines between the markers
    offset: int  # 0-based file line of the YAML's first line
    end: int | None  # 0-based line of the closing marker; None when it never closes
    body: int  # 0-based line where the Markdown body starts


def split_frontmatter(lines: list[str]) -> Frontmatter | None:
    """The frontmatter of a file's lines, or None when the first line is not `---`.

    Markers are whole lines (as in quick_validate.py), never `text.split("---")`, which cuts
    a value such as `description: a --- b` in two (a known skills-ref bug)."""
    if not lines or lines[0].rstrip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            return Frontmatter("\n".join(lines[1:i]), 1, i, i + 1)
    return Frontmatter("\n".join(lines[1:]), 1, None, len(lines))


# ---------------------------------------------------------------- document model


@dataclass(frozen=True, slots=True)
class Heading:
    line: int  # 0-based
    level: int
    raw: str  # the heading's text as written
    col: int = 0
    end_col: int = 0

    @property
    def text(self) -> str:
        """As rendered: inline markup removed (what anchors are made from)."""
        return heading_text(self.raw)


@dataclass(frozen=True, slots=True)
class Link:
    target: str  # the destination as written (percent-escapes not decoded)
    line: int
    col: int  # span of the destination text
    end_col: int


@dataclass(frozen=True, slots=True)
class CodeSpan:
    text: str  # content, trimmed
    line: int
    col: int  # where the content starts
    end_col: int


@dataclass(frozen=True, slots=True)
class CodeBlock:
    info: str  # the fence's info string (language), "" for indented code
    line: int  # 0-based line of the first content line
    lines: tuple[str, ...]  # content lines as they appear in the file


@dataclass(eq=False)
class MdDoc:
    lines: list[str]
    headings: list[Heading] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    spans: list[CodeSpan] = field(default_factory=list)
    blocks: list[CodeBlock] = field(default_factory=list)
    # markdown-it's tokens, for a reader that needs more of the structure (the policy's list items)
    tokens: list[Any] = field(default_factory=list, repr=False)

    @cached_property
    def anchors(self) -> frozenset[str]:
        """Every `#fragment` a link may use: heading slugs as GitHub makes them, plus HTML ids."""
        found = set(github_slugs(h.text for h in self.headings))
        for line in self.lines:
            if "<a" in line:
                found.update(m.group(1).lower() for m in _HTML_ANCHOR.finditer(line))
        return frozenset(found)

    def section(self, index: int) -> range:
        """Lines under heading `index`, up to the next heading of the same or a higher level."""
        head = self.headings[index]
        end = len(self.lines)
        for h in self.headings[index + 1 :]:
            if h.level <= head.level:
                end = h.line
                break
        return range(head.line + 1, end)

    def find_section(self, title: str) -> range | None:
        want = title.strip().lower()
        for i, h in enumerate(self.headings):
            if h.text.strip().rstrip(":").strip().lower() == want:
                return range(h.line, self.section(i).stop)
        return None


def line_span(lines: list[str], line: int) -> Span:
    """A whole line, trailing blanks excluded (where file-level findings point)."""
    text = lines[line] if line < len(lines) else ""
    return Span(line, 0, line, max(len(text.rstrip()), 1))


# ---------------------------------------------------------------- link targets

_EXTERNAL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:|//")
MARKDOWN_SUFFIXES = (".md", ".markdown")  # link targets whose `#anchors` can be checked


def is_external(target: str) -> bool:
    """A URL (`https:`, `mailto:`, `//host`), not a path in the repository."""
    return _EXTERNAL.match(target) is not None


def split_target(target: str) -> tuple[str, str]:
    """(decoded path, decoded fragment) of a link destination; a query string is dropped."""
    path, _, fragment = target.partition("#")
    path = path.split("?", 1)[0]
    if "%" not in target:
        return path, fragment
    from urllib.parse import unquote

    return unquote(path), unquote(fragment)


def anchor_missing(anchors: frozenset[str] | None, fragment: str) -> bool:
    """Whether `#fragment` names no anchor (GitHub matches fragments case-insensitively)."""
    return bool(fragment) and anchors is not None and fragment.lower() not in anchors


# ---------------------------------------------------------------- GitHub anchors


def github_slug(text: str) -> str:
    """github-slugger's `slug()`: lower-case, drop what is not a letter, digit, mark, `-`, `_`
    or space, then spaces to hyphens."""
    out = []
    for ch in text.lower():
        if ch.isalnum() or ch in "-_ ":
            out.append(ch)
        elif ch.isascii():
            continue
        else:
            import unicodedata  # only headings with non-ASCII text get here

            category = unicodedata.category(ch)
            if category[0] in "LMN" or category == "Pc":
                out.append(ch)
    return "".join(out).replace(" ", "-")


def github_slugs(texts: Iterable[str]) -> list[str]:
    """Slugs for headings in document order, with github-slugger's `-1`, `-2` for repeats."""
    occurrences: dict[str, int] = {}
    out: list[str] = []
    for text in texts:
        base = slug = github_slug(text)
        while slug in occurrences:
            occurrences[base] += 1
            slug = f"{base}-{occurrences[base]}"
        occurrences[slug] = 0
        out.append(slug)
    return out


# ---------------------------------------------------------------- inline scanning

_HTML_ANCHOR = re.compile(r"""<a\s[^>]*?\b(?:name|id)\s*=\s*["']?([^"'\s>]+)""", re.I)
_BACKTICKS = re.compile(r"`+")
_LONE_CR = re.compile(r"\r(?!\n)")
_COMMENT = re.compile(r"<!--.*?-->")
_LINK = re.compile(
    r"!?\[(?:[^\[\]\\]|\\.|\[[^\[\]]*\])*\]"
    r"\(\s*(?:<([^<>\n]*)>|((?:[^\s()\\]|\\.|\([^\s()]*\))+))"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
)
_REF_DEF = re.compile(r"^ {0,3}\[(?:[^\[\]\\]|\\.)+\]:[ \t]*(?:<([^<>\n]*)>|(\S+))")
_INLINE_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|<[^>]+>|`+|\*+|~~|(?<!\w)_+|_+(?!\w)")


def _spaces(m: re.Match[str]) -> str:
    """Blank out a match, keeping the columns of what follows."""
    return " " * (m.end() - m.start())


def _inline(doc: MdDoc, line: str, no: int) -> None:
    """Code spans and links of one line; code and comments are blanked before links are sought."""
    if "<!--" in line:
        line = _COMMENT.sub(_spaces, line)
    if "`" in line:
        pieces, last = [], 0
        for start, end, content_start, content_end in _code_spans(line):
            raw = line[content_start:content_end]
            text = raw.strip()
            if text:
                col = content_start + (len(raw) - len(raw.lstrip()))
                doc.spans.append(CodeSpan(text, no, col, col + len(text)))
            pieces += [line[last:start], " " * (end - start)]
            last = end
        line = "".join(pieces) + line[last:]
    if "[" not in line:
        return
    found = list(_LINK.finditer(line)) if "](" in line else []
    definition = _REF_DEF.match(line)
    for m in [*found, definition] if definition else found:
        g = 1 if m.group(1) is not None else 2  # <destination> or bare destination
        doc.links.append(Link(m.group(g), no, m.start(g), m.end(g)))


def _code_spans(line: str) -> list[tuple[int, int, int, int]]:
    """(start, end, content start, content end) of each code span: a backtick run closes at the
    next run of the same length (CommonMark), found in one pass so hostile lines stay linear."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(line)]
    closer: list[int | None] = [None] * len(runs)
    later: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        size = runs[i][1] - runs[i][0]
        closer[i] = later.get(size)
        later[size] = i
    out = []
    i = 0
    while i < len(runs):
        j = closer[i]
        if j is None:
            i += 1  # no closing run of this length: the backticks are literal
            continue
        out.append((runs[i][0], runs[j][1], runs[i][1], runs[j][0]))
        i = j + 1
    return out


def heading_text(raw: str) -> str:
    """A heading's text with links, code and emphasis markup removed, as GitHub renders it."""
    return _INLINE_MARKUP.sub(lambda m: m.group(1) or "", raw).strip()


_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)$")
_NOT_PARAGRAPH = re.compile(r"\s*(?:[#>|]|[-*+][ \t]|\d{1,9}[.)][ \t]|$)")


def _heading(doc: MdDoc, no: int, level: int, raw_text: str, line: str) -> None:
    col = line.find(raw_text) if raw_text else 0
    doc.headings.append(Heading(no, level, raw_text, max(col, 0), len(line.rstrip())))


def scan(lines: list[str], start: int = 0) -> MdDoc:
    """The cheap reader (see the module docstring); lines before `start` (frontmatter) are skipped.
    Most lines cost a few string tests; regexes run only on lines that may start a construct."""
    doc = MdDoc(lines)
    fence: tuple[str, int, str, int] | None = None  # marker, length, info, first content line
    in_comment = False
    prev_text = False  # the previous line may be paragraph text (a setext underline makes it a heading)
    for no in range(start, len(lines)):
        line = lines[no]
        stripped = line.lstrip()
        if fence is not None:
            if stripped[:3] == fence[0] * 3:
                m = _FENCE.match(line)
                if m and len(m.group(1)) >= fence[1] and m.group(1)[0] == fence[0] and not m.group(2).strip():
                    doc.blocks.append(CodeBlock(fence[2], fence[3], tuple(lines[fence[3] : no])))
                    fence = None
            continue
        if in_comment:
            in_comment = "-->" not in line
            continue
        first = stripped[:1]
        if first in ("`", "~") and stripped[:3] in ("```", "~~~"):
            m = _FENCE.match(line)
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = (m.group(1)[0], len(m.group(1)), m.group(2).strip().split(" ")[0], no + 1)
                prev_text = False
                continue
        elif first == "<" and stripped.startswith("<!--") and "-->" not in stripped:
            in_comment = True
            continue
        elif first == "#":
            m = _ATX.match(line)
            if m:
                _heading(doc, no, len(m.group(1)), m.group(2) or "", line)
                prev_text = False
                _inline(doc, line, no)
                continue
        elif (
            prev_text
            and first in ("=", "-")
            and _SETEXT.match(line)
            and not _NOT_PARAGRAPH.match(lines[no - 1])
        ):
            level = 1 if first == "=" else 2
            _heading(doc, no - 1, level, lines[no - 1].strip(), lines[no - 1])
            prev_text = False
            continue
        prev_text = bool(stripped)
        if "`" in line or "[" in line:
            _inline(doc, line, no)
    if fence is not None:  # an unclosed fence runs to the end of the document (CommonMark)
        doc.blocks.append(CodeBlock(fence[2], fence[3], tuple(lines[fence[3] :])))
    return doc


_MD: Any = None


def _markdown_it() -> Any:
    global _MD
    if _MD is None:
        from markdown_it import MarkdownIt

        _MD = MarkdownIt("commonmark", {"html": True})
    return _MD


def parse(text: str) -> MdDoc:
    """The CommonMark reader (see the module docstring)."""
    lines = text.split("\n")
    doc = MdDoc(lines)
    skip: set[int] = set()
    # markdown-it also breaks lines at a lone CR; blank those so its line numbers stay the file's.
    tokens = doc.tokens = _markdown_it().parse(_LONE_CR.sub(" ", text) if "\r" in text else text)
    for i, tok in enumerate(tokens):
        if tok.map is None:
            continue
        first, stop = tok.map
        if tok.type in ("fence", "code_block"):
            body_first = first + 1 if tok.type == "fence" else first
            body_stop = stop - 1 if tok.type == "fence" and _closes(lines, tok, stop) else stop
            info = tok.info.strip().split(" ")[0] if tok.type == "fence" else ""
            doc.blocks.append(CodeBlock(info, body_first, tuple(lines[body_first:body_stop])))
            skip.update(range(first, stop))
        elif tok.type == "html_block":
            skip.update(range(first, stop))
        elif tok.type == "heading_open":
            level = int(tok.tag[1:])
            raw = tokens[i + 1].content if i + 1 < len(tokens) else ""
            _heading(doc, first, level, raw, lines[first])
    for no, line in enumerate(lines):
        if no not in skip and ("`" in line or "[" in line):
            _inline(doc, line, no)
    return doc


def _closes(lines: list[str], tok: Any, stop: int) -> bool:
    """Whether a fence token's last line is its closing marker (unclosed fences run to the end)."""
    last = lines[stop - 1].strip() if stop - 1 < len(lines) else ""
    return stop - 1 > tok.map[0] and last.startswith(tok.markup) and not last.strip(tok.markup[0])
