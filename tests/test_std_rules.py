"""Behaviour of the standards a user notices beyond the fixtures: "did you mean" for lifecycles and
the fix it offers, repositories without any lintable file, repositories nested in a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_lint.checks.std import suggest
from portal_lint.engine import lint
from tests.expectations import as_repo, found, lint_repo

ALLOWED = ["production", "experimental", "deprecated"]


@pytest.mark.parametrize(
    ("value", "meant", "spelling"),
    [
        ("Production", "production", True),
        ("PRODUCTION", "production", True),
        ("prodution", "production", True),
        ("experimantal", "experimental", True),
        ("prod", "production", False),
        ("live", "production", False),
        ("beta", "experimental", False),
        ("sunset", "deprecated", False),
        ("exp", "experimental", False),
    ],
)
def test_near_misses_get_a_did_you_mean(value: str, meant: str, spelling: bool) -> None:
    assert suggest(value, ALLOWED) == (meant, spelling)


def test_synonyms_are_offered_only_when_the_team_allows_them() -> None:
    assert suggest("canary", ALLOWED) is None
    assert suggest("prod", ["ga", "beta", "retired"]) is None


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
spec:
  type: service
  lifecycle: {lifecycle}
  owner: group:default/team-orders
  system: commerce
"""


def test_a_misspelt_lifecycle_comes_with_a_mechanical_fix_and_a_synonym_without(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            ".git/HEAD": "",
            "catalog-info.yaml": COMPONENT.format(name="a", lifecycle="Production")
            + "---\n"
            + COMPONENT.format(name="b", lifecycle="prod"),
        },
    )
    fixes = [d.fix for d in lint_repo(root).diagnostics]
    assert fixes[0] is not None and [text for _, text in fixes[0].edits] == ["production"]
    assert fixes[1] is not None and fixes[1].edits == () and "production" in fixes[1].description


def test_a_service_repository_without_any_catalog_file_is_told_to_add_one(tmp_path: Path) -> None:
    root = _write(tmp_path, {".git/HEAD": "", "go.mod": "module acme/orders\n", "main.go": "package main\n"})
    assert found(lint_repo(root)) == {("catalog-info.yaml", 1, "STD001")}


def test_repositories_in_a_folder_are_checked_one_by_one(tmp_path: Path) -> None:
    _write(
        tmp_path / "orders",
        {".git/HEAD": "", "catalog-info.yaml": COMPONENT.format(name="orders", lifecycle="prod")},
    )
    _write(tmp_path / "billing", {".git/HEAD": "", "src/main.py": "print()\n"})
    # The folder holding them is not a repository missing its catalog-info.yaml.
    diags = lint_repo(tmp_path).diagnostics
    assert [(d.path, d.line, d.code) for d in diags] == [("orders/catalog-info.yaml", 7, "STD004")]


def test_a_repository_named_with_dot_dot_is_read_like_any_other(tmp_path: Path) -> None:
    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "rules" / "STD007" / "valid-definitions"
    root = as_repo(fixture, tmp_path / "svc")
    (tmp_path / "elsewhere").mkdir()
    result = lint(["../svc"], cwd=tmp_path / "elsewhere", strict=True)
    assert root.is_dir() and result.files == 1
    assert result.diagnostics == []
