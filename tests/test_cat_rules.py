"""CAT rules as a user meets them: where findings point, what they say, what --fix may do,
what options change, and that one mistake gives one finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal_lint.diagnostic import Diagnostic, Result
from portal_lint.engine import lint
from portal_lint.parse.yaml12 import parse_yaml
from tests.expectations import lint_repo, make_repo

COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: group:default/team-payments
  system: commerce
"""


def cat(result: Result) -> list[Diagnostic]:
    return [d for d in result.diagnostics if d.code.startswith("CAT")]


def findings(tmp_path: Path, text: str, **files: str) -> list[Diagnostic]:
    return cat(lint_repo(make_repo(tmp_path, {"catalog-info.yaml": text, **files})))


def where(diags: list[Diagnostic]) -> list[tuple[int, str]]:
    return [(d.line, d.code) for d in diags]


def apply(text: str, diag: Diagnostic) -> str:
    """Apply a finding's declared edits (0-based spans, as --fix receives them)."""
    assert diag.fix is not None and diag.fix.edits
    lines = text.split("\n")
    for span, new in sorted(diag.fix.edits, reverse=True):
        assert span.line == span.end_line
        line = lines[span.line]
        lines[span.line] = line[: span.col] + new + line[span.end_col :]
    return "\n".join(lines)


def test_the_documented_good_component_is_clean(tmp_path: Path) -> None:
    assert findings(tmp_path, COMPONENT) == []


def test_missing_owner_is_reported_at_the_spec_key(tmp_path: Path) -> None:
    text = COMPONENT.replace("  owner: group:default/team-payments\n", "")
    [d] = findings(tmp_path, text)
    assert (d.line, d.code, d.severity) == (5, "CAT012", "error")
    assert d.message.startswith("`spec.owner` is missing;")
    assert "owner: group:default/" in d.message  # says what to add


def test_an_empty_lifecycle_is_reported_at_its_value(tmp_path: Path) -> None:
    [d] = findings(tmp_path, COMPONENT.replace("lifecycle: production", 'lifecycle: ""'))
    assert (d.line, d.column, d.code) == (7, 14, "CAT013")


def test_an_unknown_lifecycle_value_is_left_to_the_standards(tmp_path: Path) -> None:
    assert findings(tmp_path, COMPONENT.replace("lifecycle: production", "lifecycle: prod")) == []


def test_a_lowercase_kind_names_the_right_case_and_fixes_it(tmp_path: Path) -> None:
    text = COMPONENT.replace("kind: Component", "kind: component")
    [d] = findings(tmp_path, text)
    assert (d.line, d.code) == (2, "CAT004")
    assert 'write "Component"' in d.message
    assert apply(text, d) == COMPONENT


def test_a_misspelt_kind_gets_a_did_you_mean_and_no_spec_findings(tmp_path: Path) -> None:
    # Without a known kind there is no schema: the missing owner and the empty type must
    # not pile up on top of the one real mistake.
    text = COMPONENT.replace("kind: Component", "kind: Compnent").replace("type: service", 'type: ""')
    text = text.replace("  owner: group:default/team-payments\n", "")
    [d] = findings(tmp_path, text)
    assert d.code == "CAT004" and "did you mean `Component`?" in d.message


def test_service_is_explained_as_a_component_type(tmp_path: Path) -> None:
    [d] = findings(tmp_path, COMPONENT.replace("kind: Component", "kind: Service"))
    assert "Component (with `spec.type: service`)" in d.message


def test_unquoted_numbers_and_booleans_get_a_quoting_fix(tmp_path: Path) -> None:
    text = COMPONENT.replace(
        "  name: payments\n",
        "  name: payments\n  annotations:\n    prometheus.io/port: 8080\n    acme.com/pci: true\n",
    )
    diags = findings(tmp_path, text)
    assert where(diags) == [(6, "CAT011"), (7, "CAT011")]
    assert all("quote it" in d.message for d in diags)
    fixed = apply(apply(text, diags[1]), diags[0])
    annotations = parse_yaml(fixed)[0].root["metadata"]["annotations"]
    assert annotations == {"prometheus.io/port": "8080", "acme.com/pci": "true"}
    assert findings(tmp_path / "again", fixed) == []


def test_a_wrong_api_version_for_a_core_kind_is_fixable(tmp_path: Path) -> None:
    text = COMPONENT.replace("backstage.io/v1alpha1", "backstage.io/v1")
    [d] = findings(tmp_path, text)
    assert d.code == "CAT007" and apply(text, d) == COMPONENT


