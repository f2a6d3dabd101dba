"""Adoption without surprise: until a repository (or its org policy) declares standards, the
built-in ones are warnings that say how to adopt them, while Backstage-level rules stay errors;
`portal-lint init` adopts them in one command, after which they are the team's own errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from portal_lint.config import Config
from portal_lint.policy import load_policy
from tests.expectations import lint_repo, make_repo

# What Backstage accepts but the built-in standards do not: a lifecycle outside the list, no
# spec.system, a definition read from a URL. And one thing Backstage rejects: no owner (CAT012).
NOT_ADOPTED = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: decommissioned
  owner: group:default/team-payments
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
spec:
  type: openapi
  lifecycle: production
  owner: group:default/team-payments
  system: commerce
  definition:
    $text: https://example.com/openapi.yaml
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: payments-db
spec:
  type: database
  system: commerce
"""


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal_lint", *args], cwd=root, capture_output=True, text=True, check=False
    )


def _levels(root: Path) -> dict[str, str]:
    return {d.code: d.severity for d in lint_repo(root).diagnostics}


def test_built_in_standards_are_warnings_that_say_how_to_adopt_them(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"catalog-info.yaml": NOT_ADOPTED})
    result = lint_repo(root)
    levels = {d.code: d.severity for d in result.diagnostics}
    assert levels == {"STD003": "warning", "STD004": "warning", "STD006": "warning", "CAT012": "error"}
    for d in result.diagnostics:
        if d.code.startswith("STD"):
            assert "`portal-lint init`" in d.message and d.standard is not None
    assert _cli(root).returncode == 1  # the missing owner is still Backstage's error
    fixed = NOT_ADOPTED.rsplit("---", 1)[0]
    (root / "catalog-info.yaml").write_text(fixed, encoding="utf-8")
    assert _cli(root).returncode == 0  # warnings alone do not fail a repository that never adopted


def test_config_keeps_a_severity_it_sets_for_a_built_in_standard(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"catalog-info.yaml": NOT_ADOPTED})
    cfg = Config({"severity": {"lifecycle-allowed": "error"}}, ".portal-lint.yaml")
    levels = {d.code: d.severity for d in lint_repo(root, cfg=cfg).diagnostics}
    assert levels["STD004"] == "error" and levels["STD003"] == "warning"


def test_init_adopts_the_standards_and_they_become_errors_citing_agents_md(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"catalog-info.yaml": NOT_ADOPTED})
    proc = _cli(root, "init")
    assert proc.returncode == 0, proc.stderr
    agents = (root / "AGENTS.md").read_text(encoding="utf-8")
    assert "## Developer Portal Standards" in agents
    assert "- Lifecycle values: production | experimental | deprecated. Never omit lifecycle." in agents
    assert (
        "- Every skill MUST follow the portal skill template: Purpose, When to Use, Steps, Constraints."
        in agents
    )
    assert "scaffolded" not in agents  # not a built-in default: writing it would switch it on
    assert yaml.safe_load((root / ".portal-lint.yaml").read_text(encoding="utf-8")) == {"fail-on": "error"}
    hooks = yaml.safe_load((root / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert hooks["repos"][0]["hooks"] == [{"id": "portal-lint"}]

    policy = load_policy(root, Config())
    assert policy.declared and not [b for b in policy.bullets if not b.enforced]
    result = lint_repo(root)
    assert {d.code: d.severity for d in result.diagnostics} == {
        "STD003": "error",
        "STD004": "error",
        "STD006": "error",
        "CAT012": "error",
    }
    lifecycle = next(d for d in result.diagnostics if d.code == "STD004")
    line = agents.split("\n").index(
        "- Lifecycle values: production | experimental | deprecated. Never omit lifecycle."
    )
    assert lifecycle.message.endswith(f"(AGENTS.md:{line + 1})")


def test_init_adds_the_section_to_an_existing_agents_md_and_leaves_others_alone(tmp_path: Path) -> None:
    pre_commit = "repos:\n  - repo: local\n    hooks: []\n"
    root = make_repo(
        tmp_path, {"AGENTS.md": "# Payments\n\nRun `make test`.\n", ".pre-commit-config.yaml": pre_commit}
    )
    proc = _cli(root, "init")
    assert proc.returncode == 0, proc.stderr
    agents = (root / "AGENTS.md").read_text(encoding="utf-8")
    assert agents.startswith("# Payments\n\nRun `make test`.\n\n## Developer Portal Standards\n")
    assert (root / ".pre-commit-config.yaml").read_text(encoding="utf-8") == pre_commit  # never rewritten
    assert "add this entry under `repos:`" in proc.stdout and "id: portal-lint" in proc.stdout

    again = _cli(root, "init")  # a second run changes nothing
    assert (root / "AGENTS.md").read_text(encoding="utf-8") == agents
    assert (
        "already declared (AGENTS.md:5)" in again.stdout and ".portal-lint.yaml left as it is" in again.stdout
    )


def test_an_org_policy_named_in_config_counts_as_adopted(tmp_path: Path) -> None:
    org = make_repo(
        tmp_path / "org", {"AGENTS.md": "## Developer Portal Standards\n\n- Never omit lifecycle.\n"}
    )
    root = make_repo(tmp_path / "svc", {"catalog-info.yaml": NOT_ADOPTED})
    cfg = Config({"policy": str(org / "AGENTS.md")}, ".portal-lint.yaml")
    assert {d.code: d.severity for d in lint_repo(root, cfg=cfg).diagnostics} == {
        "STD004": "error",
        "CAT012": "error",
    }
