"""Which files of a repository are catalog files, and why: the repository read as Backstage reads it.

Every front end (CLI, pre-commit, Action, editors, agents, audit) asks this module. A file is a
catalog file when

- it has a conventional name (`catalog-info.yaml` / `.yml` anywhere, dot folders included, as the
  discovery providers register it; the names are the config's `catalog-names`),
- the config's `catalog-files` patterns name it,
- an `app-config*.yaml` of this repository lists it in `catalog.locations` (`file`, or `url`
  into this repository), or
- a Location entity reached in one of these ways names it in `spec.target`/`spec.targets`
  (relative as the catalog resolves them, globs as node's `glob` expands them, `url` targets
  into this repository's own remote mapped to the local file), transitively.

Any other YAML file whose first lines declare a Backstage `apiVersion` and a `kind` is linted too,
marked as never read (CAT026), unless it is template input: a folder a Template's fetch step
names (`portal_lint.scaffold`) holds skeletons, never catalog files. The same place decides which
kinds the installation's `catalog.rules` allow in each file, and the kinds it adds.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from portal_lint.globs import glob_regex, is_glob, matches_any

if TYPE_CHECKING:
    from portal_lint.model import Entity, Repo

DEFAULT_NAMES = ("catalog-info.yaml", "catalog-info.yml")
DEFAULT_LOCATION_TYPES = ("file", "url")
DEFAULT_ALLOW = ("Component", "API", "Location")  # the catalog's rules when app-config sets none
BUILTIN_KINDS = frozenset(
    {"Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"}
)
SNIFF_BYTES = 4096
_APP_CONFIG = re.compile(r"app-config(?:\.[\w.-]+)?\.ya?ml\Z")
_BACKSTAGE_API = re.compile(rb"^apiVersion:[ \t]*['\"]?(?:[\w.-]+\.)?backstage\.io/", re.M)
_ANY_API = re.compile(rb"^apiVersion:", re.M)
_KIND = re.compile(rb"^kind:[ \t]*['\"]?([A-Za-z][\w-]*)", re.M)
# A scaffolder expression over the fetch step's values: a skeleton's text. Cookiecutter's
# `{{ cookiecutter.x }}` marks a skeleton only inside cookiecutter's `{{cookiecutter.…}}` project
# folder; elsewhere (a repository's own catalog-info.yaml) it is a value left unrendered, which
# CAT008 reports with its fix.
_SKELETON = re.compile(rb"\$\{\{\s*values\.")
_COOKIECUTTER = re.compile(rb"\{\{\s*cookiecutter\.")
# Only files holding these kinds are parsed while the graph is built (the rest when linted): a
# run over thousands of repositories parses each file once, when its repository is linted.
_GRAPH_KINDS = re.compile(rb"^kind:[ \t]*['\"]?(?:Location|Template)\b", re.M)
HEAD_BYTES = 65536
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# `https://host/owner/repo/blob/<branch>/path` (GitHub, Gitea), `…/-/blob/…` (GitLab), `…/src/…`.
_HOSTED = re.compile(r"^https?://([^/]+)/(.+?)/(?:-/)?(?:blob|tree|src|raw|edit)/[^/]+/?(.*)$", re.I)
_SLUG_ANNOTATIONS = {"github.com/project-slug": "github.com", "gitlab.com/project-slug": "gitlab.com"}


class Settings(NamedTuple):
    """The config's say in what a repository's catalog files are."""

    names: tuple[str, ...] = DEFAULT_NAMES
    catalog_files: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    location_types: tuple[str, ...] = ()
    location: str | None = None  # this repository's catalog location (config `location`)


class Reach(NamedTuple):
    how: str  # convention | catalog-files | app-config | location | unreached | named
    why: str  # for --show-files


class Resolved(NamedTuple):
    """What one Location target names, as the catalog would resolve it."""

    paths: tuple[str, ...]  # repository-relative files it reads
    problem: str | None  # outside | missing | no-match | folder | None
    remote: bool = False  # a URL elsewhere: not followed offline
    rel: str | None = None  # the repository-relative path (or pattern) it names


class Rule(NamedTuple):
    allow: frozenset[str]
    where: frozenset[str] | None  # the files it applies to; None: every location


class Ingest:
    """The answer for one repository (built once per run, shared by discovery and the rules)."""

    def __init__(self, repo: Repo, files: Iterable[str], settings: Settings) -> None:
        self.repo = repo
        self.settings = settings
        self.root = str(repo.root)
        self.catalog: dict[str, Reach] = {}  # file → how it is reached (these are linted)
        self.skipped: dict[str, str] = {}  # file → why it is not linted
        self.template_input: dict[str, str] = {}  # folder → the Template whose fetch step names it
        self.skeletons: set[str] = set()  # files holding `${{ values.x }}` that no fetch step names
        self.entry = False  # whether anything in the repository registers files (a name, an app-config)
        self.cycles: set[tuple[str, str]] = set()  # (file, target) that leads back up its own chain
        self.loc_type: dict[str, str] = {}  # file → the type of the location it is read as
        self.location_types = frozenset((*DEFAULT_LOCATION_TYPES, *settings.location_types))
        self.rules: list[Rule] | None = None  # None: the installation's rules are unknown here
        self.extra_kinds: frozenset[str] = frozenset()
        self._parent: dict[str, str | None] = {}
        self._own: list[tuple[str, str]] | None = None
        self.files: list[str] = []
        self._dirs: set[str] | None = None  # made when a target needs it: most repositories have none
        self._names: frozenset[str] | None = None
        self._build(files)

    # -- resolution -------------------------------------------------------------------------

    def resolve(self, source: str, loc_type: str, target: str, base: str | None = None) -> Resolved:
        """Where `target` of a `loc_type` Location in the file `source` leads (repository-relative).
        `base` replaces the source's folder (app-config `file` targets, read from the backend's)."""
        folder = posixpath.dirname(source) if base is None else base
        if loc_type == "file" and target.endswith(("/", "\\")):
            return Resolved((), "folder")  # whatever it names: the file reader refuses it
        if _SCHEME.match(target):
            if loc_type != "url":
                return Resolved((), None, remote=True)  # a drive letter or another scheme: not ours
            local = self.own_path(target)
            if local is None:
                return Resolved((), None, remote=True)
            rel = local
        elif target.startswith("/"):
            if loc_type == "file":
                return Resolved((), None, remote=True)  # a path on the backend's disk
            rel = posixpath.normpath(target.lstrip("/")) or "."
        else:
            rel = posixpath.normpath(posixpath.join(folder, target))
        if rel == ".." or rel.startswith("../"):
            return Resolved((), "outside", rel=rel)
        if target.endswith(("/", "\\")):
            return Resolved((), "folder", rel=rel)
        if is_glob(rel):
            rx = glob_regex(rel)
            got = tuple(f for f in self.files if rx.match(f))
            return Resolved(got, None if got else "no-match", rel=rel)
        if rel in self._file_set() or os.path.isfile(os.path.join(self.root, rel)):
            return Resolved((rel,), None, rel=rel)
        if rel == "." or rel in self._folders() or os.path.isdir(os.path.join(self.root, rel)):
            return Resolved((), "folder", rel=rel)
        return Resolved((), "missing", rel=rel)

    def own_path(self, url: str) -> str | None:
        """The repository-relative path a URL into this repository's own remote names, else None."""
        m = _HOSTED.match(url.split("?", 1)[0].split("#", 1)[0])
        if m is None:
            return None
        key = (m[1].lower(), m[2].lower().removesuffix(".git"))
        if key not in self.own_remotes():
            return None
        from urllib.parse import unquote

        return posixpath.normpath(unquote(m[3])) if m[3] else "."

    def own_remotes(self) -> list[tuple[str, str]]:
        """(host, owner/repo) this repository is published as: its git remote, the config's
        `location`, and the root catalog file's `github.com/project-slug` (and GitLab's)."""
        if self._own is None:
            from portal_lint.gitfiles import git_location

            found = []
            for loc in (self.settings.location, git_location(self.repo.root)):
                m = _HOSTED.match(loc.removeprefix("url:")) if loc else None
                if m:
                    found.append((m[1].lower(), m[2].lower().removesuffix(".git")))
            for name in self.settings.names:
                if name in self._file_set():
                    for entity in self.entities_of(name):
                        for key, host in _SLUG_ANNOTATIONS.items():
                            slug = entity.annotation(key)
                            if isinstance(slug, str) and "/" in slug:
                                found.append((host, slug.strip().strip("/").lower()))
            self._own = found
        return self._own

    def _file_set(self) -> frozenset[str]:
        if self._names is None:
            self._names = frozenset(self.files)
        return self._names

    def _folders(self) -> set[str]:
        if self._dirs is None:
            self._dirs = set()
            for rel in self.files:
                d = posixpath.dirname(rel)
                while d and d not in self._dirs:
                    self._dirs.add(d)
                    d = posixpath.dirname(d)
        return self._dirs

    # -- building ---------------------------------------------------------------------------

    def _build(self, files: Iterable[str]) -> None:
        s = self.settings
        kept = []
        for rel in files:
            if s.exclude and matches_any(rel, s.exclude):
                self.skipped[rel] = "excluded by the config's `exclude`"
            else:
                kept.append(rel)
        kept.sort()
        self.files = kept
        names = frozenset(s.names)
        roots: list[tuple[str, str, Reach]] = []
        sniffed: list[str] = []
        app_configs: list[str] = []
        for rel in self.files:
            if not rel.endswith((".yaml", ".yml")):
                continue
            base = rel[rel.rfind("/") + 1 :]
            if base in names:
                roots.append((rel, "url", Reach("convention", f"named {base}")))
            elif s.catalog_files and matches_any(rel, s.catalog_files):
                roots.append((rel, "url", Reach("catalog-files", "matches the config's `catalog-files`")))
            elif _APP_CONFIG.match(base):
                app_configs.append(rel)
            elif self._declares_entity(rel):
                sniffed.append(rel)
        for rel in sniffed:  # Templates first: the folders they read are not catalog files
            if _GRAPH_KINDS.search(self._head(rel)):
                self._note_template_input(rel)
        roots.extend(self._app_config_roots(app_configs))
        self._walk(roots)
        self.entry = any(r not in self.skeletons and not self._in_template_input(r) for r in self.catalog)
        unreached = [r for r in sniffed if r not in self.catalog and not self._in_template_input(r)]
        if unreached and (Path(self.root) / ".gitignore").is_file():
            unreached = self._not_ignored(unreached)
        for rel in unreached:
            if rel not in self.catalog:  # a Location in an earlier unreached file may name it
                self._walk(
                    [(rel, "url", Reach("unreached", "declares a Backstage kind; no Location names it"))]
                )
        for rel in [r for r in self.catalog if self._in_template_input(r)]:
            del self.catalog[rel]
            self.skipped[rel] = f"template input of {self.template_input[self._input_folder(rel)]}"
        for rel in self.skeletons:
            self.catalog.pop(rel, None)
            self.skipped[rel] = (
                "a skeleton: it holds scaffolder expressions (`${{ values.… }}`, or "
                "`{{ cookiecutter.… }}` in a cookiecutter project folder); no fetch step names its folder"
            )
        for rel in sniffed:
            if rel not in self.catalog and rel not in self.skipped:
                self.skipped[rel] = "ignored by .gitignore"
        if self.rules is not None:
            self.extra_kinds = frozenset(k for r in self.rules for k in r.allow) - BUILTIN_KINDS

    def _declares_entity(self, rel: str) -> bool:
        return sniff(os.path.join(self.root, rel)) == "backstage"

    def entities_of(self, rel: str) -> list[Entity]:
        from portal_lint.model import InputError

        try:
            return self.repo.load_catalog(Path(self.root, rel)).entities
        except InputError:
            return []

    def _head(self, rel: str) -> bytes:
        try:
            with open(os.path.join(self.root, rel), "rb") as fh:
                return fh.read(HEAD_BYTES)
        except OSError:
            return b""

    def _is_skeleton(self, rel: str, head: bytes) -> bool:
        if b"{{" not in head:
            return False
        in_project_folder = "{{" in rel.rpartition("/")[0]
        return _SKELETON.search(head) is not None or (
            in_project_folder and _COOKIECUTTER.search(head) is not None
        )

    def _note_template_input(self, rel: str) -> None:
        from portal_lint.scaffold import fetch_steps, is_template

        for entity in self.entities_of(rel):
            if not is_template(entity.raw):
                continue
            for step in fetch_steps(entity.raw, Path(self.root, rel)):
                if step.folder is None:
                    continue
                folder = Path(os.path.relpath(step.folder, self.root)).as_posix()
                if folder != "." and not folder.startswith("../"):
                    self.template_input.setdefault(folder, rel)

    def _input_folder(self, rel: str) -> str:
        for folder in self.template_input:
            if rel == folder or rel.startswith(folder + "/"):
                return folder
        return ""

    def _in_template_input(self, rel: str) -> bool:
        return bool(self.template_input) and bool(self._input_folder(rel))

    def _not_ignored(self, rels: list[str]) -> list[str]:
        from portal_lint.model import InputError, read_text

        try:
            lines = read_text(Path(self.root, ".gitignore")).splitlines()
        except InputError:
            return rels
        return [r for r in rels if not matches_any(r, lines)]

    def _walk(self, roots: Iterable[tuple[str, str, Reach]]) -> None:
        """Follow Location entities from `roots`, breadth first, recording how each file is reached."""
        queue: deque[str] = deque()
        for rel, loc_type, reach in roots:
            if rel not in self.catalog:
                self.catalog[rel] = reach
                self.loc_type[rel] = loc_type
                self._parent[rel] = None
                queue.append(rel)
        while queue:
            rel = queue.popleft()
            if self._in_template_input(rel):
                continue
            head = self._head(rel)
            if self._is_skeleton(rel, head):
                self.skeletons.add(rel)
                continue
            if not _GRAPH_KINDS.search(head):
                continue  # no Location, no Template: nothing to follow
            for entity in self.entities_of(rel):
                if entity.kind == "Template":
                    self._note_template_input(rel)
                if entity.kind != "Location" or entity.spec is None:
                    continue
                own_type, allowed = self.location_type(entity)
                if not allowed:
                    continue  # the catalog reads none of its targets
                for target, _ptr in location_targets(entity):
                    for path in self.resolve(rel, own_type, target).paths:
                        if path in self.catalog:
                            if self._is_ancestor(path, rel):
                                self.cycles.add((rel, target))
                            continue
                        self.catalog[path] = Reach(
                            "location", f"target {target} of Location {entity.name} in {rel}"
                        )
                        self.loc_type[path] = own_type
                        self._parent[path] = rel
                        queue.append(path)

    def _is_ancestor(self, path: str, rel: str) -> bool:
        step: str | None = rel
        while step is not None:
            if step == path:
                return True
            step = self._parent.get(step)
        return False

    def location_type(self, entity: Entity) -> tuple[str, bool]:
        """(the Location's type, whether the catalog reads its targets): the type defaults to the
        parent location's, and another one must be among the installation's location types."""
        parent = self.loc_type.get(entity.file.rel, "url")
        spec = entity.spec
        given = spec.get("type") if spec is not None else None
        if not isinstance(given, str) or not given:
            return parent, True
        return given, given == parent or given in self.location_types

    # -- app-config -------------------------------------------------------------------------

    def _app_config_roots(self, app_configs: list[str]) -> Iterator[tuple[str, str, Reach]]:
        per_location: list[Rule] = []
        global_rules: list[Rule] | None = None
        extra_types: set[str] = set()
        for rel in app_configs:
            catalog = _catalog_section(Path(self.root, rel))
            if catalog is None:
                continue
            if global_rules is None:
                global_rules = []
            locations = catalog.get("locations")
            for i, loc in enumerate(locations if isinstance(locations, list) else []):
                if not isinstance(loc, Mapping):
                    continue
                loc_type, target = loc.get("type"), loc.get("target")
                if not isinstance(loc_type, str) or not isinstance(target, str):
                    continue
                extra_types.add(loc_type)
                got = self._app_config_target(rel, loc_type, target)
                for path in got.paths:
                    yield path, loc_type, Reach("app-config", f"catalog.locations[{i}] of {rel}")
                own_rules = loc.get("rules")
                if isinstance(own_rules, list) and got.paths:
                    where = frozenset(got.paths)
                    per_location.extend(Rule(allow, where) for allow in _allows(own_rules))
            rules = catalog.get("rules")
            if isinstance(rules, list):
                for r in rules:
                    if isinstance(r, Mapping) and isinstance(r.get("allow"), list):
                        global_rules.append(
                            Rule(_kinds(r["allow"]), self._rule_where(rel, r.get("locations")))
                        )
        self.location_types |= extra_types
        if global_rules is not None:
            self.rules = (global_rules or [Rule(frozenset(DEFAULT_ALLOW), None)]) + per_location

    def _app_config_target(self, rel: str, loc_type: str, target: str) -> Resolved:
        """A `file` target is read from the backend's working directory (`packages/backend` in a
        Backstage app, hence `../../examples/…`), else from the config's own folder."""
        folder = posixpath.dirname(rel)
        if loc_type != "file":
            return self.resolve(rel, loc_type, target)
        backend = posixpath.join(folder, "packages/backend") if folder else "packages/backend"
        first = self.resolve(rel, "file", target, base=backend)
        if first.paths:
            return first
        return self.resolve(rel, "file", target, base=folder)

    def _rule_where(self, rel: str, matchers: Any) -> frozenset[str] | None:
        if not isinstance(matchers, list):
            return None
        where: set[str] = set()
        for m in matchers:
            if isinstance(m, Mapping) and isinstance(m.get("type"), str):
                target = m.get("exact") or m.get("pattern")
                if isinstance(target, str):
                    where.update(self._app_config_target(rel, m["type"], target).paths)
        return frozenset(where)

    def allowed_kinds(self, rel: str) -> frozenset[str] | None:
        """The kinds the installation's catalog rules allow in the file, None when unknown."""
        if self.rules is None:
            return None
        return frozenset(k for r in self.rules if r.where is None or rel in r.where for k in r.allow)


