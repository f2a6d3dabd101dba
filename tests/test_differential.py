"""portal-lint against Backstage, offline: the judge's recorded verdicts (Backstage's own
packages and a running backend, tests/differential/judge.js) on thousands of generated
entities and on whole catalog files, and its parser's readings of thousands of YAML texts,
replayed through portal-lint.

The live counterpart, which asks the running backend again, is
tests/live/test_differential_live.py; docs/trust.md explains both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.differential import compare, generate, yaml_level

TABLE = compare.load_table()
BATCH = generate.cases()
ENTITIES = generate.entities()


@pytest.fixture(scope="module")
def rows() -> list[compare.Row]:
    return compare.rows(TABLE, BATCH)


def test_the_recorded_verdicts_are_for_these_cases() -> None:
    missing = compare.stale(TABLE, BATCH)
    assert not missing, f"{len(missing)} stale, e.g. {missing[:3]}: run python -m tests.differential.record"


def test_portal_lint_says_invalid_exactly_when_the_server_did(rows: list[compare.Row]) -> None:
    _, unexplained = compare.classify(rows, compare.entity_causes())
    assert not unexplained, "\n".join(compare.describe(r) for r in unexplained[:40])


def _still_occurs(known: list[compare.Cause], all_rows: Sequence[compare.Case]) -> None:
    """A cause whose cases now agree (a fix landed) must leave differences.md."""
    assert known
    by_cause, _ = compare.classify(all_rows, known)
    for cause in known:
        for pattern in cause.matches:
            assert any(cause.matching(r) == pattern for r in by_cause[cause.slug]), (
                f"{cause.slug}: `{pattern}` explains no disagreement any more"
            )


def test_every_documented_difference_still_occurs(rows: list[compare.Row]) -> None:
    _still_occurs(compare.entity_causes(), rows)


YAML_TABLE = yaml_level.load_table()
YAML_TEXTS = yaml_level.texts()


@pytest.fixture(scope="module")
def yaml_rows() -> list[yaml_level.YamlRow]:
    return yaml_level.rows(YAML_TABLE, YAML_TEXTS)


def test_the_recorded_parses_are_for_these_texts() -> None:
    missing = yaml_level.stale(YAML_TABLE, YAML_TEXTS)
    assert not missing, f"{len(missing)} stale: run python -m tests.differential.yaml_level record"
    assert len(YAML_TEXTS) >= 2000


def test_portal_lint_reads_yaml_as_backstages_parser_does(yaml_rows: list[yaml_level.YamlRow]) -> None:
    """Same documents, an error exactly where Backstage's is, equal values elsewhere."""
    _, unexplained = compare.classify(yaml_rows, yaml_level.yaml_causes())
    assert not unexplained, "\n".join(yaml_level.describe(r) for r in unexplained[:20])


def test_every_documented_yaml_difference_still_occurs(yaml_rows: list[yaml_level.YamlRow]) -> None:
    _still_occurs(yaml_level.yaml_causes(), yaml_rows)


def test_the_generator_is_deterministic_and_covers_every_kind() -> None:
    again = generate.cases()
    assert list(again) == list(BATCH)
    assert all(generate.case_digest(again[k]) == generate.case_digest(v) for k, v in BATCH.items())
    assert len(ENTITIES) >= 2000
    kinds = {k.split("/")[0] for k in ENTITIES if not k.startswith("combo/")}
    assert kinds == set(generate.BASES)
    valid = sum(v["valid"] for v in TABLE.values())
    assert 0.1 < valid / len(TABLE) < 0.9, "the corpus should hold both verdicts in numbers"


def test_every_whole_file_class_has_cases_of_both_verdicts() -> None:
    """Each class of the issue (keys in case, merge keys, aliases, comments, tags, YAML 1.1,
    escapes, references, annotations, duplicates, mcp-server APIs, placeholders) is judged."""
    verdicts: dict[str, set[bool]] = {}
    for key in generate.file_cases():
        verdicts.setdefault(key.split("/")[1], set()).add(bool(TABLE[key]["valid"]))
    assert len(verdicts) >= 12
    for group in (
        *("case", "merge", "alias", "comment", "tag", "yaml11"),
        *("annotations", "api", "placeholder", "template"),
    ):
        assert verdicts[group] == {True, False}, group


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _objects(v)
    elif isinstance(value, list):
        for v in value:
            yield from _objects(v)


def test_no_entity_makes_the_server_fetch_anything() -> None:
    """validate-entity resolves placeholders and reads Location targets; neither may leave the
    machine. (The whole-file cases' placeholders are resolved by the judge, from the case's own
    files, before the server sees the entity.)"""
    assert urlsplit(generate.LOCATION.removeprefix("url:")).hostname == "127.0.0.1"
    for key, entity in ENTITIES.items():
        placeholders = [o for o in _objects(entity) if len(o) == 1 and str(next(iter(o))).startswith("$")]
        assert not placeholders, key
        spec = entity.get("spec")
        if entity.get("kind") == "Location" and isinstance(spec, dict):
            many = spec.get("targets")
            targets = [spec.get("target"), *(many if isinstance(many, list) else [many])]
            for target in filter(None, targets):
                host = urlsplit(str(target)).hostname
                assert host in (None, "127.0.0.1"), f"{key}: {target}"
