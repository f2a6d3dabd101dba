"""The catalog a run checks against: settings from flags, environment and config, the entity
index they build, and one batched lookup per repository for the catalog rules (REF004, LIV).

Shared by the CLI, the MCP and language servers and the audit. Import-light: nothing here
loads httpx or pydantic unless a catalog URL or a snapshot is actually given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from portal_lint.gitfiles import git_location
from portal_lint.model import Entity, Repo, posix_rel
from portal_lint.refs import RefError, RefUse, format_problem, parse_ref, refs_of

if TYPE_CHECKING:
    from portal_lint.catalog import CatalogError
    from portal_lint.catalog.index import EntityIndex, Entry
    from portal_lint.catalog.snapshot import Snapshot
    from portal_lint.config import Config
    from portal_lint.state import Run

    SnapshotLoader = Callable[[Path], Snapshot]

CATALOG_URL_ENV = "PORTAL_LINT_CATALOG_URL"
TOKEN_ENV = "PORTAL_LINT_TOKEN"
SOURCE_TEMPLATE = "backstage.io/source-template"
# The portal's own workflow writes the provenance under this key; both are read, in this order.
TEMPLATE_ORIGIN = "backstage.io/template-origin"
PROVENANCE_KEYS = (SOURCE_TEMPLATE, TEMPLATE_ORIGIN)
TEMPLATE_VERSION_KEY = "backstage.io/template-version"
CHECKS = "ref-not-found, name-taken and template-behind"


class LiveError(Exception):
    """Catalog settings that cannot work (bad URL, CA file, snapshot): a usage error, exit 2."""


class CatalogSettings(NamedTuple):
    """Where the catalog is, resolved from flags, then the environment, then the config."""

    url: str | None = None
    snapshot: Path | None = None
    location: str | None = None
    ca: Path | None = None
    require: bool = False
    template_version_key: str = TEMPLATE_VERSION_KEY

    @property
    def any(self) -> bool:
        return bool(self.url or self.snapshot)


def config_base(cfg: Config, default: Path) -> Path:
    """The folder the config's paths are relative to: the config file's, else `default`."""
    return Path(cfg.source).parent if cfg.source not in ("defaults", "") else default


def settings(
    cfg: Config,
    *,
    base: Path,
    url: str | None = None,
    snapshot: Path | None = None,
    location: str | None = None,
    ca: Path | None = None,
    require: bool = False,
    env: Mapping[str, str] = os.environ,
) -> CatalogSettings:
    """Flags win over the environment, which wins over the config; config paths are relative to `base`
    (the folder of the config file). The token is never a setting: only the client reads it."""
    url = url or env.get(CATALOG_URL_ENV, "").strip() or cfg.get("catalog-url")
    configured = cfg.get("snapshot")
    if snapshot is None and configured:
        snapshot = Path(configured).expanduser()
        snapshot = snapshot if snapshot.is_absolute() else base / snapshot
    return CatalogSettings(
        url=url or None,
        snapshot=snapshot,
        location=location or cfg.get("location"),
        ca=ca,
        require=require or bool(cfg.get("require-catalog")),
        template_version_key=cfg.get("template-version-key") or TEMPLATE_VERSION_KEY,
    )


def build_index(
    s: CatalogSettings,
    notices: list[str],
    *,
    env: Mapping[str, str] = os.environ,
    timeout: float = 10.0,
    retries: int = 3,
    load: SnapshotLoader | None = None,
) -> EntityIndex | None:
    """The entity index for `s`, or None when neither a snapshot nor a catalog URL is given.

    Raises `LiveError` for settings that can never work; a catalog that is down is found
    out (and reported) only when a lookup needs it. `load` reads the snapshot (a
    `SnapshotCache` in the servers).
    """
    if not s.any:
        return None
    from portal_lint.catalog import CatalogError
    from portal_lint.catalog.index import EntityIndex

    snapshot = None
    if s.snapshot is not None:
        from portal_lint.catalog.snapshot import SnapshotError, age_warning, load_snapshot

        try:
            snapshot = (load or load_snapshot)(s.snapshot)
        except SnapshotError as exc:
            raise LiveError(str(exc)) from None
        warning = age_warning(snapshot)
        if warning:
            notices.append(warning)
    client = None
    if s.url:
        from portal_lint.catalog.client import CatalogClient

        try:
            client = CatalogClient(
                s.url,
                env.get(TOKEN_ENV) or None,
                timeout=timeout,
                retries=retries,
                verify=s.ca if s.ca is not None else True,
            )
        except CatalogError as exc:
            raise LiveError(str(exc)) from None
    return EntityIndex(
        snapshot=snapshot, client=client, template_version_key=s.template_version_key, location=s.location
    )


def offline_index(
    s: CatalogSettings, notices: list[str], *, load: SnapshotLoader | None = None
) -> EntityIndex:
    """The index for linting without the network: `s`'s snapshot alone, never its URL. A
    snapshot that cannot be read is a notice, and nothing stands in for it (an empty index)."""
    from portal_lint.catalog.index import EntityIndex

    offline = CatalogSettings(snapshot=s.snapshot, location=s.location)
    try:
        index = build_index(offline, notices, load=load)
    except LiveError as exc:
        notices.append(str(exc))
        index = None
    return index or EntityIndex(location=s.location)


class SnapshotCache:
    """Snapshots for the long-running servers: a file is parsed once, and again only when it
    changes (`portal-lint catalog export` replaces it by rename: a new inode and mtime)."""

    def __init__(self) -> None:
        self._loaded: dict[Path, tuple[tuple[int, int, int], Snapshot]] = {}

    def __call__(self, path: Path) -> Snapshot:
        from portal_lint.catalog.snapshot import load_snapshot

        try:
            st = path.stat()
        except OSError:
            return load_snapshot(path)  # raises, saying why it cannot be read
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        cached = self._loaded.get(path)
        if cached is None or cached[0] != stamp:
            cached = self._loaded[path] = (stamp, load_snapshot(path))
        return cached[1]


def resolve_outside(
    index: EntityIndex, refs: Sequence[str]
) -> tuple[dict[str, Entry | None], CatalogError | None]:
    """What the snapshot or catalog holds under each ref outside this repository. When the live
    catalog fails: what the snapshot alone says, and the failure."""
    from portal_lint.catalog import CatalogError

    try:
        return index.resolve(refs, include_local=False), None
    except CatalogError as exc:
        return index.resolve(refs, include_local=False, live=False), exc


def catalog_failure(index: EntityIndex | None, require: bool) -> CatalogError | None:
    """Why the live catalog failed during the run, if it did.

    With `require`, a run that never needed the catalog still proves it answers (one small
    request), so a broken token fails CI before it matters.
    """
    if index is None or index.client is None:
        return None
    from portal_lint.catalog import CatalogError

    if index.live_error is None and require and index.client.request_count == 0:
        try:
            index.client.ping()
        except CatalogError as exc:
            index.live_error = exc
    return index.live_error


def close(index: EntityIndex | None) -> None:
    if index is not None and index.client is not None:
        index.client.close()


# -- lookups for the catalog rules ------------------------------------------------------------


class Lookups(NamedTuple):
    """What the snapshot or catalog says about every ref a repository's entities use."""

    entries: Mapping[str, Entry | None]  # lower-cased ref → entry outside this repository, or None
    local: Mapping[str, str | None]  # this repository's own refs → their template-version annotation
    complete: bool  # a miss means "exists nowhere" (a snapshot or the live catalog answered)
    where: str  # where lookups looked, for messages

    def exists(self, ref: str) -> bool:
        return ref in self.local or self.entries.get(ref) is not None


