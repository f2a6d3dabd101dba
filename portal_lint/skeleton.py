"""A Template's skeletons rendered as the scaffolder would, so the catalog rules can check what a
new repository's `catalog-info.yaml` will be before anyone scaffolds one.

For each fetch step whose `url` names a local folder (scaffold.fetch_steps), the step's
`input.values` are evaluated the way the scaffolder evaluates step inputs, from sample form
values (samples.py), once per choice of each enum/boolean parameter the values read; then each
catalog file of the folder (`catalog-info.yaml`, and any YAML file declaring a Backstage
`apiVersion`) is rendered with Jinja2 set up as the scaffolder's Nunjucks (nunjucks.py),
honouring `cookiecutterCompat`, `copyWithoutTemplating`, `copyWithoutRender`,
`templateFileExtension`, `trimBlocks` and `lstripBlocks`. Each rendered line remembers the
skeleton line it came from: markers are put at the end of every literal line before rendering
and read back after, so a finding on the rendered text points at the skeleton's own line.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Undefined
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from portal_lint.diagnostic import Finding, Related, Span
from portal_lint.model import (
    CATALOG_NAMES,
    Entity,
    InputError,
    SourceFile,
    posix_rel,
    read_text,
    resolves_within,
)
from portal_lint.nunjucks import (
    SENTINEL,
    Opaque,
    Ref,
    environment,
    expression,
    js_str,
    locate,
    references,
    template,
)
from portal_lint.parse.yaml12 import parse_yaml
from portal_lint.samples import form_values
from portal_lint.scaffold import TEMPLATE_API_VERSION, FetchStep, fetch_steps, present

MAX_VARIANTS = 16
_SKIP = frozenset({".git", "node_modules"})
_MARK = re.compile("\ue001(\\d+)\ue002")
_NOT_PASSED = object()  # an input that renders empty: the scaffolder drops it
# What a rendered skeleton is checked with: what Backstage and the portal standards say of an
# entity, but not whether its references exist (the values are samples).
FAMILIES = frozenset({"YML", "CAT", "REF", "STD"})
SKIPPED = frozenset({"REF004"})
SAMPLE_USER = {
    "ref": "user:default/sample-user",
    "entity": {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": {"name": "sample-user", "namespace": "default"},
        "spec": {
            "profile": {"displayName": "Sample User", "email": "sample-user@example.com"},
            "memberOf": [],
        },
    },
}


class Missing(NamedTuple):
    """A skeleton reading a value its step does not pass (TPL008), first where it does so."""

    path: Path
    span: Span
    ref: Ref
    others: list[int]  # the other lines (0-based) of the file reading it


class Unrenderable(NamedTuple):
    """A skeleton catalog file Jinja2 could not render (TPL009)."""

    path: Path
    span: Span
    why: str


class StepSkeleton:
    """What one fetch step's skeleton yields: its rendered catalog files and its problems."""

    def __init__(self, step: FetchStep, at: Related) -> None:
        self.step = step
        self.at = at  # the step's `url` in the Template: where a run naming only the Template reports
        self.rendered: list[RenderedFile] = []
        self.missing: list[Missing] = []
        self.unrenderable: list[Unrenderable] = []


def skeletons(entity: Entity) -> list[StepSkeleton]:
    """The skeletons of a Template entity's fetch steps, rendered once per entity."""
    got = entity.memo.get("skeletons")
    if got is None:
        got = entity.memo["skeletons"] = list(_render_all(entity))
    return list(got)


def _render_all(entity: Entity) -> Iterator[StepSkeleton]:
    spec = entity.spec
    if spec is None or entity.raw.get("apiVersion") != TEMPLATE_API_VERSION:
        return
    params, alternatives = form_values(spec.get("parameters"))
    shared: dict[Path, _Shared] = {}  # two steps may fetch one folder: one finding, not two
    for step in fetch_steps(entity.raw, entity.file.path):
        if step.folder is None or not present(step.folder) or step.action == "fetch:rails":
            continue
        if not step.folder.resolve().is_relative_to(entity.file.repo.root.resolve()):
            continue  # never read outside the repository
        yield _render_step(entity, step, params, alternatives, shared)


