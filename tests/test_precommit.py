"""The pre-commit hooks, run by pre-commit itself on a throw-away git repository.

pre-commit installs this repository into its own virtualenv with pip, as it would from GitHub.
The hook repository is a fresh commit of this checkout as it is on disk (as `pre-commit try-repo`
does with uncommitted changes), made once per session so the hook environment is installed once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from portal_lint.registry import lookup
from tests.integration_repo import BAD_CATALOG, GOOD_CATALOG

ROOT = Path(__file__).resolve().parent.parent
HOOK_FILES = (
    "catalog-info.yaml",
    "svc/a/catalog-info.yml",
    "AGENTS.md",
    "docs/AGENTS.md",
    "AGENTS.override.md",
    "docs/agents.md",
    "skills/deploy/SKILL.md",
    "api/openapi.yaml",
    "api/v2/events.asyncapi.json",
    "services/orders/api/openapi.yaml",
    ".backstage/catalog-info.yaml",
    "org/users.yaml",  # a Location target
    "templates/service/template.yaml",
)
NOT_HOOK_FILES = (
    "catalog-info.yaml.bak",
    "src/api.py",
    "README.md",
    "skill.md",
    "MY-AGENTS.md",
)
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
OPENAPI = "openapi: 3.0.3\ninfo:\n  title: Payments\n  version: 1.0.0\npaths: {}\n"
HookRepo = tuple[Path, str, Path]  # (hook repository, its commit, PRE_COMMIT_HOME)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_LINT_", "GIT_", "PRE_COMMIT"))}
    env |= {
        "PRE_COMMIT_HOME": str(home),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }
    return env


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    """(hook repository, its commit, PRE_COMMIT_HOME) for this checkout as it is on disk."""
    repo = tmp_path_factory.mktemp("hook-repo")
    home = tmp_path_factory.mktemp("pre-commit-home")
    # Untracked files too: a new module not yet committed is part of the checkout under test.
    for rel in git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0"):
        src = ROOT / rel
        if rel and src.is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "snapshot")
    return repo, git(repo, "rev-parse", "HEAD").strip(), home


def service_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    return root


def try_repo(hook_repo: HookRepo, cwd: Path, hook: str, *args: str) -> subprocess.CompletedProcess[str]:
    repo, _, home = hook_repo
    return subprocess.run(
        ["pre-commit", "try-repo", str(repo), hook, "--verbose", *args],
        cwd=cwd,
        env=clean_env(home),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def test_manifest_is_valid_and_selects_the_right_files() -> None:
    subprocess.run(["pre-commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], check=True)
    by_id = {h["id"]: h for h in HOOKS}
    assert set(by_id) == {"portal-lint", "portal-lint-catalog"}
    for hook in by_id.values():
        assert hook["require_serial"] is True, "cross-file rules need every file in one process"
        assert hook["pass_filenames"] is True
        files = re.compile(hook["files"])  # pre-commit uses re.search on the repo-relative path
        for path in HOOK_FILES:
            assert files.search(path), path
        for path in NOT_HOOK_FILES:
            assert not files.search(path), path


def test_a_bad_catalog_file_fails_the_hook_with_the_finding(hook_repo: HookRepo, tmp_path: Path) -> None:
    files = {
        "svc/catalog-info.yaml": BAD_CATALOG,
        "other.yaml": BAD_CATALOG,
        "docker-compose.yaml": "services:\n  web:\n    image: nginx\n    image: twice\n",
        ".github/workflows/ci.yml": "on: push\njobs: {}\n",
    }
    proc = try_repo(hook_repo, service_repo(tmp_path, files), "portal-lint", "--all-files")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "svc/catalog-info.yaml:10:3: error [YML002] duplicate key `owner`" in proc.stdout
    # Backstage YAML that nothing registers is a catalog file too, and said to be unread
    assert re.search(
        r"(?m)^other\.yaml:\d+:1: warning \[CAT026\] Backstage never reads this file", proc.stdout
    )
    assert "docker-compose.yaml" not in proc.stdout and "ci.yml" not in proc.stdout, "not Backstage's"


def test_a_staged_file_gets_findings_on_that_file_only(hook_repo: HookRepo, tmp_path: Path) -> None:
    """pre-commit passes the staged file; the other (committed, also broken) file is context only."""
    files = {
        "a/catalog-info.yaml": BAD_CATALOG,
        "b/catalog-info.yaml": BAD_CATALOG.replace("payments", "ledger"),
    }
    svc = service_repo(tmp_path, files)
    git(svc, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "both")
    (svc / "a" / "catalog-info.yaml").write_text(BAD_CATALOG + "# edited\n", encoding="utf-8")
    git(svc, "add", "a/catalog-info.yaml")
    proc = try_repo(hook_repo, svc, "portal-lint")  # no --files: the staged files, as on commit
    assert proc.returncode == 1, proc.stdout + proc.stderr
    paths = set(re.findall(r"(?m)^([\w./-]+):\d+:\d+: (?:error|warning|notice) ", proc.stdout))
    assert paths == {"a/catalog-info.yaml"}, proc.stdout
    assert re.search(r"in 1 file\.", proc.stdout), proc.stdout


def test_a_good_catalog_file_passes(hook_repo: HookRepo, tmp_path: Path) -> None:
    svc = service_repo(tmp_path, {"catalog-info.yaml": GOOD_CATALOG})
    proc = try_repo(hook_repo, svc, "portal-lint", "--files", "catalog-info.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"portal-lint\.+Passed", proc.stdout)


@pytest.fixture(scope="session")
def example_config(hook_repo: HookRepo) -> str:
    """examples/.pre-commit-config.yaml pointing at this checkout instead of the published repository."""
    repo, rev, _ = hook_repo
    config = yaml.safe_load((ROOT / "examples" / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (entry,) = config["repos"]
    assert {h["id"] for h in entry["hooks"]} == {h["id"] for h in HOOKS}
    entry |= {"repo": str(repo), "rev": rev}
    return str(yaml.safe_dump(config))


def pre_commit(hook_repo: HookRepo, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit run` with the example config; its hook environment is installed once per session."""
    return subprocess.run(
        ["pre-commit", "run", *args], cwd=cwd, env=clean_env(hook_repo[2]), capture_output=True, text=True,
        check=False, timeout=900,
    )  # fmt: skip


