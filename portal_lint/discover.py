"""Which files a run lints, of which kind, and which repository each belongs to."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from portal_lint.globs import matches_any
from portal_lint.ingest import Settings, sniff
from portal_lint.model import CATALOG_NAMES, FILE_NAMES, HIDDEN_ALLOWED, Repo, overlay_text, walk_repos

SKILL_NAME = "SKILL.md"
AGENTS_NAMES = frozenset({"AGENTS.md", "agents.md", "AGENTS.override.md"})


class UsageError(Exception):
    """Bad command-line input (exit 2)."""


class Target(NamedTuple):
    path: Path
    kind: str  # catalog | skill | agents | repo-file
    repo: Repo


def kind_of(path: Path, repo: Repo, repo_rel: str, explicit: bool = True) -> str | None:
    """The kind of a file named on the command line (`explicit`: any YAML file is linted as a
    catalog file, other files as repository files) or opened in an editor (only the files a scan
    would lint)."""
    name = path.name
    yaml = path.suffix in (".yaml", ".yml")
    if name == SKILL_NAME:
        return "skill"
    if name in AGENTS_NAMES:
        return "agents"
    if yaml and repo_rel in repo.ingest().skipped:
        return "repo-file" if explicit else None  # template input, excluded or ignored: not a catalog file
    if name in repo.settings.names or (yaml and repo_rel in repo.ingest().catalog):
        return "catalog"
    in_api = repo_rel.startswith("api/") or "/api/" in repo_rel  # a monorepo service's api/ too
    if explicit and yaml and not in_api and sniff(str(path)) != "foreign":
        # A YAML file named on the command line is linted as a catalog file, unless its first lines
        # say it is something else (a workflow, a Kubernetes manifest) that pre-commit passed along.
        return "catalog"
    return "repo-file" if explicit else None  # e.g. api/openapi.yaml: repository rules look at it


def _skill_or_agents(name: str, rel: str) -> str | None:
    """What a scan lints besides catalog files: SKILL.md and AGENTS.md files, outside dot folders
    other than the agents' own."""
    kind = "skill" if name == SKILL_NAME else "agents" if name in AGENTS_NAMES else None
    if kind is None or any(p.startswith(".") and p not in HIDDEN_ALLOWED for p in rel.split("/")[:-1]):
        return None
    return kind


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
        settings: Settings | None = None,
    ) -> None:
        self.cwd = cwd
        self.root = root.resolve() if root else None
        self.settings = settings or Settings()
        self.repos: dict[Path, Repo] = {}

    def repo(self, root: Path) -> Repo:
        got = self.repos.get(root)
        if got is None:
            got = self.repos[root] = Repo(root, self.settings)
        return got

    def _excluded(self, rel: str) -> bool:
        return matches_any(rel, self.settings.exclude)

    def targets(self, paths: list[str]) -> list[Target]:
        if not paths:
            start = self.root or git_root(self.cwd) or self.cwd
            paths = [str(start)]
        out: dict[Path, Target] = {}
        for raw in paths:
            p = (self.cwd / raw).absolute()
            if not p.exists() and not p.is_symlink() and overlay_text(p) is None:
                raise UsageError(f"{raw}: no such file or directory")
            if p.is_dir() and p.name not in FILE_NAMES:  # a folder so named is reported
                self._scan_dir(p, out)
            else:
                root = (
                    self.root or git_root(p.parent) or (self.cwd if p.is_relative_to(self.cwd) else p.parent)
                )
                repo = self.repo(root)
                rel = p.relative_to(root).as_posix() if p.is_relative_to(root) else p.name
                kind = kind_of(p, repo, rel)
                if kind and not self._excluded(rel):
                    out[p] = Target(p, kind, repo)
        return sorted(out.values(), key=lambda t: t.path.parts)  # Path order, compared as tuples

    def _scan_dir(self, top: Path, out: dict[Path, Target]) -> None:
        before = len(out)
        for root_s, files in walk_repos(str(top), self.root is not None).items():
            root = self.root or Path(root_s)
            prefix = os.path.join(str(root), "")
            rels = [(p[len(prefix) :] if p.startswith(prefix) else p).replace(os.sep, "/") for p, _ in files]
            repo = self.repo(root)
            if self.root is None:  # the walk covered the whole repository
                repo.seed_files([rel for rel, (_, is_file) in zip(rels, files, strict=True) if is_file])
            ingest = repo.ingest()
            found = len(out)
            for rel in ingest.catalog:
                p = root / rel
                if p.is_relative_to(top):
                    out[p] = Target(p, "catalog", repo)
            for rel, (path_s, is_file) in zip(rels, files, strict=True):
                name = rel[rel.rfind("/") + 1 :]
                if not is_file and name in CATALOG_NAMES:
                    kind: str | None = "catalog"  # a folder, a pipe or a broken link so named: reported
                elif not is_file and name not in FILE_NAMES and _real_dir(path_s):
                    kind = "catalog"  # a folder walk_repos could not list: reported (YML006) as one is
                else:
                    kind = _skill_or_agents(name, rel)
                if kind and not self._excluded(rel):
                    out[Path(path_s)] = Target(Path(path_s), kind, repo)
            if len(out) == found and self.root is None:
                del self.repos[root]  # a repository without lintable files is not one of the run's
        if len(out) == before and (self.root or (top / ".git").exists()):
            # A repository without any lintable file still gets its repository rules (e.g. "no
            # catalog-info.yaml at the root"); a folder of repositories does not become one.
            self.repo(self.root or top)


def show_files(discovery: Discovery, targets: list[Target], cwd: Path) -> list[tuple[str, str]]:
    """(path, why) of every file a run lints, then of the files it passes over and why (--show-files)."""
    from portal_lint.model import posix_rel

    lint, skip = [], []
    for t in targets:
        rel = posix_rel(t.path, t.repo.root)
        if t.kind == "catalog":
            reach = t.repo.ingest().catalog.get(rel)
            why = "catalog file: " + (reach.why if reach else "named on the command line")
            if reach is not None and reach.how == "unreached":
                why = "catalog file, never read by Backstage: " + reach.why
        elif t.kind == "repo-file":
            why = "repository file: the repository rules read it"
        else:
            why = f"{t.kind}: named {t.path.name}"
        lint.append((posix_rel(t.path, cwd), why))
    shown = {t.path for t in targets}
    for repo in discovery.repos.values():
        for rel, why in sorted(repo.ingest().skipped.items()):
            path = repo.root / rel
            if path not in shown and (rel.endswith((".yaml", ".yml"))):
                skip.append((posix_rel(path, cwd), "skipped: " + why))
        for folder, template in sorted(repo.ingest().template_input.items()):
            skip.append((posix_rel(repo.root / folder, cwd) + "/", f"skipped: template input of {template}"))
    return lint + skip


def _real_dir(path: str) -> bool:
    """A folder itself, not a symlink to one (walk_repos lists those as files: never followed)."""
    return os.path.isdir(path) and not os.path.islink(path)
