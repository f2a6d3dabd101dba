"""CAT: the entity envelope — root fields, required fields, apiVersion and kind."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from portal_lint.checks._fields import (
    BUILTIN_KINDS,
    KIND_API_VERSIONS,
    METADATA_FIELDS,
    ROOT_FIELDS,
    case_fix,
    describe,
    head,
    is_api_version,
    is_kind,
)
from portal_lint.checks._schema import SPEC_SCHEMAS
from portal_lint.diagnostic import Finding, Fix, excerpt
from portal_lint.model import Entity
from portal_lint.parse.tree import PMap
from portal_lint.registry import RuleContext, load_metadata, rule

_ROOT_LOWER = {f.lower(): f for f in ROOT_FIELDS}
_SPEC_FIELDS = frozenset(f for _, types in SPEC_SCHEMAS.values() for f in types)
_COMPUTED = frozenset({"relations", "status"})
# Kinds people reach for that Backstage models differently.
_KIND_ALIASES = {
    "service": "Component (with `spec.type: service`)",
    "microservice": "Component (with `spec.type: service`)",
    "application": "Component (with `spec.type: service` or `website`)",
    "app": "Component (with `spec.type: service` or `website`)",
    "website": "Component (with `spec.type: website`)",
    "library": "Component (with `spec.type: library`)",
    "database": "Resource (with `spec.type: database`)",
    "team": "Group (with `spec.type: team`)",
    "person": "User",
}
KIND_UNKNOWN = "CAT004"


def known_kinds(ctx: RuleContext, entity: Entity) -> frozenset[str]:
    """The built-in kinds plus the installation's own: option `extra-kinds` of kind-unknown, and
    the kinds the `catalog.rules` of the repository's app-config allow."""
    cache: dict[str, Any] = ctx.run.memo
    got: frozenset[str] | None = cache.get("cat.known-kinds")
    if got is None:
        extra = ctx.run.config.rule_options(load_metadata()[KIND_UNKNOWN]).get("extra-kinds") or []
        got = cache["cat.known-kinds"] = frozenset((*BUILTIN_KINDS, *extra))
    return got | entity.file.repo.ingest().extra_kinds


def _misplaced(raw: PMap, field: str) -> bool:
    """A root key that is `field` misspelt in case, or that belongs inside `field`: the
    unknown-root-field finding already explains the missing field. (A `<<` key explains
    nothing: Backstage does not merge it, so what it meant to bring in is missing there too.)"""
    for key in raw:
        if key != field and key.lower() == field.lower():
            return True
        if (field == "metadata" and key in METADATA_FIELDS) or (field == "spec" and key in _SPEC_FIELDS):
            return True
    return False


