"""The composite GitHub Action, run the way the runner runs it.

Each `run:` step is executed with `bash --noprofile --norc -eo pipefail` (the runner's `shell:
bash`), with the step's `env:` after `${{ inputs.* }}` substitution and the variables the runner
sets (GITHUB_ACTION_PATH, GITHUB_WORKSPACE, GITHUB_OUTPUT, RUNNER_TEMP). The install step really
installs this checkout into a fresh virtualenv, once per session.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.expectations import make_repo
from tests.integration_repo import GOOD_CATALOG, bad_repo
from tests.test_github import crowded_catalog, parse
from tests.test_sarif import assert_github_accepts, schema_errors

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
_INPUT = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")
_EXPR = re.compile(r"\$\{\{.*?\}\}")


def test_metadata_is_a_valid_composite_action() -> None:
    assert ACTION["name"] and ACTION["description"]
    assert ACTION["runs"]["using"] == "composite"
    for spec in ACTION["inputs"].values():
        assert spec["description"] and isinstance(spec.get("default", ""), str)
    step_ids = {s.get("id") for s in STEPS}
    for name, spec in ACTION["outputs"].items():
        m = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", spec["value"])
        assert m and m.group(1) in step_ids, name
        assert spec["description"]
    for step in STEPS:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach scripts through env only, so a crafted input cannot inject shell code.
            assert not _EXPR.search(step["run"]), step["name"]
            for value in (step.get("env") or {}).values():
                assert not _EXPR.search(_INPUT.sub("", str(value))), "only inputs are passed in"


def test_inputs_and_outputs_are_documented() -> None:
    docs = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    for kind in ("inputs", "outputs"):
        for name in ACTION[kind]:
            row = rf"^\| `{re.escape(name)}` \|"
            assert re.search(row, docs, re.M), f"{kind}.{name} is not in docs/integrations.md"
    assert "security-events: write" in docs


def step_env(step: dict[str, Any], inputs: dict[str, str]) -> dict[str, str]:
    values = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()} | inputs
    assert set(inputs) <= set(values), "unknown input"
    out = {}
    for key, value in (step.get("env") or {}).items():
        text = _INPUT.sub(lambda m: values[m.group(1)], str(value))
        assert "${{" not in text, f"unsupported expression in env {key}"
        out[key] = text
    return out


def run_step(
    step: dict[str, Any], inputs: dict[str, str], runner: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_LINT_", "GITHUB_", "RUNNER_"))}
    env |= runner | step_env(step, inputs)
    script = cwd.parent / f"step-{step.get('id', 'x')}.sh"
    script.write_text(step["run"], encoding="utf-8")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip


@pytest.fixture(scope="session")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RUNNER_TEMP after the install step, shared by the tests (installing takes a while)."""
    temp = tmp_path_factory.mktemp("runner-temp")
    (install,) = [s for s in STEPS if s.get("id") != "lint"]
    runner = {"RUNNER_TEMP": str(temp), "GITHUB_ACTION_PATH": str(ROOT)}
    proc = run_step(install, {}, runner, tmp_path_factory.mktemp("workspace"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return temp


def run_action(runner_temp: Path, workspace: Path, inputs: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    (lint,) = [s for s in STEPS if s.get("id") == "lint"]
    outputs = workspace.parent / "github_output"
    outputs.write_text("", encoding="utf-8")
    runner = {
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_ACTIONS": "true",
    }
    proc = run_step(lint, inputs, runner, workspace)
    pairs = [line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines()]
    return proc.returncode, proc.stdout, dict(pairs)


def test_default_run_annotates_writes_sarif_and_sets_outputs(runner_temp: Path, tmp_path: Path) -> None:
    workspace = bad_repo(tmp_path / "ws")
    code, stdout, outputs = run_action(runner_temp, workspace, {})
    assert code == 1, stdout
    assert outputs == {
        "errors": "1",
        "warnings": "1",
        "notes": "1",
        "sarif-file": "portal-lint.sarif",
        "exit-code": "1",
    }
    kinds = {c[0] for c in map(parse, stdout.splitlines()) if c}
    assert kinds == {"error", "warning", "notice"}
    log = json.loads((workspace / "portal-lint.sarif").read_text(encoding="utf-8"))
    assert schema_errors(log) == []
    assert_github_accepts(log, workspace)
    assert len(log["runs"][0]["results"]) == 3


def test_inputs_change_paths_threshold_format_and_sarif(runner_temp: Path, tmp_path: Path) -> None:
    workspace = bad_repo(tmp_path / "ws")
    (workspace / "other" / "catalog-info.yaml").parent.mkdir()
    (workspace / "other" / "catalog-info.yaml").write_text("kind: [\n", encoding="utf-8")
    inputs = {"paths": "svc/catalog-info.yaml\n", "annotate": "false", "sarif-file": "", "fail-on": "warning"}
    code, stdout, outputs = run_action(runner_temp, workspace, inputs)
    assert code == 1
    assert outputs == {"errors": "1", "warnings": "1", "notes": "1", "exit-code": "1"}
    assert "svc/catalog-info.yaml:10:3: error [YML002]" in stdout and "::" not in stdout
    assert "other/" not in stdout, "only the given paths are linted"
    assert not (workspace / "portal-lint.sarif").exists()


def test_a_clean_repository_passes(runner_temp: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / ".git").mkdir(parents=True)
    code, stdout, outputs = run_action(runner_temp, workspace, {"paths": "."})
    assert code == 0, stdout
    assert outputs["errors"] == outputs["warnings"] == outputs["notes"] == "0"
    assert outputs["exit-code"] == "0"


def test_the_summary_names_the_sarif_file_to_upload(runner_temp: Path, tmp_path: Path) -> None:
    workspace = make_repo(tmp_path / "ws", {"catalog-info.yaml": crowded_catalog(11)})
    (workspace / "reports").mkdir()
    code, stdout, outputs = run_action(runner_temp, workspace, {"sarif-file": "reports/lint.sarif"})
    summary = stdout.splitlines()[-1]
    assert code == 0 and "1 warning appears only in this log" in summary
    assert "upload the SARIF report `reports/lint.sarif` with github/codeql-action/upload-sarif" in summary
    assert outputs["sarif-file"] == "reports/lint.sarif"


LIV001_FIXTURE = ROOT / "fixtures" / "rules" / "LIV001" / "taken-by-another-repository"
OURS = "url:https://github.com/acme/payments/blob/main/catalog-info.yaml"
THEIRS = "url:https://github.com/acme/legacy-payments/blob/main/catalog-info.yaml"


def test_snapshot_and_location_inputs_reach_the_catalog_checks(runner_temp: Path, tmp_path: Path) -> None:
    # `payments` is in the snapshot, registered from THEIRS; the workspace has no git remote.
    workspace = tmp_path / "ws"
    shutil.copytree(LIV001_FIXTURE, workspace)
    (workspace / ".portal-lint.yaml").write_text("select: [LIV, REF]\n", encoding="utf-8")
    (workspace / ".git").mkdir()
    base = {"annotate": "false", "sarif-file": ""}

    def run(**inputs: str) -> tuple[int, str]:
        code, stdout, _ = run_action(runner_temp, workspace, base | inputs)
        return code, stdout

    code, stdout = run()
    assert code == 0 and "existence checks skipped" in stdout
    code, stdout = run(snapshot="catalog-snapshot.json")
    assert code == 0 and "name-taken checks skipped" in stdout and "days old" in stdout
    code, stdout = run(snapshot="catalog-snapshot.json", location=OURS)
    assert code == 1 and "catalog-info.yaml:5:9: error [LIV001]" in stdout and f"(`{OURS}`)" in stdout
    code, stdout = run(snapshot="catalog-snapshot.json", location=THEIRS)
    assert code == 0 and "[LIV001]" not in stdout and "name-taken checks skipped" not in stdout


def test_require_catalog_fails_the_step_when_the_catalog_is_down(
    runner_temp: Path, tmp_path: Path, closed_port: int
) -> None:
    files = {"catalog-info.yaml": GOOD_CATALOG, ".portal-lint.yaml": "select: [REF]\n"}
    workspace = make_repo(tmp_path / "ws", files)
    inputs = {"catalog-url": f"http://127.0.0.1:{closed_port}", "token": "s3cr3t-token-value"}
    code, stdout, outputs = run_action(runner_temp, workspace, inputs)
    assert (code, outputs["exit-code"]) == (0, "0"), stdout  # a warning: the offline checks still ran
    code, stdout, outputs = run_action(runner_temp, workspace, inputs | {"require-catalog": "true"})
    assert (code, outputs["exit-code"]) == (2, "2"), stdout
    assert "could not be reached" in stdout and "s3cr3t-token-value" not in stdout


def test_the_example_workflow_uses_the_actions_inputs_and_uploads_its_sarif() -> None:
    text = (ROOT / "examples" / "github" / "portal-lint.yml").read_text(encoding="utf-8")
    (job,) = yaml.safe_load(text)["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    (lint,) = [s for s in steps if s.get("uses", "").startswith("portal-lint/portal-lint@")]
    assert set(lint["with"]) <= set(ACTION["inputs"])
    # The commented-out inputs are real ones too, ready to uncomment.
    commented = re.findall(r"^\s+# ([a-z-]+): ", text, re.M)
    assert commented and set(commented) <= set(ACTION["inputs"])
    sarif = lint["with"].get("sarif-file", ACTION["inputs"]["sarif-file"]["default"])
    (upload,) = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert steps.index(upload) > steps.index(lint)
    assert upload["with"]["sarif_file"] == sarif
    # The lint step fails on findings; the upload must still run, or the alerts go stale.
    assert "!cancelled()" in upload["if"] or "always()" in upload["if"]
