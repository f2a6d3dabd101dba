"""The catalog features without a server: snapshots, notices, locations, settings, the audit schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from portal_lint import gitfiles, live
from portal_lint.cli import main
from portal_lint.commands.audit import schema
from portal_lint.config import Config
from tests.test_sarif import schema_errors

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "rules"
SKIPPED = "existence checks skipped"


def fixture_repo(tmp_path: Path, case: str, keep_config: bool = True) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / case, root)
    (root / ".git").mkdir()
    if not keep_config:
        (root / ".portal-lint.yaml").unlink()
    return root


def lint(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_without_a_catalog_each_format_says_once_that_existence_checks_were_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(live.CATALOG_URL_ENV, raising=False)
    root = fixture_repo(tmp_path, "REF004/missing-targets", keep_config=False)
    monkeypatch.chdir(root)
    code, text, _ = lint(root, capsys)
    assert code == 0
    assert text.count(SKIPPED) == 1 and "--snapshot FILE" in text
    _, out, _ = lint(root, capsys, "--format", "json")
    notices = json.loads(out)["notices"]
    assert len(notices) == 1 and notices[0].startswith(SKIPPED)
    _, out, _ = lint(root, capsys, "--format", "sarif")
    log = json.loads(out)
    assert schema_errors(log) == []
    (invocation,) = log["runs"][0]["invocations"]
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert [t for t in texts if t.startswith(SKIPPED)] == notices


def test_a_snapshot_finds_missing_targets_and_says_where_it_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = fixture_repo(tmp_path, "REF004/missing-targets", keep_config=False)
    monkeypatch.chdir(root)
    code, out, _ = lint(root, capsys, "--snapshot", "catalog-snapshot.json", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert [(f["line"], f["code"]) for f in report["findings"]] == [
        (9, "REF004"),
        (10, "REF004"),
        (15, "REF004"),
        (18, "REF004"),
    ]
    message = report["findings"][0]["message"]
    assert "`group:default/team-paymnts`" in message
    assert "this repository, snapshot catalog-snapshot.json (taken 2026-01-05)" in message
    assert not any(n.startswith(SKIPPED) for n in report["notices"])
    assert any("days old" in n for n in report["notices"])  # the fixture's snapshot is old


def test_catalog_settings_that_cannot_work_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = fixture_repo(tmp_path, "REF004/missing-targets", keep_config=False)
    monkeypatch.chdir(root)
    for args, said in [
        (["--snapshot", "missing.json"], "snapshot missing.json cannot be read"),
        (["--snapshot", "catalog-info.yaml"], "is not valid JSON"),
        (["--catalog-url", "ftp://backstage"], "the catalog URL must look like"),
        (["--catalog-url", "https://user:pw@backstage.example.com"], "must not carry credentials"),
        (["--catalog-url", "https://backstage.example.com", "--catalog-ca", "nope.pem"], "--catalog-ca"),
    ]:
        code, out, err = lint(root, capsys, *args)
        assert code == 2, args
        assert out == "" and err.count("\n") == 1 and said in err, err
        assert "pw" not in err


def test_an_offline_run_loads_neither_httpx_nor_pydantic(tmp_path: Path) -> None:
    root = fixture_repo(tmp_path, "REF004/no-catalog-given")
    code = (
        "import sys; from portal_lint.cli import main; rc = main([sys.argv[1]]); "
        "print(rc, 'httpx' in sys.modules, 'pydantic' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True, cwd=root
    )
    assert proc.stdout.splitlines()[-1] == "0 False False"


def test_settings_prefer_flags_then_environment_then_config(tmp_path: Path) -> None:
    cfg = Config(
        {
            "catalog-url": "https://from-config",
            "snapshot": "snap.json",
            "location": "url:https://x/a/b/blob/main/catalog-info.yaml",
            "template-version-key": "acme.com/version",
        },
        str(tmp_path / ".portal-lint.yaml"),
    )
    env = {live.CATALOG_URL_ENV: "https://from-env"}
    s = live.settings(cfg, base=tmp_path, env=env)
    assert (s.url, s.snapshot, s.template_version_key) == (
        "https://from-env",
        tmp_path / "snap.json",
        "acme.com/version",
    )
    s = live.settings(cfg, base=tmp_path, env=env, url="https://from-flag", location="file:/x")
    assert (s.url, s.location) == ("https://from-flag", "file:/x")
    assert live.settings(cfg, base=tmp_path, env={}).url == "https://from-config"


def write_git(root: Path, remote: str | None, head: str = "ref: refs/heads/main\n") -> Path:
    git = root / ".git"
    git.mkdir(parents=True)
    (git / "HEAD").write_text(head, encoding="utf-8")
    config = "[core]\n\tbare = false\n"
    if remote is not None:
        config += f'[remote "origin"]\n\turl = {remote}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n'
    (git / "config").write_text(config, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("remote", "location"),
    [
        ("git@github.com:acme/payments.git", "url:https://github.com/acme/payments/blob/main/catalog-info.yaml"),
        ("https://ci:s3cret@github.com/acme/payments", "url:https://github.com/acme/payments/blob/main/catalog-info.yaml"),
        ("ssh://git@gitlab.example.com:2222/team/pay.git", "url:https://gitlab.example.com/team/pay/-/blob/main/catalog-info.yaml"),
        ("https://user:p@ss@github.com/acme/payments.git", "url:https://github.com/acme/payments/blob/main/catalog-info.yaml"),
        ("https://gitlab.example.com/team/pay.git?private_token=s3cret", "url:https://gitlab.example.com/team/pay/-/blob/main/catalog-info.yaml"),
        ("https://github.com/acme/payments#s3cret", "url:https://github.com/acme/payments/blob/main/catalog-info.yaml"),
        ("/srv/git/payments.git", None),
        (None, None),
    ],
)  # fmt: skip
def test_location_is_derived_from_the_git_remote_without_credentials(
    tmp_path: Path, remote: str | None, location: str | None
) -> None:
    assert gitfiles.git_location(write_git(tmp_path, remote)) == location


def test_a_worktree_reads_the_main_repository_config(tmp_path: Path) -> None:
    main_repo = write_git(tmp_path / "main", "git@github.com:acme/payments.git")
    gitdir = main_repo / ".git" / "worktrees" / "wt"
    gitdir.mkdir(parents=True)
    (gitdir / "HEAD").write_text("ref: refs/heads/feature/x\n", encoding="utf-8")
    (gitdir / "commondir").write_text("../..\n", encoding="utf-8")
    wt = tmp_path / "wt"
    wt.mkdir()
    (wt / ".git").write_text(f"gitdir: {gitdir}\n", encoding="utf-8")
    assert (
        gitfiles.git_location(wt) == "url:https://github.com/acme/payments/blob/feature/x/catalog-info.yaml"
    )


@pytest.mark.parametrize(
    ("managed", "path", "same"),
    [
        ("url:https://github.com/acme/pay/blob/main/catalog-info.yaml", "catalog-info.yaml", True),
        ("URL:https://GitHub.com/Acme/Pay/tree/main/catalog-info.yaml", "catalog-info.yaml", True),
        ("url:https://github.com/acme/pay.git/blob/trunk/catalog-info.yaml", "catalog-info.yaml", True),
        ("url:https://github.com/acme/pay/blob/main/svc/catalog-info.yaml", "catalog-info.yaml", False),
        ("url:https://github.com/acme/pay/blob/main/svc/catalog-info.yaml", "svc/catalog-info.yaml", True),
        ("url:https://github.com/acme/other/blob/main/catalog-info.yaml", "catalog-info.yaml", False),
        ("file:/srv/pay/catalog-info.yaml", "catalog-info.yaml", False),
    ],
)
def test_same_location_ignores_case_and_branch_but_not_repository_or_path(
    managed: str, path: str, same: bool
) -> None:
    ours = f"url:https://github.com/acme/pay/blob/feature/new-api/{path}"
    assert live.same_location(managed, ours, path) is same


def test_name_taken_uses_the_git_remote_when_no_location_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = fixture_repo(tmp_path, "LIV001/taken-by-another-repository")
    (root / ".portal-lint.yaml").write_text("snapshot: catalog-snapshot.json\n", encoding="utf-8")
    shutil.rmtree(root / ".git")
    write_git(root, "git@github.com:acme/legacy-payments.git", head="ref: refs/heads/rename\n")
    monkeypatch.chdir(root)
    code, out, _ = lint(root, capsys, "--format", "json")
    assert code == 0, out  # the catalog's entry is this repository's, registered from main
    shutil.rmtree(root / ".git")
    write_git(root, "git@github.com:acme/payments.git")
    code, out, _ = lint(root, capsys, "--format", "json")
    (finding,) = json.loads(out)["findings"]
    assert finding["code"] == "LIV001"
    assert "acme/legacy-payments" in finding["message"]
    assert "url:https://github.com/acme/payments/blob/main/catalog-info.yaml" in finding["message"]
    code, out, _ = lint(
        root,
        capsys,
        "--format",
        "json",
        "--location",
        "url:https://github.com/acme/legacy-payments/blob/main/catalog-info.yaml",
    )
    assert json.loads(out)["findings"] == []  # --location wins over the remote


def test_name_taken_without_any_location_is_a_notice_not_a_guess(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = fixture_repo(tmp_path, "LIV001/taken-by-another-repository")
    (root / ".portal-lint.yaml").write_text("snapshot: catalog-snapshot.json\n", encoding="utf-8")
    monkeypatch.chdir(root)
    code, out, _ = lint(root, capsys, "--format", "json")
    report = json.loads(out)
    assert (code, report["findings"]) == (0, [])
    assert any(n.startswith("name-taken checks skipped") and "--location" in n for n in report["notices"])


def test_audit_schema_is_printed_and_published(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    committed = json.loads((ROOT / "docs" / "audit-schema.json").read_text(encoding="utf-8"))
    assert printed == committed == schema()
    assert set(printed["$defs"]["Service"]["required"]) >= {
        "name",
        "has_catalog_info",
        "has_api_entity",
        "has_techdocs",
        "issues",
    }


def test_catalog_commands_without_a_url_say_what_to_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(live.CATALOG_URL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    for argv in (["catalog", "export", "-o", "s.json"], ["audit"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert live.CATALOG_URL_ENV in err and err.count("\n") == 1
    assert not (tmp_path / "s.json").exists()


def test_require_catalog_fails_a_fix_diff_run_too_when_the_catalog_is_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    monkeypatch.delenv(live.CATALOG_URL_ENV, raising=False)
    root = fixture_repo(tmp_path, "REF004/missing-targets", keep_config=False)
    catalog = root / "catalog-info.yaml"
    fixable = "\n---\nkind: Group\nmetadata:\n  name: x\n  labels:\n    pci: yes\n"  # a certain fix
    catalog.write_text(catalog.read_text(encoding="utf-8") + fixable, encoding="utf-8")
    monkeypatch.chdir(root)
    url = f"http://127.0.0.1:{closed_port}"
    code, diff, err = lint(root, capsys, "--fix", "--diff", "--catalog-url", url, "--require-catalog")
    assert '+    pci: "yes"' in diff  # the diff is still shown
    assert code == 2 and "error:" in err and "could not be reached" in err
    code, _, err = lint(root, capsys, "--fix", "--diff", "--catalog-url", url)
    assert code == 1 and "warning:" in err and "could not be reached" in err


class _Catalog:
    """What the catalog-only audit asks of a catalog client: its entities by kind, and by ref."""

    url = "http://catalog.test"

    def __init__(self, *entities: dict[str, Any]) -> None:
        self.entities = entities

    def iter_entities(self, filter: str | None = None, fields: Any = None) -> list[dict[str, Any]]:
        assert filter == "kind=component"  # the audit lists nothing but what it audits
        return [e for e in self.entities if e["kind"].lower() == "component"]

    def get_by_refs(self, refs: list[str], fields: Any = None) -> list[dict[str, Any] | None]:
        by_ref = {f"{e['kind']}:default/{e['metadata']['name']}".lower(): e for e in self.entities}
        return [by_ref.get(ref) for ref in refs]


def test_the_catalog_only_audit_checks_every_reference_field_a_component_has() -> None:
    from portal_lint.commands.audit import services

    component = {
        "kind": "Component",
        "metadata": {"name": "payments"},
        "spec": {"owner": "group:team-a", "dependencyOf": ["component:gone"], "dependsOn": ["resource:db"]},
    }
    catalog = _Catalog(component, {"kind": "Group", "metadata": {"name": "team-a"}})
    from portal_lint.catalog.index import EntityIndex

    index = EntityIndex(client=catalog)  # type: ignore[arg-type]
    (service,) = services(catalog, index, None, live.TEMPLATE_VERSION_KEY)  # type: ignore[arg-type]
    said = sorted((i.code, i.message) for i in service.issues if i.code == "REF004")
    assert said == [
        ("REF004", "`spec.dependencyOf` references `component:default/gone`, which is not in the catalog"),
        ("REF004", "`spec.dependsOn` references `resource:default/db`, which is not in the catalog"),
    ]


def test_audit_output_keeps_the_last_good_report_when_the_catalog_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    monkeypatch.delenv(live.CATALOG_URL_ENV, raising=False)
    report = tmp_path / "audit.json"
    good = '{"version": 1, "services": [], "summary": {}}\n'
    report.write_text(good, encoding="utf-8")
    assert main(["audit", "--catalog-url", f"http://127.0.0.1:{closed_port}", "-o", str(report)]) == 2
    assert "could not be reached" in capsys.readouterr().err
    assert report.read_text(encoding="utf-8") == good
    assert [p.name for p in tmp_path.iterdir()] == ["audit.json"]  # no temporary file left


def test_has_techdocs_means_the_docs_can_be_built_and_says_why_not(tmp_path: Path) -> None:
    from portal_lint.catalog.index import EntityIndex
    from portal_lint.commands.audit import services

    def component(name: str, techdocs: str | None) -> dict[str, Any]:
        annotations = {"backstage.io/techdocs-ref": techdocs} if techdocs else {}
        return {"kind": "Component", "metadata": {"name": name, "annotations": annotations}, "spec": {}}

    catalog = _Catalog(component("documented", "dir:."), component("bare", None))
    index = EntityIndex(client=catalog)  # type: ignore[arg-type]
    got = {s.name: s for s in services(catalog, index, None, live.TEMPLATE_VERSION_KEY)}  # type: ignore[arg-type]
    assert got["documented"].has_techdocs and not got["documented"].issues  # from the catalog: the annotation
    assert not got["bare"].has_techdocs
    ((code, message),) = [(i.code, i.message) for i in got["bare"].issues]
    assert code == "STD008" and message.startswith("no `backstage.io/techdocs-ref` annotation")

    repos = tmp_path / "repos"
    for name, files in {
        "buildable": {"mkdocs.yml": "site_name: x\n", "docs/index.md": "# x\n"},
        "no-pages": {"mkdocs.yml": "site_name: x\n"},
        "no-mkdocs": {"docs/index.md": "# x\n"},
    }.items():
        for rel, text in {**files, "catalog-info.yaml": _COMPONENT.format(name=name)}.items():
            (repos / name / rel).parent.mkdir(parents=True, exist_ok=True)
            (repos / name / rel).write_text(text, encoding="utf-8")
    catalog = _Catalog()
    index = EntityIndex(client=catalog)  # type: ignore[arg-type]
    got = {s.name: s for s in services(catalog, index, repos, live.TEMPLATE_VERSION_KEY)}  # type: ignore[arg-type]
    assert got["buildable"].has_techdocs
    assert not got["no-pages"].has_techdocs and not got["no-mkdocs"].has_techdocs
    said = {
        name: [i.message for i in got[name].issues if i.code == "STD008"]
        for name in ("no-pages", "no-mkdocs")
    }
    assert (
        len(said["no-pages"]) == 1
        and "reads its pages from `docs/`, which is not there" in said["no-pages"][0]
    )
    assert len(said["no-mkdocs"]) == 1 and "which has no mkdocs.yml" in said["no-mkdocs"][0]


_COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  annotations:
    backstage.io/techdocs-ref: dir:.
spec:
  type: service
  lifecycle: production
  owner: group:default/team-a
  system: shop
"""
