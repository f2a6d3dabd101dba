"""Entity references parse exactly as catalog-model's parseEntityRef does, and refs_of lists every
reference field use with its position, default kind and namespace."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_lint.model import Repo
from portal_lint.refs import EntityRef, RefError, format_problem, parse_ref, refs_of, split_ref

# (input, default kind, default namespace) → (kind, namespace, name), cases from catalog-model's ref.test.ts
PARSED = [
    ("a:b/c", None, None, ("a", "b", "c")),
    ("b/c", "k", None, ("k", "b", "c")),
    ("c", "k", "ns", ("k", "ns", "c")),
    ("c", "k", None, ("k", "default", "c")),
    ("a:c", None, "ns", ("a", "ns", "c")),
    # The first `/` before the first `:` makes the colon part of the name.
    ("ns/a:b", "k", None, ("k", "ns", "a:b")),
    # Only the first `:` and `/` split; the rest belongs to the name.
    ("a:b/c/d", None, None, ("a", "b", "c/d")),
    ("a:b:c", None, None, ("a", "default", "b:c")),
]


@pytest.mark.parametrize(("ref", "kind", "ns", "want"), PARSED)
def test_parse_ref_splits_like_catalog_model(
    ref: str, kind: str | None, ns: str | None, want: tuple[str, str, str]
) -> None:
    assert parse_ref(ref, kind, ns) == EntityRef(*want)


@pytest.mark.parametrize("ref", ["a:", ":b", "a:/c", "a:b/", "/c", "b/"])
def test_an_empty_part_is_the_catalog_model_type_error(ref: str) -> None:
    with pytest.raises(RefError, match=r"was not on the form \[<kind>:\]\[<namespace>/\]<name>") as err:
        parse_ref(ref, "Group")
    assert not err.value.missing_kind


def test_a_missing_kind_without_default_is_reported_as_such() -> None:
    with pytest.raises(RefError, match="had missing or empty kind") as err:
        parse_ref("payments-db")
    assert err.value.missing_kind


def test_the_catalog_key_is_lower_cased() -> None:
    assert str(parse_ref("Group:Default/Team-A")) == "group:default/team-a"


def test_only_written_parts_are_judged_for_format() -> None:
    assert format_problem(split_ref("team payments")) is not None
    assert format_problem(split_ref("Default/team-payments")) is None  # compared lower-cased
    assert format_problem(split_ref("group:default/team-payments")) is None


def _entity(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "catalog-info.yaml").write_text(text, encoding="utf-8")
    return Repo(tmp_path).load_catalog(tmp_path / "catalog-info.yaml").entities[0]


def test_refs_of_lists_every_field_with_position_and_defaults(tmp_path: Path) -> None:
    entity = _entity(
        tmp_path,
        "apiVersion: backstage.io/v1alpha1\n"
        "kind: Component\n"
        "metadata:\n"
        "  name: payments\n"
        "  namespace: shop\n"
        "spec:\n"
        "  owner: team-payments\n"
        "  system: commerce\n"
        "  providesApis: [payments-api]\n"
        "  dependsOn:\n"
        "    - resource:payments-db\n"
        "    - ''\n"
        "    - 42\n",
    )
    uses = list(refs_of(entity))
    assert [(u.pointer, u.span.line + 1, u.default_kind, str(u.target)) for u in uses] == [
        ("spec.owner", 7, "Group", "group:shop/team-payments"),
        ("spec.providesApis[0]", 9, "API", "api:shop/payments-api"),
        ("spec.dependsOn[0]", 11, None, "resource:shop/payments-db"),
        ("spec.system", 8, "System", "system:shop/commerce"),
    ]
    assert uses[0].field.allowed == frozenset({"group", "user"})


def test_unknown_kinds_have_no_reference_fields(tmp_path: Path) -> None:
    entity = _entity(
        tmp_path,
        "apiVersion: backstage.io/v1alpha1\nkind: Service\nmetadata:\n  name: x\nspec:\n  owner: t\n",
    )
    assert list(refs_of(entity)) == []


def test_what_backstage_rejects_is_an_error_and_what_it_ingests_a_warning(tmp_path: Path) -> None:
    """REF001/REF002 (the catalog cannot parse the reference: it rejects the entity) say so;
    an owner that parses but names no entity (create-app's e-mail address) is REF005, a
    warning saying the portal will show no owner, and an error only under the owner standard."""
    from tests.expectations import lint_repo, make_repo

    text = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n"
        "  type: service\n  lifecycle: production\n  owner: john@example.com\n  system: commerce\n"
        "  subcomponentOf: ':payments'\n  dependsOn: [payments-db]\n"
    )
    result = lint_repo(make_repo(tmp_path, {"catalog-info.yaml": text}))
    by_code = {d.code: d for d in result.diagnostics if d.code.startswith(("REF", "STD002"))}
    # One root cause, one finding: where the owner standard is in force, STD002 says it.
    assert sorted(by_code) == ["REF001", "REF002", "STD002"]
    without_standard = lint_repo(tmp_path, ignore=["STD002"]).diagnostics
    by_code = {d.code: d for d in without_standard if d.code.startswith("REF")}
    assert sorted(by_code) == ["REF001", "REF002", "REF005"] and by_code["REF005"].line == 8
    for code in ("REF001", "REF002"):
        assert (
            by_code[code].severity == "error"
            and "Backstage rejects Component `payments`" in by_code[code].message
        )
    assert (
        by_code["REF005"].severity == "warning"
        and "the portal will show no owner" in by_code["REF005"].message
    )
    # The owner standard: built in, a warning until the repository adopts it; then an error.
    std002 = [d for d in result.diagnostics if d.code == "STD002"]
    assert std002[0].line == 8 and std002[0].severity == "warning" and "show no owner" in std002[0].message
    root = make_repo(
        tmp_path,
        {"AGENTS.md": "## Developer Portal Standards\n\n- spec.owner MUST reference a valid group entity.\n"},
    )
    adopted = [d for d in lint_repo(root).diagnostics if d.code == "STD002"]
    assert [d.severity for d in adopted] == ["error"] and "show no owner" in adopted[0].message