def test_template_must_be_v1beta3(tmp_path: Path) -> None:
    template = """\
apiVersion: backstage.io/v1alpha1
kind: Template
metadata:
  name: python-service
spec:
  type: service
  steps:
    - action: fetch:template
"""
    [d] = findings(tmp_path, template)
    assert (d.line, d.code) == (1, "CAT007") and "scaffolder.backstage.io/v1beta3" in d.message


def test_the_name_limit_follows_the_installation(tmp_path: Path) -> None:
    long_name = "payments-" + "x" * 70
    text = COMPONENT.replace("name: payments", f"name: {long_name}")
    [d] = findings(tmp_path / "stock", text)
    assert d.code == "CAT005" and "79 characters long, over the limit of 63" in d.message
    config = "rules:\n  name-invalid:\n    max-length: 120\n"
    assert findings(tmp_path / "roadie", text, **{".portal-lint.yaml": config}) == []


def test_metadata_that_is_not_a_mapping_is_reported_once(tmp_path: Path) -> None:
    text = COMPONENT.replace("metadata:\n  name: payments\n", "metadata: payments\n")
    [d] = findings(tmp_path, text)
    assert (d.line, d.code) == (3, "CAT008")


def test_a_key_indented_too_little_is_one_finding(tmp_path: Path) -> None:
    owner = "owner: group:default/team-payments\n"
    text = COMPONENT.replace(f"  {owner}", "") + owner
    [d] = findings(tmp_path, text)
    assert (d.line, d.code) == (9, "CAT001") and "move it under `spec:`" in d.message


def test_placeholders_count_as_what_they_read(tmp_path: Path) -> None:
    api = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
  description:
    $text: ./README.md
spec:
  type: openapi
  lifecycle: production
  owner: group:default/team-payments
  system: commerce
  definition:
    $text: ./api/openapi.yaml
"""
    files = {"README.md": "Payments\n", "api/openapi.yaml": "openapi: 3.0.0\n"}
    assert findings(tmp_path, api, **files) == []
    broken = api.replace("$text: ./api/openapi.yaml", "$ref: ./api/openapi.yaml")
    [d] = findings(tmp_path / "b", broken, **files)
    assert (d.line, d.code) == (12, "CAT013") and "`$ref` is not a placeholder" in d.message
    # $yaml reads a mapping, and the API schema wants a string: Backstage rejects it.
    [d] = findings(
        tmp_path / "c", api.replace("$text: ./api/openapi.yaml", "$yaml: ./api/openapi.yaml"), **files
    )
    assert (d.line, d.code) == (12, "CAT013") and "what `$yaml: ./api/openapi.yaml` reads" in d.message
    [d] = findings(tmp_path / "d", api, **{"api/openapi.yaml": "openapi: 3.0.0\n"})
    assert (d.line, d.code) == (6, "CAT008") and "does not exist" in d.message


@pytest.mark.parametrize("value", ["", "''", "0", "false", ".nan", "~"])
def test_falsy_annotations_are_an_empty_mapping_to_the_catalog(tmp_path: Path, value: str) -> None:
    """The file reader takes `annotations || {}`; only a string or a list is refused."""
    text = COMPONENT.replace("  name: payments\n", f"  name: payments\n  annotations: {value}\n")
    assert findings(tmp_path, text) == []
    [d] = findings(tmp_path / "b", text.replace(f"annotations: {value}", "annotations: x"))
    assert d.code == "CAT008"


def test_an_mcp_server_api_needs_a_definition_not_remotes(tmp_path: Path) -> None:
    """catalog-backend 4.0.5 checks every API against the plain API schema."""
    api = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-mcp
spec:
  type: mcp-server
  lifecycle: experimental
  owner: group:default/team-payments
  system: commerce
  remotes:
    - type: streamable-http
      url: https://mcp.example.com/payments
"""
    [d] = findings(tmp_path, api)
    assert d.code == "CAT012" and "`spec.definition` is missing" in d.message
    assert findings(tmp_path / "b", api.split("  remotes:")[0] + "  definition: MCP server\n") == []


def test_an_unmerged_merge_key_leaves_its_fields_missing(tmp_path: Path) -> None:
    """Backstage does not merge `<<`: the fields it meant to bring in are missing, as it sees them."""
    text = COMPONENT.replace("  type: service\n", "  <<: {type: service}\n")
    result = lint_repo(make_repo(tmp_path, {"catalog-info.yaml": text}))
    assert sorted(d.code for d in result.diagnostics) == ["CAT012", "YML003"]
    [missing] = [d for d in result.diagnostics if d.code == "CAT012"]
    assert "`spec.type` is missing" in missing.message


def test_duplicates_name_the_first_definition(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            "catalog-info.yaml": COMPONENT,
            "services/worker/catalog-info.yaml": COMPONENT.replace("name: payments", "name: Payments"),
        },
    )
    [d] = cat(lint_repo(root))
    assert (d.path, d.line, d.code) == ("services/worker/catalog-info.yaml", 4, "CAT016")
    assert "first at catalog-info.yaml:4" in d.message
    assert [(r.path, r.line) for r in d.related] == [("catalog-info.yaml", 4)]


