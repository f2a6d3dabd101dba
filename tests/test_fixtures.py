"""Each folder under fixtures/rules/<CODE>/<case>/ is a small repository whose files say, inline,
which findings belong at which line; missing and unexpected findings both fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_lint.registry import load_metadata
from tests.expectations import as_repo, expectations, found, lint_repo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(p for p in (FIXTURES / "rules").glob("*/*") if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fixture(case: Path, tmp_path: Path) -> None:
    root = as_repo(case, tmp_path / "repo")
    assert sorted(found(lint_repo(root))) == sorted(expectations(root))


def test_fixture_folders_name_real_rules() -> None:
    codes = set(load_metadata())
    assert {p.parent.name for p in CASES} <= codes
