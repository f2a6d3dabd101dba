"""portal-lint's verdicts on the judged cases, side by side with Backstage's.

Backstage's verdict per case is the judge's (judge.js, recorded in verdicts.json): rejected
when any document of the file fails on its way into the catalog. portal-lint calls a file
invalid when it reports an error of its Backstage-level rules: the YML and CAT families, and
REF001/REF002 (a reference Backstage cannot parse, or a dependency without a kind: the catalog
rejects the entity when it emits relations). A disagreement is explained when its id matches
a glob of a cause in differences.md and portal-lint's findings carry that cause's codes (or
none, for `codes: none`).

    python -m tests.differential.compare     # agreement figure and differences by cause
"""

from __future__ import annotations

import fnmatch
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from portal_lint.engine import lint
from portal_lint.registry import load_metadata
from tests.differential.generate import FileCase, case_digest, cases

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "verdicts.json"
DIFFERENCES = HERE / "differences.md"
VERDICT_FAMILIES = ("YML", "CAT")
VERDICT_CODES = frozenset({"REF001", "REF002"})  # Backstage rejects what these report
# Linted too, so a cause can say which rule outside the verdict reports what the server rejects.
ALSO_LINTED = ("REF",)


def rejects(codes: Iterable[str]) -> bool:
    """Whether these error codes say Backstage rejects the file."""
    return any(c.startswith(VERDICT_FAMILIES) or c in VERDICT_CODES for c in codes)


@dataclass(frozen=True)
class Row:
    id: str
    server_valid: bool
    server_message: str | None
    codes: frozenset[str]  # error findings, every linted family

    @property
    def text(self) -> str:
        return ""  # cases are matched by id

    @property
    def portal_valid(self) -> bool:
        return not rejects(self.codes)

    @property
    def agrees(self) -> bool:
        return self.server_valid == self.portal_valid


class Case(Protocol):
    """A compared input as causes see it: its id, its text, portal-lint's codes, the verdict."""

    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def codes(self) -> frozenset[str]: ...
    @property
    def agrees(self) -> bool: ...


C = TypeVar("C", bound=Case)


@dataclass(frozen=True)
class Cause:
    slug: str
    title: str
    matches: tuple[str, ...]  # globs over ids, or `re:` + a regular expression over the text
    codes: frozenset[str] | None  # portal-lint reports one of these (empty: nothing; None: anything)

    def matching(self, case: Case) -> str | None:
        """The first of this cause's patterns that `case` matches."""
        for pattern in self.matches:
            if pattern.startswith("re:"):
                if re.search(pattern[3:], case.text):
                    return pattern
            elif fnmatch.fnmatchcase(case.id, pattern):
                return pattern
        return None

    def explains(self, case: Case) -> bool:
        if self.matching(case) is None:
            return False
        if self.codes is None:
            return True
        return bool(case.codes & self.codes) if self.codes else not case.codes


def load_table(path: Path = VERDICTS) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["verdicts"]
    return table


def _selected() -> list[str]:
    families = (*VERDICT_FAMILIES, *ALSO_LINTED)
    return [m.code for m in load_metadata().values() if m.enabled and m.family in families]


def portal_errors(batch: Mapping[str, FileCase]) -> dict[str, frozenset[str]]:
    """id → codes of the error findings portal-lint reports for that case.

    Each case's files are written to their own repository, and one run lints them all."""
    with tempfile.TemporaryDirectory(prefix="portal-lint-differential-") as tmp:
        root = Path(tmp)
        folders: dict[str, str] = {}
        for n, (key, case) in enumerate(batch.items()):
            folder = root / f"e{n:05d}"
            (folder / ".git").mkdir(parents=True)
            for rel, text in case["files"].items():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                (folder / rel).write_text(text, encoding="utf-8")
            folders[folder.name] = key
        result = lint([str(root)], cwd=root, select=_selected(), strict=True)
    found: dict[str, set[str]] = {key: set() for key in batch}
    for d in result.diagnostics:
        if d.severity == "error":
            found[folders[d.path.split("/")[0]]].add(d.code)
    return {key: frozenset(codes) for key, codes in found.items()}


