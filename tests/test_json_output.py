"""`--format json` matches its published schema and docs (docs/json-output.schema.json, .md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from portal_lint.diagnostic import Diagnostic, Fix, Related, Result
from portal_lint.report import json_
from tests.integration_repo import bad_repo, run_cli

DOCS = Path(__file__).resolve().parent.parent / "docs"
SCHEMA = json.loads((DOCS / "json-output.schema.json").read_text(encoding="utf-8"))


def check(doc: dict[str, Any]) -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(doc)]
    assert errors == []
    # Additions are allowed by the schema (consumers ignore unknown fields) but must be documented.
    assert set(doc) == set(SCHEMA["properties"])
    finding_keys = set(SCHEMA["definitions"]["finding"]["properties"])
    for f in doc["findings"]:
        assert set(f) == finding_keys


def test_real_output_matches_the_schema(tmp_path: Path) -> None:
    proc = run_cli(["--format", "json"], bad_repo(tmp_path))
    doc = json.loads(proc.stdout)
    check(doc)
    assert {f["severity"] for f in doc["findings"]} == {"error", "warning", "note"}
    assert doc["summary"] == {"files": 1, "errors": 1, "warnings": 1, "notes": 1}
    assert any(f["fix"] and f["fix"]["automatic"] for f in doc["findings"]), "YML005 declares a fix"


def test_related_locations_and_notices_match_the_schema() -> None:
    d = Diagnostic(
        "POL003", "suppression-unknown-rule", "warning", "m", "catalog-info.yaml", 2, 3, 2, 9,
        fix=Fix("do it by hand"), related=(Related("AGENTS.md", 7, 3, "required here"),),
        standard="spec.owner MUST reference a valid group entity.",
    )  # fmt: skip
    doc = json.loads(json_.render(Result([d], files=1, notices=["checks skipped"])))
    check(doc)
    assert doc["findings"][0]["related"] == [
        {"path": "AGENTS.md", "line": 7, "column": 3, "message": "required here"}
    ]


def test_every_field_is_documented() -> None:
    text = (DOCS / "json-output.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+)`", text))
    fields = set(SCHEMA["properties"]) | set(SCHEMA["definitions"]["finding"]["properties"])
    fields |= set(SCHEMA["properties"]["summary"]["properties"])
    assert fields - documented == set()


def test_the_documented_example_is_valid() -> None:
    text = (DOCS / "json-output.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)```", text, re.S)
    assert example is not None
    check(json.loads(example.group(1)))
