"""CAT: well-known annotations — reserved, deprecated, and location references."""

from __future__ import annotations

from collections.abc import Iterator

from portal_lint.checks._fields import SCHEME, in_metadata, is_url, source_text
from portal_lint.diagnostic import Finding, Fix, Span, excerpt
from portal_lint.model import Entity
from portal_lint.parse.tree import PMap
from portal_lint.registry import RuleContext, rule

_RESERVED = {
    "backstage.io/managed-by-location": (
        "the catalog sets it to the location it read this file from and overwrites any value written here"
    ),
    "backstage.io/managed-by-origin-location": (
        "the catalog sets it to the registered location this entity came through and overwrites any "
        "value written here"
    ),
    "backstage.io/orphan": (
        "the catalog sets it when no location emits the entity any more; written by hand it marks a "
        "live entity as an orphan"
    ),
}
# deprecated key → (what replaces it, whether renaming the key is the whole fix)
_DEPRECATED = {
    "backstage.io/github-actions-id": ("github.com/project-slug", True),
    "jenkins.io/github-folder": ("jenkins.io/job-full-name", False),
    "backstage.io/definition-at-location": ("a `$text` placeholder in `spec.definition`", False),
}
# annotation → location-reference types it takes
_LOCATION_REFS = {
    "backstage.io/techdocs-ref": "`dir:<path relative to this file>` (e.g. `dir:.`) or `url:<absolute URL>`",
    "backstage.io/source-location": "`url:<absolute URL>` (a folder ends in `/`) or `dir:<relative path>`",
}

# Annotations people write by hand that plugins read only under `backstage.io/`; the ones the
# catalog sets itself or that are deprecated are CAT017's and CAT018's.
_PREFIXED = frozenset(
    {
        "techdocs-ref",
        "techdocs-entity",
        "techdocs-entity-path",
        "source-location",
        "view-url",
        "edit-url",
        "kubernetes-id",
        "kubernetes-namespace",
        "kubernetes-label-selector",
        "code-coverage",
        "source-template",
        "time-saved",
    }
)
BACKSTAGE_PREFIX = "backstage.io/"


@rule("CAT017")
def annotation_reserved(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    annotations = in_metadata(entity, "annotations", PMap)
    if annotations is None:
        return
    for key, why in _RESERVED.items():
        if key in annotations:
            yield Finding(
                f"`{key}` is reserved for the catalog: {why}; delete it from the file",
                annotations.key_span(key),
                pointer=f"metadata.annotations.{key}",
            )


@rule("CAT018")
def annotation_deprecated(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    annotations = in_metadata(entity, "annotations", PMap)
    if annotations is None:
        return
    for key, (replacement, rename) in _DEPRECATED.items():
        if key not in annotations:
            continue
        span = annotations.key_span(key)
        value = annotations[key]
        if key == "backstage.io/definition-at-location" and isinstance(value, str):
            target = value.split(":", 1)[1] if value.startswith(("url:", "file:")) else value
            replacement = f"`definition: {{$text: {target}}}` in `spec`"
        # Only where the key is written here (not read from a placeholder's file).
        written = key in (source_text(entity, span) or "")
        edits = ((span, replacement),) if rename and written and replacement not in annotations else ()
        yield Finding(
            f"`{key}` is deprecated and the plugins that read it are going away: use {replacement} instead",
            span,
            pointer=f"metadata.annotations.{key}",
            fix=Fix(f"replace it with {replacement}", edits),
        )


@rule("CAT019")
def annotation_location_ref_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    annotations = in_metadata(entity, "annotations", PMap)
    if annotations is None:
        return
    for key, expected in _LOCATION_REFS.items():
        value = annotations.get(key)
        if not isinstance(value, str):
            continue  # absent, or value-not-string
        kind, sep, target = value.partition(":")
        if sep and kind == "dir" and target:
            continue
        if sep and kind == "url" and is_url(target):
            continue
        if SCHEME.match(value) and is_url(value) and kind in ("http", "https"):
            hint = f'write "url:{excerpt(value)}"'
        else:
            hint = "write it that way"
        yield Finding(
            f'`{key}` "{excerpt(value)}" is not a location reference Backstage can resolve; '
            f"it must be {expected}: {hint}",
            annotations.value_span(key),
            pointer=f"metadata.annotations.{key}",
        )


@rule("CAT023")
def annotation_prefix_missing(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    annotations = in_metadata(entity, "annotations", PMap)
    if annotations is None:
        return
    for key in annotations:
        if key not in _PREFIXED:
            continue
        full = BACKSTAGE_PREFIX + key
        span = annotations.key_span(key)
        written = source_text(entity, span)
        if full in annotations:
            message = f"`{key}` is `{full}` without its prefix, and `{full}` is set too: delete `{key}`"
            edits: tuple[tuple[Span, str], ...] = ()
        else:
            message = (
                f"`{key}` is missing its `backstage.io/` prefix, so the plugins that read `{full}` "
                f"never see it: write `{full}`"
            )
            # Inside the quotes when the key is quoted, so the quoting style stays.
            quote = written[0] if written and written[0] in "\"'" else ""
            edits = ((span, f"{quote}{full}{quote}"),) if written == f"{quote}{key}{quote}" else ()
        yield Finding(
            message,
            span,
            pointer=f"metadata.annotations.{key}",
            fix=Fix(f"rename it to {full}", edits),
        )
