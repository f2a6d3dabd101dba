"""Fixtures shared by the test modules."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port nothing listens on (bound, never listening): a catalog that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def enter_repo(root: Path, catalog: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository holding `catalog` as its catalog-info.yaml, made the current folder, with no
    catalog URL or GitHub Actions from the environment changing what the command line does."""
    (root / ".git").mkdir(exist_ok=True)
    (root / "catalog-info.yaml").write_text(catalog, encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("PORTAL_LINT_CATALOG_URL", raising=False)
    return root
