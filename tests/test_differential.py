"""portal-lint against the real Backstage server, offline: the server's recorded verdicts on
thousands of generated entities (tests/differential/) replayed through portal-lint.

The live counterpart, which asks the running backend again, is
tests/live/test_differential_live.py; docs/trust.md explains both.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.differential import compare, generate

TABLE = compare.load_table()
BATCH = generate.entities()


@pytest.fixture(scope="module")
def rows() -> list[compare.Row]:
    return compare.rows(TABLE, BATCH)


def test_the_recorded_verdicts_are_for_these_entities() -> None:
    missing = compare.stale(TABLE, BATCH)
    assert not missing, f"{len(missing)} stale, e.g. {missing[:3]}: run python -m tests.differential.record"


def test_portal_lint_says_invalid_exactly_when_the_server_did(rows: list[compare.Row]) -> None:
    _, unexplained = compare.classify(rows, compare.causes())
    assert not unexplained, "\n".join(compare.describe(r) for r in unexplained[:40])


def test_every_documented_difference_still_occurs(rows: list[compare.Row]) -> None:
    """A cause whose cases now agree (a fix landed) must leave differences.md."""
    known = compare.causes()
    assert known
    by_cause, _ = compare.classify(rows, known)
    for cause in known:
        for glob in cause.globs:
            assert any(fnmatch.fnmatchcase(r.id, glob) for r in by_cause[cause.slug]), (
                f"{cause.slug}: `{glob}` explains no disagreement any more"
            )


def test_the_generator_is_deterministic_and_covers_every_kind() -> None:
    again = generate.entities()
    assert list(again) == list(BATCH)
    assert all(generate.digest(again[k]) == generate.digest(v) for k, v in BATCH.items())
    assert len(BATCH) >= 2000
    kinds = {k.split("/")[0] for k in BATCH if not k.startswith("combo/")}
    assert kinds == set(generate.BASES)
    valid = sum(v["valid"] for v in TABLE.values())
    assert 0.1 < valid / len(TABLE) < 0.9, "the corpus should hold both verdicts in numbers"


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _objects(v)
    elif isinstance(value, list):
        for v in value:
            yield from _objects(v)


def test_no_entity_makes_the_server_fetch_anything() -> None:
    """validate-entity resolves placeholders and reads Location targets; neither may leave the machine."""
    assert urlsplit(generate.LOCATION.removeprefix("url:")).hostname == "127.0.0.1"
    for key, entity in BATCH.items():
        placeholders = [o for o in _objects(entity) if len(o) == 1 and str(next(iter(o))).startswith("$")]
        assert not placeholders, key
        spec = entity.get("spec")
        if entity.get("kind") == "Location" and isinstance(spec, dict):
            many = spec.get("targets")
            targets = [spec.get("target"), *(many if isinstance(many, list) else [many])]
            for target in filter(None, targets):
                host = urlsplit(str(target)).hostname
                assert host in (None, "127.0.0.1"), f"{key}: {target}"
