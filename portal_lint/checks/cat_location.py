"""CAT: Location entities — the shape of their targets and whether relative ones exist."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from portal_lint.checks import _schema
from portal_lint.checks._fields import SCHEME, item_span
from portal_lint.diagnostic import Finding, Span, excerpt
from portal_lint.model import Entity
from portal_lint.parse.tree import PMap, PSeq
from portal_lint.registry import RuleContext, rule

_GLOB = frozenset("*?[{")


def _targets(spec: PMap) -> Iterator[tuple[str, Span, str]]:
    """(target, its span, pointer) for every string target of a Location spec."""
    target = spec.get("target")
    if isinstance(target, str) and target:
        yield target, spec.value_span("target"), "spec.target"
    targets = spec.get("targets")
    if isinstance(targets, PSeq):
        for i, item in enumerate(targets):
            if isinstance(item, str) and item:
                yield item, item_span(targets, i), f"spec.targets[{i}]"


def _is_folder(target: str) -> bool:
    return target.endswith(("/", "\\"))


def _location_spec(entity: Entity) -> PMap | None:
    return entity.spec if entity.kind == "Location" else None


@rule("CAT020")
def location_target_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _location_spec(entity)
    if spec is None:
        return
    yield from _schema.problems(entity, _schema.TARGET_INVALID)
    if spec.get("type") != "file":
        return
    for target, span, ptr in _targets(spec):
        if _is_folder(target):
            yield Finding(
                f'`{ptr}` "{excerpt(target)}" ends with a path separator; a `file` location must name '
                "files (Backstage fails with `cannot handle file type location … that ends with a path "
                f'separator`): point it at the file, e.g. "{excerpt(target)}catalog-info.yaml", or use a '
                f'glob like "{excerpt(target)}*.yaml"',
                span,
                pointer=ptr,
            )


def _resolve(entity: Entity, target: str, file_type: bool) -> str | None:
    """The repository-relative path a relative target names; None when it is not one."""
    if SCHEME.match(target):
        return None  # an absolute URL (or a drive letter): not resolvable offline
    if target.startswith("/"):
        # url locations resolve a rooted path against the repository; file ones against the disk.
        return None if file_type else posixpath.normpath(target.lstrip("/"))
    base = posixpath.dirname(entity.file.rel)
    return posixpath.normpath(posixpath.join(base, target))


@rule("CAT021")
def location_target_missing(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _location_spec(entity)
    if spec is None or spec.get("presence") == "optional":
        return
    repo = entity.file.repo
    file_type = spec.get("type") == "file"
    for target, span, ptr in _targets(spec):
        rel = _resolve(entity, target, file_type)
        if rel is None or (file_type and _is_folder(target)):  # the latter: location-target-invalid
            continue
        if rel == ".." or rel.startswith("../"):
            problem = "points outside this repository"
        elif _GLOB.isdisjoint(rel):
            if repo.exists(rel):
                continue
            problem = "does not exist in this repository"
        elif any(repo.root.glob(rel)):
            continue
        else:
            problem = "matches no file in this repository"
        yield Finding(
            f'Location target "{excerpt(target)}" {problem}; Backstage reports the location as not '
            "found: fix the path, add the file, or set `presence: optional` if it may be absent",
            span,
            pointer=ptr,
        )