def sniff(path: str) -> str:
    """What the first KB of a YAML file say it is (reading no further): `backstage` (a Backstage
    apiVersion and a kind), `foreign` (another apiVersion, or neither apiVersion nor kind: a
    Kubernetes manifest, a workflow, a compose file) or `unknown` (unreadable, or a kind alone)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return "unknown"
    if _BACKSTAGE_API.search(head) is not None:
        return "backstage" if _KIND.search(head) is not None else "unknown"
    if _ANY_API.search(head) is not None or (_KIND.search(head) is None and b"\0" not in head):
        return "foreign"
    return "unknown"


def location_targets(entity: Entity) -> Iterator[tuple[str, str]]:
    """(target, pointer) of every string target of a Location entity."""
    spec = entity.spec
    if spec is None:
        return
    target = spec.get("target")
    if isinstance(target, str) and target:
        yield target, "spec.target"
    targets = spec.get("targets")
    if isinstance(targets, list):
        for i, item in enumerate(targets):
            if isinstance(item, str) and item:
                yield item, f"spec.targets[{i}]"


def _kinds(allow: list[Any]) -> frozenset[str]:
    """Kinds of an `allow` list: `Component`, or `{kind: Component, spec.type: service}`."""
    out = set()
    for a in allow:
        kind = a.get("kind") if isinstance(a, Mapping) else a
        if isinstance(kind, str) and kind:
            out.add(kind)
    return frozenset(out)


def _allows(rules: list[Any]) -> Iterator[frozenset[str]]:
    for r in rules:
        if isinstance(r, Mapping) and isinstance(r.get("allow"), list):
            yield _kinds(r["allow"])


def _catalog_section(path: Path) -> Mapping[str, Any] | None:
    """`catalog:` of an app-config file (plain YAML; `${ENV}` substitutions stay as written)."""
    import yaml

    from portal_lint.model import InputError, read_text

    try:
        data = yaml.load(read_text(path), Loader=yaml.CSafeLoader)
    except (InputError, yaml.YAMLError):
        return None
    section = data.get("catalog") if isinstance(data, dict) else None
    return section if isinstance(section, dict) else None
