"""CAT: rules across the catalog files of one repository."""

from __future__ import annotations

from collections.abc import Iterator

from portal_lint.diagnostic import Finding, Related, excerpt
from portal_lint.model import Entity, Repo
from portal_lint.registry import RuleContext, rule


def _name_span_line(entity: Entity) -> tuple[int, int]:
    md = entity.metadata
    span = md.value_span("name") if md is not None else entity.doc.root_span
    return span.line + 1, span.col + 1


@rule("CAT016")
def duplicate_entity(repo: Repo, ctx: RuleContext) -> Iterator[Finding]:
    first_of: dict[str, Entity] = {}
    for entity in repo.entities():
        ref = entity.ref
        if ref is None:
            continue
        first = first_of.setdefault(ref, entity)
        if first is entity:
            continue
        line, col = _name_span_line(first)
        where = f"{first.file.rel}:{line}"
        assert entity.metadata is not None  # entities with a ref have metadata
        dropped = (
            "Backstage keeps one copy and drops the other without an error or a log line"
            if first.file is entity.file
            else "Backstage ingests the first location's copy and drops this one (only a backend log says so)"
        )
        yield Finding(
            f"{entity.kind}:{entity.namespace}/{excerpt(entity.name)} is defined twice in this repository "
            f"(first at {where}); names are unique per kind and namespace, case-insensitively, and "
            f"{dropped}: rename or delete one",
            entity.metadata.value_span("name"),
            path=entity.file.rel,
            pointer="metadata.name",
            related=(Related(first.file.rel, line, col, "first definition"),),
        )
