"""The CAT validators agree with @backstage/catalog-model 1.10.1 on the values people write."""

from __future__ import annotations

import pytest

from portal_lint.checks._fields import (
    is_api_version,
    is_dns_label,
    is_kind,
    is_object_name,
    is_prefixed_key,
    is_tag,
    is_url,
    suggest_dns_label,
    suggest_name,
    suggest_tag,
)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("a", True),
        ("payments", True),
        ("payments-api", True),
        ("payments_api.v2", True),
        ("a--b", True),  # the regex allows consecutive separators, whatever the error text says
        ("A1", True),
        ("x" * 63, True),
        ("x" * 64, False),
        ("", False),
        ("-payments", False),
        ("payments_", False),
        (".payments", False),
        ("payments api", False),
        ("payments/api", False),
        ("payments@v2", False),
        ("payments:api", False),
        ("payments\n", False),  # Python's `$` would accept the newline; fullmatch does not
        ("zahlungsdienst-ä", False),
    ],
)
def test_entity_names(value: str, ok: bool) -> None:
    assert is_object_name(value) is ok


def test_name_length_limit_is_a_parameter() -> None:
    assert is_object_name("x" * 100, 120)
    assert not is_object_name("x" * 121, 120)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("default", True),
        ("team-a", True),
        ("xn--bcher-kva", True),  # multiple hyphens are allowed since catalog-model 1.3.0
        ("a1", True),
        ("Default", False),  # lowercase only, whatever the docs say
        ("team_a", False),
        ("team.a", False),
        ("-team", False),
        ("team-", False),
        ("x" * 64, False),
    ],
)
def test_namespaces(value: str, ok: bool) -> None:
    assert is_dns_label(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("backstage.io/v1alpha1", True),
        ("scaffolder.backstage.io/v1beta3", True),
        ("v1", True),
        ("roadie.io/v1", True),
        ("Backstage.io/v1alpha1", False),
        ("backstage.io/v1alpha1/x", False),
        ("backstage.io/", False),
        ("/v1", False),
        ("backstage.io/v1-alpha1", False),
        ("backstage_io/v1", False),
    ],
)
def test_api_versions(value: str, ok: bool) -> None:
    assert is_api_version(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [("Component", True), ("MyKind2", True), ("component", True), ("2Component", False), ("My-Kind", False)],
)
def test_kind_format(value: str, ok: bool) -> None:
    assert is_kind(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("github.com/project-slug", True),
        ("tier", True),
        ("jira/project-key", True),
        ("GitHub.com/project-slug", False),
        ("a/b/c", False),
        ("example.com/", False),
        ("example.com/has space", False),
        ("under_score.com/x", False),
    ],
)
def test_label_and_annotation_keys(value: str, ok: bool) -> None:
    assert is_prefixed_key(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("java", True),
        ("c++", True),
        ("c#", True),
        ("lang:go", True),
        ("spring-boot", True),
        ("x" * 63, True),
        ("x" * 64, False),
        ("Java", False),
        ("spring_boot", False),
        ("v1.2", False),
        ("k8s--native", False),
        ("-k8s", False),
        ("", False),
    ],
)
def test_tags(value: str, ok: bool) -> None:
    assert is_tag(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://grafana.example.com/d/payments", True),
        ("mailto:team@example.com", True),
        ("http:example.com", True),  # WHATWG: a special scheme without slashes still parses
        ("urn:isbn:0451450523", True),
        ("https://[::1]:8080/metrics", True),
        ("file:///etc/hosts", True),
        ("localhost:8080", True),  # `localhost` parses as a scheme, as in browsers
        ("  https://example.com  ", True),  # leading and trailing spaces are stripped
        ("grafana.example.com/d/payments", False),
        ("/runbooks/payments", False),
        ("https://", False),
        ("https://exa mple.com", False),
        ("https://example.com:99999", False),
        ("https://[::1/x", False),
        ("", False),
    ],
)
def test_urls_as_new_url_parses_them(value: str, ok: bool) -> None:
    assert is_url(value) is ok


def test_suggestions_are_valid_and_close() -> None:
    assert suggest_name("payments api") == "payments-api"
    assert suggest_name("-payments_") == "payments"
    assert suggest_name("payments") is None  # nothing to suggest for a valid name
    assert suggest_dns_label("Payments_Team") == "payments-team"
    assert suggest_tag("Spring Boot") == "spring-boot"
    assert suggest_tag("k8s--native") == "k8s-native"
