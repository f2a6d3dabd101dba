"""A small service repository with findings of every severity, for the output-format and integration tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.expectations import make_repo

# Line 5 puts non-ASCII (one astral) characters before the finding, to pin down the column kind.
BAD_CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations: {mood: "😀 café", pci: yes}
spec:
  <<: {type: service}
  lifecycle: production
  owner: group:default/team-payments
  owner: group:default/sre
  system: commerce
"""

GOOD_CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  labels:
    pci: "yes"
spec:
  type: service
  lifecycle: production
  owner: group:default/team-payments
  system: commerce
"""

# Only the YAML rules, so the findings stay put as rule families grow; YML003 is a warning by
# default, and as a note it gives the run a finding of every severity.
CONFIG = "select: [YML]\nseverity:\n  merge-key: note\n"


def bad_repo(root: Path) -> Path:
    return make_repo(root, {"svc/catalog-info.yaml": BAD_CATALOG, ".portal-lint.yaml": CONFIG})


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """portal-lint as a user runs it: a new process, its stdout and exit code."""
    return subprocess.run(
        [sys.executable, "-m", "portal_lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=False,
    )


def json_findings(cwd: Path, *args: str) -> list[dict[str, Any]]:
    proc = run_cli(["--format", "json", *args], cwd)
    findings: list[dict[str, Any]] = json.loads(proc.stdout)["findings"]
    return findings
