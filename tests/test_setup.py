"""The README's set-up on a stock machine: the test command finds the .venv the first command
made, says what the live tests lack before spending minutes, and versions are pinned by commit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from portal_lint import __version__

ROOT = Path(__file__).resolve().parent.parent


def toolbox(folder: Path, *tools: str, fake: dict[str, str] | None = None) -> str:
    """A PATH holding only these real tools and the fake ones (name → shell body)."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        real = shutil.which(tool)
        assert real is not None, tool
        (folder / tool).symlink_to(real)
    for name, body in (fake or {}).items():
        script = folder / name
        script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        script.chmod(0o755)
    return str(folder)


def project_copy(tmp_path: Path, *files: str) -> Path:
    """These files of the project in a folder of their own, with a shared backend beside it
    that has not been installed yet."""
    proj = tmp_path / "proj"
    for name in files:
        (proj / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, proj / name)
    (tmp_path / "shared" / "backstage").mkdir(parents=True)
    (tmp_path / "shared" / "backstage" / "package-lock.json").write_text("{}\n", encoding="utf-8")
    return proj


BASICS = ("bash", "dirname", "sed", "cat")


def check(proj: Path, path: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": str(proj)}
    return subprocess.run(
        [str(proj / ".ci" / "backstage.sh"), "check"], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_backend_check_names_everything_missing_at_once(tmp_path: Path) -> None:
    proj = project_copy(tmp_path, ".ci/backstage.sh")
    proc = check(proj, toolbox(tmp_path / "bin", *BASICS))
    assert proc.returncode == 1
    said = " ".join(proc.stderr.split())
    for missing in ("node (version 20 or later)", "npm", "make", "a C++ compiler (g++)"):
        assert missing in said, said
    assert "PORTAL_LINT_SKIP_LIVE=1" in said


def test_the_backend_check_refuses_an_old_node_and_passes_a_complete_machine(tmp_path: Path) -> None:
    proj = project_copy(tmp_path, ".ci/backstage.sh")
    node18 = {"node": "case $1 in -p) echo 18;; *) echo v18.19.0;; esac", "npm": "true"}
    proc = check(proj, toolbox(tmp_path / "old", *BASICS, "make", "g++", "python3", fake=node18))
    assert proc.returncode == 1 and "node 20 or later (found v18.19.0)" in proc.stderr
    node20 = {"node": "case $1 in -p) echo 20;; *) echo v20.20.2;; esac", "npm": "true"}
    proc = check(proj, toolbox(tmp_path / "ok", *BASICS, "make", "g++", "python3", fake=node20))
    assert proc.returncode == 0, proc.stderr


def test_the_test_command_uses_the_venv_of_the_first_command(tmp_path: Path) -> None:
    """`./scripts/test.sh` right after the README's first command runs the tools of .venv,
    not whatever `python3` the system has."""
    proj = project_copy(tmp_path, "scripts/test.sh", ".ci/backstage.sh")
    calls = tmp_path / "calls"
    venv_bin = proj / ".venv" / "bin"
    record = {t: f'echo "venv {t} $*" >> {calls}' for t in ("python3", "ruff", "mypy", "lint-imports")}
    toolbox(venv_bin, fake=record)
    env = {
        "PATH": toolbox(tmp_path / "bin", *BASICS, "env"),
        "PORTAL_LINT_SKIP_LIVE": "1",
    }
    proc = subprocess.run(
        [str(proj / "scripts" / "test.sh"), "-q"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    ran = calls.read_text(encoding="utf-8").splitlines()
    assert ran == [
        "venv python3 -c import pytest",
        "venv ruff check .",
        "venv ruff format --check .",
        "venv mypy ",
        "venv lint-imports --no-cache --no-logo",
        "venv python3 -m pytest -q",
    ]


def test_ci_runs_the_readme_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme[readme.index("## Set-up") : readme.index("## Use")]
    first, second = re.findall(r"```sh\n(.*?)\n```", setup, re.S)[:2]
    assert first.startswith("python3 -m venv .venv && .venv/bin/pip install -e '.[test]'")
    assert second == "./scripts/test.sh"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .venv" in ci and ".venv/bin/pip install" in ci and "./scripts/test.sh" in ci


def test_versions_are_pinned_by_commit_and_the_changelog_knows_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"\n## {__version__}\n" in changelog
    for doc in ("README.md", "docs/integrations.md", "examples/.pre-commit-config.yaml"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        # No tag exists to point at: every rev is a commit to fill in.
        assert re.findall(r"rev: (\S+)", text) == ["<commit-sha>"], doc
    workflow = (ROOT / "examples" / "github" / "portal-lint.yml").read_text(encoding="utf-8")
    assert "uses: portal-lint/portal-lint@<commit-sha>" in workflow
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
