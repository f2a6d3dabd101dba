"""This repository's published address, read from its git files without running git (the
repository is not trusted): the remote's web URL and the branch checked out."""

from __future__ import annotations

import os
import re
from pathlib import Path

_REMOTE_SCP = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")


def git_location(root: Path) -> str | None:
    """`url:<web URL>/blob/<branch>/catalog-info.yaml` from the repository's git files (never by
    running git: the repository is not trusted). None when there is no usable remote."""
    gitdir = _git_dir(root)
    if gitdir is None:
        return None
    common = gitdir
    commondir = _read(gitdir / "commondir")
    if commondir:
        common = (gitdir / commondir.strip()).resolve()
    remotes = _remotes(_read(common / "config") or "")
    url = remotes.get("origin") or next(iter(remotes.values()), None)
    web = web_url(url) if url else None
    if web is None:
        return None
    head = (_read(gitdir / "HEAD") or "").strip()
    branch = head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else None
    branch = branch or os.environ.get("GITHUB_HEAD_REF") or os.environ.get("GITHUB_REF_NAME") or "HEAD"
    marker = "/-/blob/" if "gitlab" in web.split("/")[2] else "/blob/"
    return f"url:{web}{marker}{branch}/catalog-info.yaml"


def web_url(remote: str) -> str | None:
    """The https URL of a git remote (`git@host:o/r.git`, `ssh://…`, `https://user@…`), no credentials."""
    remote = remote.strip()
    scp = _REMOTE_SCP.match(remote) if "://" not in remote else None
    if scp is not None:
        host, path = scp[1], scp[2]
    else:
        # The authority ends at the first `/`; its credentials at its last `@` (`user:p@ss@host`).
        m = re.match(r"^(?:https?|ssh|git)://(?:[^/]*@)?([^/:@]+)(?::\d+)?/(.+)$", remote)
        if m is None:
            return None
        host, path = m[1], m[2]
    path = re.split(r"[?#]", path, maxsplit=1)[0]  # a query or fragment may hold a token
    path = path.strip("/").removesuffix(".git")
    return f"https://{host}/{path}" if path else None


def _git_dir(root: Path) -> Path | None:
    dotgit = root / ".git"
    if dotgit.is_dir():
        return dotgit
    text = _read(dotgit)  # a worktree or submodule: `gitdir: <path>`
    if text and text.startswith("gitdir:"):
        target = Path(text.removeprefix("gitdir:").strip())
        return target if target.is_absolute() else (root / target).resolve()
    return None


def _remotes(config: str) -> dict[str, str]:
    out: dict[str, str] = {}
    section: str | None = None
    for line in config.splitlines():
        line = line.strip()
        header = re.match(r'^\[remote\s+"([^"]+)"\]', line)
        if header:
            section = header[1]
        elif line.startswith("["):
            section = None
        elif section is not None:
            m = re.match(r"^url\s*=\s*(.+)$", line)
            if m and section not in out:
                out[section] = m[1].strip().strip('"')
    return out


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
