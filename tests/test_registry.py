from __future__ import annotations

from pathlib import Path

from portal_lint.registry import all_rules, load_metadata, lookup
from portal_lint.ruledocs import render_all

ROOT = Path(__file__).resolve().parent.parent


def test_every_rule_has_metadata_and_a_check() -> None:
    rules = all_rules()  # raises RegistryError when either side is missing
    assert set(rules) == set(load_metadata())


def test_rule_docs_are_fresh() -> None:
    on_disk = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert on_disk == render_all(), "docs/rules.md is stale: run `python -m portal_lint.ruledocs`"


def test_selectors_accept_code_name_and_family() -> None:
    assert lookup("YML002") == ["YML002"]
    assert lookup("duplicate-key") == ["YML002"]
    assert "YML001" in lookup("YML")
    assert lookup("nonsense") == []


def test_every_rule_says_why_and_how_to_fix() -> None:
    for meta in load_metadata().values():
        assert meta.summary.endswith("."), meta.code
        assert len(meta.why) > 40 and meta.fix, meta.code
