"""Helpers shared by the live catalog tests."""

from __future__ import annotations

import traceback

from portal_lint.catalog import CatalogError
from portal_lint.catalog.client import CatalogClient


def fast_client(url: str, token: str | None, **options: float) -> CatalogClient:
    """Short timeouts and tiny backoff: the fault cases must not slow the suite down."""
    settings: dict[str, float] = {"timeout": 2.0, "retries": 2, "backoff": 0.01, "max_backoff": 0.05}
    settings.update(options)
    return CatalogClient(
        url,
        token,
        timeout=settings["timeout"],
        retries=int(settings["retries"]),
        backoff=settings["backoff"],
        max_backoff=settings["max_backoff"],
        max_retry_after=settings.get("max_retry_after", 5.0),
    )


def assert_token_safe(exc: CatalogError, *secrets: str) -> None:
    shown = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for secret in secrets:
        assert all(secret not in text for text in shown)
    assert exc.__cause__ is None
    assert exc.__context__ is None
    assert "\n" not in str(exc)
