"""The live catalog tests: one real Backstage backend per session, seeded from seed/.

A backend that cannot start fails the tests (with its log tail): a silent skip would
let CI pass without ever talking to a catalog. Set PORTAL_LINT_SKIP_LIVE=1 to skip
them on purpose.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from backstage_backend import SEED_DIR, Backend, BackendError, install, start, stop

# Before the test modules import it, so its asserts explain their failures.
pytest.register_assert_rewrite("catalog_helpers")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: talks to the real Backstage catalog backend (tests/live)")


@pytest.fixture(scope="session")
def backstage() -> Iterator[Backend]:
    if os.environ.get("PORTAL_LINT_SKIP_LIVE") == "1":
        pytest.skip("live catalog tests skipped: PORTAL_LINT_SKIP_LIVE=1")
    patch = pytest.MonkeyPatch()
    # Loopback only, even where the environment configures an HTTP proxy.
    for name in ("NO_PROXY", "no_proxy"):
        patch.setenv(name, ",".join(filter(None, ["127.0.0.1,localhost", os.environ.get(name)])))
    backend: Backend | None = None
    failure = ""
    try:
        install()
        backend = start(SEED_DIR)
    except BackendError as exc:
        failure = str(exc)
    if backend is None:
        patch.undo()
        pytest.fail(f"the Backstage backend did not start: {failure}", pytrace=False)
    try:
        yield backend
    finally:
        stop(backend)
        patch.undo()
