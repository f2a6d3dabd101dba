"""Placeholders resolved as the catalog's PlaceholderProcessor resolves them, before validation.

`links: {$yaml: ./links.yaml}` is a list once the processor has read the file, so the kind
schemas see the file's content, not the mapping. The processor walks the whole entity: a
mapping whose only key is `$text`, `$json` or `$yaml` becomes the file's text, its JSON or its
one YAML document; a mapping with a `$` key among others stays as written, unvisited. Files
are read inside the repository only: a URL is never fetched, and such a placeholder is taken on
trust; a path that leaves the repository fails, as the processor refuses other repositories.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from portal_lint.diagnostic import Span, excerpt
from portal_lint.model import Entity, InputError, read_text
from portal_lint.parse.tree import PMap, PSeq
from portal_lint.parse.yaml12 import parse_yaml

# The resolvers a stock catalog registers; $openapi and $asyncapi come with a module and are
# taken on trust.
READ = frozenset({"$text", "$json", "$yaml"})


class Problem(NamedTuple):
    """A placeholder the processor fails on: the entity is rejected."""

    pointer: str
    span: Span
    message: str


class View(NamedTuple):
    root: PMap  # the entity with every readable placeholder replaced by its content
    problems: list[Problem]
    origin: dict[int, str]  # id of a replaced value → the placeholder that read it (`$yaml: ./x.yaml`)
    read_at: set[Span]  # where read values sit: the placeholders' spans, not their own text


def view(entity: Entity) -> View:
    """The entity as the kind schemas see it (worked out once per entity)."""
    got: View | None = entity.memo.get("placeholders")
    if got is None:
        found = View(entity.raw, [], {}, set())
        root = _process(entity, entity.raw, "", entity.raw.span, found)
        got = entity.memo["placeholders"] = found._replace(
            root=root if isinstance(root, PMap) else entity.raw
        )
    return got


def _process(entity: Entity, value: Any, pointer: str, span: Span, found: View) -> Any:
    if isinstance(value, PSeq):
        items = [
            _process(entity, v, f"{pointer}[{i}]", value.item_spans[i], found) for i, v in enumerate(value)
        ]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        out = PSeq(value.span)
        out.extend(items)
        out.item_spans.extend(value.item_spans)
        return out
    if not isinstance(value, PMap):
        return value
    if not any(k.startswith("$") for k in value):
        replaced: dict[str, Any] = {}
        for k, v in value.items():
            got = _process(entity, v, f"{pointer}.{k}" if pointer else k, value.key_span(k), found)
            if got is not v:
                replaced[k] = got
        if not replaced:
            return value  # nothing read below: no copy (most mappings of most entities)
        mapping = PMap(value.span)
        for k, v in value.items():
            mapping[k] = replaced.get(k, v)
        mapping.key_spans.update(value.key_spans)
        mapping.value_spans.update(value.value_spans)
        return mapping
    key = next(iter(value))
    argument = value[key]
    if len(value) != 1 or key not in READ or not isinstance(argument, str) or not argument:
        return value  # left as written: the kind schema reports it where a string belongs
    content, problem = _read(entity, key, argument, span)
    if problem is not None:
        where = value.value_span(key)  # the argument: the path to correct
        found.problems.append(Problem(pointer, where, f"`{key}: {excerpt(argument)}` {problem}"))
        return value
    if content is _UNREAD:
        return value
    if isinstance(content, PMap | PSeq | str):  # (ids of small numbers are shared: no origin for them)
        found.origin[id(content)] = f"{key}: {excerpt(argument)}"
    found.read_at.add(span)
    return content


_UNREAD = object()  # a URL (never fetched), or a file Backstage reads as it is: taken on trust


def unread(value: Any) -> bool:
    """A placeholder left as written (a URL, an unknown `$` key): its content is unknown here."""
    return isinstance(value, PMap) and len(value) == 1 and next(iter(value)).startswith("$")


def _read(entity: Entity, key: str, argument: str, span: Span) -> tuple[Any, str | None]:
    """(the placeholder's content, spanned at the placeholder; None) or (None, why the
    processor fails on it)."""
    from portal_lint.checks import std_api

    target = std_api.resolve(entity, argument)
    if target.path is None:
        return _UNREAD, None
    if target.escapes:
        return None, (
            "resolves outside the repository; Backstage reads placeholders only from the entity's own "
            "repository: keep the file in this repository"
        )
    if not target.path.is_file():
        return (
            None,
            f"reads a file that does not exist, so Backstage rejects the entity: {_fix(entity, target.path)}",
        )
    try:
        text = read_text(target.path)
    except InputError:
        # Binary, not UTF-8, over the size limit: Backstage decodes whatever is there, and the
        # API-definition rules say what is wrong with such a file.
        return _UNREAD, None
    if key == "$text":
        return text, None
    if key == "$json":
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except ValueError as exc:
            return None, f"is not valid JSON ({exc}), so Backstage rejects the entity: fix the file"
        return _spanned(data, span), None
    docs = parse_yaml(text)
    if len(docs) != 1:
        return None, (
            f"reads {len(docs)} YAML documents, but $yaml takes exactly one (Backstage: `expected to find "
            "exactly one document of data`), so it rejects the entity: keep one document"
        )
    doc = docs[0]
    problem = doc.syntax or doc.limit
    if problem is not None or doc.duplicates:
        why = problem.message if problem is not None else f"duplicate key `{excerpt(doc.duplicates[0][0])}`"
        return None, f"reads YAML with an error ({why}), so Backstage rejects the entity: fix the file"
    return _spanned(doc.root, span), None


def _fix(entity: Entity, path: Any) -> str:
    from portal_lint.checks import std_api

    hint = std_api.suggest_file(entity.file.repo, path)
    return (
        f"did you mean `{std_api.placeholder_path(entity, hint)}`?"
        if hint
        else "correct the path or add the file"
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _spanned(value: Any, span: Span) -> Any:
    """A value read from another file, with every position at the placeholder (where the
    findings about it belong)."""
    if isinstance(value, dict):
        out = PMap(span)
        for k, v in value.items():
            out[str(k)] = _spanned(v, span)
            out.key_spans[str(k)] = out.value_spans[str(k)] = span
        return out
    if isinstance(value, list):
        seq = PSeq(span)
        seq.extend(_spanned(v, span) for v in value)
        seq.item_spans.extend(span for _ in value)
        return seq
    return value