class _Options(NamedTuple):
    compat: bool
    render: bool  # the contents are templates (not fetch:plain)
    extension: str | None  # templateFileExtension: only these files are rendered
    verbatim: tuple[str, ...]  # copyWithoutRender: copied as they are
    untemplated: tuple[str, ...]  # copyWithoutTemplating: names rendered, contents not
    env: SandboxedEnvironment


def _options(step: FetchStep) -> _Options:
    inputs = step.inputs
    compat = step.action == "fetch:cookiecutter" or inputs.get("cookiecutterCompat") is True
    ext = inputs.get("templateFileExtension")
    extension = (".njk" if ext is True else ext if isinstance(ext, str) and ext else None) if ext else None
    if extension and not extension.startswith("."):
        extension = "." + extension

    def globs(key: str) -> tuple[str, ...]:
        value = inputs.get(key)
        return tuple(g for g in value if isinstance(g, str)) if isinstance(value, list) else ()

    env = environment(compat, inputs.get("trimBlocks") is True, inputs.get("lstripBlocks") is True)
    return _Options(
        compat,
        not step.action.startswith("fetch:plain"),
        extension,
        globs("copyWithoutRender"),
        globs("copyWithoutTemplating"),
        env,
    )


def _render_step(
    entity: Entity,
    step: FetchStep,
    params: dict[str, Any],
    alternatives: dict[str, list[Any]],
    shared: dict[Path, _Shared],
) -> StepSkeleton:
    url = entity.raw["spec"]["steps"][step.position]["input"].value_span("url")
    out = StepSkeleton(
        step, Related(entity.file.rel, url.line + 1, url.col + 1, "the fetch step that renders it")
    )
    opts = _options(step)
    expr_env = environment()
    raw_values = step.inputs.get("values")
    passed = set(raw_values) if isinstance(raw_values, Mapping) else None
    # Render once per choice of each enum/boolean parameter the values read (others at their first).
    read = {r.path[0] for r in _input_refs(raw_values, expr_env) if r.root == "parameters" and r.path}
    variants: list[tuple[str, dict[str, Any]]] = [("", params)]
    for name, options in alternatives.items():
        if name in read:
            variants += [
                (f"`parameters.{name}` = {js_str(v)}", {**params, name: v})
                for v in options
                if v != params[name]
            ]
    contexts = []
    for label, form in variants[:MAX_VARIANTS]:
        values = render_input(raw_values, _context(form), expr_env)
        values = values if isinstance(values, dict) else {}
        if step.action == "fetch:cookiecutter":
            values = {**_cookiecutter_defaults(step.folder), **values}
        contexts.append((label, {"cookiecutter" if opts.compat else "values": values}))
    for source in _files(step.folder):
        if not resolves_within(str(source), entity.file.repo.norm_root):
            continue  # a symlink out of the repository is not read
        rel = posix_rel(source, step.folder) if step.folder and step.folder.is_dir() else source.name
        _render_file(entity, out, opts, source, rel, passed, contexts, shared)
    return out


def _context(form: dict[str, Any]) -> dict[str, Any]:
    unknown = Opaque()
    return {
        "parameters": form,
        "user": SAMPLE_USER,
        "steps": unknown,
        "secrets": unknown,
        "each": unknown,
        "context": {"task": {"id": "sample-task"}},
    }


def _input_refs(value: Any, env: SandboxedEnvironment) -> Iterator[Ref]:
    if isinstance(value, str) and "${{" in value:
        yield from references(value, env, frozenset({"parameters"}))
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _input_refs(v, env)
    elif isinstance(value, list):
        for v in value:
            yield from _input_refs(v, env)


def render_input(value: Any, context: Mapping[str, Any], env: SandboxedEnvironment) -> Any:
    """A step input as the scaffolder renders it: a string that is one `${{ expr }}` keeps the
    expression's type, other strings are rendered as text; an empty result is not passed."""
    if isinstance(value, Mapping):
        out = {str(k): render_input(v, context, env) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not _NOT_PASSED}
    if isinstance(value, list):
        return [None if v is _NOT_PASSED else v for v in (render_input(v, context, env) for v in value)]
    if not isinstance(value, str) or "${{" not in value:
        return value
    text = value.strip()
    try:
        if text.startswith("${{") and text.endswith("}}") and text.count("${{") == 1:
            got = expression(env, text[3:-2])(**context)
            if isinstance(got, Opaque):
                return SENTINEL
            if isinstance(got, Undefined) or got == "":
                return _NOT_PASSED
            return got
        rendered = template(env, value).render(context)
    except Exception:  # a filter the installation adds, a JavaScript method: the value is unknown
        return SENTINEL
    return rendered if rendered else _NOT_PASSED


