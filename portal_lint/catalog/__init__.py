"""The Backstage catalog as portal-lint sees it: a REST client, snapshots and the entity index.

This module stays import-light (no httpx, no pydantic) so that offline runs can name
`CatalogError` without paying for the HTTP stack; import the submodules for the rest.
"""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal[
    "config",  # bad URL, CA bundle or token shape: fix the invocation
    "unreachable",  # DNS, refused or dropped connections
    "tls",  # certificate verification failed
    "timeout",
    "auth",  # 401
    "forbidden",  # 403
    "not-found",  # 404: the base URL does not serve the catalog API
    "bad-request",  # other 4xx
    "rate-limited",  # 429
    "server",  # 5xx
    "bad-response",  # not JSON, wrong shape, paging that does not add up
]


class CatalogError(Exception):
    """Why the catalog could not answer, as one line that says what to do.

    The message never holds the token: it is built by portal-lint, not copied from
    httpx, and the exception is raised with no cause or context attached.
    """

    def __init__(self, message: str, kind: ErrorKind) -> None:
        super().__init__(message, kind)
        self.message = message
        self.kind: ErrorKind = kind

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"CatalogError({self.message!r}, kind={self.kind!r})"


__all__ = ["CatalogError", "ErrorKind"]
