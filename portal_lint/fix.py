"""`--fix`: apply the edits rules declare as certain, byte-exact outside the edited spans.

A rule that knows the one right edit attaches it to its finding (`Fix.edits`: a span of the
file as parsed and its replacement text: quote `8080`, `component` → `Component`…). This
module only applies them: no re-serialisation, so comments, order, quotes, blank lines,
line endings and a BOM stay exactly as they were. Fixes are applied in rounds (one fix
can expose another), each round linting the edited texts in memory, until nothing is left
to fix; so a second `--fix` changes nothing. Files are written only at the end, each
atomically (a temporary file in the same folder, then a rename, with the old permissions).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from portal_lint.diagnostic import Diagnostic, Result, Span
from portal_lint.model import read_scope

MAX_ROUNDS = 5

Edit = tuple[Span, str]


@dataclass
class Outcome:
    result: Result  # the findings of the fixed texts (what is left to do by hand)
    changed: dict[Path, str] = field(default_factory=dict)  # path → fixed text
    originals: dict[Path, str] = field(default_factory=dict)
    fixed: int = 0  # edits applied
    applied: dict[Path, list[list[Edit]]] = field(default_factory=dict)  # per file, the edits of each round
    errors: list[str] = field(default_factory=list)  # files that could not be written
    cwd: Path = field(default_factory=Path.cwd)

    @property
    def diff(self) -> str:
        """A unified diff of every change, paths relative to the current folder (as `git diff`)."""
        out: list[str] = []
        for path, text in sorted(self.changed.items()):
            # A file outside the current folder is named by its absolute path without the
            # leading `/`, as `git diff --no-index` does (`a/tmp/x`, never `a//tmp/x`).
            name = _display(path, self.cwd).lstrip("/")
            out.extend(
                difflib.unified_diff(
                    self.originals[path].splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    f"a/{name}",
                    f"b/{name}",
                )
            )
        return "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out
        )

    @property
    def summary(self) -> str:
        files = len(self.changed)
        return f"applied {self.fixed} fix{'es' * (self.fixed != 1)} in {files} file{'s' * (files != 1)}"


def _display(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def offsets(text: str) -> list[int]:
    """Where each line starts (lines end at LF only, as the parser and every rule count them)."""
    return [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, int]:
    """`text` with every edit applied, and how many were; an edit that overlaps one already
    taken, or points outside the text, is left out (the next round may still take it)."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    starts = offsets(body)

    def at(line: int, col: int) -> int | None:
        if line >= len(starts):
            return None
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(body)
        return starts[line] + col if col <= end - starts[line] else None

    ranges: list[tuple[int, int, str]] = []
    for span, replacement in dict.fromkeys(edits):  # two rules may declare the same edit
        start, end = at(span.line, span.col), at(span.end_line, span.end_col)
        if start is None or end is None or end < start:
            continue
        if any((start < e and s < end) or start == end == s == e for s, e, _ in ranges):
            continue
        ranges.append((start, end, replacement))
    for start, end, replacement in sorted(ranges, reverse=True):
        body = body[:start] + replacement + body[end:]
    return bom + body, len(ranges)


def _edits(result: Result, cwd: Path) -> dict[Path, list[Edit]]:
    out: dict[Path, list[Edit]] = {}
    for d in result.diagnostics:
        if d.fix is not None and d.fix.edits:
            out.setdefault(_abs(d, cwd), []).extend(d.fix.edits)
    return out


def _abs(d: Diagnostic, cwd: Path) -> Path:
    return Path(os.path.abspath(cwd / d.path))


def _load(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            return fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # such a file has YML006 and nothing to fix


def fix(lint_once: Callable[[], Result], *, write: bool, cwd: Path | None = None) -> Outcome:
    """Lint, apply the declared edits in memory, lint the edited texts again, until nothing
    is left to fix; then write the changed files (unless `write` is False, for --diff)."""
    cwd = cwd or Path.cwd()
    texts: dict[Path, str] = {}  # current text of every file touched so far
    originals: dict[Path, str] = {}
    applied: dict[Path, list[list[Edit]]] = {}
    fixed = 0
    result = lint_once()
    for _ in range(MAX_ROUNDS):
        progress = False
        for path, edits in _edits(result, cwd).items():
            if path not in texts:
                loaded = _load(path)
                if loaded is None:
                    continue
                texts[path] = originals[path] = loaded
            new, count = apply_edits(texts[path], edits)
            if new != texts[path]:
                texts[path], fixed, progress = new, fixed + count, True
                applied.setdefault(path, []).append(edits)
        if not progress:
            break
        with read_scope(overlays=texts):
            result = lint_once()
    changed = {p: t for p, t in texts.items() if t != originals[p]}
    outcome = Outcome(result, changed, originals, fixed, applied, cwd=cwd)
    if write:
        for path, text in changed.items():
            try:
                write_atomic(path, text)
            except OSError as exc:
                outcome.errors.append(
                    f"{_display(path, cwd)}: not fixed, cannot write it: {exc.strerror or exc}"
                )
    return outcome


def write_atomic(path: Path, text: str) -> None:
    """Replace the file's content in one rename: readers see the old or the new file, never
    half of one. Permissions (and, where allowed, the owner) are kept; a symlink stays one."""
    real = path.resolve()
    st = real.stat()
    fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".portal-lint-fix")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            # Only root may give a file away; elsewhere the content is what matters.
            with contextlib.suppress(PermissionError):
                os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, real)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
