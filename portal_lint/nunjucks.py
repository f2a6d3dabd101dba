"""The scaffolder's template language, read with Jinja2 configured as the scaffolder's Nunjucks.

The scaffolder renders `${{ … }}` expressions (step inputs, `if`, output) and skeleton files
with Nunjucks: `${{`/`}}` variable tags, `{% %}` blocks, `{# #}` comments, no autoescape;
`cookiecutterCompat` switches the variable tags to `{{`/`}}` and adds `jsonify`. Jinja2 reads
that syntax; a sandboxed environment keeps a repository's templates from reaching anything but
the values we hand them. Where Nunjucks differs (`===`, how JavaScript prints a value, the
scaffolder's own filters), this module makes Jinja2 behave like it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache, lru_cache
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from jinja2 import ChainableUndefined, Template, Undefined, nodes
from jinja2.exceptions import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from portal_lint.diagnostic import Span

# What a value nobody can know before the template runs (a step's output, a secret) renders as;
# a finding on a line holding it is not reported.
SENTINEL = "\ue000"
# The names a scaffolder expression can start from (NunjucksWorkflowRunner's context).
CONTEXT_ROOTS = frozenset({"parameters", "steps", "user", "secrets", "each", "context"})
_JS_EQUALITY = re.compile(r"([!=])==")  # Nunjucks' === and !== are Jinja's == and !=


class Opaque(ChainableUndefined):
    """A value known only when the template runs: any attribute of it is opaque too."""

    __slots__ = ()

    def __str__(self) -> str:
        return SENTINEL


def js_str(value: Any) -> str:
    """How JavaScript's String() prints a value, which is what Nunjucks writes out."""
    if isinstance(value, Opaque):
        return SENTINEL
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(js_str(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _dump(value: Any, spaces: int | str | None = None) -> str:
    """Nunjucks' `dump` (JSON.stringify)."""
    if isinstance(value, Opaque):
        return json.dumps(SENTINEL)
    if isinstance(value, Undefined):
        return ""
    indent = spaces if isinstance(spaces, int) and spaces > 0 else None
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, default=js_str)


def parse_repo_url(value: Any) -> dict[str, str]:
    """The scaffolder's `parseRepoUrl`: `host?owner=o&repo=r` → its parts."""
    text = js_str(value)
    host, _, query = text.partition("?")
    parts = {k: v[0] for k, v in parse_qs(query).items() if v}
    return {"host": host, **parts}


def parse_entity_ref(value: Any, defaults: Mapping[str, str] | None = None) -> dict[str, str]:
    """The scaffolder's `parseEntityRef`: `[kind:][namespace/]name` → kind, namespace, name."""
    text = js_str(value)
    defaults = defaults or {}
    kind, sep, rest = text.partition(":")
    if not sep or "/" in kind:
        kind, rest = defaults.get("defaultKind", ""), text
    namespace, sep, name = rest.partition("/")
    if not sep:
        namespace, name = defaults.get("defaultNamespace", "default"), rest
    return {"kind": kind, "namespace": namespace, "name": name}


def _pick(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def _project_slug(value: Any) -> str:
    parts = parse_repo_url(value)
    return f"{parts.get('owner', '')}/{parts.get('repo', '')}"


@cache
def environment(
    compat: bool = False, trim_blocks: bool = False, lstrip_blocks: bool = False
) -> SandboxedEnvironment:
    """A sandboxed Jinja2 environment that reads templates as the scaffolder's Nunjucks does."""
    env = SandboxedEnvironment(
        variable_start_string="{{" if compat else "${{",
        variable_end_string="}}",
        autoescape=False,
        keep_trailing_newline=True,  # Nunjucks keeps a file's last newline
        trim_blocks=trim_blocks,
        lstrip_blocks=lstrip_blocks,
        undefined=ChainableUndefined,  # Nunjucks reads `a.b.c` of a missing `a` as undefined
        finalize=js_str,
    )
    env.filters.update(
        {
            "dump": _dump,
            "parseRepoUrl": parse_repo_url,
            "parseEntityRef": parse_entity_ref,
            "pick": _pick,
            "projectSlug": _project_slug,
        }
    )
    if compat:
        env.filters["jsonify"] = _dump
    return env


@lru_cache(maxsize=4096)
def template(env: SandboxedEnvironment, source: str) -> Template:
    """A Nunjucks text compiled once (compiling costs milliseconds; a skeleton renders once per choice)."""
    return env.from_string(as_jinja(source))


@lru_cache(maxsize=4096)
def expression(env: SandboxedEnvironment, source: str) -> Callable[..., Any]:
    """A Nunjucks expression compiled once; it returns Undefined for what is not there."""
    return env.compile_expression(as_jinja(source), undefined_to_none=False)


def as_jinja(source: str) -> str:
    """Nunjucks-only operators rewritten to Jinja's (`===` → `==`, `!==` → `!=`)."""
    return _JS_EQUALITY.sub(r"\1=", source) if "==" in source else source


class Ref(NamedTuple):
    """A name an expression reads: `parameters.name`, `steps['fetch'].output.url`, `values.x`."""

    root: str
    path: tuple[str | int, ...]  # the constant attribute and item names after the root
    line: int  # 1-based, in the parsed text
    guarded: bool  # under `is defined`, `| default(…)`: absence is handled on purpose


def references(source: str, env: SandboxedEnvironment, roots: frozenset[str]) -> list[Ref]:
    """The names from `roots` that a template text reads; [] when Jinja cannot parse it."""
    try:
        tree = env.parse(as_jinja(source))
    except TemplateError:
        return []
    out: list[Ref] = []
    _collect(tree, roots, out, guarded=False)
    return out


def _collect(node: nodes.Node, roots: frozenset[str], out: list[Ref], guarded: bool) -> None:
    if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name):
        chain = _chain(node)
        if chain is not None and chain[0] in roots:
            out.append(Ref(chain[0], chain[1], node.lineno, guarded))
            for item in _dynamic_items(node):
                _collect(item, roots, out, guarded)
            return
    if isinstance(node, nodes.Test) and node.name in ("defined", "undefined"):
        _collect(node.node, roots, out, guarded=True)
        return
    if isinstance(node, nodes.Filter) and node.name in ("default", "d") and node.node is not None:
        _collect(node.node, roots, out, guarded=True)
        for child in (*node.args, *node.kwargs):
            _collect(child, roots, out, guarded)
        return
    for child in node.iter_child_nodes():
        _collect(child, roots, out, guarded)


def _chain(node: nodes.Node) -> tuple[str, tuple[str | int, ...]] | None:
    """(root name, constant path) of an attribute/item chain; the path stops at a computed item."""
    steps: list[str | int | None] = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            steps.append(node.attr)
        else:
            arg = node.arg
            steps.append(
                arg.value if isinstance(arg, nodes.Const) and isinstance(arg.value, str | int) else None
            )
        node = node.node
    if not isinstance(node, nodes.Name):
        return None
    path: list[str | int] = []
    for step in reversed(steps):
        if step is None:
            break
        path.append(step)
    return node.name, tuple(path)


def _dynamic_items(node: nodes.Node) -> Iterator[nodes.Node]:
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
            yield node.arg
        node = node.node


def ref_pattern(ref: Ref) -> re.Pattern[str]:
    """How a reference reads in the source: `values.name`, `values['name']`, `values . name`."""
    name = re.escape(str(ref.path[0])) if ref.path else ""
    after = rf"\s*(?:\.\s*{name}\b|\[\s*['\"]{name}['\"]\s*\])" if name else ""
    return re.compile(rf"\b{re.escape(ref.root)}\b{after}")


def locate(lines: list[str], ref: Ref) -> Span:
    """Where a reference of a parsed template text is: its line (from the parser) and column."""
    n = min(max(ref.line - 1, 0), max(len(lines) - 1, 0))
    m = ref_pattern(ref).search(lines[n]) if lines else None
    return Span(n, m.start(), n, m.end()) if m else Span(n, 0, n, len(lines[n]) if lines else 0)