@rule("CAT001")
def root_field_unknown(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    raw = entity.raw
    for key in raw:
        if key in ROOT_FIELDS:
            continue
        if key.lower() in _ROOT_LOWER:
            hint = f"field names are case-sensitive: write `{_ROOT_LOWER[key.lower()]}`"
        elif key in _COMPUTED:
            hint = "the catalog computes it; delete it from the file"
        elif key in METADATA_FIELDS:
            hint = "move it under `metadata:`"
        elif key in _SPEC_FIELDS:
            hint = "move it under `spec:`"
        else:
            hint = "move it under `metadata:` or `spec:`, or delete it"
        yield Finding(
            f"`{excerpt(key)}` is not allowed at the top of an entity (only apiVersion, kind, metadata "
            f"and spec are; Backstage rejects it with `Unknown field {excerpt(key)}`): {hint}",
            raw.key_span(key),
            pointer=key,
        )


@rule("CAT002")
def required_field_missing(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    raw = entity.raw
    examples = {
        "apiVersion": "`apiVersion: backstage.io/v1alpha1`",
        "kind": "`kind: Component` (or API, System, Resource…)",
        "metadata": "`metadata:` with at least `name:`",
    }
    for field in ("apiVersion", "kind", "metadata"):
        value = raw.get(field)
        if (value is None or value == "") and not _misplaced(raw, field):
            state = "is missing" if field not in raw else "has no value"
            yield Finding(
                f"`{field}` {state}; Backstage rejects the entity without it: add {examples[field]}",
                raw.key_span(field) if field in raw else head(raw),
                pointer=field,
            )
    md = raw.get("metadata")
    if isinstance(md, PMap) and md.get("name") in (None, "") and "name" not in raw:
        yield Finding(
            f"`metadata.name` {'is missing' if 'name' not in md else 'has no value'}; every entity needs a "
            "name (1–63 characters of [A-Za-z0-9] separated by -, _ or .): add `name: …`",
            md.key_span("name") if "name" in md else raw.key_span("metadata"),
            pointer="metadata.name",
        )
    kind = entity.kind
    if kind in SPEC_SCHEMAS and raw.get("spec") is None and not _misplaced(raw, "spec"):
        yield Finding(
            f"`spec` {'is missing' if 'spec' not in raw else 'has no value'}; Backstage rejects a {kind} "
            "without it: add `spec:` with the kind's fields",
            raw.key_span("spec") if "spec" in raw else head(raw),
            pointer="spec",
        )


@rule("CAT003")
def api_version_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    value = entity.raw.get("apiVersion")
    if value is None or value == "":
        return  # required-field-missing
    span = entity.raw.value_span("apiVersion")
    if not isinstance(value, str):
        yield Finding(
            f"`apiVersion` must be a string, not {describe(value)}: write the kind's version, e.g. "
            "`apiVersion: backstage.io/v1alpha1`",
            span,
            pointer="apiVersion",
        )
    elif not is_api_version(value):
        better = value.strip().lower()
        hint = (
            f"use `{better}`"
            if better != value and is_api_version(better)
            else "write the kind's version, e.g. `backstage.io/v1alpha1`"
        )
        yield Finding(
            f'`apiVersion` "{excerpt(value)}" is not valid; Backstage expects `<group>/<version>` with a '
            f"lowercase DNS group and an alphanumeric version: {hint}",
            span,
            pointer="apiVersion",
            fix=case_fix(entity, span, value, better) if is_api_version(better) else None,
        )


def _suggest_kind(kind: str, known: frozenset[str]) -> tuple[str | None, bool]:
    """(suggestion, whether it only differs in case)."""
    by_lower = {k.lower(): k for k in known}
    same = by_lower.get(kind.lower())
    if same is not None:
        return same, True
    alias = _KIND_ALIASES.get(kind.lower())
    if alias is not None:
        return alias, False
    close = difflib.get_close_matches(kind.lower(), list(by_lower), n=1, cutoff=0.75)
    return (f"`{by_lower[close[0]]}`" if close else None), False


@rule("CAT004")
def kind_unknown(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    value = entity.raw.get("kind")
    if value is None or value == "":
        return  # required-field-missing
    span = entity.raw.value_span("kind")
    known = known_kinds(ctx, entity)
    if not isinstance(value, str):
        yield Finding(
            f"`kind` must be a string, not {describe(value)}: write the entity's kind, "
            "e.g. `kind: Component`",
            span,
            pointer="kind",
        )
        return
    if value in known:
        return
    suggestion, case_only = _suggest_kind(value, known)
    if case_only:
        assert suggestion is not None
        yield Finding(
            f"`kind: {excerpt(value)}` is not a kind Backstage knows: kinds are case-sensitive, "
            f'write "{suggestion}"',
            span,
            pointer="kind",
            fix=Fix(f"write `{suggestion}`", ((span, suggestion),)),
        )
        return
    invalid = (
        "" if is_kind(value) else " (and is not even a valid kind name: a letter, then letters and digits)"
    )
    did_you_mean = f"did you mean {suggestion}? Otherwise " if suggestion else ""
    yield Finding(
        f"`kind: {excerpt(value)}` is not a kind this catalog knows{invalid}, so Backstage ingests nothing "
        f"from this document: {did_you_mean}use one of {', '.join(sorted(known))}; an installation "
        "with its own kinds lists them in the `extra-kinds` option",
        span,
        pointer="kind",
    )


@rule("CAT007")
def api_version_wrong_for_kind(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    kind, value = entity.kind, entity.raw.get("apiVersion")
    allowed = KIND_API_VERSIONS.get(kind) if kind else None
    if allowed is None or not isinstance(value, str) or not is_api_version(value) or value in allowed:
        return
    span = entity.raw.value_span("apiVersion")
    if kind == "Template":
        # v1beta2 and older templates have another spec shape: a rewrite, not a rename.
        why, fix = "migrate the template to the scaffolder.backstage.io/v1beta3 format", None
    else:
        why, fix = f"use `{allowed[0]}`", Fix(f"use {allowed[0]}", ((span, allowed[0]),))
    yield Finding(
        f"`apiVersion: {excerpt(value)}` is not a version of {kind}; Backstage only accepts "
        f"{' or '.join(allowed)} and otherwise ignores the entity (`No processor recognized the "
        f"entity`): {why}",
        span,
        pointer="apiVersion",
        fix=fix,
    )


@rule("CAT022")
def kind_not_allowed(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    kind = entity.kind
    if not kind or kind not in known_kinds(ctx, entity):
        return  # kind-unknown owns unknown kinds
    configured: list[str] = ctx.options["allow"]
    ingest = entity.file.repo.ingest()
    reach = ingest.catalog.get(entity.file.rel)
    if reach is not None and reach.how == "unreached":
        return  # file-not-ingested says the catalog never reads the file at all
    allowed = frozenset(configured) if configured else ingest.allowed_kinds(entity.file.rel)
    if allowed is None or kind.lower() in {k.lower() for k in allowed}:
        return
    source = "the `allow` option" if configured else "the `catalog.rules` of this repository's app-config"
    yield Finding(
        f"`kind: {kind}` is not allowed where this file is registered by the catalog's rules (allowed "
        f"by {source}: {', '.join(sorted(allowed)) or 'nothing'}); Backstage rejects it with `is not of an "
        "allowed kind for that location`: register it where `catalog.rules` allows it, or add the kind "
        "to the rules",
        entity.raw.value_span("kind"),
        pointer="kind",
    )
