"""YML: the YAML layer, as Backstage's parser (`yaml` v2, core schema, unique keys) reads it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal_lint.diagnostic import Finding, Fix, Span, excerpt
from portal_lint.model import Entity
from portal_lint.parse.tree import PMap, PSeq
from portal_lint.parse.yaml12 import YamlDoc
from portal_lint.registry import RuleContext, rule


@rule("YML001")
def yaml_syntax(doc: YamlDoc, ctx: RuleContext) -> Iterator[Finding]:
    if doc.syntax is not None:
        yield Finding(
            f"YAML syntax error: {doc.syntax.message}; Backstage drops this document "
            f"(document {doc.index + 1}), the others in the file are still read: fix the YAML here "
            "(often an unquoted value holding `: ` or ` #`, or a line indented differently from its "
            "neighbours)",
            doc.syntax.span,
        )


@rule("YML002")
def duplicate_key(doc: YamlDoc, ctx: RuleContext) -> Iterator[Finding]:
    for key, span, first in doc.duplicates:
        yield Finding(
            f"duplicate key `{excerpt(key)}` (first at line {first.line + 1}); Backstage rejects the whole "
            "document: keep one of them",
            span,
            pointer=key,
        )


@rule("YML003")
def merge_key(doc: YamlDoc, ctx: RuleContext) -> Iterator[Finding]:
    for span in doc.merges:
        yield Finding(
            "`<<` is not a merge in Backstage (YAML 1.2, merge off): it becomes a key named `<<`; "
            "write the keys out instead",
            span,
        )


@rule("YML004")
def document_not_mapping(doc: YamlDoc, ctx: RuleContext) -> Iterator[Finding]:
    if doc.ok and not isinstance(doc.root, PMap):
        found = "a list" if isinstance(doc.root, list) else f"the scalar `{excerpt(doc.root)}`"
        yield Finding(
            f"a catalog document must be a mapping with apiVersion, kind, metadata and spec; found {found}: "
            "write the entity as `key: value` lines (`apiVersion:`, `kind:`, `metadata:`, `spec:`), "
            "one entity per document separated by `---`",
            doc.root_span,
        )


@rule("YML005")
def yaml11_ambiguity(doc: YamlDoc, ctx: RuleContext) -> Iterator[Finding]:
    if not doc.ok:
        return
    for text, reading, span in doc.ambiguities:
        quoted = f'"{text}"'
        yield Finding(
            f"`{text}` reads differently in YAML 1.1 tools (PyYAML, many editors and scripts), "
            f"which see {reading}, than in Backstage (YAML 1.2); quote it: {quoted}",
            span,
            fix=Fix(f"quote the value: {quoted}", ((span, quoted),)),
        )


@rule("YML006")
def input_unreadable(doc: YamlDoc, ctx: RuleContext) -> Iterator[Finding]:
    if doc.limit is not None:
        message = doc.limit.message
        fix = next((f for words, f in _LIMIT_FIXES if words in message), None)
        yield Finding(f"{message}: {fix}" if fix else message, doc.limit.span)


# What to do about each kind of input the parser refuses (the parser and reader say what is wrong).
_LIMIT_FIXES = (
    ("contains it", "remove the alias: it would repeat forever"),
    ("alias", "write the values out instead of repeating them through aliases"),
    ("nodes", "split the entities into several files listed by a Location"),
    ("nesting", "flatten the structure; no catalog entity nests this deep"),
    ("MiB", "split the entities into several files listed by a Location"),
    ("NUL", "check that this path is a catalog file, or leave it out with `exclude`"),
    ("symlink", "point the link at a file inside the repository"),
    ("symbolic links", "break the link cycle"),
    ("is a directory", "name a catalog file, not a folder"),
    ("regular file", "name a catalog file, not a pipe or device"),
    ("cannot be read", "fix the path or the file's permissions"),
)


# Paths the stitcher leaves out of its walk (it adds name, namespace and uid itself).
_STITCH_SKIPPED = frozenset(
    {
        "attachments",
        "relations",
        "status",
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "metadata.etag",
    }
)
_STITCH_ADDED = ("metadata.name", "metadata.namespace", "metadata.uid")


def stitch_paths(root: PMap) -> dict[str, Span]:
    """Every search path the catalog's stitcher (`buildEntitySearch`'s traverse) makes of an
    entity, in its order, with where each was first written."""
    out: dict[str, Span] = {}
    lowered_items: set[str] = set()

    def visit(path: str, value: Any, span: Span) -> None:
        if path in _STITCH_SKIPPED:
            return
        if isinstance(value, PMap):
            for key, item in value.items():
                visit(f"{path}.{key}" if path else key, item, value.key_span(key))
        elif isinstance(value, PSeq):
            for i, item in enumerate(value):
                visit(path, item, value.item_spans[i])
                if isinstance(item, str):
                    item_path = f"{path}.{item}"
                    if item_path.lower() not in lowered_items:  # items differing in case are one path
                        lowered_items.add(item_path.lower())
                        out.setdefault(item_path, value.item_spans[i])
        else:
            out.setdefault(path, span)

    visit("", root, root.span)
    for path in _STITCH_ADDED:
        out.setdefault(path, root.span)
    return out


@rule("YML007")
def key_case_collision(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    first: dict[str, str] = {}
    paths = stitch_paths(entity.raw)
    for path, span in paths.items():
        seen = first.setdefault(path.lower(), path)
        if seen == path:
            continue
        line = paths[seen].line + 1
        yield Finding(
            f"`{excerpt(path)}` and `{excerpt(seen)}` (line {line}) differ only in case; the catalog cannot "
            "store both (`Entity has duplicate keys that vary only in casing`) and the entity never "
            "appears in the portal: keep one of them",
            span,
            pointer=path,
        )
