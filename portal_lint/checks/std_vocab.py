"""STD: the generic rules of the standards vocabulary (portal_lint.vocabulary).

Each runs once per bullet that asks for it, with that bullet's parameters as options (the
engine binds them), so every finding checks one written standard and cites it. `kinds` scopes
a rule to entities: "Component", or "Component:service" for a kind with its `spec.type`;
empty for every entity.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from portal_lint.diagnostic import Finding, Span, excerpt
from portal_lint.live import lookups
from portal_lint.model import Entity, Repo, read_text
from portal_lint.parse.tree import PMap, PSeq
from portal_lint.refs import refs_of
from portal_lint.registry import RuleContext, rule


def _in_scope(entity: Entity, kinds: list[str]) -> bool:
    if not kinds:
        return True
    kind = (entity.kind or "").lower()
    spec_type = entity.spec.get("type") if entity.spec is not None else None
    for want in kinds:
        want_kind, _, want_type = want.partition(":")
        if kind == want_kind.lower() and (not want_type or spec_type == want_type):
            return True
    return False


def _what(entity: Entity) -> str:
    return f"{entity.kind} `{excerpt(entity.name)}`"


def _scope(kinds: list[str]) -> str:
    """`Component:service` → "services"; for messages."""
    if not kinds:
        return "every entity"
    return ", ".join(f"{k.split(':')[1]}s" if ":" in k else f"{k}s" for k in kinds)


def _at(entity: Entity, path: str) -> tuple[Any, PMap | None, str]:
    """(value, the mapping that holds or should hold it, its key) of a dotted path such as
    `spec.domain` or `metadata.description`; the holder is the deepest mapping that exists."""
    *parents, key = path.split(".")
    holder: Any = entity.raw
    for step in parents:
        inner = holder.get(step) if isinstance(holder, PMap) else None
        if not isinstance(inner, PMap):
            return None, holder if isinstance(holder, PMap) else None, step
        holder = inner
    return holder.get(key), holder, key


def _missing_span(entity: Entity, holder: PMap | None, key: str) -> Span:
    """Where a finding about a missing key points: the key of the mapping that lacks it."""
    if holder is None or holder is entity.raw:
        return entity.raw.key_span("kind")
    for parent in (entity.metadata, entity.spec):
        if parent is holder:
            return entity.raw.key_span("metadata" if parent is entity.metadata else "spec")
    return holder.span


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _map(entity: Entity, key: str) -> PMap | None:
    value = entity.metadata.get(key) if entity.metadata is not None else None
    return value if isinstance(value, PMap) else None


def _metadata_span(entity: Entity, key: str) -> Span:
    meta = entity.metadata
    if meta is not None and key in meta:
        return meta.key_span(key)
    return entity.raw.key_span("metadata")


@rule("STD010")
def required_annotation(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    if not _in_scope(entity, ctx.options["kinds"]) or entity.metadata is None:
        return
    annotations: dict[str, Any] = _map(entity, "annotations") or {}
    for key in ctx.options["keys"]:
        choices = key.split("|")
        if any(not _empty(annotations.get(k)) for k in choices):
            continue
        either = " or ".join(f"`{c}`" for c in choices)
        yield Finding(
            f"{_what(entity)} has no {either} annotation, which the standard requires of "
            f"{_scope(ctx.options['kinds'])}: add `{choices[0]}: <value>` under `metadata.annotations`",
            _metadata_span(entity, "annotations"),
            pointer="metadata.annotations",
        )


def _label_findings(entity: Entity, ctx: RuleContext, required: bool) -> Iterator[Finding]:
    if not _in_scope(entity, ctx.options["kinds"]) or entity.metadata is None:
        return
    key, values = ctx.options["key"], [str(v) for v in ctx.options["values"]]
    labels = _map(entity, "labels")
    value = labels.get(key) if labels is not None else None
    allowed = ", ".join(f"`{v}`" for v in values)
    if _empty(value):
        if required:
            example = values[0] if values else "<value>"
            yield Finding(
                f"{_what(entity)} has no `{key}` label, which the standard requires of "
                f"{_scope(ctx.options['kinds'])}: add `{key}: {example}` under `metadata.labels`"
                + (f" (one of {allowed})" if values else ""),
                _metadata_span(entity, "labels"),
                pointer="metadata.labels",
            )
        return
    if values and str(value) not in values:
        assert labels is not None
        yield Finding(
            f"label `{key}` is `{excerpt(value)}`, which is not one of the standard's values ({allowed}): "
            "use one of them",
            labels.value_span(key),
            pointer=f"metadata.labels.{key}",
        )


@rule("STD011")
def required_label(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    yield from _label_findings(entity, ctx, required=True)


@rule("STD012")
def label_values(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    yield from _label_findings(entity, ctx, required=False)


@rule("STD013")
def required_tag(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    if not _in_scope(entity, ctx.options["kinds"]) or entity.metadata is None or not ctx.options["tags"]:
        return
    value = entity.metadata.get("tags")
    tags = {str(t) for t in value} if isinstance(value, list) else set()
    wanted = [str(t) for t in ctx.options["tags"]]
    missing = [t for t in wanted if t not in tags]
    if ctx.options["any"] and len(missing) < len(wanted):
        return
    if not ctx.options["any"] and not missing:
        return
    listed = ", ".join(f"`{t}`" for t in (wanted if ctx.options["any"] else missing))
    need = (
        f"at least one of the tags {listed}"
        if ctx.options["any"]
        else f"the tag{'s' * (len(missing) > 1)} {listed}"
    )
    yield Finding(
        f"{_what(entity)} lacks {need}, which the standard requires of {_scope(ctx.options['kinds'])}: "
        "add it to `metadata.tags`",
        _metadata_span(entity, "tags"),
        pointer="metadata.tags",
    )


def _link_matches(link: Any, wanted: str) -> bool:
    if not isinstance(link, PMap):
        return False
    want = wanted.lower()
    title, type_ = str(link.get("title") or "").lower(), str(link.get("type") or "").lower()
    return want in title or want == type_ or want.replace("-", "") in title.replace("-", "")


@rule("STD014")
def required_link(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    if not _in_scope(entity, ctx.options["kinds"]) or entity.metadata is None:
        return
    value = entity.metadata.get("links")
    links = value if isinstance(value, PSeq) else []
    for wanted in ctx.options["link"]:
        if any(_link_matches(link, wanted) for link in links):
            continue
        yield Finding(
            f"{_what(entity)} has no `{excerpt(wanted)}` link (by title or type), which the standard "
            f"requires of {_scope(ctx.options['kinds'])}: add one to `metadata.links`, e.g. "
            f"`- {{url: https://…, title: {wanted}}}`",
            _metadata_span(entity, "links"),
            pointer="metadata.links",
        )


@rule("STD015")
def field_values(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    if not _in_scope(entity, ctx.options["kinds"]):
        return
    field = ctx.options["field"]
    value, holder, key = _at(entity, field)
    values = [str(v) for v in ctx.options["values"]]
    if _empty(value) or holder is None or key not in holder or not values or str(value) in values:
        return  # a missing field is field-required's (or the kind schema's) finding
    yield Finding(
        f"`{field}` is `{excerpt(value)}`, which is not one of the standard's values "
        f"({', '.join(f'`{v}`' for v in values)}): use one of them",
        holder.value_span(key),
        pointer=field,
    )


@rule("STD016")
def field_required(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    if not _in_scope(entity, ctx.options["kinds"]):
        return
    for field in ctx.options["fields"]:
        value, holder, key = _at(entity, field)
        if not _empty(value):
            continue
        yield Finding(
            f"{_what(entity)} has no `{field}`, which the standard requires of "
            f"{_scope(ctx.options['kinds'])}: set it",
            _missing_span(entity, holder, key)
            if holder is None or key not in holder
            else holder.key_span(key),
            pointer=field,
        )


@rule("STD017")
def field_length(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    if not _in_scope(entity, ctx.options["kinds"]):
        return
    field, low, high = ctx.options["field"], int(ctx.options["min"]), int(ctx.options["max"])
    value, holder, key = _at(entity, field)
    if not isinstance(value, str) or holder is None:
        return
    size = len(value.strip())
    if low and size < low:
        bound = f"at least {low}"
    elif high and size > high:
        bound = f"at most {high}"
    else:
        return
    yield Finding(
        f"`{field}` has {size} characters; the standard requires {bound}: "
        + ("write it out" if low and size < low else "shorten it"),
        holder.value_span(key),
        pointer=field,
    )


def _pattern_finding(what: str, value: str, ctx: RuleContext, span: Span, pointer: str) -> Finding | None:
    if re.search(ctx.options["pattern"], value):
        return None
    return Finding(
        f"{what} `{excerpt(value)}` does not follow the standard's naming rule (it {ctx.options['says']}): "
        "rename it",
        span,
        pointer=pointer,
    )


@rule("STD018")
def name_pattern(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    name = entity.name
    if not _in_scope(entity, ctx.options["kinds"]) or not isinstance(name, str) or not name:
        return
    assert entity.metadata is not None
    got = _pattern_finding(
        f"{entity.kind} name", name, ctx, entity.metadata.value_span("name"), "metadata.name"
    )
    if got is not None:
        yield got


@rule("STD019")
def owner_name(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    if not _in_scope(entity, ctx.options["kinds"]):
        return
    for use in refs_of(entity):
        if use.field.key != "owner" or use.target is None:
            continue
        got = _pattern_finding("owner", use.target.name, ctx, use.span, use.pointer)
        if got is not None:
            yield got


@rule("STD020")
def relation_lifecycle(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = entity.spec
    if spec is None or not _in_scope(entity, ctx.options["kinds"]):
        return
    if spec.get("lifecycle") != ctx.options["lifecycle"]:
        return
    forbidden = {str(v) for v in ctx.options["forbidden"]}
    lifecycles = _lifecycles(entity, ctx)
    for use in refs_of(entity):
        if use.field.key != "dependsOn" or use.target is None:
            continue
        ref = str(use.target).lower()
        got = lifecycles.get(ref)
        if got is None or got[0] not in forbidden:
            continue
        yield Finding(
            f"{_what(entity)} is `{ctx.options['lifecycle']}` but depends on `{excerpt(use.text)}`, which is "
            f"`{got[0]}` ({got[1]}), which the standard forbids: use a "
            f"`{ctx.options['lifecycle']}` dependency instead, or promote this one",
            use.span,
            pointer=use.pointer,
        )


def _lifecycles(entity: Entity, ctx: RuleContext) -> dict[str, tuple[str, str]]:
    """ref → (lifecycle, where it was read): this repository's entities, then the catalog's
    answer (snapshot or live) as the reference rules get it."""
    out: dict[str, tuple[str, str]] = {}
    repo = entity.file.repo
    for other in repo.entities():
        value = other.spec.get("lifecycle") if other.spec is not None else None
        if other.ref is not None and isinstance(value, str):
            out[other.ref.lower()] = (value, "in this repository")
    found = lookups(ctx.run, repo)
    for ref, entry in (found.entries if found is not None else {}).items():
        if ref not in out and entry is not None and entry.lifecycle is not None:
            out[ref] = (entry.lifecycle, f"in the {entry.source}")
    return out


@rule("STD021")
def repo_file(repo: Repo, ctx: RuleContext) -> Iterator[Finding]:
    paths = [str(p) for p in ctx.options["paths"]]
    if not paths:
        return
    found = next((repo.root / p for p in paths if (repo.root / p).is_file()), None)
    if found is None:
        either = " or ".join(f"`{p}`" for p in paths)
        yield Finding(
            f"this repository has no {either}, which the standard requires: create `{paths[0]}`",
            Span(0, 0, 0, 0),
            path=paths[0],
        )
        return
    mention = str(ctx.options["mention"])
    if not mention:
        return
    text = read_text(found)
    rel = found.relative_to(repo.root).as_posix()
    if mention == "owner":
        owners = sorted({o for e in repo.entities() if isinstance(o := _owner_name(e), str)})
        missing = [o for o in owners if o not in text]
        if not missing:
            return
        yield Finding(
            f"{rel} does not name the owner `{excerpt(missing[0])}` of this repository's catalog entities, "
            f"which the standard requires: add `@<org>/{missing[0]}` (or the team's name) to it",
            Span(0, 0, 0, 0),
            path=rel,
        )
    elif mention.lower() not in text.lower():
        yield Finding(
            f"{rel} does not mention `{excerpt(mention)}`, which the standard requires: add it",
            Span(0, 0, 0, 0),
            path=rel,
        )


def _owner_name(entity: Entity) -> str | None:
    for use in refs_of(entity):
        if use.field.key == "owner" and use.target is not None:
            return use.target.name
    return None