def cross_file_case() -> tuple[dict[str, str], str, str]:
    """(files, the one file pre-commit passes, a regex of the finding that needs the other files):
    an api/ definition no API entity points at, found while only the definition is passed (an
    error: the repository declares the standard; a built-in one would be a warning)."""
    (code,) = lookup("api-entity-required")
    files = {
        "catalog-info.yaml": GOOD_CATALOG,
        "api/openapi.yaml": OPENAPI,
        "AGENTS.md": (
            "## Developer Portal Standards\n\n- Every HTTP/gRPC API MUST have a corresponding API entity.\n"
        ),
    }
    return files, "api/openapi.yaml", rf"(?m)^api/openapi\.yaml:1:1: error \[{code}\] "


def test_a_cross_file_finding_survives_a_run_given_one_file(
    hook_repo: HookRepo, example_config: str, tmp_path: Path
) -> None:
    files, passed, finding = cross_file_case()
    svc = service_repo(tmp_path, {**files, ".pre-commit-config.yaml": example_config})
    proc = pre_commit(hook_repo, svc, "portal-lint", "--files", passed)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(finding, proc.stdout), proc.stdout


def test_catalog_hook_without_a_url_says_it_skipped_and_passes(
    hook_repo: HookRepo, example_config: str, tmp_path: Path
) -> None:
    files = {"catalog-info.yaml": BAD_CATALOG, ".pre-commit-config.yaml": example_config}
    svc = service_repo(tmp_path, files)
    proc = pre_commit(hook_repo, svc, "portal-lint-catalog", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skipped" not in proc.stdout  # no noise on every commit
    proc = pre_commit(hook_repo, svc, "portal-lint-catalog", "--all-files", "--verbose")
    assert proc.returncode == 0 and proc.stdout.count("\n") <= 6, proc.stdout
    assert "portal-lint catalog-hook: skipped (PORTAL_LINT_CATALOG_URL is not set)\n" in proc.stdout


def test_the_example_config_blocks_a_bad_commit_and_lets_a_good_one_through(
    hook_repo: HookRepo, example_config: str, tmp_path: Path
) -> None:
    svc = service_repo(tmp_path, {".pre-commit-config.yaml": example_config})
    env = clean_env(hook_repo[2])
    subprocess.run(["pre-commit", "install"], cwd=svc, env=env, check=True, capture_output=True)

    def commit(text: str) -> subprocess.CompletedProcess[str]:
        (svc / "catalog-info.yaml").write_text(text, encoding="utf-8")
        git(svc, "add", "-A")
        return subprocess.run(
            ["git", "commit", "-m", "catalog"], cwd=svc, env=env, capture_output=True, text=True, check=False
        )

    bad = commit(BAD_CATALOG)
    assert bad.returncode != 0
    assert "catalog-info.yaml:10:3: error [YML002]" in bad.stdout + bad.stderr
    good = commit(GOOD_CATALOG)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "catalog-hook" not in good.stdout + good.stderr  # a passing, skipped hook is quiet
