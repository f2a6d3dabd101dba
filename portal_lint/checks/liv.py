"""LIV: what only the catalog itself can tell (a snapshot of it, or the live catalog).

Both rules read the run's batched lookups (`portal_lint.live.lookups`): one request for all
the refs of a repository, never one per entity.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from portal_lint.diagnostic import Finding
from portal_lint.live import (
    TEMPLATE_VERSION_KEY,
    location_of,
    lookups,
    provenance,
    same_location,
)
from portal_lint.model import Entity, posix_rel
from portal_lint.parse.tree import PMap
from portal_lint.registry import RuleContext, rule

# `1.2`, `v2.3.0`, `2.3.0-rc.1+build.5`: numeric release parts, an optional pre-release.
_VERSION = re.compile(r"v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")

Version = tuple[tuple[int, ...], tuple[tuple[int, int | str], ...] | None]


def parse_version(text: str) -> Version | None:
    """A comparable form of a semver-like version; None for anything else (`latest`, a SHA)."""
    m = _VERSION.fullmatch(text.strip())
    if m is None:
        return None
    release = tuple(int(p) for p in m[1].split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]  # 2.3 == 2.3.0
    pre = None
    if m[2] is not None:
        # semver: numeric identifiers sort before alphanumeric ones, and compare as numbers.
        pre = tuple((0, int(p)) if p.isdigit() else (1, p) for p in m[2].split("."))
    return release, pre


def older(mine: str, current: str) -> bool:
    """Whether version `mine` is older than `current`; False when either is not comparable."""
    a, b = parse_version(mine), parse_version(current)
    if a is None or b is None:
        return False
    if a[0] != b[0]:
        return a[0] < b[0]
    if a[1] == b[1] or a[1] is None:
        return False  # equal, or a release (never older than its own pre-releases)
    # Tuples compare as semver orders pre-releases: (0, n) numbers before (1, s) words, a
    # longer list after its own prefix.
    return b[1] is None or a[1] < b[1]


@rule("LIV001")
def name_taken(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    ref = entity.ref
    meta = entity.metadata
    if ref is None or meta is None:
        return
    found = lookups(ctx.run, entity.file.repo)
    entry = found.entries.get(ref) if found is not None else None
    if entry is None or entry.managed_by_location is None:
        return
    ours = location_of(ctx.run, entity)
    if ours is None:
        ctx.run.notice(
            "name-taken checks skipped: this repository's catalog location is unknown (no git remote); "
            "pass --location url:https://<host>/<org>/<repo>/blob/<branch>/catalog-info.yaml or set "
            "`location` in the config"
        )
        return
    if same_location(entry.managed_by_location, ours, posix_rel(entity.file.path, entity.file.repo.root)):
        return
    where = "the catalog" if entry.source == "catalog" else "the catalog snapshot"
    yield Finding(
        f"`{ref}` is already in {where}, registered from `{entry.managed_by_location}`, not from this "
        f"repository (`{ours}`): Backstage keeps the entity it saw first and silently drops this one; "
        "choose another metadata.name, or unregister the other location if this repository now owns it",
        meta.value_span("name") if "name" in meta else entity.raw.key_span("metadata"),
        pointer="metadata.name",
    )


@rule("LIV002")
def template_behind(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    key = ctx.run.config.get("template-version-key") or TEMPLATE_VERSION_KEY
    mine = entity.annotation(key)
    origin = provenance(entity.annotation, entity.namespace)
    if not isinstance(mine, str) or origin is None or parse_version(mine) is None:
        return
    origin_key, template = origin
    found = lookups(ctx.run, entity.file.repo)
    if found is None:
        return
    if template in found.local:
        current = found.local[template]
    else:
        entry = found.entries.get(template)
        current = entry.template_version if entry is not None else None
    if not isinstance(current, str) or not older(mine, current):
        return
    annotations = entity.metadata.get("annotations") if entity.metadata is not None else None
    assert isinstance(annotations, PMap)  # `entity.annotation` found the key there
    yield Finding(
        f"`{entity.ref}` was scaffolded from `{template}` version {mine.strip()}, but the template is now "
        f"at {current.strip()}: the skeleton has changed since (CI, security defaults, annotations); "
        f"apply the template's changes, then set `{key}` to {current.strip()!r}. The template is read "
        f"from `{origin_key}`",
        annotations.value_span(key),
        pointer=f"metadata.annotations.{key}",
    )
