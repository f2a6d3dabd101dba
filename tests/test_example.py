"""The README's first command lints fixtures/example-service; its findings are stated inline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.expectations import expectations, found, lint_repo

EXAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "example-service"


def test_example_repository_reports_exactly_what_it_states() -> None:
    assert sorted(found(lint_repo(EXAMPLE))) == sorted(expectations(EXAMPLE))


def test_cli_prints_problem_matcher_lines_and_a_summary() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "portal_lint", "fixtures/example-service", "--no-color"],
        cwd=EXAMPLE.parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = proc.stdout.splitlines()
    assert proc.stderr == ""
    assert lines[-1].startswith(("Found", "All clear"))
    for line in lines[:-1]:
        if line.startswith("note: "):
            continue
        path, lineno, col, rest = line.split(":", 3)
        assert path.startswith("fixtures/example-service/") and lineno.isdigit() and col.isdigit()
        assert rest.split()[0] in {"error", "warning", "notice"}
