"""Every rule's documented bad example fails at the marked line; its good example is clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_lint.registry import load_metadata
from tests.expectations import expectations, found, lint_repo

METAS = list(load_metadata().values())


def _write(root: Path, rel: str, text: str, files: dict[str, str] | None = None) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for name, content in {**(files or {}), rel: text}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def _select(meta) -> list[str]:
    """The default rules, plus this one when it is off by default (its examples still hold).
    By family: naming a policy-gated rule (STD009) would switch it on."""
    return [] if meta.enabled else [*sorted({m.family for m in METAS}), meta.code]


@pytest.mark.parametrize("meta", METAS, ids=[m.code for m in METAS])
def test_bad_example_reports_the_rule_at_the_marked_line(meta, tmp_path: Path) -> None:
    root = _write(tmp_path, meta.bad_path, meta.bad, meta.files)
    want = expectations(root)
    marked = any(code == meta.code for _, _, code in want)
    assert marked, f"{meta.code}: the bad example marks no `expect: {meta.code}`"
    assert found(lint_repo(root, select=_select(meta))) == want


@pytest.mark.parametrize("meta", METAS, ids=[m.code for m in METAS])
def test_good_example_is_clean(meta, tmp_path: Path) -> None:
    root = _write(tmp_path, meta.good_path or meta.bad_path, meta.good, meta.files)
    assert found(lint_repo(root, select=_select(meta))) == set()
