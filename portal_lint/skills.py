"""SKILL.md as the SKL rules see it: frontmatter parsed with positions, the body scanned lazily.

The frontmatter goes through the project's positioned YAML parser with the opening `---`
line blanked, so every span already points at the right line of SKILL.md. Values with an
unquoted `: ` (`description: Use when: …`) break strict YAML parsers but not Claude Code's
lenient loader; they are quoted here, as the Agent Skills client guide suggests, so the
other fields can still be checked, and the SKL003 rule reports each one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from portal_lint.diagnostic import Span
from portal_lint.markdown_files import MarkdownFile
from portal_lint.model import InputError, SourceFile
from portal_lint.parse.markdown import Frontmatter, MdDoc, is_external, scan, split_frontmatter
from portal_lint.parse.tree import PMap
from portal_lint.parse.yaml12 import YamlDoc, parse_yaml

if TYPE_CHECKING:
    from portal_lint.discover import Target

SPEC_FIELDS = ("name", "description", "license", "compatibility", "metadata", "allowed-tools")
# Fields Claude Code documents for skills beyond the specification (agnix 0.59.3's allowlist).
CLAUDE_FIELDS = frozenset(
    {
        "when_to_use",
        "argument-hint",
        "arguments",
        "disable-model-invocation",
        "user-invocable",
        "model",
        "effort",
        "context",
        "agent",
        "hooks",
        "paths",
        "shell",
    }
)
CLAUDE_FOLDER = "/.claude/skills/"

# `key: value` with a plain (unquoted) value; a `: ` inside the value is what YAML reads as a
# second mapping on one line ("mapping values are not allowed here").
_KEY_VALUE = re.compile(r"(\s*[^\s#'\"-][^:#]*:[ \t]+)([^\s'\"\[{|>&*!%@`#].*)$")
_COMMENT = re.compile(r"[ \t]+#")
_MAX_REPAIRS = 50
# Inline code that names a file of the skill, as the specification's examples do (`scripts/extract.py`).
_BUNDLED = re.compile(r"(?:scripts|references|assets)/[^\s*?<>{}$`|;]+")
_MAYBE_BUNDLED = re.compile(r"`\s*(?:scripts|references|assets)/")


@dataclass(frozen=True, slots=True)
class Reference:
    """A file the body points at: a relative link, or inline code naming a bundled file."""

    target: str
    span: Span
    is_link: bool


@dataclass(eq=False)
class SkillFile(MarkdownFile):
    """One SKILL.md: its source, frontmatter (if any) and body."""

    source: SourceFile
    error: str | None = None  # why the file could not be read at all
    frontmatter: Frontmatter | None = None
    doc: YamlDoc | None = None  # the parsed frontmatter; None when absent or unclosed
    unquoted: list[tuple[str, Span]] = field(default_factory=list)  # (key, value span) quoted for the parse

    @property
    def meta(self) -> PMap | None:
        """The frontmatter mapping, when it parsed into one."""
        if self.doc is not None and self.doc.ok and isinstance(self.doc.root, PMap):
            return self.doc.root
        return None

    @property
    def for_claude(self) -> bool:
        """Under `.claude/skills/`: only Claude Code loads it, so Claude's own fields are fine."""
        return CLAUDE_FOLDER in "/" + self.source.rel

    @property
    def body_start(self) -> int:
        return self.frontmatter.body if self.frontmatter is not None else 0

    @cached_property
    def body(self) -> MdDoc:
        return scan(self.source.lines, self.body_start)

    @cached_property
    def references(self) -> list[Reference]:
        """Relative links and bundled-file code spans of the body; code blocks hold commands,
        which may create the files they name, so they are not references."""
        text = self.source.text
        if "](" not in text and "]:" not in text and _MAYBE_BUNDLED.search(text) is None:
            return []  # no link and no bundled-file code span: skip the body scan
        body = self.body
        out = [Reference(x.target, Span(x.line, x.col, x.line, x.end_col), True) for x in body.links]
        out = [r for r in out if not is_external(r.target)]
        out += [
            Reference(c.text, Span(c.line, c.col, c.line, c.end_col), False)
            for c in body.spans
            if _BUNDLED.fullmatch(c.text)
        ]
        return out

    def text_at(self, span: Span) -> str:
        """The source text of a one-line span (what the author typed, before YAML resolved it)."""
        if span.line != span.end_line or span.line >= len(self.lines):
            return ""  # multi-line, or libyaml counted a line break (U+2028) that split("\n") did not
        return self.lines[span.line][span.col : span.end_col]


