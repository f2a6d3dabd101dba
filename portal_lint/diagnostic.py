"""The one finding type every rule produces and every formatter consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Severity = Literal["error", "warning", "note"]
SEVERITY_RANK: dict[str, int] = {"note": 0, "warning": 1, "error": 2}


class Span(NamedTuple):
    """A region of a file, 0-based as the parsers give it; end column exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int


FILE_START = Span(0, 0, 0, 0)

EXCERPT_CHARS = 40
# Line breaks and other control characters would split a `path:line:col: …` line in two.
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(32), 127)} | {
    9: "\\t",
    10: "\\n",
    13: "\\r",
    0x85: "\\x85",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def excerpt(text: object, limit: int = EXCERPT_CHARS) -> str:
    """User text as a message quotes it: on one line and at most `limit` characters, then `…`,
    so a long value never buries what is wrong and how to fix it."""
    shown = str(text).translate(_ESCAPES)
    return shown if len(shown) <= limit else shown[:limit].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Fix:
    """A rule's declared fix: what to do, and where --fix can do it mechanically."""

    description: str
    # (span, replacement text) pairs; empty when the fix needs a human.
    edits: tuple[tuple[Span, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Related:
    """Another place that explains a finding (e.g. the AGENTS.md bullet that demands it)."""

    path: str
    line: int
    col: int
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule yields: the engine stamps code, severity and path onto it."""

    message: str
    span: Span = FILE_START
    path: str | None = None  # repository-level rules point at another file than the subject's
    pointer: str = ""
    fix: Fix | None = None
    related: tuple[Related, ...] = ()


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A finding as users see it: 1-based lines and columns, end column exclusive (as SARIF)."""

    code: str
    name: str
    severity: Severity
    message: str
    path: str  # POSIX, relative to the current directory when below it
    line: int
    column: int
    end_line: int
    end_column: int
    pointer: str = ""
    fix: Fix | None = None
    related: tuple[Related, ...] = ()
    standard: str | None = None
    repo_path: str = field(default="", compare=False)  # relative to the repository root (SARIF)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
