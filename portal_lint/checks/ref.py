"""REF: entity references, read the way the catalog's processors read them (portal_lint.refs)."""

from __future__ import annotations

from collections.abc import Iterator

from portal_lint.diagnostic import Finding, excerpt
from portal_lint.live import checkable_target, lookups
from portal_lint.model import Entity
from portal_lint.refs import RefError, RefUse, format_problem, refs_of, split_ref, unmatchable
from portal_lint.registry import RuleContext, rule


def _example(use: RefUse, kind: str) -> str:
    """The reference rewritten with `kind`, keeping what the author wrote where it parses."""
    try:
        parts = split_ref(use.text)
    except RefError:
        return f"{kind.lower()}:default/<name>"
    ns = f"{parts.namespace}/" if parts.namespace else ""
    return f"{kind.lower()}:{ns}{parts.name}"


# What the portal fails to show when a field's relation never resolves.
_SHOWN = {
    "owner": "no owner",
    "system": "no system",
    "domain": "no domain",
    "subdomainOf": "no parent domain",
    "subcomponentOf": "no parent component",
    "providesApis": "this API among those provided",
    "consumesApis": "this API among those consumed",
    "dependsOn": "this dependency",
    "dependencyOf": "this dependent",
    "parent": "no parent group",
    "children": "this child group",
    "members": "this member",
    "memberOf": "this group membership",
}


@rule("REF001")
def ref_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    for use in refs_of(entity):
        got = use.parsed
        if isinstance(got, RefError) and not got.missing_kind:  # missing kind: REF002
            yield Finding(
                f"`{use.pointer}` is not a valid entity reference: {got}; Backstage rejects {entity.kind} "
                f"`{excerpt(entity.name)}` (it cannot parse the reference when it emits relations): write it "
                f"as kind:namespace/name, e.g. `{_example(use, use.default_kind or 'component')}`",
                use.span,
                pointer=use.pointer,
            )


@rule("REF002")
def ref_kind_required(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    for use in refs_of(entity):
        got = use.parsed
        if isinstance(got, RefError) and got.missing_kind:
            yield Finding(
                f"`{use.pointer}` entry `{excerpt(use.text)}` has no kind, and {use.field.key} has no "
                f"default kind: Backstage rejects {entity.kind} `{excerpt(entity.name)}` (`had missing or "
                f"empty kind`); write the kind, e.g. `resource:{excerpt(use.text)}` or "
                f"`component:{excerpt(use.text)}`",
                use.span,
                pointer=use.pointer,
            )


@rule("REF005")
def ref_unmatchable(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    for use in refs_of(entity):
        problem = unmatchable(use)
        if problem is not None:
            yield Finding(
                f"`{use.pointer}` references `{excerpt(use.text)}`, which no entity can have: {problem}; "
                f"Backstage ingests the entity, but the relation never resolves and the portal will show "
                f"{_SHOWN.get(use.field.key, 'nothing for it')}: reference the target entity by kind, "
                "namespace and name",
                use.span,
                pointer=use.pointer,
            )


@rule("REF003")
def ref_kind_wrong(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    for use in refs_of(entity):
        target = use.target
        allowed = use.field.allowed
        if target is None or allowed is None or target.kind.lower() in allowed:
            continue
        written = use.written
        if written is None or format_problem(written) is not None:
            continue  # REF005 already says this reference cannot match anything
        expected = use.field.expected
        suggestion = _example(use, expected.split(" or ")[0])
        article = "an" if expected[0] in "AEIO" else "a"  # an API, a User
        yield Finding(
            f"`{use.pointer}` must reference {article} {expected}, but `{excerpt(use.text)}` is a "
            f"`{excerpt(target.kind)}`: "
            f"Backstage relates {use.field.key} only to {expected} entities; reference one, "
            f"e.g. `{suggestion}`",
            use.span,
            pointer=use.pointer,
        )


@rule("REF004")
def ref_not_found(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    uses = [(use, target) for use in refs_of(entity) if (target := checkable_target(use)) is not None]
    if not uses:
        return
    found = lookups(ctx.run, entity.file.repo)
    if found is None or not found.complete:
        return  # `lookups` left the run a notice that existence checks were skipped
    for use, target in uses:
        if found.exists(target):
            continue
        kind = target.split(":", 1)[0]
        yield Finding(
            f"`{use.pointer}` references `{target}`, which exists nowhere: looked in {found.where}; "
            f"create the {kind} entity (or register the repository that defines it), or correct the "
            "reference",
            use.span,
            pointer=use.pointer,
        )
