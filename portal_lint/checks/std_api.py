"""STD: API definitions. Every definition file in the API folder belongs to an API entity; an
API's `spec.definition` is a placeholder (`$text`, `$json`, `$yaml`) into that folder; the
target exists, stays inside the repository, parses as its format, and its format is the one
`spec.type` names. Targets are read from disk; absolute URLs are never fetched.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from portal_lint.diagnostic import Finding, Span, excerpt
from portal_lint.model import (
    Entity,
    InputError,
    Repo,
    lexically_within,
    posix_rel,
    read_text,
    resolves_within,
    walk,
)
from portal_lint.parse.tree import PMap
from portal_lint.parse.yaml12 import parse_yaml
from portal_lint.registry import RuleContext, rule

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

FORMAT_NAMES = {
    "openapi": "an OpenAPI document",
    "asyncapi": "an AsyncAPI document",
    "grpc": "a Protocol Buffers (.proto) file",
    "graphql": "a GraphQL schema",
}
_EXT_FOR_TYPE = {"openapi": ".yaml", "asyncapi": ".yaml", "grpc": ".proto", "graphql": ".graphql"}
_PROTO_EXT = (".proto",)
_GRAPHQL_EXT = (".graphql", ".gql", ".graphqls")
_YAML_EXT = (".yaml", ".yml")


# --------------------------------------------------------------------------- spec.definition


class Definition(NamedTuple):
    """What `spec.definition` holds: inline text, or a one-key `$…` placeholder mapping."""

    inline: bool
    key: str  # the placeholder key ("" when inline)
    value: Any
    span: Span  # of the value (the inline text, or the placeholder's argument)
    key_span: Span


def definition_of(entity: Entity) -> Definition | None:
    """None when absent or of another shape (the kind schema's business)."""
    if "std-api-definition" not in entity.memo:
        entity.memo["std-api-definition"] = _definition_of(entity)
    got: Definition | None = entity.memo["std-api-definition"]
    return got


def _definition_of(entity: Entity) -> Definition | None:
    spec = entity.spec
    if spec is None or "definition" not in spec:
        return None
    value = spec["definition"]
    if isinstance(value, str):
        return Definition(True, "", value, spec.value_span("definition"), spec.key_span("definition"))
    if isinstance(value, PMap) and len(value) == 1:
        key = next(iter(value))
        if key.startswith("$"):
            return Definition(False, key, value[key], value.value_span(key), value.key_span(key))
    return None


class Target(NamedTuple):
    """Where a placeholder's argument leads, resolved like Backstage against the catalog file."""

    text: str
    path: Path | None  # absolute and normalised; None for URLs
    escapes: bool  # leaves the repository (by `..` or a symlink)

    @property
    def url(self) -> bool:
        return self.path is None


def norm(path: Path) -> Path:
    """Lexically normalised: `portal-lint ../svc` gives roots with `..`, which compare unequal."""
    return Path(os.path.normpath(path))


def resolve(entity: Entity, text: str) -> Target:
    """Where a placeholder's argument leads (memoised per entity: STD005/006/007 all ask)."""
    key = f"std-api-target:{text}"
    got: Target | None = entity.memo.get(key)
    if got is None:
        got = entity.memo[key] = _resolve(entity, text)
    return got


def _resolve(entity: Entity, text: str) -> Target:
    if _URL.match(text):
        return Target(text, None, False)
    root = entity.file.repo.norm_root
    # A leading `/` is the repository root to the SCM integrations' resolveUrl.
    base = root if text.startswith("/") else os.path.dirname(entity.file.norm_path)
    path = os.path.normpath(os.path.join(base, text.lstrip("/")))
    return Target(text, Path(path), not within_root(path, root))


def within_root(path: str, root: str) -> bool:
    """A normalised path is inside `root` (normalised), and no symlink on the way there leads out of it."""
    return lexically_within(path, root) and resolves_within(path, root)


def in_api_dir(entity: Entity, path: Path, api_dir: str) -> bool:
    """Inside `<api-dir>/` next to the catalog file or at the repository root."""
    folder = api_dir.strip("/")
    text = str(path)
    for base in (os.path.dirname(entity.file.norm_path), entity.file.repo.norm_root):
        folder_path = os.path.normpath(os.path.join(base, folder))
        if text != folder_path and lexically_within(text, folder_path):
            return True
    return False


def file_kind(path: Path, cache: dict[str, Any]) -> str:
    """`file`, `dir`, `missing` or `other` (a pipe, a socket), asked once per run and path."""
    key = f"std-api-kind:{path}"
    got: str | None = cache.get(key)
    if got is None:
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            got = "missing"
        else:
            got = "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "other"
        cache[key] = got
    return got


def placeholder_path(entity: Entity, file: Path) -> str:
    """How a catalog file next to `entity` writes `file` in a placeholder: ./relative/path."""
    return "./" + os.path.relpath(file, norm(entity.file.path.parent)).replace(os.sep, "/")


# --------------------------------------------------------------------------- definition files


class ApiFile(NamedTuple):
    """What a definition file is, read once per run."""

    format: str | None  # openapi | asyncapi | grpc | graphql | None (unrecognised)
    root: bool  # a definition of its own, not a fragment another file includes
    marker: Span  # where the format shows (the `openapi:` key, the `service` line)
    unreadable: str | None = None  # why it cannot be read as text
    problem: tuple[str, Span] | None = None  # it does not parse as its format
    documents: int = 1  # YAML documents, for $yaml


_ROOT_KEYS = {"openapi": "openapi", "swagger": "openapi", "asyncapi": "asyncapi"}
_PROTO_SERVICE = re.compile(r"^\s*service\s+\w+\s*\{", re.M)
_PROTO_STATEMENT = re.compile(r"^\s*(syntax|edition|package|import|option|message|service|enum)\b", re.M)
_GRAPHQL_ROOT = re.compile(
    r"^\s*(?:extend\s+)?(?:type\s+(?:Query|Mutation|Subscription)\b|schema\s*\{)", re.M
)
_GRAPHQL_DEF = re.compile(
    r"^\s*(?:extend\s+)?(type|schema|interface|enum|input|union|scalar|directive)\b", re.M
)
# Strings and comments hold braces that do not count; one pattern per language.
_PROTO_TOKENS = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*[\s\S]*?\*/|[{}]')
_GRAPHQL_TOKENS = re.compile(r'"""[\s\S]*?"""|"(?:\\.|[^"\\\n])*"|#[^\n]*|[{}]')


def _line_span(text: str, offset: int) -> Span:
    line = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    return Span(line, col, line, col + 1)


def _brace_problem(text: str, tokens: re.Pattern[str]) -> tuple[str, Span] | None:
    opened: list[int] = []
    for m in tokens.finditer(text):
        if m.group() == "{":
            opened.append(m.start())
        elif m.group() == "}":
            if not opened:
                return "a `}` closes nothing", _line_span(text, m.start())
            opened.pop()
    if opened:
        return "a `{` is never closed", _line_span(text, opened[-1])
    return None


def _search_span(pattern: re.Pattern[str], text: str) -> Span:
    m = pattern.search(text)
    return _line_span(text, m.start() + len(m.group()) - len(m.group().lstrip())) if m else Span(0, 0, 0, 0)


def _inspect_schema_text(text: str, fmt: str) -> ApiFile:
    tokens, statement, root = (
        (_PROTO_TOKENS, _PROTO_STATEMENT, _PROTO_SERVICE)
        if fmt == "grpc"
        else (_GRAPHQL_TOKENS, _GRAPHQL_DEF, _GRAPHQL_ROOT)
    )
    problem = _brace_problem(text, tokens)
    if problem is None and not statement.search(text):
        problem = (
            f"has no {'.proto statements' if fmt == 'grpc' else 'GraphQL type definitions'}",
            Span(0, 0, 0, 0),
        )
    return ApiFile(fmt, bool(root.search(text)), _search_span(root, text), problem=problem)


def _mapping_format(value: Any, spans: PMap | None) -> tuple[str | None, Span]:
    if isinstance(value, dict):
        for key in value:
            if key in _ROOT_KEYS:
                return _ROOT_KEYS[key], spans.key_span(key) if spans is not None else Span(0, 0, 0, 0)
    return None, Span(0, 0, 0, 0)


def json_problem(text: str) -> tuple[str, Span] | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"is not valid JSON ({exc.msg})", Span(
            exc.lineno - 1, exc.colno - 1, exc.lineno - 1, exc.colno
        )
    return None


def _inspect_data(path: Path, text: str) -> ApiFile:
    if path.suffix == ".json":
        problem = json_problem(text)
        if problem is not None:
            return ApiFile(None, False, Span(0, 0, 0, 0), problem=problem)
        fmt, _ = _mapping_format(json.loads(text), None)
        marker = _search_span(re.compile(r'"(?:openapi|swagger|asyncapi)"'), text)
        return ApiFile(fmt, fmt is not None, marker)
    docs = parse_yaml(text, keys_only=True)  # whether it parses, how many documents, which root keys
    for d in docs:
        bad = d.syntax or d.limit
        if bad is not None:
            return ApiFile(
                None, False, Span(0, 0, 0, 0), problem=(f"is not valid YAML ({bad.message})", bad.span)
            )
    real = [d for d in docs if not d.empty]
    first = real[0].root if real else None
    fmt, marker = _mapping_format(first, first if isinstance(first, PMap) else None)
    return ApiFile(fmt, fmt is not None, marker, documents=len(real))


def inspect(path: Path, cache: dict[str, Any]) -> ApiFile:
    """Read and classify a definition file, once per run."""
    key = f"api-file:{path}"
    got: ApiFile | None = cache.get(key)
    if got is not None:
        return got
    try:
        text = read_text(path)
    except InputError as exc:
        got = ApiFile(None, False, Span(0, 0, 0, 0), unreadable=str(exc))
    else:
        suffix = path.suffix.lower()
        if suffix in _PROTO_EXT or (
            suffix not in _GRAPHQL_EXT and re.search(r'^\s*syntax\s*=\s*"proto', text, re.M)
        ):
            got = _inspect_schema_text(text, "grpc")
        elif suffix in _GRAPHQL_EXT:
            got = _inspect_schema_text(text, "graphql")
        elif suffix in (*_YAML_EXT, ".json"):
            got = _inspect_data(path, text)
        else:
            got = ApiFile(None, False, Span(0, 0, 0, 0))
    cache[key] = got
    return got


# --------------------------------------------------------------------------- rules


def _resolvers() -> frozenset[str]:
    # Imported here: the kind schemas cost a run of SKILL.md files (whose repository rules
    # are in this module) a few milliseconds for nothing.
    from portal_lint.checks._schema import RESOLVERS

    return RESOLVERS


def suggest_file(repo: Repo, missing: Path) -> Path | None:
    """An existing file the author probably meant: same name elsewhere, or a near spelling."""
    root = norm(repo.root)
    candidates = [p for p in walk(root) if p.suffix in (*_YAML_EXT, ".json", *_PROTO_EXT, *_GRAPHQL_EXT)]
    same = [p for p in candidates if p.name == missing.name]
    if same:
        return same[0]
    rels = {posix_rel(p, root): p for p in candidates}
    close = difflib.get_close_matches(posix_rel(missing, root), list(rels), n=1, cutoff=0.7)
    return rels[close[0]] if close else None


def _file_findings(entity: Entity, d: Definition, target: Target, ctx: RuleContext) -> Iterator[Finding]:
    """Findings about the file a placeholder reads: existence, readability, parsing, format."""
    assert target.path is not None
    repo = entity.file.repo
    where = f"`{d.key}: {excerpt(target.text)}`"
    kind = file_kind(target.path, ctx.run.memo)
    if kind in ("missing", "dir") or d.key in ("$json", "$yaml"):
        # The kind schema's finding (CAT013): Backstage rejects the API when the file is not
        # there, and a $json/$yaml definition is a mapping where it requires a string.
        return
    info = inspect(target.path, ctx.run.memo)
    rel = posix_rel(target.path, repo.norm_root)
    if info.unreadable is not None:
        fix = "" if "re-save" in info.unreadable else ": point the definition at a UTF-8 text file"
        yield Finding(f"{where}: {rel} {info.unreadable}{fix}", d.span, pointer=f"spec.definition.{d.key}")
        return
    problem = info.problem
    if problem is not None:
        message, span = problem
        yield Finding(
            f"{rel}, the definition of API `{excerpt(entity.name)}`, {message}: fix it so Backstage can "
            "read it and the API page can render it",
            span,
            path=rel,
        )
        return
    yield from _format_findings(entity, d, info, rel)


def _format_findings(entity: Entity, d: Definition, info: ApiFile, rel: str) -> Iterator[Finding]:
    spec_type = entity.spec.get("type") if entity.spec is not None else None
    if not isinstance(spec_type, str) or spec_type not in FORMAT_NAMES or info.format == spec_type:
        return  # a list or mapping is CAT013's to report
    found = FORMAT_NAMES[info.format] if info.format else "not a document portal-lint recognises"
    if info.format is None:
        want = FORMAT_NAMES[spec_type]
        message = (
            f"`spec.type` is `{excerpt(spec_type)}`, but {rel} is not {want}"
            + (" (no top-level `openapi` or `swagger` key)" if spec_type == "openapi" else "")
            + f": point the definition at {want}, or correct `spec.type`"
        )
    else:
        message = (
            f"`spec.type` is `{excerpt(spec_type)}`, but {rel} is {found}: set `spec.type: {info.format}`, "
            f"or point the definition at {FORMAT_NAMES[spec_type]}"
        )
    yield Finding(message, d.span, pointer=f"spec.definition.{d.key}")


@rule("STD007")
def api_definition_valid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    if entity.kind != "API":
        return
    d = definition_of(entity)
    if d is None or d.inline:
        return
    if d.key not in _resolvers() or not isinstance(d.value, str) or not d.value:
        return  # not a placeholder Backstage resolves: the kind schema's finding (CAT)
    target = resolve(entity, d.value)
    if target.url or target.escapes:
        return  # never fetched (the API-folder standard flags it); outside: CAT013
    yield from _file_findings(entity, d, target, ctx)


@rule("STD006")
def api_definition_in_api_dir(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    if entity.kind != "API":
        return
    d = definition_of(entity)
    if d is None or not (d.inline or (d.key in _resolvers() and isinstance(d.value, str) and d.value)):
        return
    api_dir = str(ctx.options["api-dir"]).strip("/")
    spec_type = entity.spec.get("type") if entity.spec is not None else None
    suggested = f"./{api_dir}/{entity.name}{_EXT_FOR_TYPE.get(str(spec_type), '.yaml')}"
    if d.inline:
        yield Finding(
            f"API `{excerpt(entity.name)}` has its definition inline; the portal standard keeps API "
            f"definitions as files in {api_dir}/: move it to {suggested[2:]} and write "
            f"`definition: {{$text: {suggested}}}`",
            d.key_span,
            pointer="spec.definition",
        )
        return
    target = resolve(entity, d.value)
    if target.url:
        yield Finding(
            f"`{d.key}: {excerpt(d.value)}` reads the definition from a URL (portal-lint never fetches it); "
            f"the portal standard keeps API definitions in this repository's {api_dir}/ folder: "
            f"commit it there and write `{d.key}: {suggested}`",
            d.span,
            pointer=f"spec.definition.{d.key}",
        )
    elif (
        target.path is not None
        and not target.escapes
        and file_kind(target.path, ctx.run.memo) == "file"
        and not in_api_dir(entity, target.path, api_dir)
    ):
        rel = posix_rel(target.path, entity.file.repo.norm_root)
        yield Finding(
            f"`{d.key}: {excerpt(d.value)}` reads {rel}, outside {api_dir}/; the portal standard keeps API "
            f"definitions in {api_dir}/: move the file to {api_dir}/{target.path.name} and update the path",
            d.span,
            pointer=f"spec.definition.{d.key}",
        )


def _accounted_for(repo: Repo, cache: dict[str, Any]) -> tuple[set[Path], set[str]]:
    """Definition files some entity's placeholder reads, plus the files and formats that an API
    whose definition is not (yet) such a file probably means: a missing target's look-alike,
    the format of an inline or URL definition. Those get their own finding (STD006/STD007)."""
    files: set[Path] = set()
    formats: set[str] = set()
    for e in repo.entities():
        d = definition_of(e)
        ok = d is not None and not d.inline and isinstance(d.value, str) and d.value
        target = resolve(e, d.value) if d is not None and ok else None
        if target is not None and target.path is not None and file_kind(target.path, cache) == "file":
            files.add(target.path)
        elif e.kind != "API" or e.spec is None or "definition" not in e.spec:
            continue
        elif target is not None and target.path is not None and not target.escapes:
            hint = suggest_file(repo, target.path)
            files.update([hint] if hint else [])
        else:  # inline, a URL, or not a placeholder at all
            formats.add(str(e.spec.get("type")))
    return files, formats


def _broken_catalog_text(repo: Repo) -> str:
    """Text of catalog files with a document that did not parse (it may hold the API entity)."""
    out = []
    for path in repo.catalog_paths():
        try:
            cf = repo.load_catalog(path)
        except InputError:
            continue
        if any(not d.ok and not d.empty for d in cf.docs):
            out.append(cf.source.text)
    return "\n".join(out)


@rule("STD005")
def api_entity_required(repo: Repo, ctx: RuleContext) -> Iterator[Finding]:
    api_dir = str(ctx.options["api-dir"]).strip("/")
    root = Path(repo.norm_root)
    bases = {repo.norm_root, *(os.path.dirname(os.path.normpath(p)) for p in repo.catalog_paths())}
    folders = {os.path.normpath(os.path.join(b, api_dir)) for b in bases}
    files = sorted(f for d in folders if os.path.isdir(d) for f in walk(Path(d)))
    if not files:
        return
    referenced, formats = _accounted_for(repo, ctx.run.memo)
    broken = None
    root_catalog = root / "catalog-info.yaml"
    for f in files:
        if f in referenced:
            continue
        info = inspect(f, ctx.run.memo)
        if info.format is None or not info.root or info.format in formats:
            continue
        if broken is None:
            broken = _broken_catalog_text(repo)
        if f.name in broken:
            continue  # the entity for it is probably in the document that failed to parse
        rel = posix_rel(f, root)
        in_file = "catalog-info.yaml" if root_catalog.is_file() else "a catalog-info.yaml"
        ref = "./" + rel
        type_ = info.format
        yield Finding(
            f"{rel} is {FORMAT_NAMES[type_]}, but no API entity's `spec.definition` points at it; the portal "
            f"standard requires an API entity for every API: add one to {in_file} with `spec.type: {type_}` "
            f"and `definition: {{$text: {ref}}}`",
            info.marker,
            path=rel,
        )
