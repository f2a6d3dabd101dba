"""`--fix`: apply the edits rules declare as certain, byte-exact outside the edited spans.

A rule that knows the one right edit attaches it to its finding (`Fix.edits`: a span of the
file as parsed and its replacement text: quote `8080`, `component` → `Component`…). This
module only applies them: no re-serialisation, so comments, order, quotes, blank lines,
line endings and a BOM stay exactly as they were. Fixes are applied in rounds (one fix
can expose another), each round linting the edited texts in memory, until nothing is left
to fix; so a second `--fix` changes nothing. Files are written only at the end, each
atomically (a temporary file in the same folder, then a rename, with the old permissions),
and only when still holding the bytes that were linted, inside the repository, and parsing
no worse than before.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from portal_lint.atomic import write_text
from portal_lint.diagnostic import Diagnostic, Result, Span
from portal_lint.model import lexically_within, read_scope

MAX_ROUNDS = 5
# Findings that say a file no longer reads as YAML (or SKILL.md frontmatter): a fix that adds
# one broke the file, and is taken back.
UNPARSABLE = frozenset({"YML001", "YML006", "SKL001", "SKL002"})
# A node's properties before its content: an anchor stays with the fixed value; a tag or an
# alias is not fixed (the edit would change what the tag says or what the alias shares).
_ANCHOR = re.compile(r"&[^\s,\[\]{}]+\s+")

Edit = tuple[Span, str]


@dataclass
class Outcome:
    result: Result  # the findings of the fixed texts (what is left to do by hand)
    changed: dict[Path, str] = field(default_factory=dict)  # path → fixed text
    originals: dict[Path, str] = field(default_factory=dict)
    fixed: int = 0  # edits applied
    applied: dict[Path, list[list[Edit]]] = field(default_factory=dict)  # per file, the edits of each round
    errors: list[str] = field(default_factory=list)  # files that could not be written (exit 2)
    cwd: Path = field(default_factory=Path.cwd)
    taken_back: set[Path] = field(default_factory=set)  # files a fix broke: left as before it

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
                    _lf_lines(self.originals[path]),
                    _lf_lines(text),
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


def _lf_lines(text: str) -> list[str]:
    """Lines as `git apply` and `patch` count them: ended by LF only (str.splitlines would also
    split at U+2028, U+2029, NEL, a lone CR… and the patch would not apply)."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


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
        kept = _keep_properties(body[start:end], replacement)
        if kept is None:
            continue
        start, replacement = start + kept[0], kept[1]
        if any((start < e and s < end) or start == end == s == e for s, e, _ in ranges):
            continue
        ranges.append((start, end, replacement))
    for start, end, replacement in sorted(ranges, reverse=True):
        body = body[:start] + replacement + body[end:]
    return bom + body, len(ranges)


def _keep_properties(original: str, replacement: str) -> tuple[int, str] | None:
    """Where the edit really starts and what it writes, so that what the rule did not mean to
    change stays: an anchor (`&lc Production` → `&lc production`), quotes (`"component"` →
    `"Component"`). None when the node must not be fixed (a tag, an alias)."""
    anchor = _ANCHOR.match(original)
    skip = anchor.end() if anchor else 0
    content = original[skip:]
    if not content or content[0] in "!&*#":
        return None
    quote = content[0]
    if quote in "\"'" and len(content) > 1 and content[-1] == quote and replacement[:1] not in "\"'":
        replacement = json.dumps(replacement, ensure_ascii=False) if quote == '"' else _single(replacement)
    return skip, replacement


def _single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _edits(result: Result, cwd: Path, roots: dict[Path, str]) -> dict[Path, list[Edit]]:
    out: dict[Path, list[Edit]] = {}
    for d in result.diagnostics:
        if d.fix is not None and d.fix.edits:
            path = _abs(d, cwd)
            out.setdefault(path, []).extend(d.fix.edits)
            # The repository root: the file's path without its repository-relative part.
            roots.setdefault(path, str(path)[: -len(d.repo_path) - 1] if d.repo_path else str(path.parent))
    return out


