"""The finding types every rule produces, and the result of a run every formatter consumes.

The value types are NamedTuples, not dataclasses: creating a dataclass is a noticeable share
of a pre-commit run's start-up, and these are read-only values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NamedTuple

Severity = Literal["error", "warning", "note"]
SEVERITY_RANK: dict[str, int] = {"note": 0, "warning": 1, "error": 2}
# The words a user may write for a severity: text output and GitHub say `notice`, SARIF and
# the JSON report `note`; both are accepted wherever a severity is read (--fail-on, config).
LEVEL_WORDS: dict[str, Severity] = {"error": "error", "warning": "warning", "notice": "note", "note": "note"}


class Span(NamedTuple):
    """A region of a file, 0-based as the parsers give it; end column exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int


FILE_START = Span(0, 0, 0, 0)

EXCERPT_CHARS = 40
# Line breaks and other control characters would split a `path:line:col: …` line in two (a
# forged finding, or a workflow command GitHub Actions runs); an escape sequence would drive
# the terminal. Bytes of a file name that are not UTF-8 (surrogate escapes, as Python lists
# them) could not be written at all. Each is shown as its escape instead.
_ESCAPES = (
    {c: f"\\x{c:02x}" for c in (*range(32), *range(127, 160))}
    | {9: "\\t", 10: "\\n", 13: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"}
    | {c: f"\\x{c - 0xDC00:02x}" for c in range(0xDC80, 0xDD00)}
    | {c: f"\\u{c:04x}" for c in (*range(0xD800, 0xDC80), *range(0xDD00, 0xE000))}
)


def printable(text: str) -> str:
    """`text` (a path, a message) safe to print on one line of any report: control characters,
    line and paragraph separators and undecodable bytes escaped."""
    return text.translate(_ESCAPES)


def excerpt(text: object, limit: int = EXCERPT_CHARS) -> str:
    """User text as a message quotes it: on one line and at most `limit` characters, then `…`,
    so a long value never buries what is wrong and how to fix it."""
    shown = printable(str(text))
    return shown if len(shown) <= limit else shown[:limit].rstrip() + "…"


class Fix(NamedTuple):
    """A rule's declared fix: what to do, and where --fix can do it mechanically."""

    description: str
    # (span, replacement text) pairs; empty when the fix needs a human.
    edits: tuple[tuple[Span, str], ...] = ()


class Related(NamedTuple):
    """Another place that explains a finding (e.g. the AGENTS.md bullet that demands it)."""

    path: str
    line: int
    col: int
    message: str


class Finding(NamedTuple):
    """What a rule yields: the engine stamps code, severity and path onto it."""

    message: str
    span: Span = FILE_START
    path: str | None = None  # repository-level rules point at another file than the subject's
    pointer: str = ""
    fix: Fix | None = None
    related: tuple[Related, ...] = ()


class Diagnostic(NamedTuple):
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
    repo_path: str = ""  # relative to the repository root (SARIF); not part of what a finding is

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Diagnostic) and self[:-1] == other[:-1]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self[:-1])

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)


class Result:
    """What a run found: what every formatter renders."""

    __slots__ = ("cwd", "diagnostics", "fail_on", "files", "incomplete", "internal_errors", "notices")

    def __init__(
        self,
        diagnostics: list[Diagnostic],
        files: int,
        notices: list[str] | None = None,
        internal_errors: list[str] | None = None,
        fail_on: str = "error",
        cwd: Path | None = None,
    ) -> None:
        self.diagnostics = diagnostics
        self.files = files
        self.notices = [] if notices is None else notices  # run-level facts, e.g. checks skipped
        self.internal_errors = [] if internal_errors is None else internal_errors
        self.fail_on = fail_on
        self.cwd = cwd  # what Diagnostic.path is relative to (SARIF derives repository roots from it)
        # Why the run cannot be called clear even without findings (the catalog did not answer).
        self.incomplete: str | None = None

    def count(self, severity: str) -> int:
        return sum(d.severity == severity for d in self.diagnostics)

    def failed(self, fail_on: str) -> bool:
        floor = SEVERITY_RANK[fail_on]
        return any(SEVERITY_RANK[d.severity] >= floor for d in self.diagnostics)
