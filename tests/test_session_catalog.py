"""The catalog as the MCP and language servers use it while linting: the snapshot only, read
through `portal_lint.live` like the CLI, and read again when `catalog export` replaces it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from portal_lint.session import Workspace

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "rules" / "REF004" / "missing-targets"
MISSING_LINES = [9, 10, 15, 18]  # the fixture's `# expect: REF004` lines


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PORTAL_LINT_CATALOG_URL", raising=False)
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    (repo / ".git").mkdir()
    return repo


def ref004_lines(ws: Workspace) -> list[int]:
    result = ws.lint([ws.root], select=["REF004"])
    return [d.line for d in result.diagnostics]


def export_again(snapshot: Path, *extra: tuple[str, str]) -> None:
    """Rewrite the snapshot the way `portal-lint catalog export` does: a new file renamed over it."""
    doc = json.loads(snapshot.read_text(encoding="utf-8"))
    doc["entities"] += [
        {"ref": f"{kind}:default/{name}".lower(), "kind": kind, "namespace": "default", "name": name}
        for kind, name in extra
    ]
    fresh = snapshot.with_name("export.tmp")
    fresh.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(fresh, snapshot)


def test_the_config_snapshot_is_used_and_read_again_after_an_export(root: Path) -> None:
    ws = Workspace(root)
    assert ref004_lines(ws) == MISSING_LINES
    export_again(root / "catalog-snapshot.json", ("Group", "team-paymnts"), ("System", "checkout"))
    assert ref004_lines(ws) == [15, 18]


def test_the_servers_snapshot_wins_over_the_configs(root: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine.json"
    shutil.copy(root / "catalog-snapshot.json", mine)
    export_again(mine, ("Component", "fraud-scorer"))
    assert ref004_lines(Workspace(root, snapshot_path=mine)) == [9, 10, 15]
    assert ref004_lines(Workspace(root)) == MISSING_LINES


def test_an_unreadable_snapshot_is_one_notice_and_nothing_stands_in_for_it(
    root: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = Workspace(root, snapshot_path=broken).lint([root], select=["REF004"])
    assert result.diagnostics == []  # not the config's snapshot instead of the one given
    (notice,) = [n for n in result.notices if str(broken) in n]
    assert "is not valid JSON" in notice and "catalog export" in notice
    assert not any("existence checks skipped" in n for n in result.notices)


def test_linting_ignores_the_catalog_url(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A URL nothing answers on: were lint to ask it, the run would carry a catalog failure notice.
    monkeypatch.setenv("PORTAL_LINT_CATALOG_URL", "http://127.0.0.1:9")
    result = Workspace(root).lint([root], select=["REF004"])
    assert [d.line for d in result.diagnostics] == MISSING_LINES
    assert not any("127.0.0.1" in n for n in result.notices)