def _abs(d: Diagnostic, cwd: Path) -> Path:
    return Path(os.path.abspath(cwd / d.path))


def _broken(result: Result, cwd: Path) -> Counter[Path]:
    return Counter(_abs(d, cwd) for d in result.diagnostics if d.code in UNPARSABLE)


def _load(path: Path, seen: dict[Path, str]) -> str | None:
    """The text the lint read (a file edited since would get spans of another text)."""
    if path in seen:
        return seen[path]
    try:
        with path.open("rb") as fh:
            return fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # such a file has YML006 and nothing to fix


def fix(lint_once: Callable[[], Result], *, write: bool, cwd: Path | None = None) -> Outcome:
    """Lint, apply the declared edits in memory, lint the edited texts again, until nothing
    is left to fix; then write the changed files (unless `write` is False, for --diff)."""
    cwd = cwd or Path.cwd()
    seen: dict[Path, str] = {}  # every file as read from disk for the lint
    texts: dict[Path, str] = {}  # current text of every file touched so far
    originals: dict[Path, str] = {}
    applied: dict[Path, list[list[Edit]]] = {}
    counts: Counter[Path] = Counter()
    roots: dict[Path, str] = {}
    frozen: set[Path] = set()  # files whose fix broke them: left as they were before it

    def relint() -> Result:
        with read_scope(overlays=texts, record=seen):
            return lint_once()

    result = relint()
    baseline = _broken(result, cwd)
    for _ in range(MAX_ROUNDS):
        before = dict(texts)
        this_round: Counter[Path] = Counter()
        for path, edits in _edits(result, cwd, roots).items():
            if path in frozen:
                continue
            if path not in texts:
                loaded = _load(path, seen)
                if loaded is None:
                    continue
                texts[path] = originals[path] = loaded
            new, count = apply_edits(texts[path], edits)
            if new != texts[path]:
                texts[path] = new
                this_round[path] = count
                applied.setdefault(path, []).append(edits)
        if not this_round:
            break
        result = relint()
        broke = {p for p, n in _broken(result, cwd).items() if n > baseline[p] and p in this_round}
        for path in broke:
            texts[path] = before.get(path, originals[path])
            del this_round[path]
            applied[path].pop()
            frozen.add(path)
        counts.update(this_round)
        if broke:
            result = relint()
    changed = {p: t for p, t in texts.items() if t != originals[p]}
    outcome = Outcome(
        result, changed, originals, sum(counts[p] for p in changed), applied, cwd=cwd, taken_back=frozen
    )
    if write:
        _write(outcome, roots, counts)
        if outcome.errors:  # what is on disk now: the unwritten files keep their findings
            outcome.result = lint_once()
    return outcome


def _write(outcome: Outcome, roots: dict[Path, str], counts: Counter[Path]) -> None:
    for path, text in list(outcome.changed.items()):
        problem = _unwritable(path, outcome.originals[path], roots[path])
        if problem is None:
            try:
                write_text(path, text)
                continue
            except OSError as exc:
                problem = f"cannot write it: {exc.strerror or exc}"
        outcome.errors.append(f"{_display(path, outcome.cwd)}: not fixed, {problem}")
        del outcome.changed[path]
        outcome.fixed -= counts[path]


def _unwritable(path: Path, original: str, root: str) -> str | None:
    """Why `path` must not be written, if so: it leads out of its repository, or it no longer
    holds the text that was linted and fixed (edited while --fix ran)."""
    try:
        if not lexically_within(os.path.realpath(path), os.path.realpath(root)):
            return "it is a symlink to a file outside the repository"
        with path.open("rb") as fh:
            current = fh.read()
    except OSError as exc:
        return f"cannot read it again: {exc.strerror or exc}"
    if current != original.encode("utf-8"):
        return "it changed on disk while --fix ran: run --fix again"
    return None
