"""Client for the Backstage catalog REST API: few requests, bounded retries, no token leaks."""

from __future__ import annotations

import email.utils
import errno
import json
import os
import random
import re
import socket
import ssl
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from portal_lint import __version__
from portal_lint.catalog import CatalogError, ErrorKind
from portal_lint.diagnostic import excerpt

Entity = dict[str, Any]

API_PREFIX = "/api/catalog"
# The limits @backstage/catalog-client's splitRefsIntoChunks uses: Express's default
# body limit is 100 kB, so a by-refs request stays below 90 KiB of ref text.
MAX_REFS_PER_REQUEST = 1000
MAX_REF_CHARS_PER_REQUEST = 90 * 1024
ORDER = "metadata.name,asc"  # without an order field Backstage pages in no stable order
# A page of 500 full entities is a few MB: an answer past this is no catalog page (and would
# take memory several times its size to decode).
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
# All requests of one client (one run), retries and waits included, end within this.
RUN_BUDGET = 300.0

# 501 and 505 mean "never going to work", everything else 5xx may be transient.
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_TOKEN_SHAPE = re.compile(r"[!-~]+")  # what Backstage's /^Bearer[ ]+(\S+)$/ accepts, ASCII only
_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.EPIPE: "connection closed",
}


@dataclass(frozen=True, slots=True)
class _Failure:
    """One failed attempt, described without any text that came from httpx."""

    kind: ErrorKind
    text: str  # completes "catalog at URL ..."
    advice: str
    retryable: bool
    wait: float | None = None  # the server's Retry-After, when it gave one


@dataclass(frozen=True, slots=True)
class _Answer:
    """A response read whole within the limits (httpx's own would read without them)."""

    status_code: int
    headers: httpx.Headers
    content: bytes