def parse_frontmatter(fm: Frontmatter) -> tuple[YamlDoc, list[tuple[str, Span]]]:
    """Parse the frontmatter YAML at its place in the file, quoting unquoted-colon values."""
    lines = [""] * fm.offset + fm.yaml.split("\n")
    unquoted: list[tuple[str, Span]] = []
    for _ in range(_MAX_REPAIRS):
        # The closing `---` line's break ends the last line: without it, a CRLF file's last
        # value would keep its CR (a lone CR is content, not a line end).
        docs = parse_yaml("\n".join(lines) + "\n")
        doc = docs[0] if docs else YamlDoc(0, fm.offset, empty=True)  # nothing but blanks
        problem = doc.syntax
        if problem is None or not problem.message.startswith("mapping values are not allowed"):
            return doc, unquoted
        no = problem.span.line
        found = _colon_value(lines[no]) if no < len(lines) else None
        if found is None:
            return doc, unquoted
        key, start, value, rest = found
        last = _continued(lines, no)
        # A value continued on more lines is read as one (folded), but reported without a fix:
        # the span covers all its lines, so no one-line quoting is offered for it.
        end = (last, len(lines[last].rstrip(" \t\r"))) if last > no else (no, start + len(value))
        unquoted.append((key, Span(no, start, *end)))
        folded = " ".join([value, *(line.strip() for line in lines[no + 1 : last + 1])])
        lines[no] = lines[no][:start] + json.dumps(folded, ensure_ascii=False) + rest
        lines[no + 1 : last + 1] = [""] * (last - no)
    return doc, unquoted


def _continued(lines: list[str], no: int) -> int:
    """The last line of a plain value that starts on line `no` (more-indented lines follow it)."""
    indent = len(lines[no]) - len(lines[no].lstrip(" "))
    last = no
    for i in range(no + 1, len(lines)):
        line = lines[i].rstrip(" \t\r")
        if not line:
            continue
        if len(line) - len(line.lstrip(" ")) <= indent or line.lstrip().startswith("#"):
            break
        last = i
    return last


def _colon_value(line: str) -> tuple[str, int, str, str] | None:
    """(key, value column, value, trailing comment) of a `key: value` line whose plain value
    holds a `: ` or ends in `:`; None for any other line."""
    m = _KEY_VALUE.match(line.rstrip(" \t\r"))  # not str.rstrip(): U+2028 is part of the value
    if m is None:
        return None
    value, rest = m.group(2), ""
    comment = _COMMENT.search(value)
    if comment:
        value, rest = value[: comment.start()], value[comment.start() :]
    if ": " not in value and not value.endswith(":"):
        return None
    return m.group(1).strip().rstrip(":").strip(), m.end(1), value, rest


def load_skill(sf: SourceFile) -> SkillFile:
    skill = SkillFile(sf)
    skill.frontmatter = split_frontmatter(sf.lines)
    if skill.frontmatter is not None and skill.frontmatter.end is not None:
        skill.doc, skill.unquoted = parse_frontmatter(skill.frontmatter)
    return skill


def load_skill_subjects(target: Target) -> Iterator[tuple[str, Any, SourceFile]]:
    """Engine loader for kind "skill": one SkillFile per SKILL.md."""
    try:
        sf = SourceFile(target.path, target.repo, target.repo.read(target.path))
    except InputError as exc:
        sf = SourceFile(target.path, target.repo, "")
        yield "skill", SkillFile(sf, error=f"{target.path.name} {exc}"), sf
        return
    yield "skill", load_skill(sf), sf
