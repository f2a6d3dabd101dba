"""Which files a run lints, of which kind, and which repository each belongs to."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from portal_lint.model import CATALOG_NAMES, Repo, matches_any, overlay_text, walk_repos

SKILL_NAME = "SKILL.md"
AGENTS_NAMES = frozenset({"AGENTS.md", "agents.md", "AGENTS.override.md"})
_NAMED = CATALOG_NAMES | AGENTS_NAMES | {SKILL_NAME}  # the names a scan lints (besides catalog-files)


class UsageError(Exception):
    """Bad command-line input (exit 2)."""


class Target(NamedTuple):
    path: Path
    kind: str  # catalog | skill | agents | repo-file
    repo: Repo


def kind_of(path: Path, explicit: bool, extra_catalog: list[str], repo_rel: str) -> str | None:
    name = path.name
    if name in CATALOG_NAMES or matches_any(repo_rel, extra_catalog):
        return "catalog"
    if name == SKILL_NAME:
        return "skill"
    if name in AGENTS_NAMES:
        return "agents"
    in_api = repo_rel.startswith("api/") or "/api/" in repo_rel  # a monorepo service's api/ too
    if explicit and path.suffix in (".yaml", ".yml") and not in_api:
        return "catalog"  # a YAML file named on the command line is linted as a catalog file
    if explicit:
        return "repo-file"  # e.g. api/openapi.yaml from pre-commit: repository rules look at it
    return None


def git_root(start: Path, boundary: Path | None = None) -> Path | None:
    """Nearest folder at or above `start` that holds `.git`, not climbing past `boundary`."""
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
        if boundary is not None and d == boundary:
            return None
    return None


class Discovery:
    """Maps paths to targets, sharing one Repo object per repository root."""

    def __init__(
        self,
        cwd: Path,
        root: Path | None = None,
        extra_catalog: list[str] | None = None,
        exclude: list[str] | None = None,
    ) -> None:
        self.cwd = cwd
        self.root = root.resolve() if root else None
        self.extra_catalog = extra_catalog or []
        self.exclude = exclude or []
        self.repos: dict[Path, Repo] = {}

    def repo(self, root: Path) -> Repo:
        got = self.repos.get(root)
        if got is None:
            got = self.repos[root] = Repo(root, tuple(self.exclude))
        return got

    def _excluded(self, rel: str) -> bool:
        return matches_any(rel, self.exclude)

    def targets(self, paths: list[str]) -> list[Target]:
        if not paths:
            start = self.root or git_root(self.cwd) or self.cwd
            paths = [str(start)]
        out: dict[Path, Target] = {}
        for raw in paths:
            p = (self.cwd / raw).absolute()
            if not p.exists() and not p.is_symlink() and overlay_text(p) is None:
                raise UsageError(f"{raw}: no such file or directory")
            if p.is_dir() and p.name not in CATALOG_NAMES:  # a folder so named is reported
                self._scan_dir(p, out)
            else:
                root = (
                    self.root or git_root(p.parent) or (self.cwd if p.is_relative_to(self.cwd) else p.parent)
                )
                repo = self.repo(root)
                rel = p.relative_to(root).as_posix() if p.is_relative_to(root) else p.name
                kind = kind_of(p, True, self.extra_catalog, rel)
                if kind and not self._excluded(rel):
                    out[p] = Target(p, kind, repo)
        return sorted(out.values(), key=lambda t: t.path.parts)  # Path order, compared as tuples

    def _scan_dir(self, top: Path, out: dict[Path, Target]) -> None:
        before = len(out)
        extra, exclude = self.extra_catalog, self.exclude
        for root_s, files in walk_repos(str(top), self.root is not None).items():
            root = self.root or Path(root_s)
            prefix = os.path.join(str(root), "")
            repo: Repo | None = None  # a repository without lintable files is not one of the run's
            found = []
            for path_s, is_file in files:
                name = path_s[path_s.rfind(os.sep) + 1 :]
                if not extra and name not in _NAMED:
                    continue  # what kind_of says of any other file found by a scan
                p = Path(path_s)
                rel = path_s[len(prefix) :].replace(os.sep, "/") if path_s.startswith(prefix) else name
                if exclude and self._excluded(rel):
                    continue
                if name in CATALOG_NAMES and is_file:
                    found.append(p)
                kind = kind_of(p, False, extra, rel)
                if kind:
                    repo = repo or self.repo(root)
                    out[p] = Target(p, kind, repo)
            if repo is not None and self.root is None:  # the walk covered the whole repository
                repo.seed_catalog_paths(found)
        if len(out) == before and (self.root or (top / ".git").exists()):
            # A repository without any lintable file still gets its repository rules (e.g. "no
            # catalog-info.yaml at the root"); a folder of repositories does not become one.
            self.repo(self.root or top)
