"""Mistakes a user makes on the command line end as one line on stderr and exit 2: a misspelt
option or command, an output file that cannot be written, a config file that does not parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_lint.cli import main
from tests.conftest import enter_repo
from tests.integration_repo import GOOD_CATALOG


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return enter_repo(tmp_path, GOOD_CATALOG, monkeypatch)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stderr, whether the command returns or exits."""
    try:
        code = main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "usage:" not in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--formt", "json"], "unrecognized arguments: --formt (did you mean --format?)"),
        (["--no-colour"], "(did you mean --no-color?)"),
        (["--fail-on", "info"], "invalid choice: 'info'"),
        (["--diff"], "use --fix --diff"),
        (["rule", "--all"], "portal-lint rule: error: unrecognized arguments: --all"),
    ],
)
def test_usage_errors_are_one_line_with_a_hint(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code, err = run(args, capsys)
    assert code == 2 and says in one_line(err) and "--help" in err


def test_a_misspelt_command_is_named(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["rules", "CAT005"], capsys)
    assert code == 2 and "did you mean `portal-lint rule`?" in one_line(err)
    code, err = run(["catalog-info.yml"], capsys)  # a missing file is not taken for a command
    assert code == 2 and one_line(err) == "portal-lint: catalog-info.yml: no such file or directory\n"


@pytest.mark.parametrize("flag", ["--output", "--report"])
def test_an_output_file_that_cannot_be_written_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    (repo / "reports").mkdir()
    target = "json=reports" if flag == "--report" else "reports"
    code, err = run([flag, target], capsys)
    assert code == 2 and one_line(err).startswith("portal-lint: reports: ")


def test_schema_output_that_cannot_be_written(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "taken").write_text("a file, not a folder", encoding="utf-8")
    code, err = run(["schema", "--output", "taken/schema.json"], capsys)
    assert code == 2 and "taken" in one_line(err)


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        (".portal-lint.yaml", b"ignore: [YML005\nfail-on: warning\n", ".portal-lint.yaml:2: not valid YAML"),
        (".portal-lint.yaml", b"ignore: []\n# caf\xe9\n", ".portal-lint.yaml:2: not UTF-8 text"),
        (
            "pyproject.toml",
            b'[tool.portal-lint]\nignore = ["YML005"\nfail-on = "warning"\n',
            "pyproject.toml:3: not valid TOML",
        ),
    ],
)
def test_a_broken_config_names_its_line(
    repo: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes, says: str
) -> None:
    (repo / name).write_bytes(data)
    code, err = run([], capsys)
    assert code == 2 and says in one_line(err)


def test_a_policy_file_that_is_not_there_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the org's policy file its standards would silently not apply: a false all clear."""
    (repo / ".portal-lint.yaml").write_text("fail-on: warning\npolicy: platform/AGENTS.md\n", "utf-8")
    code, err = run([], capsys)
    assert code == 2 and ".portal-lint.yaml:2: `policy` names platform/AGENTS.md" in one_line(err)
    (repo / "platform").mkdir()
    (repo / "platform" / "AGENTS.md").write_text("# Platform\n", encoding="utf-8")
    assert run([], capsys)[0] == 0


def test_a_folder_named_like_a_command_does_not_hide_the_command(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "catalog").mkdir()  # Backstage repositories often keep entity files in catalog/
    (repo / "catalog" / "catalog-info.yaml").write_text(GOOD_CATALOG, encoding="utf-8")
    code, err = run(["catalog", "export"], capsys)  # the command: it asks for a catalog URL
    assert code == 2 and "catalog" in one_line(err) and "no such file" not in err
    assert main(["catalog", "--format", "json"]) == 0  # alone (or with options): the folder is linted
    assert '"files": 1' in capsys.readouterr().out
    code, err = run(["./catalog", "export"], capsys)  # written as a path: the folder, and a missing file
    assert code == 2 and one_line(err) == "portal-lint: export: no such file or directory\n"


def test_a_closed_pipe_ends_the_run_quietly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`portal-lint | head -1`: no `Broken pipe`, no traceback once the reader has gone."""
    import os
    import subprocess
    import sys

    enter_repo(tmp_path, "kind: Group\nmetadata:\n  labels:\n    pci: yes\n", monkeypatch)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader left before a byte was written
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "portal_lint"], cwd=tmp_path, stdout=write_end, capture_output=False,
            stderr=subprocess.PIPE, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == 1


def test_catalog_hook_help_is_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTAL_LINT_CATALOG_URL", raising=False)
    assert main(["catalog-hook", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: portal-lint catalog-hook") and "skipped (" not in out
    assert "PORTAL_LINT_CATALOG_URL" in out and "portal-lint --help" in out
