"""REF004, LIV001, LIV002, failures, snapshots and the audit, as a user runs them against the real backend."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from backstage_backend import Backend
from faultproxy import Fault, FaultProxy

from portal_lint import engine, live
from portal_lint.cli import main
from portal_lint.commands.audit import schema

pytestmark = pytest.mark.live

NEW_HOME = "url:https://github.com/acme/checkout/blob/main/catalog-info.yaml"

SERVICE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  namespace: {namespace}
  annotations:
    backstage.io/source-template: template:default/service-template
    backstage.io/template-version: "{version}"
spec:
  type: service
  lifecycle: production
  owner: {owner}
  system: payments
  consumesApis:
    - payments-rest
    - api:default/refunds-api
  dependsOn:
    - component:default/search-indexer
"""


def service(name: str = "checkout", owner: str = "group:default/team-payments", **kw: str) -> str:
    return SERVICE.format(name=name, owner=owner, namespace=kw.get("namespace", "default"),
                          version=kw.get("version", "2.3.0"))  # fmt: skip


def repo(tmp_path: Path, text: str, name: str = "svc") -> Path:
    root = tmp_path / name
    root.mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "catalog-info.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def env(backstage: Backend, monkeypatch: pytest.MonkeyPatch) -> Backend:
    monkeypatch.setenv(live.CATALOG_URL_ENV, backstage.url)
    monkeypatch.setenv(live.TOKEN_ENV, backstage.token)
    return backstage


def run(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, dict[str, object], str]:
    monkeypatch.chdir(root)
    code = main(["--format", "json", "--location", NEW_HOME, *args])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def codes(report: dict[str, object]) -> list[tuple[int, str]]:
    return sorted((f["line"], f["code"]) for f in report["findings"])  # type: ignore[attr-defined,index]


