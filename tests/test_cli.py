"""The command line as a user meets it: what it prints, what it exits with, and how flags,
config files and inline suppressions change that."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from portal_lint.cli import main
from portal_lint.registry import load_metadata
from tests.conftest import enter_repo

SERVICE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  description: Takes card payments
spec:
  type: service
  lifecycle: production
  owner: group:default/team-payments
  system: commerce
"""
# One error (CAT005, line 4) and one warning (CAT017, line 6).
BROKEN = SERVICE.replace("name: payments", "name: payments api").replace(
    "  description: Takes card payments\n",
    "  description: Takes card payments\n  annotations:\n    backstage.io/orphan: 'true'\n",
)
LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?:error|warning|notice) \[(?P<code>\w+)\] .+$"
)
CLEAN = "All clear: 1 file checked, no findings."


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return enter_repo(tmp_path, BROKEN, monkeypatch)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def findings(out: str) -> list[tuple[str, int, str]]:
    return [(m["path"], int(m["line"]), m["code"]) for m in map(LINE.match, out.splitlines()) if m]


def test_text_lines_summary_and_exit_1(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([], capsys)
    assert code == 1
    assert findings(out) == [("catalog-info.yaml", 4, "CAT005"), ("catalog-info.yaml", 7, "CAT017")]
    assert 'catalog-info.yaml:4:9: error [CAT005] `metadata.name` "payments api"' in out
    assert "catalog-info.yaml:7:5: warning [CAT017]" in out
    assert out.rstrip().splitlines()[-1] == "Found 1 error, 1 warning, 0 notices in 1 file."
    assert "\033[" not in out  # no colour when stdout is not a terminal


def test_a_clean_repository_exits_0(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "catalog-info.yaml").write_text(SERVICE, encoding="utf-8")
    code, out, _ = run([], capsys)
    assert code == 0
    assert out.splitlines()[-1] == CLEAN


def test_a_run_that_could_not_check_everything_is_never_all_clear(
    repo: Path, capsys: pytest.CaptureFixture[str], closed_port: int
) -> None:
    (repo / "catalog-info.yaml").write_text(SERVICE, encoding="utf-8")
    url = f"http://127.0.0.1:{closed_port}"
    code, out, err = run(["--catalog-url", url, "--require-catalog"], capsys)
    assert code == 2 and "could not be reached" in err
    assert "All clear" not in out
    assert out.splitlines()[-1] == (
        "No findings in 1 file, but not all clear: the run failed, "
        "as --require-catalog asks when the catalog cannot answer."
    )
    code, out, _ = run(["--catalog-url", url], capsys)
    assert code == 0 and out.splitlines()[-1].endswith("the live-catalog checks did not run (warning above).")


def test_usage_errors_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--format", "xml"])
    assert exc.value.code == 2
    code, _, err = run(["--select", "CAT999"], capsys)
    assert code == 2 and "unknown rule `CAT999`" in err


def test_explicit_files_are_the_only_ones_linted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The pre-commit form: `portal-lint FILE...` lints those files, whatever their name."""
    (repo / "services").mkdir()
    (repo / "services" / "catalog-info.yml").write_text(
        BROKEN.replace("payments", "ledger"), encoding="utf-8"
    )
    (repo / "entities.yaml").write_text(BROKEN.replace("payments", "refunds"), encoding="utf-8")
    code, out, _ = run(["entities.yaml"], capsys)
    assert code == 1 and {p for p, _, _ in findings(out)} == {"entities.yaml"}
    code, out, _ = run([], capsys)  # the repository: catalog-info.yaml and .yml, and entities.yaml,
    # which declares a Backstage kind although nothing reads it
    assert {p for p, _, _ in findings(out)} == {
        "catalog-info.yaml",
        "services/catalog-info.yml",
        "entities.yaml",
    }
    assert ("entities.yaml", 1, "CAT026") in findings(out)


def test_select_and_ignore_take_codes_names_and_families(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [c for *_, c in findings(run(["--select", "CAT005"], capsys)[1])] == ["CAT005"]
    assert [c for *_, c in findings(run(["--select", "annotation-reserved"], capsys)[1])] == ["CAT017"]
    assert [c for *_, c in findings(run(["--ignore", "name-invalid"], capsys)[1])] == ["CAT017"]
    assert findings(run(["--ignore", "CAT"], capsys)[1]) == []
    assert findings(run(["--select", "YML,STD"], capsys)[1]) == []


def test_fail_on_sets_the_severity_that_fails(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--ignore", "CAT005"], capsys)[0] == 0  # a warning alone passes by default
    assert run(["--ignore", "CAT005", "--fail-on", "warning"], capsys)[0] == 1
    assert run(["--ignore", "CAT005", "--fail-on", "note"], capsys)[0] == 1
    (repo / ".portal-lint.yaml").write_text("fail-on: warning\n", encoding="utf-8")
    assert run(["--ignore", "CAT005"], capsys)[0] == 1


def test_output_writes_the_report_to_a_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--format", "json", "--output", "report.json"], capsys)
    assert code == 1 and out == ""
    doc = json.loads((repo / "report.json").read_text(encoding="utf-8"))
    assert [(f["code"], f["line"], f["column"]) for f in doc["findings"]] == [
        ("CAT005", 4, 9),
        ("CAT017", 7, 5),
    ]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".portal-lint.yaml", "ignore: [name-invalid]\nseverity:\n  CAT017: error\n"),
        ("pyproject.toml", '[tool.portal-lint]\nignore = ["name-invalid"]\nseverity = {CAT017 = "error"}\n'),
    ],
)
def test_config_files_change_the_run(
    repo: Path, capsys: pytest.CaptureFixture[str], name: str, text: str
) -> None:
    (repo / name).write_text(text, encoding="utf-8")
    code, out, _ = run([], capsys)
    assert code == 1
    assert "catalog-info.yaml:7:5: error [CAT017]" in out and "CAT005" not in out


def test_config_flag_names_the_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "ci.yaml").write_text("select: [CAT017]\n", encoding="utf-8")
    assert [c for *_, c in findings(run(["--config", "ci.yaml"], capsys)[1])] == ["CAT017"]
    code, _, err = run(["--config", "missing.yaml"], capsys)
    assert code == 2 and "config file not found" in err


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("fail_on: warning\n", ".portal-lint.yaml:1: unknown key `fail_on` (did you mean `fail-on`?)"),
        (
            "exclude: []\nfail-on: sometimes\n",
            ".portal-lint.yaml:2: `fail-on` must be one of error, warning, notice",
        ),
        ("severty: {CAT005: error}\n", "unknown key `severty` (did you mean `severity`?)"),
        ("ignore: [name-invalidd]\n", "unknown rule `name-invalidd` (did you mean `name-invalid`?)"),
        ("fail-on: warnign\n", "(did you mean `warning`?)"),
        ("rules:\n  CAT005:\n    max-lenght: 9\n", "no option `max-lenght` (did you mean `max-length`?)"),
        ("ignore: [CAT999]\n", "`ignore` names an unknown rule `CAT999`"),
        ("rules:\n  name-invalid:\n    max-len: 120\n", ":3: CAT005 (name-invalid) has no option `max-len`"),
        ("rules:\n  name-invalid:\n    max-length: long\n", "option `max-length` of CAT005 must be a int"),
        ("- select\n", ":1: the config must be a mapping of keys"),
    ],
)
def test_a_bad_config_is_a_clear_error_naming_the_key(
    repo: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    (repo / ".portal-lint.yaml").write_text(text, encoding="utf-8")
    code, out, err = run([], capsys)
    assert code == 2 and out == ""
    assert said in err and "Traceback" not in err


def test_every_config_problem_is_reported_at_once(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".portal-lint.yaml").write_text(
        "selct: [CAT]\nfail-on: sometimes\nseverity: {CAT005: loud, CAT999: error}\n", encoding="utf-8"
    )
    code, out, err = run([], capsys)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == "portal-lint: 4 config problems:"
    lines_named = [line.split(".portal-lint.yaml")[1].split(" ")[0] for line in lines[1:]]
    assert lines_named == [":1:", ":2:", ":3:", ":3:"]
    assert "(did you mean `select`?)" in lines[1]


@pytest.mark.parametrize("word", ["notice", "note"])
def test_both_severity_words_are_accepted(repo: Path, capsys: pytest.CaptureFixture[str], word: str) -> None:
    """Text output says `notice`, SARIF `note`: a user may write either."""
    (repo / ".portal-lint.yaml").write_text(f"severity: {{CAT017: {word}}}\n", encoding="utf-8")
    only_cat017 = BROKEN.replace("name: payments api", "name: payments")
    (repo / "catalog-info.yaml").write_text(only_cat017, encoding="utf-8")
    code, out, _ = run(["--fail-on", word], capsys)
    assert code == 1 and "notice [CAT017]" in out
    config = f"severity: {{CAT017: {word}}}\nfail-on: {word}\n"
    (repo / ".portal-lint.yaml").write_text(config, encoding="utf-8")
    assert run([], capsys)[0] == 1
    (repo / ".portal-lint.yaml").write_text(f"severity: {{CAT017: {word}}}\n", encoding="utf-8")
    assert run([], capsys)[0] == 0


def test_inline_suppressions(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = BROKEN.replace("name: payments api", "name: payments api   # portal-lint: disable=CAT005")
    text = text.replace(
        "  annotations:\n", "  annotations:\n    # portal-lint: disable=annotation-reserved\n"
    )
    (repo / "catalog-info.yaml").write_text(text, encoding="utf-8")
    code, out, _ = run([], capsys)
    assert code == 0 and out.splitlines()[-1] == CLEAN
    (repo / "catalog-info.yaml").write_text(
        "# portal-lint: disable-file=CAT005,CAT017\n" + BROKEN, encoding="utf-8"
    )
    assert run([], capsys)[0] == 0
    (repo / "catalog-info.yaml").write_text("# portal-lint: disable-file=CAT500\n" + BROKEN, encoding="utf-8")
    assert findings(run([], capsys)[1]) == [
        ("catalog-info.yaml", 1, "POL003"),
        ("catalog-info.yaml", 5, "CAT005"),
        ("catalog-info.yaml", 8, "CAT017"),
    ]


def test_suppressions_cover_lines_as_ruff_and_yamllint_do(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A trailing directive covers its own line only; one alone on a line, or
    `disable-next-line`, covers the line below."""
    labels = (
        "  labels:\n"
        "    pci: yes   # portal-lint: disable=YML005\n"  # 7: suppressed
        "    sox: on\n"  # 8: still reported: the directive above is trailing
        "    # portal-lint: disable=YML005\n"
        "    gdpr: no\n"  # 10: suppressed by the line above
        "    # portal-lint: disable-next-line=yaml11-ambiguity\n"
        "    hipaa: off\n"  # 12: suppressed
        "    iso: y\n"  # 13: reported
    )
    text = SERVICE.replace(
        "  description: Takes card payments\n", "  description: Takes card payments\n" + labels
    )
    (repo / "catalog-info.yaml").write_text(text, encoding="utf-8")
    assert [(line, code) for _, line, code in findings(run([], capsys)[1])] == [(8, "YML005"), (13, "YML005")]


def test_rule_lists_every_rule_and_documents_one(capsys: pytest.CaptureFixture[str]) -> None:
    metas = load_metadata()
    code, out, _ = run(["rule"], capsys)
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == list(metas)
    fixable = {line.split()[0] for line in out.splitlines() if line.split()[3] == "fix"}
    assert fixable == {c for c, m in metas.items() if m.fixable} and "CAT014" in fixable
    code, out, _ = run(["rule", "CAT005"], capsys)
    meta = metas["CAT005"]
    assert code == 0
    for part in (meta.name, meta.summary, "payments api", "name: payments", "isValidObjectName"):
        assert part in out
    assert run(["rule", "name-invalid"], capsys)[1] == out
    assert re.search(r"^Implemented in portal_lint/checks/cat_metadata\.py:\d+ \(name_invalid\)$", out, re.M)
    assert "Fixtures: fixtures/rules/CAT005/ (" in out
    code, _, err = run(["rule", "CAT999"], capsys)
    assert code == 2 and "no rule `CAT999`" in err


def test_naming_a_policy_rule_with_select_runs_it(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The template standard is not enforced by default; `--select STD009` asks for it anyway."""
    (repo / "catalog-info.yaml").write_text(SERVICE, encoding="utf-8")
    assert run([], capsys)[0] == 0
    assert run(["--select", "STD"], capsys)[0] == 0  # a family does not switch a policy rule on
    code, out, _ = run(["--select", "STD009", "--fail-on", "warning"], capsys)
    assert code == 1 and findings(out) == [("catalog-info.yaml", 3, "STD009")]


def test_a_named_folder_is_a_repository_unless_root_says_otherwise(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`portal-lint fixtures/example-service` lints that folder as a repository of its own;
    `--root .` makes it part of the repository around it (duplicates across it are found)."""
    (repo / "catalog-info.yaml").write_text(SERVICE, encoding="utf-8")
    (repo / "services" / "ledger").mkdir(parents=True)
    (repo / "services" / "ledger" / "catalog-info.yaml").write_text(SERVICE, encoding="utf-8")
    code, out, _ = run(["services/ledger"], capsys)
    assert code == 0 and findings(out) == []
    code, out, _ = run(["--root", ".", "services"], capsys)  # a duplicate is a warning: the catalog keeps one
    assert code == 0 and findings(out) == [("services/ledger/catalog-info.yaml", 4, "CAT016")]


def test_an_excluded_file_is_invisible_to_the_whole_run(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "catalog-info.yaml").write_text(SERVICE, encoding="utf-8")
    (repo / "legacy").mkdir()
    (repo / "legacy" / "catalog-info.yaml").write_text(SERVICE, encoding="utf-8")  # the same entity
    assert findings(run([], capsys)[1]) == [("legacy/catalog-info.yaml", 4, "CAT016")]
    (repo / ".portal-lint.yaml").write_text('exclude: ["legacy/**"]\n', encoding="utf-8")
    code, out, _ = run([], capsys)
    assert (code, findings(out)) == (0, [])  # not linted, and no duplicate of it either


def test_a_named_api_definition_in_a_services_api_folder_is_not_read_as_a_catalog_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    svc = repo / "services" / "orders"
    (svc / "api").mkdir(parents=True)
    (svc / "api" / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: Orders, version: '1'}\npaths: {}\n"
    )
    (svc / "catalog-info.yaml").write_text(SERVICE.replace("payments", "orders"), encoding="utf-8")
    got = [f for f in findings(run(["services/orders/api/openapi.yaml"], capsys)[1]) if "/api/" in f[0]]
    # no entity envelope expected of it (CAT/YML), but no API entity defines it
    assert got == [("services/orders/api/openapi.yaml", 1, "STD005")]