def test_duplicates_are_found_when_pre_commit_passes_one_file(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {"catalog-info.yaml": COMPONENT, "services/worker/catalog-info.yaml": COMPONENT},
    )
    result = lint(["catalog-info.yaml"], cwd=root, strict=True)
    assert where(cat(result)) == [(4, "CAT016")]


def test_a_nested_repository_is_not_part_of_the_outer_one(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"catalog-info.yaml": COMPONENT})
    make_repo(root / "vendor" / "payments", {"catalog-info.yaml": COMPONENT})
    assert cat(lint_repo(root)) == []


def test_location_targets_resolve_against_the_catalog_file(tmp_path: Path) -> None:
    location = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: payments-entities
spec:
  targets:
    - ./db.yaml
    - ./queue.yaml
"""
    db = "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: payments-db\n"
    db += "spec:\n  type: database\n  owner: group:default/team-a\n"
    root = make_repo(tmp_path, {"catalog/catalog-info.yaml": location, "catalog/db.yaml": db})
    [d] = cat(lint_repo(root))
    assert (d.path, d.line, d.code, d.severity) == ("catalog/catalog-info.yaml", 8, "CAT021", "warning")


def test_kind_allow_list_is_opt_in(tmp_path: Path) -> None:
    system = "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: commerce\n"
    system += "spec:\n  owner: team-a\n"
    assert findings(tmp_path / "default", system) == []
    config = "select: [CAT]\nrules:\n  kind-not-allowed:\n    allow: [Component, API, Location]\n"
    [d] = findings(tmp_path / "on", system, **{".portal-lint.yaml": config})
    assert (d.line, d.code) == (2, "CAT022")
    config = "select: [CAT]\nrules:\n  kind-not-allowed:\n    allow: [Component, System]\n"
    assert findings(tmp_path / "allowed", system, **{".portal-lint.yaml": config}) == []


_KEYS = st.sampled_from(
    [
        "apiVersion",
        "kind",
        "metadata",
        "spec",
        "name",
        "namespace",
        "title",
        "labels",
        "annotations",
        "tags",
        "links",
        "url",
        "icon",
        "type",
        "owner",
        "lifecycle",
        "definition",
        "$text",
        "$json",
        "target",
        "targets",
        "presence",
        "steps",
        "action",
        "if",
        "profile",
        "children",
        "memberOf",
        "providesApis",
        "backstage.io/techdocs-ref",
        "backstage.io/managed-by-location",
        "<<",
        "status",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 99999),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            " ",
            "Component",
            "API",
            "Location",
            "Template",
            "backstage.io/v1alpha1",
            "scaffolder.backstage.io/v1beta3",
            "file",
            "./x.yaml",
            "./dir/",
            "https://",
            "dir:.",
            "payments",
            "Pay ments",
            "x" * 70,
            "required",
            "optional",
            "mcp-server",
        ]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=6)),
    max_leaves=25,
)
_ENTITIES = st.fixed_dictionaries(
    {},
    optional={
        "apiVersion": _SCALARS,
        "kind": st.sampled_from(["Component", "API", "Location", "Template", "Group", "User", "Compnent"]),
        "metadata": _VALUES,
        "spec": _VALUES,
        "relations": _VALUES,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entity=_ENTITIES)
def test_any_entity_shape_gives_findings_never_a_crash(tmp_path: Path, entity: dict[str, object]) -> None:
    text = json.dumps(entity)  # JSON is YAML: every shape the rules can meet, with exact types
    root = make_repo(tmp_path / "fuzz", {"catalog-info.yaml": text})
    lint_repo(root)  # strict: a rule's exception fails the test


def test_what_a_placeholder_reads_is_checked_but_never_edited_here(tmp_path: Path) -> None:
    """Annotations read from a file are validated (Backstage does, after resolving), and the
    findings point at the placeholder without an edit: the text to change is in the other file."""
    text = COMPONENT.replace("  name: payments\n", "  name: payments\n  annotations: {$yaml: ./a.yaml}\n")
    root = make_repo(
        tmp_path,
        {
            "catalog-info.yaml": text,
            "a.yaml": "example.com/port: 8080\nbackstage.io/github-actions-id: x/y\n",
        },
    )
    found = {d.code: d for d in lint_repo(root).diagnostics}
    assert found["CAT011"].line == found["CAT018"].line == 5
    assert "in the file a placeholder reads" in found["CAT011"].message
    assert found["CAT011"].fix is None and not (found["CAT018"].fix and found["CAT018"].fix.edits)
