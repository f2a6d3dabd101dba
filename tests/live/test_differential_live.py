"""The differential tables are what Backstage says today: every case is judged again by
judge.js against the running backend (verdicts.json), every YAML text parsed again by the
installed backend's parser (yaml_verdicts.json)."""

from __future__ import annotations

import pytest
from backstage_backend import Backend

from tests.differential import compare, generate, record, yaml_level

pytestmark = pytest.mark.live


def test_the_recorded_verdicts_are_the_servers(backstage: Backend) -> None:
    table = compare.load_table()
    fresh = record.ask(backstage.url, backstage.token, generate.cases())
    changed = [
        f"{key}: recorded {'valid' if table[key]['valid'] else 'invalid'}, now {got['message'] or 'valid'}"
        for key, got in fresh.items()
        if got["valid"] != table[key]["valid"]
    ]
    assert not changed, "re-record with python -m tests.differential.record:\n" + "\n".join(changed[:30])


def test_the_recorded_parses_are_backstages(backstage: Backend) -> None:
    """The installed backend's parseEntityYaml still reads every text as recorded."""
    table, texts = yaml_level.load_table(), yaml_level.texts()
    fresh = yaml_level.backstage(texts)
    changed = [k for k in texts if fresh[k] != table[k]["outcome"]]
    assert not changed, "re-record with python -m tests.differential.yaml_level record: " + ", ".join(
        changed[:20]
    )
