"""Realistic service repositories (fixtures/repos/*), one good and several bad, state their findings
inline; a pre-commit run over one file still gets the repository's standards; findings of a
standard that AGENTS.md switched on cite the bullet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.expectations import as_repo, expectations, found, lint_repo

REPOS = Path(__file__).resolve().parent.parent / "fixtures" / "repos"
CASES = sorted(p for p in REPOS.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_repository_reports_exactly_what_it_states(case: Path, tmp_path: Path) -> None:
    root = as_repo(case, tmp_path / case.name)
    assert sorted(found(lint_repo(root))) == sorted(expectations(root))


def test_the_good_service_meets_every_standard_and_the_bad_one_breaks_each(tmp_path: Path) -> None:
    bad = {code for _, _, code in expectations(REPOS / "orders-service-bad")}
    monorepo = {code for _, _, code in expectations(REPOS / "orders-monorepo-bad")}
    assert {f"STD00{i}" for i in range(1, 10)} <= bad | monorepo
    assert expectations(REPOS / "orders-service-good") == set()


def _json(root: Path, *paths: str) -> list[dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-m", "portal_lint", "--format", "json", *paths],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    findings: list[dict[str, object]] = json.loads(proc.stdout)["findings"]
    return findings


def test_a_pre_commit_run_reports_on_the_files_it_was_given_with_the_repository_as_context(
    tmp_path: Path,
) -> None:
    root = as_repo(REPOS / "orders-service-bad", tmp_path / "repo")
    whole = {(f["path"], f["code"]) for f in _json(root)}
    got = {(f["path"], f["code"]) for f in _json(root, "catalog-info.yaml")}
    assert got == {(p, c) for p, c in whole if p == "catalog-info.yaml"}
    # api-entity-required reads the catalog file to know that no API entity points at the proto
    got = {(f["path"], f["code"]) for f in _json(root, "api/inventory.proto", "AGENTS.md")}
    assert ("api/inventory.proto", "STD005") in got
    assert ("AGENTS.md", "POL001") in got
    assert {p for p, _ in got} == {"api/inventory.proto", "AGENTS.md"}


def test_findings_cite_the_agents_md_bullet_that_switched_their_rule_on(tmp_path: Path) -> None:
    root = as_repo(REPOS / "orders-service-bad", tmp_path / "repo")
    agents = (root / "AGENTS.md").read_text(encoding="utf-8").split("\n")
    by_code = {f["code"]: f for f in _json(root)}
    lifecycle = by_code["STD004"]
    (related,) = lifecycle["related"]  # type: ignore[misc]
    assert related["path"] == "AGENTS.md"
    assert agents[related["line"] - 1].startswith("- Lifecycle values: production | experimental")
    assert related["message"].startswith("required by AGENTS.md: Lifecycle values")
    assert str(lifecycle["message"]).endswith(f"(AGENTS.md:{related['line']})")
    assert lifecycle["standard"]
    # Rules that always run (Backstage would fail, or a reference is wrong) cite no bullet.
    assert by_code["STD007"]["related"] == [] and by_code["REF002"]["related"] == []


def test_without_agents_md_the_built_in_standards_apply_and_cite_nothing(tmp_path: Path) -> None:
    root = as_repo(REPOS / "orders-service-bad", tmp_path / "repo")
    (root / "AGENTS.md").unlink()
    got = {f["code"]: f for f in _json(root)}
    assert {"STD002", "STD003", "STD004", "STD005", "STD006"} <= set(got)
    assert "STD009" not in got  # listed among the built-in standards, enforced only when AGENTS.md asks
    assert all(not f["related"] for f in got.values())


def test_the_cited_bullet_has_the_same_path_base_as_the_finding(tmp_path: Path) -> None:
    """Run from a subfolder: `../catalog-info.yaml:12:14 … (../AGENTS.md:14)`, both relative to
    the current folder, so both can be opened from where the command ran."""
    root = as_repo(REPOS / "orders-service-bad", tmp_path / "repo")
    proc = subprocess.run(
        [sys.executable, "-m", "portal_lint", "../catalog-info.yaml"],
        cwd=root / "api",
        capture_output=True,
        text=True,
        check=False,
    )
    cited = [line for line in proc.stdout.splitlines() if "AGENTS.md:" in line]
    assert cited and all(line.startswith("../") for line in cited)
    assert all(line.rstrip(")").rsplit("(", 1)[1].startswith("../AGENTS.md:") for line in cited), cited