def test_ref_not_found_names_only_missing_targets_and_where_it_looked(
    env: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(tmp_path, service(owner="group:default/team-paymnts"))
    code, report, err = run(root, capsys, monkeypatch)
    assert code == 1, err
    assert codes(report) == [(12, "REF004"), (16, "REF004")]
    owner = next(f for f in report["findings"] if f["line"] == 12)  # type: ignore[attr-defined]
    assert "`group:default/team-paymnts`" in owner["message"]
    assert f"catalog {env.url}" in owner["message"]
    assert report["notices"] == []
    assert env.token not in json.dumps(report) + err


def test_relation_lifecycle_reads_the_dependency_lifecycle_from_the_catalog(
    env: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(tmp_path, service())
    bullet = "Production Components MUST NOT depend on experimental or deprecated ones."
    (root / "AGENTS.md").write_text(f"## Developer Portal Standards\n\n- {bullet}\n", encoding="utf-8")
    code, report, err = run(root, capsys, monkeypatch)
    assert code == 1, err
    assert codes(report) == [(16, "REF004"), (18, "STD020")]  # search-indexer is experimental there
    found = next(f for f in report["findings"] if f["code"] == "STD020")  # type: ignore[attr-defined]
    assert "`experimental` (in the catalog)" in found["message"] and found["message"].endswith(
        "(AGENTS.md:3)"
    )


def test_refs_of_a_run_are_resolved_in_one_request(env: Backend, tmp_path: Path) -> None:
    root = repo(tmp_path, service() + "---\n" + service(name="checkout-worker", owner="team-search"))
    index = live.build_index(live.CatalogSettings(url=env.url, location=NEW_HOME), [])
    assert index is not None and index.client is not None
    try:
        result = engine.lint([str(root)], cwd=root, index=index)
        assert [d.code for d in result.diagnostics] == ["REF004", "REF004"]  # refunds-api, twice
        assert index.client.request_count == 1
    finally:
        live.close(index)


def test_name_taken_by_another_location_case_insensitively(
    env: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(tmp_path, service(name="LEDGER-core", namespace="finance"))
    code, report, _ = run(root, capsys, monkeypatch)
    assert code == 1
    assert [c for c in codes(report) if c[1] == "LIV001"] == [(4, "LIV001")]
    taken = next(f for f in report["findings"] if f["code"] == "LIV001")  # type: ignore[attr-defined]
    assert "`component:finance/ledger-core`" in taken["message"]
    assert "/seed/repos/ledger/catalog-info.yaml" in taken["message"]


def test_a_name_registered_from_this_location_is_ours(
    env: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_file = env.seed_dir / "repos" / "payments-api" / "catalog-info.yaml"
    root = repo(tmp_path, seed_file.read_text(encoding="utf-8"))
    monkeypatch.chdir(root)
    assert main(["--format", "json", "--location", f"file:{seed_file}"]) in (0, 1)
    ours = json.loads(capsys.readouterr().out)
    assert "LIV001" not in [f["code"] for f in ours["findings"]]
    assert main(["--format", "json", "--location", NEW_HOME]) == 1
    theirs = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in theirs["findings"] if f["code"] == "LIV001"] == ["LIV001", "LIV001"]


def test_template_behind_the_live_template(
    env: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(tmp_path, service(version="2.1.0"))
    code, report, _ = run(root, capsys, monkeypatch, "--select", "LIV002")
    assert code == 0  # a warning stays below the default --fail-on error
    (finding,) = report["findings"]  # type: ignore[misc]
    assert (finding["line"], finding["code"], finding["severity"]) == (8, "LIV002", "warning")
    assert "2.1.0" in finding["message"] and "2.3.0" in finding["message"]


def test_a_bad_token_is_one_line_exit_2_when_required_else_a_warning(
    backstage: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = "not-the-token-" + "x" * 20
    monkeypatch.setenv(live.TOKEN_ENV, bad)
    root = repo(tmp_path, service(owner="group:default/team-paymnts") + "  lifecycle: production\n")
    code, report, err = run(root, capsys, monkeypatch, "--catalog-url", backstage.url, "--require-catalog")
    assert code == 2
    assert err.count("\n") == 1 and "rejected the token (401)" in err and "PORTAL_LINT_TOKEN" in err
    assert bad not in err + json.dumps(report)
    code, report, err = run(root, capsys, monkeypatch, "--catalog-url", backstage.url)
    assert code == 1  # the offline checks still ran: the duplicate key is found
    assert "YML002" in [c for _, c in codes(report)] and "REF004" not in [c for _, c in codes(report)]
    assert err.startswith("portal-lint: warning: catalog at") and "401" in err
    assert any(n.startswith("existence checks skipped") for n in report["notices"])  # type: ignore[attr-defined]
    monkeypatch.chdir(root)
    main(["--format", "sarif", "--catalog-url", backstage.url])
    sarif = json.loads(capsys.readouterr().out)
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("existence checks skipped" in n["message"]["text"] for n in notes)
    assert bad not in json.dumps(sarif)


def test_without_a_token_the_catalog_asks_for_one(
    backstage: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(live.TOKEN_ENV, raising=False)
    monkeypatch.chdir(repo(tmp_path, service()))
    assert main(["--catalog-url", backstage.url, "--require-catalog", "--select", "CAT"]) == 2
    assert "requires a token (401)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fault", "said"),
    [(Fault.ERROR_500, "failed with 500"), (Fault.GARBAGE, "invalid JSON"), (Fault.DELAY, "did not answer")],
)
def test_a_failing_catalog_warns_and_the_offline_checks_still_run(
    backstage: Backend,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
    said: str,
) -> None:
    monkeypatch.setenv(live.TOKEN_ENV, backstage.token)
    root = repo(tmp_path, service() + "  lifecycle: production\n")
    with FaultProxy(backstage.url) as proxy:
        proxy.inject(fault, times=None, delay=3.0)
        settings = live.CatalogSettings(url=proxy.url, location=NEW_HOME)
        index = live.build_index(settings, [], timeout=1.0, retries=1)
        assert index is not None
        result = engine.lint([str(root)], cwd=root, index=index)
        failure = live.catalog_failure(index, require=True)
        live.close(index)
    assert [d.code for d in result.diagnostics] == ["YML002"]
    assert failure is not None and said in str(failure) and "\n" not in str(failure)
    assert backstage.token not in str(failure)


def test_export_then_offline_run_gives_the_live_findings(
    env: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = tmp_path / "snapshot.json"
    monkeypatch.chdir(tmp_path)
    assert main(["catalog", "export", "-o", str(snapshot), "--page-size", "5"]) == 0
    assert "wrote" in capsys.readouterr().err
    root = repo(tmp_path, service(name="ledger-core", namespace="finance", version="1.0",
                                  owner="team-nobody"))  # fmt: skip
    _, live_report, _ = run(root, capsys, monkeypatch)
    monkeypatch.delenv(live.CATALOG_URL_ENV)
    monkeypatch.delenv(live.TOKEN_ENV)
    _, offline_report, _ = run(root, capsys, monkeypatch, "--snapshot", str(snapshot))
    assert {c for _, c in codes(live_report)} == {"REF004", "LIV001", "LIV002"}
    assert [(f["line"], f["code"]) for f in offline_report["findings"]] == [  # type: ignore[attr-defined]
        (f["line"], f["code"])
        for f in live_report["findings"]  # type: ignore[attr-defined]
    ]


def test_catalog_hook_checks_against_the_catalog_from_the_environment(env: Backend, tmp_path: Path) -> None:
    root = repo(tmp_path, service(owner="group:default/team-paymnts"))
    (root / ".portal-lint.yaml").write_text(f"location: {NEW_HOME}\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "portal_lint", "catalog-hook", "catalog-info.yaml"],
        cwd=root, capture_output=True, text=True, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "catalog-info.yaml:12:10: error [REF004]" in proc.stdout
    assert env.token not in proc.stdout + proc.stderr


@pytest.fixture
def repos(tmp_path: Path, backstage: Backend) -> Iterator[Path]:
    base = tmp_path / "repos"
    matched = base / "payments-api"
    matched.mkdir(parents=True)
    seed = backstage.seed_dir / "repos" / "payments-api" / "catalog-info.yaml"
    (matched / "catalog-info.yaml").write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    repo(base, service(name="brand-new"), name="brand-new")
    yield base


def test_audit_streams_a_report_that_matches_its_schema(
    env: Backend, repos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "audit.json"
    assert main(["audit", "--repos", str(repos), "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""  # no progress bar when stderr is not a terminal
    report = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(report, schema())
    by_name = {s["name"]: s for s in report["services"]}
    assert {"payments-api", "search-indexer", "Ledger-Core", "brand-new"} <= set(by_name)
    payments = by_name["payments-api"]
    assert (payments["repo"], payments["in_catalog"], payments["has_api_entity"]) == (
        "payments-api",
        True,
        True,
    )
    assert by_name["brand-new"]["in_catalog"] is False
    new_codes = {i["code"] for i in by_name["brand-new"]["issues"]}
    assert "REF004" in new_codes  # refunds-api does not exist
    assert all(i["path"].startswith("brand-new/") for i in by_name["brand-new"]["issues"])
    assert by_name["search-indexer"]["repo"] is None and by_name["search-indexer"]["has_catalog_info"]
    assert report["summary"]["services"] == len(report["services"])
    assert env.token not in out.read_text(encoding="utf-8")


def test_audit_reads_a_relative_repos_folder_from_the_current_folder(
    env: Backend, repos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`portal-lint audit --repos ./checkouts`, as the README writes it."""
    monkeypatch.chdir(repos.parent)
    out = tmp_path / "audit.json"
    assert main(["audit", "--repos", f"./{repos.name}", "-o", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    issues = {s["name"]: s["issues"] for s in report["services"]}["brand-new"]
    assert "REF004" in {i["code"] for i in issues} and "CONFIG" not in {i["code"] for i in issues}
    assert report["summary"]["repos"] == str(repos)


def test_the_github_action_reports_catalog_findings_with_the_token_from_its_input(
    backstage: Backend, tmp_path: Path
) -> None:
    from tests.test_action import run_action

    runner_temp = tmp_path / "runner"
    bin_dir = runner_temp / "portal-lint-venv" / "bin"
    bin_dir.mkdir(parents=True)
    # This checkout's interpreter stands in for the virtualenv the install step would create.
    script = shutil.which("portal-lint")
    assert script is not None
    (bin_dir / "portal-lint").symlink_to(script)
    (bin_dir / "python").symlink_to(sys.executable)
    workspace = repo(tmp_path, service(owner="group:default/team-paymnts"), name="ws")
    inputs = {"catalog-url": backstage.url, "token": backstage.token}
    code, stdout, outputs = run_action(runner_temp, workspace, inputs)
    assert code == 1, stdout
    assert outputs["errors"] == "2"  # the owner and refunds-api
    assert "::error file=catalog-info.yaml,line=12," in stdout and "title=REF004 ref-not-found" in stdout
    sarif = (workspace / "portal-lint.sarif").read_text(encoding="utf-8")
    assert '"ruleId":"REF004"' in sarif
    assert backstage.token not in stdout + sarif


def test_audit_lints_every_repository_with_one_lookup_batch(backstage: Backend, repos: Path) -> None:
    import io

    from portal_lint.catalog.client import CatalogClient
    from portal_lint.catalog.index import EntityIndex
    from portal_lint.commands.audit import write_report

    out = io.StringIO()
    with CatalogClient(backstage.url, backstage.token) as client:
        write_report(out, client, EntityIndex(client=client), repos, live.TEMPLATE_VERSION_KEY)
        # the Components (one page), then one by-refs batch for both repositories and for what the
        # services reference: the rest of the catalog is never listed
        assert client.request_count == 2
    assert json.loads(out.getvalue())["summary"]["with_issues"] >= 1


def test_audit_reports_a_repository_folder_whose_name_is_not_utf8(
    env: Backend, repos: Path, tmp_path: Path
) -> None:
    odd = os.path.join(os.fsencode(repos), b"caf\xe9")
    os.mkdir(odd)
    with open(os.path.join(odd, b"catalog-info.yaml"), "w", encoding="utf-8") as fh:
        fh.write("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: -cafe\n")
    out = tmp_path / "audit.json"
    assert main(["audit", "--repos", str(repos), "-o", str(out)]) == 0
    report = json.loads(out.read_bytes().decode("utf-8"))  # valid UTF-8: no traceback, no bad bytes
    [cafe] = [s for s in report["services"] if s["repo"] == "caf\\xe9"]
    assert cafe["issues"] and all(i["path"].startswith("caf\\xe9/") for i in cafe["issues"])


def _report(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


@pytest.mark.parametrize(
    ("filters", "query", "names"),
    [
        (["--owner", "team-payments"], "kind=component,relations.ownedBy=group:default/team-payments",
         {"payments-api", "Ledger-Core"}),
        (["--owner", "group:default/team-search,team-payments"],
         "kind=component,relations.ownedBy=group:default/team-search,relations.ownedBy=group:default/team-payments",
         {"payments-api", "Ledger-Core", "search-indexer"}),
        (["--lifecycle", "Experimental"], "kind=component,spec.lifecycle=experimental", {"search-indexer"}),
        (["--system", "payments", "--owner", "team-payments"],
         "kind=component,relations.ownedBy=group:default/team-payments,relations.partOf=system:default/payments",
         {"payments-api"}),
        (["--kind", "API", "--owner", "team-payments"],
         "kind=api,relations.ownedBy=group:default/team-payments", {"payments-rest"}),
    ],
)  # fmt: skip
def test_audit_filters_are_the_catalogs_own_query(
    backstage: Backend,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    filters: list[str],
    query: str,
    names: set[str],
) -> None:
    """A team's audit asks the catalog for the team's services: the one listing request carries the
    filter, and nothing lists the rest of the catalog."""
    from urllib.parse import parse_qs, urlsplit

    out = tmp_path / "audit.json"
    monkeypatch.setenv(live.TOKEN_ENV, backstage.token)
    with FaultProxy(backstage.url) as proxy:
        assert main(["audit", "--catalog-url", proxy.url, *filters, "-o", str(out)]) == 0
    report = _report(out)
    jsonschema.validate(report, schema())
    assert {s["name"] for s in report["services"]} == names
    listings = [parse_qs(urlsplit(p).query) for p in proxy.paths if "/entities/by-query" in p]
    assert [q.get("filter") for q in listings if "cursor" not in q] == [[query]]


def test_merged_shards_equal_the_unsharded_audit(
    env: Backend, repos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole.json"
    assert main(["audit", "--repos", str(repos), "-o", str(whole)]) == 0
    shards = [tmp_path / f"shard-{i}.json" for i in (1, 2, 3)]
    for i, path in enumerate(shards, start=1):
        assert main(["audit", "--repos", str(repos), "--shard", f"{i}/3", "-o", str(path)]) == 0
    sizes = [len(_report(p)["services"]) for p in shards]
    assert sum(sizes) == len(_report(whole)["services"]) and max(sizes) < sum(sizes)  # really split
    merged = tmp_path / "merged.json"
    assert main(["audit", "merge", *map(str, shards), "-o", str(merged)]) == 0
    got, want = _report(merged), _report(whole)
    jsonschema.validate(got, schema())

    def key(s: dict[str, Any]) -> tuple[str, str, str]:
        return s["ref"] or "", s["repo"] or "", s["name"]

    assert got["services"] == sorted(want["services"], key=key)
    assert {k: v for k, v in got["summary"].items() if k != "generated_at"} == {
        k: v for k, v in want["summary"].items() if k != "generated_at"
    }
    assert main(["audit", "merge", str(shards[0]), str(repos / "brand-new" / "catalog-info.yaml")]) == 2
    assert "not a `portal-lint audit` report" in capsys.readouterr().err


def test_each_shard_lists_the_repositories_its_job_checks_out(
    env: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def listed(*args: str) -> list[list[str]]:
        assert main(["audit", "--locations", *args]) == 0
        return [line.split("\t") for line in capsys.readouterr().out.splitlines()]

    everything = listed()
    shards = [listed("--shard", f"{i}/3") for i in (1, 2, 3)]
    assert sorted(row for shard in shards for row in shard) == sorted(everything)
    by_name = {name: where for _, name, where in everything}
    assert by_name["payments-api"].startswith("url:") or by_name["payments-api"].startswith("file:")
    assert {name for _, name, _ in listed("--owner", "team-search")} == {"search-indexer"}


def test_audit_into_a_closed_pipe_ends_quietly(backstage: Backend, tmp_path: Path) -> None:
    """`portal-lint audit | head -1` after the reader has gone: no `cannot write None: Broken pipe`."""
    env = {**os.environ, live.CATALOG_URL_ENV: backstage.url, live.TOKEN_ENV: backstage.token}
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "portal_lint", "audit"], cwd=tmp_path, env=env, stdout=write_end,
            stderr=subprocess.PIPE, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert proc.stderr == "" and proc.returncode == 1