def _cookiecutter_defaults(folder: Path | None) -> dict[str, Any]:
    """fetch:cookiecutter starts from the folder's cookiecutter.json (a list means its first item)."""
    try:
        data = json.loads(read_text(folder / "cookiecutter.json")) if folder else {}
    except (InputError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): (v[0] if isinstance(v, list) and v else v) for k, v in data.items()}


def _files(folder: Path | None) -> Iterator[Path]:
    if folder is None:
        return
    if folder.is_file():
        yield folder
        return
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP)
        for name in sorted(names):
            yield Path(top) / name


def _matches(rel: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(rel, g) or fnmatch.fnmatchcase(rel, g.replace("**/", "")) for g in globs)


def _render_file(
    entity: Entity,
    out: StepSkeleton,
    opts: _Options,
    source: Path,
    rel: str,
    passed: set[str] | None,
    contexts: list[tuple[str, dict[str, Any]]],
    shared_by_file: dict[Path, _Shared],
) -> None:
    render_name = render_text = opts.render
    target = rel
    if opts.extension is not None:
        render_text = opts.render and rel.endswith(opts.extension)
        target = rel[: -len(opts.extension)] if render_text else rel
    elif _matches(rel, opts.verbatim):
        render_name = render_text = False
    elif _matches(rel, opts.untemplated):
        render_text = False
    name = target.rsplit("/", 1)[-1]
    if render_name and ("{" in name):
        with contextlib.suppress(Exception):  # a name that does not render keeps its own
            name = template(opts.env, name).render(contexts[0][1]).rsplit("/", 1)[-1]
    catalog_named = name in CATALOG_NAMES
    if not catalog_named and not name.endswith((".yaml", ".yml")) and not render_text:
        return
    try:
        text = read_text(source)
    except InputError:
        return
    known = len(out.missing)
    if render_text:
        _missing_values(out, opts, source, text, passed)
    # One root cause, one finding: what a missing value leaves empty is TPL008's.
    shared = shared_by_file.setdefault(source, _Shared(set()))
    shared.quiet |= {n for m in out.missing[known:] for n in (m.span.line, *m.others)}
    if not catalog_named and not (
        name.endswith((".yaml", ".yml")) and "apiVersion" in text and "kind" in text
    ):
        return
    if not render_text:
        _add(entity, out, source, text, text, list(range(text.count("\n") + 1)), "", shared)
        return
    marked = _mark(text, opts)
    seen: set[str] = set()
    for label, context in contexts:
        try:
            rendered = template(opts.env, marked).render(context)
        except TemplateSyntaxError as exc:
            line = _unclosed(text, opts.compat) if exc.message and "end of template" in exc.message else None
            line = max(exc.lineno, 1) - 1 if line is None else line
            out.unrenderable.append(
                Unrenderable(source, Span(line, 0, line, 0), _MARK.sub("", str(exc.message)))
            )
            return
        except Exception:
            # A value this choice leaves out (`values.x.y` of a value not passed: TPL008 says so),
            # or an operation JavaScript allows and Python does not: nothing to check this time.
            continue
        plain, lines = _unmark(rendered, text.count("\n"))
        if plain in seen:
            continue
        seen.add(plain)
        if catalog_named or _declares_backstage(plain):
            _add(entity, out, source, text, plain, lines, label, shared)


def _declares_backstage(text: str) -> bool:
    for doc in parse_yaml(text):
        root = doc.root
        if isinstance(root, dict) and "backstage.io/" in str(root.get("apiVersion", "")) and root.get("kind"):
            return True
    return False