class CatalogClient:
    """A Backstage catalog reached over HTTP/1.1 keep-alive with one `httpx.Client`.

    `token` is sent as a Bearer token and appears in no message, repr or exception.
    Failed attempts (429, 5xx, connection errors, timeouts) are retried `retries`
    times with exponential backoff and jitter; a 429's Retry-After is honoured up to
    `max_retry_after` seconds. Every failure ends as one `CatalogError`.

    Time and memory are bounded: each attempt must have its whole answer within `timeout`
    seconds (not per read: a server trickling a byte at a time is cut off), no answer may be
    larger than MAX_RESPONSE_BYTES, and all the client's requests end within `budget` seconds.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        verify: bool | str | Path = True,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 30.0,
        budget: float = RUN_BUDGET,
    ) -> None:
        self.url = _display_url(base_url)
        self.timeout = timeout
        self.budget = budget
        self._run_deadline = time.monotonic() + budget
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        # Every HTTP attempt, retries included: what benchmarks and tests count.
        self.request_count = 0
        self._has_token = bool(token)
        # Every form the token could come back in (a server or proxy that echoes the request).
        self._secrets = _secret_forms(token) if token else ()
        headers = {"Accept": "application/json", "User-Agent": f"portal-lint/{__version__}"}
        if token:
            if not _TOKEN_SHAPE.fullmatch(token):
                raise CatalogError(
                    "the catalog token is not a single printable ASCII word: check PORTAL_LINT_TOKEN "
                    "(no spaces, quotes or line breaks)",
                    "config",
                )
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            verify=_ssl_context(verify),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"CatalogClient({self.url!r}, token={'***' if self._has_token else None})"

    def __enter__(self) -> CatalogClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get_by_refs(self, refs: Sequence[str], fields: Sequence[str] | None = None) -> list[Entity | None]:
        """The entities for full refs `kind:namespace/name`, in the order asked; None where absent.

        Refs are compared lower-cased, as Backstage keys them; each distinct ref is asked
        once, in as few requests as the body limits allow.
        """
        wanted = [ref.lower() for ref in refs]
        found: dict[str, Entity | None] = {}
        for chunk in _chunks(list(dict.fromkeys(wanted))):
            body: dict[str, object] = {"entityRefs": chunk}
            if fields is not None:
                # In the body: as a query parameter the by-refs route answers 400.
                body["fields"] = list(fields)
            data = self._call("POST", "/entities/by-refs", body=body)
            items = data.get("items") if isinstance(data, dict) else None
            if (
                not isinstance(items, list)
                or len(items) != len(chunk)
                or not all(item is None or isinstance(item, dict) for item in items)
            ):
                what = f"an answer that is not one item per ref asked ({len(chunk)})"
                raise self._bad_shape("/entities/by-refs", what)
            found.update(zip(chunk, items, strict=True))
        return [found[ref] for ref in wanted]

    def ping(self) -> None:
        """One small authenticated request: raises `CatalogError` when the catalog cannot answer."""
        data = self._call("GET", "/entities/by-query", params=[("limit", "1"), ("fields", "kind")])
        self._page(data, "/entities/by-query")

    def iter_entities(
        self, filter: str | None = None, fields: Sequence[str] | None = None, page_size: int = 500
    ) -> Iterator[Entity]:
        """Every entity matching a by-query `filter`, streamed page by page (cursor paging).

        Raises `CatalogError` (bad-response) when the pages do not add up to the total
        the catalog announced, so a truncated listing is never taken for a complete one.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        # The cursor carries filter and order, but not fields: those go on every page.
        extra = [("fields", ",".join(fields))] if fields else []
        params = [("limit", str(page_size)), ("orderField", ORDER)]
        if filter:
            params.append(("filter", filter))
        path = "/entities/by-query"
        total: int | None = None
        count = 0
        seen_cursors: set[str] = set()
        while True:
            data = self._call("GET", path, params=params + extra)
            items, page_total, cursor = self._page(data, path)
            if total is None:
                total = page_total
            elif page_total is not None and page_total != total:
                raise self._paging(f"the total changed from {total} to {page_total} while paging")
            count += len(items)
            if total is not None and count > total:
                raise self._paging(f"the pages hold more entities than the announced {total}")
            yield from items
            if cursor is None:
                break
            if not items or cursor in seen_cursors:
                raise self._paging("a page came back empty or repeated but pointed to a next page")
            seen_cursors.add(cursor)
            params = [("cursor", cursor), ("limit", str(page_size))]
        if total is not None and count < total:
            raise self._paging(f"paging ended after {count} of {total} entities")

    def _page(self, data: object, path: str) -> tuple[list[Entity], int | None, str | None]:
        if isinstance(data, dict):
            items, total, info = data.get("items"), data.get("totalItems"), data.get("pageInfo", {})
            if (
                isinstance(items, list)
                and all(isinstance(item, dict) for item in items)
                and (total is None or (isinstance(total, int) and not isinstance(total, bool)))
                and isinstance(info, dict)
            ):
                cursor = info.get("nextCursor")
                if cursor is None or (isinstance(cursor, str) and cursor):
                    return items, total, cursor
        raise self._bad_shape(path, "a page that is not {items, totalItems, pageInfo}")

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        body: object = None,
    ) -> object:
        """One API call with retries; the decoded JSON body of its 2xx answer."""
        attempt = 0
        while True:
            attempt += 1
            outcome = self._send(method, API_PREFIX + path, params, body)
            if isinstance(outcome, _Answer):
                failure = self._status_failure(outcome)
                if failure is None:
                    return self._decode(outcome, path)
            else:
                failure = outcome
            wait = failure.wait if failure.wait is not None else self._backoff_delay(attempt)
            if time.monotonic() + wait >= self._run_deadline:
                failure = self._out_of_time()
            if not failure.retryable or attempt > self.retries:
                after = f" after {attempt} attempts" if attempt > 1 else ""
                message = f"catalog at {self.url} {failure.text}{after}: {failure.advice}"
                raise CatalogError(message, failure.kind)
            time.sleep(wait)

    def _out_of_time(self) -> _Failure:
        return _Failure(
            "timeout",
            f"did not finish this run's requests within {self.budget:g} s",
            "try again, or lint offline with --snapshot",
            retryable=False,
        )

    def _send(
        self, method: str, path: str, params: list[tuple[str, str]] | None, body: object
    ) -> _Answer | _Failure:
        if time.monotonic() >= self._run_deadline:
            return self._out_of_time()
        self.request_count += 1
        deadline = min(time.monotonic() + self.timeout, self._run_deadline)
        try:
            request = self._http.build_request(method, path, params=tuple(params or ()), json=body)
            response = self._http.send(request, stream=True)
            try:
                return self._read(response, deadline)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            phase = "accept a connection" if isinstance(exc, httpx.ConnectTimeout) else "answer"
            failure = _Failure(
                "timeout",
                f"did not {phase} within {self.timeout:g} s",
                "try again, raise the timeout, or lint offline with --snapshot",
                retryable=True,
            )
        except httpx.ConnectError as exc:
            failure = _connect_failure(exc)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            failure = _Failure(
                "unreachable",
                f"dropped the connection before answering ({_os_reason(exc) or 'closed early'})",
                "check the network and any proxy between here and the catalog",
                retryable=True,
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            failure = _Failure("config", "cannot be requested", "check --catalog-url", retryable=False)
        except httpx.HTTPError as exc:
            failure = _Failure(
                "unreachable",
                f"could not be reached ({type(exc).__name__})",
                "check --catalog-url and the network",
                retryable=True,
            )
        return failure

    def _read(self, response: httpx.Response, deadline: float) -> _Answer | _Failure:
        """The whole body, unless it runs past the deadline or the size limit."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                return _Failure(
                    "bad-response",
                    f"sent an answer over the {MAX_RESPONSE_BYTES // 1048576} MiB limit",
                    "check that --catalog-url is a Backstage backend, or lint offline with --snapshot",
                    retryable=False,
                )
            if time.monotonic() > deadline:
                return _Failure(
                    "timeout",
                    f"did not finish answering within {self.timeout:g} s",
                    "try again, raise the timeout, or lint offline with --snapshot",
                    retryable=True,
                )
            chunks.append(chunk)
        return _Answer(response.status_code, response.headers, b"".join(chunks))

    def _status_failure(self, response: _Answer) -> _Failure | None:
        status = response.status_code
        if 200 <= status < 300:
            return None
        detail = self._quote(_server_message(response))
        if status == 401:
            if self._has_token:
                return _Failure(
                    "auth", "rejected the token (401)", "check PORTAL_LINT_TOKEN", retryable=False
                )
            return _Failure(
                "auth", "requires a token (401)", "set PORTAL_LINT_TOKEN to a static token", retryable=False
            )
        if status == 403:
            return _Failure(
                "forbidden",
                "refused access (403)",
                "the token needs the catalog.entity.read permission",
                retryable=False,
            )
        if status == 404:
            return _Failure(
                "not-found",
                f"has no catalog API under {API_PREFIX} (404)",
                "set --catalog-url to the Backstage backend's base URL",
                retryable=False,
            )
        if status == 429:
            wait = _retry_after(response)
            if wait is not None and wait > self.max_retry_after:
                return _Failure(
                    "rate-limited",
                    f"is rate-limiting requests (429) and asks to wait {wait:.0f} s",
                    "try again later, or lint offline with --snapshot",
                    retryable=False,
                )
            return _Failure(
                "rate-limited",
                "is rate-limiting requests (429)",
                "try again later, or lint offline with --snapshot",
                retryable=True,
                wait=wait,
            )
        if 300 <= status < 400:
            return _Failure(
                "bad-response",
                f"answered with a redirect ({status})",
                "set --catalog-url to the URL it redirects to",
                retryable=False,
            )
        if status >= 500:
            return _Failure(
                "server",
                f"failed with {status}{detail}",
                "try again later, or lint offline with --snapshot",
                retryable=status in _RETRY_STATUS,
            )
        return _Failure(
            "bad-request",
            f"rejected the request ({status}{detail})",
            "report this as a portal-lint bug with the catalog's version",
            retryable=False,
        )

    def _decode(self, response: _Answer, path: str) -> object:
        data: object
        try:
            data = json.loads(response.content)
        except ValueError:
            # Raised outside this handler, so the decode error is not its context.
            data = _INVALID
        if data is _INVALID:
            kind = self._quote(response.headers.get("content-type", "no content type").split(";")[0])
            raise self._bad_shape(path, f"invalid JSON ({kind})")
        return data

    def _quote(self, text: str, limit: int = 160) -> str:
        """Server text as a message may show it: the token redacted first (so no cut can leave
        part of it), then on one line and cut to `limit` characters."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return excerpt(" ".join(text.split()), limit)

    def _bad_shape(self, path: str, what: str) -> CatalogError:
        return CatalogError(
            f"catalog at {self.url} answered {API_PREFIX}{path} with {what}: "
            "check that --catalog-url is a Backstage backend",
            "bad-response",
        )

    def _paging(self, what: str) -> CatalogError:
        return CatalogError(
            f"catalog at {self.url} gave an inconsistent listing ({what}): "
            "run again; if it persists, the catalog or a proxy is truncating pages",
            "bad-response",
        )

    def _backoff_delay(self, attempt: int) -> float:
        delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        # Jitter spreads the retries of many CI jobs that failed at the same moment.
        return random.uniform(delay / 2, delay)


_INVALID = object()


def _display_url(base_url: str) -> str:
    """The base URL as it may be shown: http(s), no credentials, no query, no trailing API path."""
    url: httpx.URL | None
    try:
        url = httpx.URL(base_url.strip())
    except (httpx.InvalidURL, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise CatalogError(
            "the catalog URL must look like https://backstage.example.com: check --catalog-url", "config"
        )
    if url.userinfo:
        raise CatalogError(
            "the catalog URL must not carry credentials: put the token in PORTAL_LINT_TOKEN instead",
            "config",
        )
    path = url.path.rstrip("/")
    # People paste the API root they see in the browser's network tab.
    path = path.removesuffix(API_PREFIX)
    return str(url.copy_with(path=path or "/", query=None, fragment=None)).rstrip("/")


def _ssl_context(verify: bool | str | Path) -> ssl.SSLContext | bool:
    if isinstance(verify, bool):
        return verify
    context: ssl.SSLContext | None
    try:
        context = ssl.create_default_context(cafile=os.fspath(verify))
    except (OSError, ssl.SSLError):
        context = None
    if context is None:
        raise CatalogError(
            f"cannot load the CA bundle {os.fspath(verify)}: check --catalog-ca (a PEM file)", "config"
        )
    return context


def _connect_failure(exc: httpx.ConnectError) -> _Failure:
    cert = _find_cause(exc, ssl.SSLCertVerificationError)
    if isinstance(cert, ssl.SSLCertVerificationError):
        return _Failure(
            "tls",
            f"presented a certificate that does not verify ({cert.verify_message})",
            "pass the private CA with --catalog-ca",
            retryable=False,
        )
    if isinstance(_find_cause(exc, ssl.SSLError), ssl.SSLError):
        return _Failure(
            "tls", "failed the TLS handshake", "check the scheme and port of --catalog-url", retryable=False
        )
    return _Failure(
        "unreachable",
        f"could not be reached ({_os_reason(exc) or 'connection failed'})",
        "check --catalog-url and that the catalog is running",
        retryable=True,
    )


def _find_cause(exc: BaseException, wanted: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, wanted):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _os_reason(exc: BaseException) -> str | None:
    """A fixed phrase for the OS error under an httpx exception (its own text may hold anything)."""
    cause = _find_cause(exc, OSError)
    if not isinstance(cause, OSError):
        return None
    if cause.errno in _ERRNO_WORDS:
        return _ERRNO_WORDS[cause.errno]
    if isinstance(cause, socket.gaierror):
        return "host name not found"
    return os.strerror(cause.errno).lower() if cause.errno else None


def _server_message(response: _Answer) -> str:
    """`: <message>` from Backstage's error body, as the server wrote it; empty if none."""
    try:
        data = json.loads(response.content)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str) or not message.strip():
        return ""
    return f": {message}"


def _secret_forms(token: str) -> tuple[str, ...]:
    """The token as sent and as it would read percent-encoded or JSON-escaped, longest first."""
    forms = {token, urllib.parse.quote(token, safe=""), json.dumps(token)[1:-1]}
    return tuple(sorted(forms, key=len, reverse=True))


def _retry_after(response: _Answer) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _chunks(refs: list[str]) -> Iterator[list[str]]:
    """Split refs as catalog-client does: ≤1000 refs and ≤90 KiB of JSON-encoded ref text."""
    chunk: list[str] = []
    size = 0
    for ref in refs:
        cost = len(json.dumps(ref)) + 1  # quotes, escapes and the comma, as sent
        if chunk and (len(chunk) >= MAX_REFS_PER_REQUEST or size + cost > MAX_REF_CHARS_PER_REQUEST):
            yield chunk
            chunk, size = [], 0
        chunk.append(ref)
        size += cost
    if chunk:
        yield chunk
