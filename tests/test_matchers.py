"""The shipped problem matchers read portal-lint's real text output as GitHub and VS Code would.

Both tools take a JavaScript regex from JSON and run it on each output line (the Actions runner
with .NET's ECMAScript mode; VS Code with RegExp.exec). The matchers are read from the files users
copy, translated to Python's dialect, and applied line by line; each match must carry the finding's
file, line, column, severity, code and message, as `--format json` reports them for the same run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration_repo import bad_repo, json_findings, run_cli

ROOT = Path(__file__).resolve().parent.parent
GITHUB_MATCHER = ROOT / "matchers" / "portal-lint.json"
VSCODE_TASKS = ROOT / "examples" / "vscode" / "tasks.json"

# What each consumer makes of the severity group (runner OutputManager.ConvertToIssue; VS Code
# ProblemMatcher.getSeverity: unknown words fall back to the matcher's `severity`, then Error).
GITHUB_SEVERITY = {"error": "error", "warning": "warning", "notice": "notice"}
VSCODE_SEVERITY = {"error": "Error", "warning": "Warning", "warn": "Warning", "info": "Info"}
VSCODE_EXTRA = {"e": "Error", "w": "Warning", "i": "Info", "hint": "Info", "note": "Info"}


def js_regex(source: str) -> re.Pattern[str]:
    """A JavaScript regex as Python runs it: named groups renamed; ECMAScript classes are ASCII."""
    return re.compile(re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", source), re.ASCII)


def github_pattern() -> dict[str, Any]:
    doc = json.loads(GITHUB_MATCHER.read_text(encoding="utf-8"))
    (matcher,) = doc["problemMatcher"]
    assert matcher["owner"] == "portal-lint"
    (pattern,) = matcher["pattern"]
    pattern["default"] = matcher.get("severity", "")
    return dict(pattern)


def vscode_matcher() -> dict[str, Any]:
    # tasks.json allows comments; ours has none, so it is plain JSON.
    (task,) = json.loads(VSCODE_TASKS.read_text(encoding="utf-8"))["tasks"]
    assert "--no-color" in task["command"], "terminal colours would break the regex"
    matcher: dict[str, Any] = task["problemMatcher"]
    return matcher


def groups(pattern: dict[str, Any], line: str) -> dict[str, str] | None:
    m = js_regex(pattern["regexp"]).search(line)
    if m is None:
        return None
    keys = ("file", "line", "column", "severity", "code", "message")
    return {k: m.group(pattern[k]) for k in keys if k in pattern}


def github_issue(pattern: dict[str, Any], line: str, workspace: Path) -> dict[str, Any] | None:
    g = groups(pattern, line)
    if g is None:
        return None
    word = (g.get("severity") or pattern["default"] or "error").lower()
    if word not in GITHUB_SEVERITY:
        return None  # the runner logs "severity … is not supported" and annotates nothing
    path = workspace / g["file"]
    assert path.is_file(), f"the runner drops annotations whose file does not exist: {g['file']}"
    return {**g, "severity": GITHUB_SEVERITY[word]}


def vscode_marker(matcher: dict[str, Any], line: str, workspace: Path) -> dict[str, Any] | None:
    g = groups(matcher["pattern"], line)
    if g is None:
        return None
    value = g.get("severity") or ""
    severity = VSCODE_SEVERITY.get(value.lower()) or VSCODE_EXTRA.get(value.lower())
    if severity is None:
        severity = VSCODE_SEVERITY.get(matcher.get("severity", "").lower(), "Error")
    kind, base = matcher["fileLocation"]
    assert kind in ("relative", "autoDetect") and base == "${workspaceFolder}"
    assert (workspace / g["file"]).is_file()
    return {**g, "severity": severity}


@pytest.fixture
def run(tmp_path: Path) -> tuple[Path, list[str], list[dict[str, Any]]]:
    repo = bad_repo(tmp_path)
    proc = run_cli([], repo)
    assert proc.returncode == 1, proc.stderr
    return repo, proc.stdout.splitlines(), json_findings(repo)


def expected(findings: list[dict[str, Any]], severity: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "file": f["path"],
            "line": str(f["line"]),
            "column": str(f["column"]),
            "severity": severity[f["severity"]],
            "code": f["code"],
            "message": f["message"],
        }
        for f in findings
    ]


def test_github_matcher_reads_every_finding(run: tuple[Path, list[str], list[dict[str, Any]]]) -> None:
    repo, lines, findings = run
    pattern = github_pattern()
    issues = [i for i in (github_issue(pattern, line, repo) for line in lines) if i]
    assert issues == expected(findings, {"error": "error", "warning": "warning", "note": "notice"})
    assert {i["severity"] for i in issues} == {"error", "warning", "notice"}


def test_vscode_matcher_reads_every_finding(run: tuple[Path, list[str], list[dict[str, Any]]]) -> None:
    repo, lines, findings = run
    matcher = vscode_matcher()
    markers = [m for m in (vscode_marker(matcher, line, repo) for line in lines) if m]
    assert markers == expected(findings, {"error": "Error", "warning": "Warning", "note": "Info"})


def test_summary_and_notice_lines_are_not_problems() -> None:
    pattern = github_pattern()
    for line in (
        "Found 1 error, 1 warning, 1 notice in 1 file.",
        "note: existence checks skipped: no catalog snapshot or URL given",
        "All clear: 3 files checked, no findings.",
    ):
        assert groups(pattern, line) is None
        assert groups(vscode_matcher()["pattern"], line) is None


def test_both_matchers_agree_on_the_regex() -> None:
    assert github_pattern()["regexp"] == vscode_matcher()["pattern"]["regexp"]


def test_windows_paths_keep_their_drive_letter() -> None:
    g = groups(github_pattern(), r"C:\repo\catalog-info.yaml:4:9: error [CAT005] bad name")
    assert g is not None and g["file"] == r"C:\repo\catalog-info.yaml" and g["line"] == "4"