def _add(
    entity: Entity,
    out: StepSkeleton,
    source: Path,
    text: str,
    rendered: str,
    lines: list[int],
    label: str,
    shared: _Shared,
) -> None:
    step = out.step
    template = posix_rel(entity.file.path, entity.file.repo.root)
    by = f"the `{step.step_id}` step" if step.step_id else f"step {step.position + 1}"
    how = f"rendered by {by} of {template} with sample values" + (f", {label}" if label else "")
    origin = _Origin(text, rendered, lines, how, shared, out.at)
    out.rendered.append(RenderedFile(source, entity.file.repo, rendered, origin))


# ---------------------------------------------------------------- values the step does not pass


def _missing_values(
    out: StepSkeleton, opts: _Options, source: Path, text: str, passed: set[str] | None
) -> None:
    if "{{" not in text:
        return
    roots = frozenset({"cookiecutter"} if opts.compat else {"values", "parameters"})
    lines = text.split("\n")
    defaults = _cookiecutter_defaults(out.step.folder) if opts.compat else {}
    first: dict[tuple[str, str | int], Missing] = {}
    for ref in references(text, opts.env, roots):
        if ref.guarded or not ref.path:
            continue
        if ref.root != "parameters" and (passed is None or ref.path[0] in passed or ref.path[0] in defaults):
            continue
        span = locate(lines, ref)
        seen = first.get((ref.root, ref.path[0]))
        if seen is None:
            first[(ref.root, ref.path[0])] = Missing(source, span, ref, [])
        elif span.line != seen.span.line:
            seen.others.append(span.line)
    out.missing += first.values()


# ---------------------------------------------------------------- line markers


def _tag_pattern(compat: bool) -> re.Pattern[str]:
    var = r"\{\{" if compat else r"\$\{\{"
    return re.compile(rf"{var}.*?\}}\}}|\{{%.*?%\}}|\{{#.*?#\}}", re.S)


_OPENERS = frozenset({"if", "for", "macro", "call", "filter", "block", "raw", "with", "autoescape"})


def _unclosed(text: str, compat: bool) -> int | None:
    """The line (0-based) of the innermost block tag that is never closed."""
    stack: list[int] = []
    for m in _tag_pattern(compat).finditer(text):
        tag = m.group()
        if not tag.startswith("{%"):
            continue
        word = tag[2:-2].strip("-+ \t\n").split(" ", 1)[0]
        if word in _OPENERS or (word == "set" and "=" not in tag):
            stack.append(text.count("\n", 0, m.start()))
        elif word.startswith("end") and stack:
            stack.pop()
    return stack[-1] if stack else None


def _mark(text: str, opts: _Options) -> str:
    """The skeleton with a marker before each newline of its literal text, except where
    whitespace control (`-%}`, `{%-`, trimBlocks) would strip that newline."""
    parts: list[str] = []
    pos = 0
    tags = list(_tag_pattern(opts.compat).finditer(text))
    trim = opts.env.trim_blocks
    for i in range(len(tags) + 1):
        end = tags[i].start() if i < len(tags) else len(text)
        data = text[pos:end]
        prev = tags[i - 1].group() if i > 0 else ""
        nxt = tags[i].group() if i < len(tags) else ""
        lead = len(data) - len(data.lstrip()) if prev[-3:-2] == "-" else 0
        if trim and prev.endswith("%}") and data.startswith("\n"):
            lead = max(lead, 1)
        tail = len(data) - len(data.rstrip()) if nxt[2:3] == "-" or nxt[3:4] == "-" else 0
        line0 = text.count("\n", 0, pos)
        chunk = []
        for j, ch in enumerate(data):
            if ch == "\n" and j >= lead and j < len(data) - tail:
                chunk.append(f"\ue001{line0}\ue002")
            if ch == "\n":
                line0 += 1
            chunk.append(ch)
        parts.append("".join(chunk))
        if i < len(tags):
            parts.append(tags[i].group())
            pos = tags[i].end()
    return "".join(parts)