def checkable_target(use: RefUse) -> str | None:
    """The lower-cased ref an existence check should look up; None when REF001–003 or REF005
    already say this reference is broken (one root cause, one finding)."""
    target = use.target
    written = use.written
    if target is None or written is None or format_problem(written) is not None:
        return None
    allowed = use.field.allowed
    if allowed is not None and target.kind.lower() not in allowed:
        return None
    return str(target)


def template_ref(entity: Entity) -> str | None:
    """The Template a service says it was scaffolded from (`backstage.io/source-template` or
    `backstage.io/template-origin`)."""
    got = provenance(entity.annotation, entity.namespace)
    return got[1] if got is not None else None


def provenance(annotation: Callable[[str], object], namespace: str) -> tuple[str, str] | None:
    """(the annotation key, the full Template ref) a service names its template with, reading
    `annotation(key)` for each key of PROVENANCE_KEYS; None when none holds a Template ref."""
    for key in PROVENANCE_KEYS:
        ref = template_ref_of(annotation(key), namespace)
        if ref is not None:
            return key, ref
    return None


def template_ref_of(value: object, namespace: str) -> str | None:
    """A provenance annotation's value as a full Template ref; None when it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return str(parse_ref(value.strip(), "Template", namespace))
    except RefError:
        return None


def wanted_refs(entities: Iterable[Entity]) -> list[str]:
    """Every ref the catalog rules look up for these entities: their own, their targets, templates."""
    refs: list[str] = []
    for entity in entities:
        if entity.ref is not None:
            refs.append(entity.ref)
        refs.extend(t for t in map(checkable_target, refs_of(entity)) if t is not None)
        template = template_ref(entity)
        if template is not None:
            refs.append(template)
    return list(dict.fromkeys(refs))


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def lookups(run: Run, repo: Repo) -> Lookups | None:
    """One batched lookup of every ref the repository's entities use, memoised per run.

    None when there is no snapshot or catalog at all (the run then carries one notice
    that existence checks were skipped).
    """
    state = run.state_of(repo.root)
    if state.lookups is not None:
        return state.lookups[0]
    index: EntityIndex | None = run.index
    result: Lookups | None = None
    if index is None:
        run.notice(
            f"existence checks skipped ({CHECKS}): no catalog snapshot or live catalog was given, so "
            "owners, systems, APIs and names were not checked against the catalog; pass --snapshot FILE "
            f"or --catalog-url URL (token in {TOKEN_ENV})"
        )
    else:
        entities = repo.entities()
        entries, failure = resolve_outside(index, wanted_refs(entities))
        if failure is not None and index.snapshot is None:
            run.notice(f"existence checks skipped ({CHECKS}): {failure}")
        elif failure is not None:
            run.notice(f"the live catalog could not answer, so lookups used the snapshot alone: {failure}")
        key_name = run.config.get("template-version-key") or TEMPLATE_VERSION_KEY
        local = {e.ref: _str(e.annotation(key_name)) for e in entities if e.ref is not None}
        result = Lookups(entries, local, index.can_check_existence, index.description)
    state.lookups = (result,)
    return result


# -- this repository's location ----------------------------------------------------------------

# url:<repository web URL>/blob|tree|src|raw/<branch>/<path>, as GitHub, GitLab (`/-/`),
# Gitea and Bitbucket (`src`) write file URLs.
_HOSTED = re.compile(r"^url:(https?://[^/]+/.+?)/(?:-/)?(?:blob|tree|src|raw)/(.+)$")


def location_of(run: Run, entity: Entity) -> str | None:
    """The `managed-by-location` this repository gives the entity's file, when known: the
    base from --location, the config's `location` or the git remote, plus the file's path."""
    repo = entity.file.repo
    state = run.state_of(repo.root)
    if state.location is None:
        index = run.index
        given = (index.location if index is not None else None) or run.config.get("location")
        state.location = (given or git_location(repo.root),)
    base = state.location[0]
    if base is None:
        return None
    return base.rsplit("/", 1)[0] + "/" + posix_rel(entity.file.path, repo.root)


def same_location(managed: str, ours: str, path: str) -> bool:
    """Whether `managed` names the same file (`path`, repository-relative) of the same repository
    as `ours`. Case is ignored, and so is the branch: a pull request's checkout names its own
    branch while the catalog holds the default branch's URL."""
    a, b = managed.strip().lower(), ours.strip().lower()
    if a == b:
        return True
    ha, hb = _HOSTED.match(a), _HOSTED.match(b)
    if ha is None or hb is None or ha[1].removesuffix(".git") != hb[1].removesuffix(".git"):
        return False
    # `<branch>/<path>`; a registered branch is taken to be one segment (main, master, trunk).
    _, _, registered = ha[2].partition("/")
    return registered == path.lower()
