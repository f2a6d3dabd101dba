"""CatalogClient against the real Backstage backend, and faults injected in front of it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from backstage_backend import Backend, free_port
from catalog_helpers import assert_token_safe, fast_client
from faultproxy import Fault, FaultProxy

from portal_lint.catalog import CatalogError
from portal_lint.catalog.client import MAX_REFS_PER_REQUEST, CatalogClient, _chunks

pytestmark = pytest.mark.live

NAME = ["kind", "metadata.name", "metadata.namespace"]


@pytest.fixture
def client(backstage: Backend) -> Iterator[CatalogClient]:
    with fast_client(backstage.url, backstage.token) as c:
        yield c


@pytest.fixture
def proxy(backstage: Backend) -> Iterator[FaultProxy]:
    with FaultProxy(backstage.url) as p:
        yield p


def ref_of(entity: dict[str, object] | None) -> str | None:
    if entity is None:
        return None
    metadata = entity["metadata"]
    assert isinstance(metadata, dict)
    return f"{entity['kind']}:{metadata.get('namespace', 'default')}/{metadata['name']}".lower()


# --- by-refs ------------------------------------------------------------------


def test_by_refs_hits_and_misses_in_order(client: CatalogClient) -> None:
    refs = [
        "system:default/search",
        "group:default/no-such-team",
        "group:default/team-payments",
        "component:default/payments-api",
        "template:default/service-template",
        "api:default/nope",
    ]
    found = client.get_by_refs(refs, NAME)
    assert [ref_of(e) for e in found] == [
        "system:default/search",
        None,
        "group:default/team-payments",
        "component:default/payments-api",
        "template:default/service-template",
        None,
    ]
    assert client.request_count == 1


def test_by_refs_is_case_insensitive_and_dedupes(client: CatalogClient) -> None:
    refs = ["Component:Finance/LEDGER-core", "component:finance/ledger-core", "Group:default/Team-Search"]
    found = client.get_by_refs(refs, NAME)
    assert [ref_of(e) for e in found] == [
        "component:finance/ledger-core",
        "component:finance/ledger-core",
        "group:default/team-search",
    ]
    metadata = found[0]["metadata"] if found[0] else {}
    assert metadata["name"] == "Ledger-Core"  # the catalog keeps the spelling, we compare lower-cased


def test_by_refs_fields_go_in_the_body(client: CatalogClient) -> None:
    (entity,) = client.get_by_refs(["template:default/service-template"], ["metadata.annotations"])
    assert entity is not None
    assert set(entity) == {"metadata"}
    assert entity["metadata"]["annotations"]["backstage.io/template-version"] == "2.3.0"


def test_by_refs_splits_large_batches(client: CatalogClient) -> None:
    refs = [f"component:default/missing-{i}" for i in range(2 * MAX_REFS_PER_REQUEST + 5)]
    refs[1500] = "group:default/platform"
    found = client.get_by_refs(refs, NAME)
    assert len(found) == len(refs)
    assert ref_of(found[1500]) == "group:default/platform"
    assert sum(e is not None for e in found) == 1
    assert client.request_count == 3


def test_chunks_respect_count_and_size_limits() -> None:
    assert [len(c) for c in _chunks([f"c:d/{i}" for i in range(2001)])] == [1000, 1000, 1]
    long_refs = [f"component:default/{'x' * 1000}{i}" for i in range(200)]
    chunks = list(_chunks(long_refs))
    assert [ref for chunk in chunks for ref in chunk] == long_refs
    assert all(sum(len(r) + 3 for r in chunk) <= 90 * 1024 for chunk in chunks)
    assert len(chunks) == 3
    assert list(_chunks([])) == []


# --- by-query paging ----------------------------------------------------------


def test_paging_across_several_pages(client: CatalogClient) -> None:
    everything = list(client.iter_entities(fields=NAME, page_size=1000))
    assert client.request_count == 1
    paged = list(client.iter_entities(fields=NAME, page_size=3))
    assert [ref_of(e) for e in paged] == [ref_of(e) for e in everything]
    assert len({ref_of(e) for e in paged}) == len(paged) >= 13
    pages = -(-len(paged) // 3)
    assert client.request_count == 1 + pages
    names = [e["metadata"]["name"] for e in paged]
    assert names == sorted(names, key=str.lower) or names == sorted(names)


def test_paging_with_a_filter_keeps_fields_on_every_page(client: CatalogClient) -> None:
    groups = list(client.iter_entities("kind=group", ["metadata.name"], page_size=2))
    assert sorted(e["metadata"]["name"] for e in groups) == ["platform", "team-payments", "team-search"]
    assert all(set(e) == {"metadata"} for e in groups)


def test_page_size_must_be_positive(client: CatalogClient) -> None:
    with pytest.raises(ValueError, match="page_size"):
        list(client.iter_entities(page_size=0))


# --- what a real server answers -----------------------------------------------


def test_wrong_token_is_a_clear_401_without_the_token(backstage: Backend) -> None:
    wrong = "wrong-token-" + "q7Zx" * 6
    with fast_client(backstage.url, wrong) as c, pytest.raises(CatalogError) as info:
        c.get_by_refs(["group:default/platform"])
    exc = info.value
    assert exc.kind == "auth"
    assert str(exc) == f"catalog at {backstage.url} rejected the token (401): check PORTAL_LINT_TOKEN"
    assert c.request_count == 1  # a 401 is not retried
    assert_token_safe(exc, wrong, backstage.token)
    assert wrong not in repr(c)


def test_missing_token_says_to_set_one(backstage: Backend) -> None:
    with fast_client(backstage.url, None) as c, pytest.raises(CatalogError) as info:
        list(c.iter_entities())
    assert info.value.kind == "auth"
    assert "set PORTAL_LINT_TOKEN" in str(info.value)


def test_wrong_base_path_is_a_clear_404(backstage: Backend) -> None:
    with fast_client(backstage.url + "/backstage", backstage.token) as c, pytest.raises(CatalogError) as info:
        c.get_by_refs(["group:default/platform"])
    assert info.value.kind == "not-found"
    assert "--catalog-url" in str(info.value)
    assert_token_safe(info.value, backstage.token)


def test_api_root_as_base_url_is_accepted(backstage: Backend) -> None:
    with fast_client(backstage.url + "/api/catalog/", backstage.token) as c:
        assert c.url == backstage.url
        assert ref_of(c.get_by_refs(["group:default/platform"], NAME)[0]) == "group:default/platform"


def test_nothing_listening_is_unreachable_after_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with fast_client(url, "some-secret-token", retries=1) as c, pytest.raises(CatalogError) as info:
        c.get_by_refs(["group:default/platform"])
    assert info.value.kind == "unreachable"
    assert "connection refused" in str(info.value)
    assert "after 2 attempts" in str(info.value)
    assert c.request_count == 2
    assert_token_safe(info.value, "some-secret-token")


@pytest.mark.parametrize(
    ("url", "token", "fragment"),
    [
        ("ftp://127.0.0.1/", None, "must look like"),
        ("http://user:hunter22@127.0.0.1:1", None, "must not carry credentials"),
        ("http://127.0.0.1:1", "two words", "single printable ASCII word"),
        ("http://127.0.0.1:1", "line\nbreak-token", "single printable ASCII word"),
    ],
)
def test_configuration_errors(url: str, token: str | None, fragment: str) -> None:
    with pytest.raises(CatalogError) as info:
        CatalogClient(url, token)
    assert info.value.kind == "config"
    assert fragment in str(info.value)
    assert_token_safe(info.value, "hunter22", "line\nbreak-token", "two words")


def test_missing_ca_bundle_is_a_config_error(tmp_path: object) -> None:
    with pytest.raises(CatalogError) as info:
        CatalogClient("https://127.0.0.1:1", verify=f"{tmp_path}/missing-ca.pem")
    assert info.value.kind == "config"
    assert "--catalog-ca" in str(info.value)


# --- faults a healthy server cannot show (fault proxy in front of it) -----------


def test_timeout_is_retried_then_reported(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.DELAY, times=None, delay=1.5)
    began = time.monotonic()
    with (
        fast_client(proxy.url, backstage.token, timeout=0.3, retries=1) as c,
        pytest.raises(CatalogError) as info,
    ):
        c.get_by_refs(["group:default/platform"])
    assert time.monotonic() - began < 1.5
    assert info.value.kind == "timeout"
    assert "did not answer within 0.3 s after 2 attempts" in str(info.value)
    assert proxy.hits == 2
    assert_token_safe(info.value, backstage.token)


def test_one_slow_answer_is_survived(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.DELAY, times=1, delay=1.0)
    with fast_client(proxy.url, backstage.token, timeout=0.3) as c:
        assert ref_of(c.get_by_refs(["group:default/platform"], NAME)[0]) == "group:default/platform"
        assert c.request_count == 2


def test_500_is_retried_then_succeeds(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.ERROR_500, times=2)
    with fast_client(proxy.url, backstage.token, retries=3) as c:
        assert ref_of(c.get_by_refs(["system:default/payments"], NAME)[0]) == "system:default/payments"
        assert c.request_count == 3


def test_persistent_500_is_an_error_after_bounded_retries(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.ERROR_500, times=None)
    with fast_client(proxy.url, backstage.token, retries=2) as c, pytest.raises(CatalogError) as info:
        list(c.iter_entities())
    assert info.value.kind == "server"
    assert str(info.value) == (
        f"catalog at {proxy.url} failed with 500: injected failure after 3 attempts: "
        "try again later, or lint offline with --snapshot"
    )
    assert proxy.hits == 3
    assert_token_safe(info.value, backstage.token)


def test_429_retry_after_is_honoured(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.RATE_LIMIT, times=1, retry_after="1")
    began = time.monotonic()
    with fast_client(proxy.url, backstage.token) as c:
        assert ref_of(c.get_by_refs(["group:default/platform"], NAME)[0]) == "group:default/platform"
        assert c.request_count == 2
    assert time.monotonic() - began >= 0.95


def test_429_asking_too_long_a_wait_gives_up_at_once(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.RATE_LIMIT, times=None, retry_after="600")
    with fast_client(proxy.url, backstage.token, max_retry_after=5) as c, pytest.raises(CatalogError) as info:
        c.get_by_refs(["group:default/platform"])
    assert info.value.kind == "rate-limited"
    assert "asks to wait 600 s" in str(info.value)
    assert proxy.hits == 1


def test_garbage_json_is_a_bad_response(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.GARBAGE, times=None)
    with fast_client(proxy.url, backstage.token) as c, pytest.raises(CatalogError) as info:
        c.get_by_refs(["group:default/platform"])
    assert info.value.kind == "bad-response"
    assert "invalid JSON (application/json)" in str(info.value)
    assert proxy.hits == 1  # not worth retrying: the same URL will answer the same
    assert_token_safe(info.value, backstage.token)


def test_connection_reset_is_retried_then_reported(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.RESET, times=None)
    with fast_client(proxy.url, backstage.token, retries=2) as c, pytest.raises(CatalogError) as info:
        c.get_by_refs(["group:default/platform"])
    assert info.value.kind == "unreachable"
    assert "after 3 attempts" in str(info.value)
    assert proxy.hits == 3
    assert_token_safe(info.value, backstage.token)


def test_one_reset_is_survived(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.RESET, times=1)
    with fast_client(proxy.url, backstage.token) as c:
        assert ref_of(c.get_by_refs(["group:default/platform"], NAME)[0]) == "group:default/platform"


def test_paging_that_ends_early_is_an_error(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.TRUNCATE_PAGING, times=1)
    with fast_client(proxy.url, backstage.token) as c, pytest.raises(CatalogError) as info:
        list(c.iter_entities(fields=NAME, page_size=4))
    assert info.value.kind == "bad-response"
    assert "paging ended after 4 of" in str(info.value)
    assert_token_safe(info.value, backstage.token)


@pytest.mark.parametrize("status", [400, 418, 502, 503])
def test_a_server_echoing_the_request_headers_never_shows_the_token(
    backstage: Backend, proxy: FaultProxy, status: int
) -> None:
    proxy.inject(Fault.ECHO, times=None, status=status)
    with fast_client(proxy.url, backstage.token, retries=0) as c, pytest.raises(CatalogError) as info:
        c.get_by_refs(["group:default/platform"])
    assert f"{status}: bad gateway for request" in str(info.value)  # the server's text, redacted
    assert "authorization: bearer ***;" in str(info.value).lower()
    assert_token_safe(info.value, backstage.token)


def test_an_answer_trickled_a_byte_at_a_time_ends_at_the_timeout(
    backstage: Backend, proxy: FaultProxy
) -> None:
    proxy.inject(Fault.TRICKLE, times=None, delay=0.2)  # each read well within the 0.5 s timeout
    began = time.monotonic()
    with (
        fast_client(proxy.url, backstage.token, timeout=0.5, retries=1) as c,
        pytest.raises(CatalogError) as info,
    ):
        c.get_by_refs(["group:default/platform"])
    assert time.monotonic() - began < 3
    assert info.value.kind == "timeout"
    assert "did not finish answering within 0.5 s after 2 attempts" in str(info.value)


def test_the_run_budget_bounds_retries_and_waits(backstage: Backend, proxy: FaultProxy) -> None:
    proxy.inject(Fault.RATE_LIMIT, times=None, retry_after="2")
    began = time.monotonic()
    with (
        CatalogClient(proxy.url, backstage.token, retries=10, budget=1.0) as c,
        pytest.raises(CatalogError) as info,
    ):
        c.get_by_refs(["group:default/platform"])
    assert time.monotonic() - began < 1.5
    assert "did not finish this run's requests within 1 s" in str(info.value)


def test_an_answer_over_the_size_limit_is_refused_without_reading_it_all(
    backstage: Backend, proxy: FaultProxy
) -> None:
    proxy.inject(Fault.HUGE, times=None, size=600 * 1024 * 1024)
    began = time.monotonic()
    with fast_client(proxy.url, backstage.token, timeout=30) as c, pytest.raises(CatalogError) as info:
        c.get_by_refs(["group:default/platform"])
    assert time.monotonic() - began < 10
    assert info.value.kind == "bad-response"
    assert "sent an answer over the 32 MiB limit" in str(info.value)
    assert proxy.hits == 1  # the same URL would answer the same: not retried