def _unmark(rendered: str, last: int) -> tuple[str, list[int]]:
    """(the rendered text without markers, the skeleton line of each rendered line)."""
    lines_out: list[str] = []
    origin: list[int | None] = []
    for line in rendered.split("\n"):
        marks = _MARK.findall(line)
        origin.append(int(marks[0]) if marks else None)
        lines_out.append(_MARK.sub("", line))
    # A line with no marker came from an expression (or is the last line): it belongs to the
    # skeleton line of the next marked line, where the expression ends.
    nxt = last
    mapped = [0] * len(origin)
    for i in range(len(origin) - 1, -1, -1):
        at = origin[i]
        if at is None:
            mapped[i] = nxt
        else:
            mapped[i] = nxt = at
    return "\n".join(lines_out), mapped


# ---------------------------------------------------------------- the rendered file the rules see


class _Shared:
    """What the renderings of one skeleton file share: the skeleton lines whose findings are
    another rule's (a missing value), and the findings already reported for another choice."""

    __slots__ = ("quiet", "seen")

    def __init__(self, quiet: set[int]) -> None:
        self.quiet = quiet
        self.seen: set[tuple[str, Span]] = set()


class _Origin:
    """Maps a finding on the rendered text back to the skeleton (SourceFile.origin)."""

    __slots__ = ("at", "how", "lines", "rendered", "shared", "source_lines", "text")

    def __init__(
        self, text: str, rendered: str, lines: list[int], how: str, shared: _Shared, at: Related
    ) -> None:
        self.text = text  # the skeleton as written: its suppressions apply
        self.source_lines = text.split("\n")
        self.rendered = rendered.split("\n")
        self.lines = lines
        self.how = how
        self.shared = shared
        self.at = at

    @staticmethod
    def wants(family: str, code: str) -> bool:
        return family in FAMILIES and code not in SKIPPED

    def translate(self, finding: Finding, code: str) -> Finding | None:
        """The finding at the skeleton's line and column, or None when it rests on a value nobody
        can know before the template runs, or was already reported for another choice."""
        if finding.path is not None:
            return finding  # about another file (a definition the entity points at)
        span, rendered = finding.span, self.rendered
        if any(SENTINEL in rendered[n] for n in range(span.line, min(span.end_line, len(rendered) - 1) + 1)):
            return None
        line = self.lines[min(span.line, len(self.lines) - 1)]
        end_line = self.lines[min(span.end_line, len(self.lines) - 1)]
        col = self._col(rendered, span.line, span.col, line)
        end_col = self._col(rendered, span.end_line, span.end_col, end_line, end=True)
        if (end_line, end_col) <= (line, col):
            end_line, end_col = line, col + 1
        mapped = Span(line, col, end_line, end_col)
        seen = self.shared.seen
        if (code, mapped) in seen or line in self.shared.quiet:
            return None
        seen.add((code, mapped))
        return finding._replace(
            span=mapped,
            fix=None,
            message=f"{finding.message} [{self.how}]",
            related=(*finding.related, self.at),
        )

    def _col(self, rendered: list[str], r: int, c: int, s: int, end: bool = False) -> int:
        have = rendered[r] if r < len(rendered) else ""
        src = self.source_lines[s] if s < len(self.source_lines) else ""
        prefix = _common(have, src)
        if c <= prefix:
            return c
        suffix = _common(have[::-1], src[::-1])
        if end and len(have) - c <= suffix:
            return len(src) - (len(have) - c)
        return len(src) if end else prefix


def _common(a: str, b: str) -> int:
    """How many leading characters two strings share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class RenderedFile(SourceFile):
    """A skeleton's file as rendered: the rules read the rendered text, findings land on the skeleton."""

    def __init__(self, path: Path, repo: Any, text: str, origin: _Origin) -> None:
        super().__init__(path, repo, text)
        self.origin = origin

    def subjects(self) -> Iterator[tuple[str, Any, SourceFile]]:
        docs = parse_yaml(self.text)
        for doc in docs:
            yield "yaml-doc", doc, self
        for doc in docs:
            if doc.ok and isinstance(doc.root, dict):
                yield "entity", Entity(doc, self), self


def rendered_subjects(entity: Entity) -> Iterator[tuple[str, Any, SourceFile]]:
    """What the rules check of a Template's skeletons: each rendered catalog file's documents."""
    for sk in skeletons(entity):
        for rendered in sk.rendered:
            yield from rendered.subjects()
