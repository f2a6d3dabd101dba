"""Hostile input through the real command line: a finding or a one-line error, never a
traceback or a hang, and the documented exit code (0 clean, 1 findings, 2 usage)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import hostile

HANG_GUARD_S = 5.0  # generous: the slowest case takes well under a second
CASES = {c.name: c for c in hostile.CASES}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    hostile.build(root)
    return root


def _command(case: hostile.Case) -> list[str]:
    cmd = [sys.executable, "-m", "portal_lint", case.target, "--format", "json"]
    if not case.drop_privileges or os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv (util-linux) is missing: root reads a chmod 000 file")
    # Root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH is refused a mode-000 file like anyone else.
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", "--", *cmd]


def _run(case: hostile.Case, corpus: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    proc = subprocess.run(
        _command(case),
        cwd=corpus / case.name,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S * 6,  # the subprocess must never outlive the test run
        env={**os.environ, "NO_COLOR": "1"},
    )
    return proc, time.monotonic() - start


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_gets_a_finding_or_a_clear_error(name: str, corpus: Path) -> None:
    case = CASES[name]
    proc, elapsed = _run(case, corpus)
    assert "Traceback" not in proc.stderr
    assert elapsed < HANG_GUARD_S, f"{name} took {elapsed:.1f} s"
    assert proc.returncode == case.exit_code, proc.stderr
    if case.exit_code == 2:
        assert proc.stdout == ""
        assert len(proc.stderr.splitlines()) == 1
        assert case.fragment in proc.stderr
        return
    assert proc.stderr == ""
    findings = json.loads(proc.stdout)["findings"]
    assert {f["code"] for f in findings} == case.codes, findings
    assert all(f["line"] >= 1 and f["column"] >= 1 for f in findings)
    assert all("\n" not in f["message"] for f in findings)
    if case.fragment:
        assert any(case.fragment in f["message"] for f in findings), findings
    if case.at is not None:
        assert [(f["line"], f["column"]) for f in findings] == [case.at]


def test_a_symlink_out_of_the_repository_is_not_read(corpus: Path) -> None:
    for name in (
        "symlink-out-of-repo",
        "symlink-out-scanned",
        "skill-symlink-out-of-repo",
        "agents-symlink-out-of-repo",
    ):
        proc, _ = _run(CASES[name], corpus)
        assert hostile.SECRET not in proc.stdout + proc.stderr


def test_the_whole_corpus_in_one_run(corpus: Path) -> None:
    """One scan over every case folder, as CI would run it on a monorepo of hostile files."""
    linted = [c.name for c in hostile.CASES if c.exit_code != 2 and not c.drop_privileges]
    proc = subprocess.run(
        [sys.executable, "-m", "portal_lint", *linted, "--format", "json"],
        cwd=corpus,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stderr == ""
    assert proc.returncode == 1
    found = {f["path"].split("/")[0] for f in json.loads(proc.stdout)["findings"]}
    assert found == {n for n in linted if not CASES[n].clean}
