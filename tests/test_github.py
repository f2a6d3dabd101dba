"""`--format github`: workflow commands the Actions runner turns into annotations.

Commands are read back the way the runner parses them (actions/runner ActionCommandManager:
`::name k=v,k=v::data`, properties split on `,` and the first `=`, then unescaped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portal_lint.diagnostic import Diagnostic, Result
from portal_lint.report import github
from tests.expectations import make_repo
from tests.integration_repo import bad_repo, json_findings, run_cli

_UNESCAPE = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))


def unescape(text: str, prop: bool) -> str:
    for code, char in _UNESCAPE:
        if prop or code not in ("%3A", "%2C"):
            text = text.replace(code, char)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str] | None:
    """(command, properties, message) as the runner reads a stdout line, or None for plain output."""
    if not line.startswith("::"):
        return None
    head, sep, data = line[2:].partition("::")
    assert sep, f"unterminated command: {line!r}"
    name, _, params = head.partition(" ")
    props = {}
    for pair in filter(None, params.split(",")):
        key, _, value = pair.partition("=")
        props[key] = unescape(value, prop=True)
    return name, props, unescape(data, prop=False)


def github_lines(cwd: Path, *args: str) -> list[str]:
    proc = run_cli(["--format", "github", *args], cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout.splitlines()


def test_every_finding_becomes_an_annotation_at_its_place(tmp_path: Path) -> None:
    repo = bad_repo(tmp_path)
    lines = github_lines(repo)
    commands = [c for c in map(parse, lines) if c]
    word = {"error": "error", "warning": "warning", "note": "notice"}
    want = {
        (
            word[f["severity"]],
            f["path"],
            str(f["line"]),
            str(f["column"]),
            str(f["end_line"]),
            str(f["end_column"]),
            f"{f['code']} {f['name']}",
            f["message"],
        )
        for f in json_findings(repo)
    }
    got = {
        (n, p["file"], p["line"], p["col"], p["endLine"], p["endColumn"], p["title"], m)
        for n, p, m in commands
    }
    assert got == want
    assert {c[0] for c in commands} == {"error", "warning", "notice"}
    assert parse(lines[-1]) is None, "the summary is plain text, not one more annotation"
    assert lines[-1] == "portal-lint: 1 error, 1 warning, 1 notice in 1 file."


def test_file_is_repository_relative_when_run_from_a_subfolder(tmp_path: Path) -> None:
    repo = bad_repo(tmp_path)
    commands = [c for c in map(parse, github_lines(repo / "svc", "catalog-info.yaml")) if c]
    assert {p["file"] for _, p, _ in commands} == {"svc/catalog-info.yaml"}


def diag(**kw: Any) -> Diagnostic:
    base: dict[str, Any] = {
        "code": "YML002",
        "name": "duplicate-key",
        "severity": "error",
        "message": "m",
        "path": "a.yaml",
        "line": 3,
        "column": 2,
        "end_line": 3,
        "end_column": 4,
        "repo_path": "a.yaml",
    }
    return Diagnostic(**(base | kw))


def test_special_characters_are_escaped_and_survive_the_round_trip() -> None:
    message = "100% broken:\r\nkey `a,b`: see line 2"
    path = "svc/odd,name:v2/catalog-info.yaml"
    out = github.render(Result([diag(message=message, path=path, repo_path=path)], files=1))
    first = out.splitlines()[0]
    assert first.startswith("::error file=svc/odd%2Cname%3Av2/catalog-info.yaml,")
    assert "%25 broken:%0D%0Akey `a,b`: see line 2" in first
    assert parse(first) == (
        "error",
        {
            "file": path,
            "line": "3",
            "endLine": "3",
            "col": "2",
            "endColumn": "4",
            "title": "YML002 duplicate-key",
        },
        message,
    )


def test_multi_line_regions_carry_no_columns_which_the_runner_would_drop() -> None:
    out = github.render(Result([diag(end_line=5, end_column=3)], files=1))
    _, props, _ = parse(out.splitlines()[0]) or ("", {}, "")
    assert props == {"file": "a.yaml", "line": "3", "endLine": "5", "title": "YML002 duplicate-key"}


@pytest.mark.parametrize(("end_line", "end_line_shown"), [(5, "4"), (4, "3")])
def test_a_region_ending_at_column_1_ends_on_the_line_before(end_line: int, end_line_shown: str) -> None:
    """The end column is exclusive: a block list on lines 3-4 of a 4-line file ends at 5:1, and
    `endLine=5` would mark a line the finding is not about (here past the end of the file)."""
    out = github.render(Result([diag(end_line=end_line, end_column=1)], files=1))
    _, props, _ = parse(out.splitlines()[0]) or ("", {}, "")
    assert props == {
        "file": "a.yaml",
        "line": "3",
        "endLine": end_line_shown,
        "title": "YML002 duplicate-key",
    }


def test_run_notices_are_notice_commands() -> None:
    out = github.render(Result([], files=0, notices=["existence checks skipped: no catalog"]))
    assert parse(out.splitlines()[0]) == (
        "notice",
        {"title": "portal-lint"},
        "existence checks skipped: no catalog",
    )


def crowded_catalog(warnings: int) -> str:
    """A catalog file with `warnings` warnings (a `yes` label each) and nothing else."""
    labels = "".join(f"    flag{i}: yes\n" for i in range(warnings))
    spec = (
        "spec:\n  type: service\n  lifecycle: production\n  owner: group:default/team-a\n  system: commerce\n"
    )
    return (
        f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n  labels:\n{labels}{spec}"
    )


def test_summary_says_what_github_did_not_annotate(tmp_path: Path) -> None:
    lines = github_lines(make_repo(tmp_path, {"catalog-info.yaml": crowded_catalog(12)}))
    assert sum(line.startswith("::warning ") for line in lines) == 12, "every finding is still printed"
    summary = lines[-1]
    assert summary.startswith("portal-lint: 0 errors, 12 warnings, 0 notices in 1 file.")
    assert "so 2 warnings appear only in this log" in summary
    assert "upload-sarif" in summary and "`--report sarif=FILE`" in summary


def test_summary_names_the_sarif_file_the_run_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    result = Result([diag(line=i, end_line=i) for i in range(1, 12)], files=1)
    monkeypatch.setenv(github.SARIF_FILE_ENV, "reports/portal-lint.sarif")
    summary = github.render(result).splitlines()[-1]
    assert (
        "upload the SARIF report `reports/portal-lint.sarif` with github/codeql-action/upload-sarif"
        in summary
    )
    assert "--report" not in summary
    monkeypatch.setenv(github.SARIF_FILE_ENV, "")  # the action's `sarif-file: ""`: no report is written
    assert "`--report sarif=FILE`" in github.render(result).splitlines()[-1]


def test_a_clean_run_prints_only_the_summary(tmp_path: Path) -> None:
    assert github_lines(make_repo(tmp_path, {})) == [
        "portal-lint: 0 errors, 0 warnings, 0 notices in 0 files."
    ]


def test_run_notices_are_annotated_first_and_use_up_the_quota() -> None:
    notes = [diag(severity="note", line=i, end_line=i) for i in range(1, 11)]
    result = Result(notes, files=1, notices=["existence checks skipped: no catalog"])
    lines = github.render(result).splitlines()
    assert parse(lines[0]) == ("notice", {"title": "portal-lint"}, "existence checks skipped: no catalog")
    # The 10th note finding is the step's 11th notice.
    assert ", so 1 notice appears only in this log;" in lines[-1]


def test_a_notice_alone_past_the_quota_hides_no_finding() -> None:
    result = Result([], files=0, notices=[f"n{i}" for i in range(12)])
    assert (
        github.render(result).splitlines()[-1] == "portal-lint: 0 errors, 0 warnings, 0 notices in 0 files."
    )
