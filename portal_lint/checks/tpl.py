"""TPL: a scaffolder Template as the scaffolder runs it (the catalog's schema check is CAT's).

Parameters are JSON Schemas the form renders; steps run in order and read earlier steps'
outputs; `${{ }}` expressions name parameters, steps and the user; fetch steps read folders
next to the Template. What fails here fails when someone fills in the form, not at ingestion.
Jinja2 and jsonschema are imported only when a Template is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal_lint.checks._fields import KIND_API_VERSIONS, SCHEME, describe, node_spans, path_pointer
from portal_lint.diagnostic import Finding, Span, excerpt
from portal_lint.model import Entity, posix_rel
from portal_lint.parse.tree import PMap, PSeq
from portal_lint.registry import RuleContext, rule

Path = tuple[str | int, ...]
_USER_FIELDS = ("entity", "ref")


def _spec(entity: Entity) -> PMap | None:
    """The spec of a v1beta3 Template; None for anything else (other kinds, other versions)."""
    if entity.kind != "Template" or entity.raw.get("apiVersion") not in KIND_API_VERSIONS["Template"]:
        return None
    return entity.spec


def _is_placeholder(value: Any) -> bool:
    from portal_lint.checks._schema import RESOLVERS

    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in RESOLVERS


def _pages(spec: PMap) -> list[tuple[Path, PMap]]:
    """Each form page of `spec.parameters` (one mapping, or a list of them) with its path."""
    params = spec.get("parameters")
    if isinstance(params, PMap):
        return [] if _is_placeholder(params) else [(("parameters",), params)]
    if isinstance(params, PSeq):
        return [
            (("parameters", i), p)
            for i, p in enumerate(params)
            if isinstance(p, PMap) and not _is_placeholder(p)
        ]
    return []


# ---------------------------------------------------------------- TPL001 parameter schemas


@rule("TPL001")
def parameter_schema_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _spec(entity)
    if spec is None:
        return
    pages = _pages(spec)
    if not pages:
        return
    from jsonschema import Draft7Validator

    meta = Draft7Validator(Draft7Validator.META_SCHEMA)
    span, key = entity.raw.value_span("spec"), entity.raw.key_span("spec")
    for base, page in pages:
        for error in meta.iter_errors(page):
            path: Path = (*base, *error.absolute_path)
            if any(_is_placeholder(v) for v in _values_along(spec, path)):
                continue
            at, at_key = node_spans(spec, span, key, path)
            ptr = path_pointer("spec", path)
            if error.validator in ("anyOf", "enum") and path[-1:] == ("type",):
                why = (
                    f"is {describe(error.instance)}, not a JSON Schema type, so the scaffolder cannot build "
                    "its form: use string, number, integer, boolean, object, array or null"
                )
            else:
                why = (
                    f"breaks JSON Schema draft-07 ({error.message}), so the scaffolder cannot build its "
                    "form: correct the keyword"
                )
            yield Finding(
                f"`{ptr}` {why}",
                at if not isinstance(error.instance, dict | list) else at_key,
                pointer=ptr,
            )


def _values_along(root: Any, path: Path) -> Iterator[Any]:
    cur = root
    for step in path:
        try:
            cur = cur[step]
        except (KeyError, IndexError, TypeError):
            return
        yield cur


# ---------------------------------------------------------------- TPL002 step ids


@rule("TPL002")
def step_id_duplicate(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _spec(entity)
    steps = spec.get("steps") if spec is not None else None
    if not isinstance(steps, PSeq):
        return
    first: dict[str, int] = {}
    for i, step in enumerate(steps):
        sid = step.get("id") if isinstance(step, PMap) else None
        if not isinstance(sid, str):
            continue
        if sid in first:
            yield Finding(
                f"step id `{excerpt(sid)}` is used again (first by step {first[sid] + 1}); the later step's "
                f"output replaces the earlier one's under `steps.{excerpt(sid)}`, so expressions read the "
                "wrong step: give each step its own id",
                step.value_span("id"),
                pointer=f"spec.steps[{i}].id",
            )
        else:
            first[sid] = i


# ---------------------------------------------------------------- TPL003-TPL005 expressions


class _Use:
    __slots__ = ("earlier", "path", "ref", "text", "where")

    def __init__(self, ref: Any, text: str, path: Path, where: Span, earlier: list[str] | None) -> None:
        self.ref = ref  # nunjucks.Ref
        self.text = text  # the string the expression is in
        self.path = path  # below spec
        self.where = where  # the string's span
        self.earlier = earlier  # ids of the steps that run before this one; None: after all of them


def _strings(value: Any, path: Path, spans: tuple[Span, Span]) -> Iterator[tuple[str, Path, Span]]:
    if isinstance(value, str):
        if "${{" in value:
            yield value, path, spans[0]
    elif isinstance(value, PMap):
        for k, v in value.items():
            yield from _strings(v, (*path, k), (value.value_span(k), value.key_span(k)))
    elif isinstance(value, PSeq):
        for i, v in enumerate(value):
            s = value.item_spans[i] if i < len(value.item_spans) else value.span
            yield from _strings(v, (*path, i), (s, s))


def _uses(entity: Entity, spec: PMap) -> list[_Use]:
    got = entity.memo.get("tpl-uses")
    if got is not None:
        return list(got)
    from portal_lint.nunjucks import environment, references

    env = environment()
    roots = frozenset({"parameters", "steps", "user"})
    out: list[_Use] = []
    ids: list[str] = []
    sections: list[tuple[Path, Any, list[str] | None]] = []
    steps = spec.get("steps")
    if isinstance(steps, PSeq):
        for i, step in enumerate(steps):
            sections.append((("steps", i), step, list(ids)))
            if isinstance(step, PMap) and isinstance(step.get("id"), str):
                ids.append(step["id"])
    sections += [(("output",), spec.get("output"), None), (("parameters",), spec.get("parameters"), [])]
    raw = entity.raw
    for base, value, earlier in sections:
        if value is None:
            continue
        spans = node_spans(spec, raw.value_span("spec"), raw.key_span("spec"), base)
        for text, path, where in _strings(value, base, spans):
            for ref in references(text, env, roots):
                out.append(_Use(ref, text, path, where, None if earlier is None else earlier))
    entity.memo["tpl-uses"] = out
    return out


def _ref_span(entity: Entity, use: _Use) -> Span:
    """The reference inside its string, when the source shows it; else the whole string."""
    from portal_lint.nunjucks import ref_pattern

    pattern = ref_pattern(use.ref)
    lines = entity.file.lines
    span = use.where
    for n in range(span.line, min(span.end_line, len(lines) - 1) + 1):
        start = span.col if n == span.line else 0
        end = span.end_col if n == span.end_line else len(lines[n])
        m = pattern.search(lines[n], start, end)
        if m is not None:
            return Span(n, m.start(), n, m.end())
    return span


def _declared(pages: list[tuple[Path, PMap]]) -> set[str] | None:
    """Every parameter a form page can set (properties, also in dependencies and *Of branches);
    None when a page's fields come from elsewhere (a placeholder) and cannot be listed."""
    names: set[str] = set()

    def collect(schema: Any) -> bool:
        if not isinstance(schema, dict):
            return True
        if _is_placeholder(schema):
            return False
        props = schema.get("properties")
        if isinstance(props, dict):
            if _is_placeholder(props):
                return False
            names.update(props)
        branches = [schema.get(k) for k in ("if", "then", "else")]
        for key in ("allOf", "anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                branches += schema[key]
        deps = schema.get("dependencies")
        if isinstance(deps, dict):
            branches += [d for d in deps.values() if isinstance(d, dict)]
        return all(collect(b) for b in branches)

    for _, page in pages:
        if not collect(page):
            return None
    return names


@rule("TPL003")
def parameter_unknown(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _spec(entity)
    if spec is None:
        return
    declared = _declared(_pages(spec))
    if declared is None or not isinstance(spec.get("parameters"), PMap | PSeq):
        return
    for use in _uses(entity, spec):
        ref = use.ref
        if ref.root != "parameters" or not ref.path or ref.guarded or ref.path[0] in declared:
            continue
        name = str(ref.path[0])
        ptr = path_pointer("spec", use.path)
        yield Finding(
            f"`{ptr}` reads `parameters.{excerpt(name)}`, but no form page declares `{excerpt(name)}`, so it "
            f"renders empty: add it to a page's `properties`, or correct the name"
            + _did_you_mean(name, declared),
            _ref_span(entity, use),
            pointer=ptr,
        )


def _did_you_mean(name: str, known: set[str] | list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


@rule("TPL004")
def step_output_unknown(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _spec(entity)
    steps = spec.get("steps") if spec is not None else None
    if spec is None or not isinstance(steps, PSeq):
        return
    ids = [s["id"] for s in steps if isinstance(s, PMap) and isinstance(s.get("id"), str)]
    for use in _uses(entity, spec):
        ref = use.ref
        if ref.root != "steps" or not ref.path or ref.guarded:
            continue
        sid = str(ref.path[0])
        earlier = ids if use.earlier is None else use.earlier
        if sid in earlier:
            continue
        ptr = path_pointer("spec", use.path)
        if sid in ids:
            why = (
                f"reads the output of step `{excerpt(sid)}`, which runs later (or is this step): its output "
                "does not exist yet and renders empty; move the step before this one"
            )
        else:
            why = (
                f"reads `steps.{excerpt(sid)}`, but no step has the id `{excerpt(sid)}`, so it renders "
                "empty: give the step that produces it this `id`, or correct the name"
                + _did_you_mean(sid, ids)
            )
        yield Finding(f"`{ptr}` {why}", _ref_span(entity, use), pointer=ptr)


@rule("TPL005")
def user_field_unknown(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _spec(entity)
    if spec is None:
        return
    for use in _uses(entity, spec):
        ref = use.ref
        if ref.root != "user" or not ref.path or ref.guarded or ref.path[0] in _USER_FIELDS:
            continue
        ptr = path_pointer("spec", use.path)
        yield Finding(
            f"`{ptr}` reads `user.{excerpt(ref.path[0])}`, which the scaffolder does not set (it renders "
            "empty): use `user.entity` for the signed-in user (their User entity, e.g. "
            "`user.entity.metadata.name`) or `user.ref` (`user:default/<name>`)",
            _ref_span(entity, use),
            pointer=ptr,
        )


# ---------------------------------------------------------------- TPL006 output links


@rule("TPL006")
def output_link_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _spec(entity)
    output = spec.get("output") if spec is not None else None
    links = output.get("links") if isinstance(output, PMap) else None
    if not isinstance(links, PSeq):
        return
    for i, link in enumerate(links):
        if not isinstance(link, PMap):
            continue  # the schema check (CAT013) reports it
        ptr = f"spec.output.links[{i}]"
        url = link.get("url")
        if "url" not in link and "entityRef" not in link:
            yield Finding(
                f"`{ptr}` has neither `url` nor `entityRef`, so the finished task shows a link to nowhere: "
                "add `url: ${{ steps['publish'].output.remoteUrl }}` or "
                "`entityRef: ${{ steps['register'].output.entityRef }}`",
                links.item_spans[i] if i < len(links.item_spans) else links.span,
                pointer=ptr,
            )
        elif isinstance(url, str) and url and "${{" not in url and not SCHEME.match(url):
            yield Finding(
                f"`{ptr}.url` is `{excerpt(url)}`, which is no absolute URL, so the link opens a page of the "
                "portal itself: write the full URL (`https://…`) or an expression that gives one",
                link.value_span("url"),
                pointer=f"{ptr}.url",
            )


# ---------------------------------------------------------------- TPL007 fetch folders


@rule("TPL007")
def fetch_url_missing(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = _spec(entity)
    if spec is None:
        return
    from portal_lint.scaffold import fetch_steps, present  # off the path of files without a Template

    steps = spec.get("steps")
    for step in fetch_steps(entity.raw, entity.file.path):
        assert isinstance(steps, PSeq)  # fetch_steps found steps in it
        if step.folder is None or present(step.folder):
            continue
        node: PMap = steps[step.position]["input"]
        wants = "file" if step.action.endswith(":file") else "folder"
        where = posix_rel(step.folder, entity.file.repo.root)
        label = f" `{excerpt(step.step_id)}`" if step.step_id else ""
        yield Finding(
            f"`{step.action}` step {step.position + 1}{label} "
            f"reads the {wants} `{excerpt(step.url)}`, and there is none at {where}: the step fails when the "
            f"template runs; correct the path (it is relative to this Template's file)",
            node.value_span("url"),
            pointer=f"spec.steps[{step.position}].input.url",
        )


# ---------------------------------------------------------------- TPL008, TPL009 skeletons


def _skeletons(entity: Entity) -> list[Any]:
    if _spec(entity) is None:
        return []
    from portal_lint.skeleton import skeletons  # Jinja2: only for a Template with a local skeleton

    return skeletons(entity)


@rule("TPL008")
def skeleton_value_missing(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    root = entity.file.repo.root
    for sk in _skeletons(entity):
        step = sk.step
        by = f"the `{excerpt(step.step_id)}` step" if step.step_id else f"step {step.position + 1}"
        template = posix_rel(entity.file.path, root)
        for miss in sk.missing:
            ref = miss.ref
            name = excerpt(ref.path[0])
            if ref.root == "parameters":
                why = (
                    f"reads `parameters.{name}`, but a skeleton sees only the values its fetch step "
                    f"passes, so it renders empty: add `{name}: ${{{{ parameters.{name} }}}}` to the "
                    f"`values` of {by} in {template} and read `values.{name}`"
                )
            else:
                why = (
                    f"reads `{ref.root}.{name}`, which {by} of {template} does not pass in its `values`, "
                    f"so it renders empty: add `{name}` to the step's `values`, or correct the name"
                )
            more = (
                f" (read again on line {', '.join(str(n + 1) for n in miss.others)})" if miss.others else ""
            )
            yield Finding(
                f"the skeleton {why}{more}", miss.span, path=posix_rel(miss.path, root), related=(sk.at,)
            )


@rule("TPL009")
def skeleton_unrenderable(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    root = entity.file.repo.root
    for sk in _skeletons(entity):
        for bad in sk.unrenderable:
            yield Finding(
                f"this skeleton catalog file cannot be rendered as a Nunjucks template "
                f"({excerpt(bad.why, 80)}), so portal-lint cannot check what it becomes and the scaffolder "
                "is likely to fail on it too: fix the template syntax at this line",
                bad.span,
                path=posix_rel(bad.path, root),
                related=(sk.at,),
            )
