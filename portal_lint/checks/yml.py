"""YML: the YAML layer, as Backstage's parser (`yaml` v2, core schema, unique keys) reads it."""

from __future__ import annotations

from collections.abc import Iterator

from portal_lint.diagnostic import Finding, Fix, excerpt
from portal_lint.parse.tree import PMap
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