def rows(table: Mapping[str, Mapping[str, Any]], batch: Mapping[str, FileCase]) -> list[Row]:
    errors = portal_errors(batch)
    return [Row(key, bool(table[key]["valid"]), table[key].get("message"), errors[key]) for key in batch]


_HEADING = re.compile(r"^## (?P<slug>[a-z0-9-]+): (?P<title>.+)$")
_GLOB = re.compile(r"^- `(?P<glob>[^`]+)`")
_CODES = re.compile(r"^portal-lint reports: (?P<codes>.+)$")


def causes(path: Path = DIFFERENCES) -> list[Cause]:
    """The documented causes: a `## slug: title` heading, a `portal-lint reports:` line (codes,
    `none` or `anything`) and list items of backquoted patterns (id globs, or `re:` and a
    regular expression over the text). Causes of the YAML layer have slugs starting `yaml-`."""
    out: list[Cause] = []
    current: dict[str, Any] | None = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), "## end: end"]:
        heading = _HEADING.match(line)
        if heading:
            if current is not None and current["matches"]:
                out.append(
                    Cause(current["slug"], current["title"], tuple(current["matches"]), current["codes"])
                )
            current = {**heading.groupdict(), "matches": [], "codes": frozenset()}
        elif current is not None and (item := _GLOB.match(line)):
            current["matches"].append(item["glob"])
        elif current is not None and (codes := _CODES.match(line)):
            listed = {c.strip(" `") for c in codes["codes"].split(",")}
            current["codes"] = {"none": frozenset(), "anything": None}.get(codes["codes"], frozenset(listed))
    return out


def entity_causes() -> list[Cause]:
    return [c for c in causes() if not c.slug.startswith("yaml-")]


def classify(all_rows: Iterable[C], known: list[Cause]) -> tuple[dict[str, list[C]], list[C]]:
    """Disagreements by the cause that explains them, and those nothing explains."""
    by_cause: dict[str, list[C]] = {c.slug: [] for c in known}
    unexplained: list[C] = []
    for row in all_rows:
        if row.agrees:
            continue
        cause = next((c for c in known if c.explains(row)), None)
        (by_cause[cause.slug] if cause else unexplained).append(row)
    return by_cause, unexplained


def stale(table: Mapping[str, Mapping[str, Any]], batch: Mapping[str, FileCase]) -> list[str]:
    """Ids whose recorded verdict is for another case (or missing): re-record."""
    return [k for k, c in batch.items() if k not in table or table[k].get("digest") != case_digest(c)]


def describe(row: Row) -> str:
    server = "valid" if row.server_valid else f"invalid ({row.server_message})"
    portal = ", ".join(sorted(row.codes)) or "no error"
    return f"{row.id}: server {server}; portal-lint {portal}"


def print_agreement(all_rows: list[C], known: list[Cause], describe: Callable[[C], str]) -> int:
    """Print the agreement figure, the differences per cause and each unexplained one (by
    `describe`); the exit status: 1 when any difference is unexplained."""
    by_cause, unexplained = classify(all_rows, known)
    n, agreed = len(all_rows), sum(r.agrees for r in all_rows)
    print(f"n={n} agreed={agreed} ({agreed / n:.1%}) differences={n - agreed}")
    for slug, found in by_cause.items():
        print(f"  {slug}: {len(found)}")
    for row in unexplained:
        print(f"  UNEXPLAINED {describe(row)}")
    return 1 if unexplained else 0


def main() -> int:
    table, batch = load_table(), cases()
    out_of_date = stale(table, batch)
    if out_of_date:
        print(f"{len(out_of_date)} cases have no recorded verdict: python -m tests.differential.record")
        return 1
    return print_agreement(rows(table, batch), entity_causes(), describe)


if __name__ == "__main__":
    sys.exit(main())
