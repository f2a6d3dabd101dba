"""CAT: Location entities and the location graph — what the catalog makes of each target
(resolved by portal_lint.ingest, as discovery follows them), and files nothing reads."""

from __future__ import annotations

from collections.abc import Iterator

from portal_lint.checks import _schema
from portal_lint.checks._fields import item_span
from portal_lint.diagnostic import Finding, Span, excerpt
from portal_lint.ingest import location_targets
from portal_lint.model import Entity, Repo
from portal_lint.parse.tree import PMap
from portal_lint.registry import RuleContext, rule


def _span(spec: PMap, pointer: str) -> Span:
    if pointer == "spec.target":
        return spec.value_span("target")
    return item_span(spec["targets"], int(pointer[len("spec.targets[") : -1]))


def _location_spec(entity: Entity) -> PMap | None:
    return entity.spec if entity.kind == "Location" else None


@rule("CAT020")
def location_target_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _location_spec(entity)
    if spec is None:
        return
    yield from _schema.problems(entity, _schema.TARGET_INVALID)
    ingest = entity.file.repo.ingest()
    loc_type, _ = ingest.location_type(entity)
    for target, ptr in location_targets(entity):
        if ingest.resolve(entity.file.rel, loc_type, target).problem != "folder":
            continue
        t = excerpt(target)
        if loc_type == "file":
            why = (
                "a `file` location must name files (Backstage fails with `cannot handle file type location "
                "… that ends with a path separator`)"
            )
        else:
            why = "a `url` location must name a file: the URL reader cannot read a folder"
        folder = t if t.endswith("/") else t + "/"
        yield Finding(
            f'`{ptr}` "{t}" names a folder; {why}: point it at the file, e.g. "{folder}catalog-info.yaml", '
            f'or use a glob like "{folder}*.yaml"',
            _span(spec, ptr),
            pointer=ptr,
        )


_PROBLEMS = {
    "outside": "points outside this repository",
    "missing": "does not exist in this repository",
    "no-match": "matches no file in this repository",
}


@rule("CAT021")
def location_target_missing(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _location_spec(entity)
    if spec is None:
        return
    optional = spec.get("presence") == "optional"
    ingest = entity.file.repo.ingest()
    loc_type, _ = ingest.location_type(entity)
    for target, ptr in location_targets(entity):
        problem = ingest.resolve(entity.file.rel, loc_type, target).problem
        if problem not in _PROBLEMS or (optional and problem != "outside"):
            continue
        if problem == "outside":
            fix = "keep the files this repository registers inside it, or register the other repository's own"
        else:
            fix = "fix the path, add the file, or set `presence: optional` if it may be absent"
        yield Finding(
            f'Location target "{excerpt(target)}" {_PROBLEMS[problem]}; Backstage reports the location '
            f"as not found and reads none of it: {fix}",
            _span(spec, ptr),
            pointer=ptr,
        )


@rule("CAT024")
def location_type_not_allowed(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _location_spec(entity)
    if spec is None:
        return
    ingest = entity.file.repo.ingest()
    loc_type, allowed = ingest.location_type(entity)
    if allowed:
        return
    known = ", ".join(sorted(ingest.location_types))
    yield Finding(
        f"`spec.type: {excerpt(loc_type)}` is not a location type this catalog reads (it reads {known}); "
        "Backstage rejects the Location with `Registered locations must be of an allowed type` and reads "
        "none of its targets: use `url` (or leave the type out to inherit it), or, when your installation "
        "has a processor for this type, list it in the config's `location-types`",
        spec.value_span("type"),
        pointer="spec.type",
    )


@rule("CAT025")
def location_cycle(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _location_spec(entity)
    if spec is None:
        return
    ingest = entity.file.repo.ingest()
    rel = entity.file.rel
    for target, ptr in location_targets(entity):
        if (rel, target) in ingest.cycles:
            yield Finding(
                f'Location target "{excerpt(target)}" leads back to a file that already registers this '
                "one, a cycle: the catalog registers the same entities from two locations and reports "
                "conflicts on every refresh: remove the target (each file needs one Location naming it)",
                _span(spec, ptr),
                pointer=ptr,
            )


@rule("CAT026")
def file_not_ingested(repo: Repo, ctx: RuleContext) -> Iterator[Finding]:
    ingest = repo.ingest()
    if not ingest.entry:
        return  # nothing here registers files: they are registered from elsewhere (another app-config)
    for rel, reach in ingest.catalog.items():
        if reach.how != "unreached":
            continue
        entities = ingest.entities_of(rel)
        yield Finding(
            "Backstage never reads this file: no Location or app-config names it, and its name is not "
            f"{' or '.join(repo.settings.names)}: add it to the `spec.targets` of a Location the catalog "
            "reads (e.g. the root catalog-info.yaml), or rename it",
            entities[0].doc.root_span if entities else Span(0, 0, 0, 0),
            path=rel,
        )
