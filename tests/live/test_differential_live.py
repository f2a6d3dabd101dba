"""The differential table (tests/differential/verdicts.json) is what the server says today:
every generated entity is sent to the running backend again and its verdict compared."""

from __future__ import annotations

import pytest
from backstage_backend import Backend

from tests.differential import compare, generate, record

pytestmark = pytest.mark.live


def test_the_recorded_verdicts_are_the_servers(backstage: Backend) -> None:
    table = compare.load_table()
    fresh = record.ask(backstage.url, backstage.token, generate.entities())
    changed = [
        f"{key}: recorded {'valid' if table[key]['valid'] else 'invalid'}, now {got['message'] or 'valid'}"
        for key, got in fresh.items()
        if got["valid"] != table[key]["valid"]
    ]
    assert not changed, "re-record with python -m tests.differential.record:\n" + "\n".join(changed[:30])
