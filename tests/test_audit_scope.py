"""Which services an audit covers, offline: the catalog filter the options make, stable shards,
merging shard reports, and the example matrix workflow's checkout step. (Against the real
catalog: tests/live/test_live_rules.py.)"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from portal_lint.cli import main
from portal_lint.commands.audit import AuditReport, Service, Summary
from portal_lint.commands.audit_merge import merge
from portal_lint.commands.audit_scope import ScopeError, scope_of, shard_of

ROOT = Path(__file__).resolve().parent.parent


def args(**given: list[str] | str | None) -> argparse.Namespace:
    base: dict[str, list[str] | str | None] = {
        "owner": [],
        "kind": [],
        "lifecycle": [],
        "system": [],
        "shard": None,
    }
    return argparse.Namespace(**{**base, **given})


def test_the_options_become_one_catalog_filter() -> None:
    scope = scope_of(args(owner=["team-a,user:jdoe"], lifecycle=["Production"], system=["shop"]))
    assert scope.query == (
        "kind=component,relations.ownedBy=group:default/team-a,relations.ownedBy=user:default/jdoe,"
        "spec.lifecycle=production,relations.partOf=system:default/shop"
    )
    assert scope_of(args(kind=["API", "Resource"])).query == "kind=api,kind=resource"
    with pytest.raises(ScopeError, match="cannot contain `=`"):
        scope_of(args(lifecycle=["a=b"]))


@pytest.mark.parametrize("shard", ["0/3", "4/3", "2", "x/y"])
def test_a_bad_shard_is_a_usage_error(shard: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["audit", "--shard", shard])
    assert exit_.value.code == 2
    assert f"--shard {shard}: write I/N with 1 <= I <= N" in capsys.readouterr().err


def test_every_service_is_in_exactly_one_shard_the_same_on_every_machine() -> None:
    refs = [f"component:default/service-{i}" for i in range(200)]
    scopes = [scope_of(args(shard=f"{i}/4")) for i in (1, 2, 3, 4)]
    assert all(sum(s.covers(ref) for s in scopes) == 1 for ref in refs)
    assert min(sum(s.covers(ref) for ref in refs) for s in scopes) > 20  # a split, not one big shard
    code = (
        "import sys; from portal_lint.commands.audit_scope import shard_of; "
        "print([shard_of(r, 4) for r in sys.argv[1:]])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", code, *refs], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(other.stdout) == [shard_of(ref, 4) for ref in refs]


def _report(catalog: str, *names: str) -> AuditReport:
    services = [
        Service(name=n, ref=f"component:default/{n}", type="service", owner=None, in_catalog=True,
                location=None, repo=None, has_catalog_info=True, has_api_entity=False, has_techdocs=True,
                issues=[])
        for n in names
    ]  # fmt: skip
    summary = Summary(services=len(services), in_catalog=len(services), with_catalog_info=len(services),
                      with_api_entity=0, with_techdocs=len(services), with_issues=0, errors=0, warnings=0,
                      notes=0, catalog=catalog, repos=None, generated_at=datetime.now(UTC))  # fmt: skip
    return AuditReport(services=services, summary=summary)


def test_merge_orders_by_ref_recounts_and_refuses_reports_of_other_audits() -> None:
    merged = merge([_report("https://a", "orders", "billing"), _report("https://a", "ads")])
    assert [s.name for s in merged.services] == ["ads", "billing", "orders"]
    assert merged.summary.services == 3 and merged.summary.with_techdocs == 3
    with pytest.raises(ValueError, match="different audits"):
        merge([_report("https://a", "orders"), _report("https://b", "ads")])


def test_the_example_workflow_checks_out_only_its_shards_repositories(tmp_path: Path) -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "github" / "portal-audit-sharded.yml").read_text())
    assert len(workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]) == workflow["env"]["SHARDS"]
    (step,) = [s for s in workflow["jobs"]["shard"]["steps"] if s.get("name", "").startswith("Check out")]
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    listing = (
        "component:default/payments\tpayments\turl:https://github.com/acme/payments/tree/main/\n"
        "component:default/ledger\tledger\turl:https://github.com/acme/ledger.git\n"
        "component:default/legacy\tlegacy\turl:https://gitlab.example.com/acme/legacy\n"
    )
    fakes = {
        "portal-lint": f'echo "$*" >> {calls}; printf %s "{listing}"',
        "gh": f'echo "gh $*" >> {calls}; mkdir -p "$4"',
    }
    for name, body in fakes.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    script = step["run"].replace("${{ matrix.shard }}", "2")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SHARDS": "4"}
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert calls.read_text().splitlines() == [
        "audit --shard 2/4 --locations",
        "gh repo clone acme/payments checkouts/payments -- --depth 1 --quiet",
        "gh repo clone acme/ledger checkouts/ledger -- --depth 1 --quiet",
    ]
    assert "::warning::component:default/legacy: no GitHub repository" in proc.stdout
