"""portal-lint's verdicts on the generated entities, side by side with the server's.

portal-lint calls an entity invalid when its Backstage-level families (YML, CAT) report an
error. A disagreement is explained when its id matches a glob of a cause in differences.md
and portal-lint's findings carry that cause's codes (or none, for `codes: none`).

    python -m tests.differential.compare     # agreement figure and differences by cause
"""

from __future__ import annotations

import fnmatch
import json
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal_lint.engine import lint
from portal_lint.registry import load_metadata
from tests.differential.generate import Entity, digest, entities

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "verdicts.json"
DIFFERENCES = HERE / "differences.md"
VERDICT_FAMILIES = ("YML", "CAT")
# Linted too, so a cause can say which rule outside YML/CAT reports what the server rejects.
ALSO_LINTED = ("REF",)


@dataclass(frozen=True)
class Row:
    id: str
    server_valid: bool
    server_message: str | None
    codes: frozenset[str]  # error findings, every linted family

    @property
    def portal_valid(self) -> bool:
        return not any(c.startswith(VERDICT_FAMILIES) for c in self.codes)

    @property
    def agrees(self) -> bool:
        return self.server_valid == self.portal_valid


@dataclass(frozen=True)
class Cause:
    slug: str
    title: str
    globs: tuple[str, ...]
    codes: frozenset[str]  # portal-lint reports one of these for each case (empty: none at all)

    def explains(self, row: Row) -> bool:
        if not any(fnmatch.fnmatchcase(row.id, g) for g in self.globs):
            return False
        return bool(row.codes & self.codes) if self.codes else not row.codes


def load_table(path: Path = VERDICTS) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["verdicts"]
    return table


def _selected() -> list[str]:
    families = (*VERDICT_FAMILIES, *ALSO_LINTED)
    return [m.code for m in load_metadata().values() if m.enabled and m.family in families]


def portal_errors(batch: Mapping[str, Entity]) -> dict[str, frozenset[str]]:
    """id → codes of the error findings portal-lint reports for that entity.

    Each entity is written as JSON (a YAML 1.2 flow mapping, so it reads exactly as sent to
    the server) to its own repository, and one run lints them all."""
    with tempfile.TemporaryDirectory(prefix="portal-lint-differential-") as tmp:
        root = Path(tmp)
        folders: dict[str, str] = {}
        for n, (key, entity) in enumerate(batch.items()):
            folder = root / f"e{n:05d}"
            (folder / ".git").mkdir(parents=True)
            (folder / "catalog-info.yaml").write_text(json.dumps(entity, indent=2, ensure_ascii=False))
            folders[folder.name] = key
        result = lint([str(root)], cwd=root, select=_selected(), strict=True)
    found: dict[str, set[str]] = {key: set() for key in batch}
    for d in result.diagnostics:
        if d.severity == "error":
            found[folders[d.path.split("/")[0]]].add(d.code)
    return {key: frozenset(codes) for key, codes in found.items()}


def rows(table: Mapping[str, Mapping[str, Any]], batch: Mapping[str, Entity]) -> list[Row]:
    errors = portal_errors(batch)
    return [Row(key, bool(table[key]["valid"]), table[key].get("message"), errors[key]) for key in batch]


_HEADING = re.compile(r"^## (?P<slug>[a-z0-9-]+): (?P<title>.+)$")
_GLOB = re.compile(r"^- `(?P<glob>[^`]+)`")
_CODES = re.compile(r"^portal-lint reports: (?P<codes>.+)$")


def causes(path: Path = DIFFERENCES) -> list[Cause]:
    """The documented causes: `## slug: title`, a `portal-lint reports:` line, `- \\`glob\\`` items."""
    out: list[Cause] = []
    current: dict[str, Any] | None = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), "## end: end"]:
        heading = _HEADING.match(line)
        if heading:
            if current is not None:
                out.append(
                    Cause(current["slug"], current["title"], tuple(current["globs"]), current["codes"])
                )
            current = {**heading.groupdict(), "globs": [], "codes": frozenset()}
        elif current is not None and (glob := _GLOB.match(line)):
            current["globs"].append(glob["glob"])
        elif current is not None and (codes := _CODES.match(line)):
            listed = {c.strip(" `") for c in codes["codes"].split(",")}
            current["codes"] = frozenset() if listed == {"none"} else frozenset(listed)
    return [c for c in out if c.globs]


def classify(all_rows: Iterable[Row], known: list[Cause]) -> tuple[dict[str, list[Row]], list[Row]]:
    """Disagreements by the cause that explains them, and those nothing explains."""
    by_cause: dict[str, list[Row]] = {c.slug: [] for c in known}
    unexplained: list[Row] = []
    for row in all_rows:
        if row.agrees:
            continue
        cause = next((c for c in known if c.explains(row)), None)
        if cause is None:
            unexplained.append(row)
        else:
            by_cause[cause.slug].append(row)
    return by_cause, unexplained


def stale(table: Mapping[str, Mapping[str, Any]], batch: Mapping[str, Entity]) -> list[str]:
    """Ids whose recorded verdict is for another entity (or missing): re-record."""
    return [k for k, e in batch.items() if k not in table or table[k].get("digest") != digest(e)]


def describe(row: Row) -> str:
    server = "valid" if row.server_valid else f"invalid ({row.server_message})"
    portal = ", ".join(sorted(row.codes)) or "no error"
    return f"{row.id}: server {server}; portal-lint {portal}"


def main() -> int:
    table, batch = load_table(), entities()
    out_of_date = stale(table, batch)
    if out_of_date:
        print(f"{len(out_of_date)} entities have no recorded verdict: python -m tests.differential.record")
        return 1
    all_rows = rows(table, batch)
    by_cause, unexplained = classify(all_rows, causes())
    n, agreed = len(all_rows), sum(r.agrees for r in all_rows)
    print(f"n={n} agreed={agreed} ({agreed / n:.1%}) differences={n - agreed}")
    for slug, found in by_cause.items():
        print(f"  {slug}: {len(found)}")
    for row in unexplained:
        print(f"  UNEXPLAINED {describe(row)}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
