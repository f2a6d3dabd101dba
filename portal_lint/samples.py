"""What a Template's form could submit: for each parameter its default, enum choice, example, or a
valid sample of its type and pattern. The skeleton checks render with these values.

A parameter that picks among a few values (an enum, `oneOf` consts, a boolean) also lists its
alternatives, so a skeleton can be rendered once per choice: `lifecycle: ${{ values.lifecycle }}`
with an enum allowing `ga` is then seen rendering `ga`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# The scaffolder's form pickers, and a value of the shape each one submits.
_PICKED = {
    "RepoUrlPicker": "github.com?owner=acme&repo=sample-repo",
    "OwnerPicker": "group:default/sample-team",
    "MyGroupsPicker": "group:default/sample-team",
    "OwnedEntityPicker": "component:default/sample-component",
    "EntityNamePicker": "my-name",
    "EntityTagsPicker": ["sample"],
}
_FORMATS = {
    "email": "sample@example.com",
    "uri": "https://example.com/sample",
    "url": "https://example.com/sample",
    "hostname": "sample.example.com",
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
}


def properties(params: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every (name, schema) a form page declares, also in `dependencies` and `*Of`/`if` branches."""
    pages = params if isinstance(params, list) else [params]
    for page in pages:
        yield from _props(page)


def _props(schema: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if not isinstance(schema, Mapping):
        return
    props = schema.get("properties")
    if isinstance(props, Mapping):
        for name, sub in props.items():
            if isinstance(sub, Mapping):
                yield str(name), sub
    branches: list[Any] = [schema.get(k) for k in ("if", "then", "else")]
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            branches += schema[key]
    deps = schema.get("dependencies")
    if isinstance(deps, Mapping):
        branches += list(deps.values())
    for branch in branches:
        yield from _props(branch)


def choices(schema: Mapping[str, Any]) -> list[Any]:
    """The values a parameter picks among (enum, `oneOf`/`anyOf` consts, boolean); [] for free input."""
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return list(enum)
    for key in ("oneOf", "anyOf"):
        alts = schema.get(key)
        if isinstance(alts, list) and alts and all(isinstance(a, Mapping) and "const" in a for a in alts):
            return [a["const"] for a in alts]
    if schema.get("type") == "boolean":
        return [False, True]
    return []


def form_values(params: Any) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """(a value for every parameter, the alternatives of those that pick among values)."""
    values: dict[str, Any] = {}
    alternatives: dict[str, list[Any]] = {}
    for name, schema in properties(params):
        if name in values and "const" in schema:
            continue  # a dependency branch's `{const: true}` restates the choice; keep the value
        values.setdefault(name, sample(schema, name))
        options = choices(schema)
        if len(options) > 1:
            alternatives[name] = options
    return values, alternatives


def sample(schema: Any, name: str = "sample") -> Any:
    """One valid value for a parameter schema."""
    if not isinstance(schema, Mapping):
        return slug(name)
    for key in ("default", "const"):
        if key in schema:
            return schema[key]
    options = choices(schema)
    if options and schema.get("type") != "boolean":
        return options[0]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    field = schema.get("ui:field")
    if isinstance(field, str) and field in _PICKED:
        return _PICKED[field]
    if field == "EntityPicker":
        return f"{_picker_kind(schema)}:default/sample-{_picker_kind(schema)}"
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "boolean":
        return False
    if kind in ("number", "integer"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return (int(low) if kind == "integer" else low) + 1 if isinstance(low, int | float) else 1
    if kind == "array":
        items = schema.get("items")
        return [sample(items, name)] if isinstance(items, Mapping) else []
    if kind == "object" or (kind is None and isinstance(schema.get("properties"), Mapping)):
        props = schema.get("properties")
        return {str(k): sample(v, str(k)) for k, v in props.items()} if isinstance(props, Mapping) else {}
    if kind == "null":
        return None
    return _string(schema, name)


def _picker_kind(schema: Mapping[str, Any]) -> str:
    options = schema.get("ui:options")
    kinds: Any = None
    if isinstance(options, Mapping):
        kinds = options.get("allowedKinds")
        flt = options.get("catalogFilter")
        if kinds is None and isinstance(flt, Mapping):
            kinds = flt.get("kind")
    if isinstance(kinds, list) and kinds:
        kinds = kinds[0]
    return str(kinds).lower() if isinstance(kinds, str) else "component"


def _string(schema: Mapping[str, Any], name: str) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    pattern = schema.get("pattern")
    text = slug(name)
    if isinstance(pattern, str):
        text = _matching(pattern, text)
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(text) < low:
        text += "x" * (low - len(text))
    if isinstance(high, int) and len(text) > high:
        text = text[:high]
    return text


def slug(name: str) -> str:
    """A parameter's name as a value that is valid almost anywhere: `component_id` → `my-component-id`."""
    return "my-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "value")


def _matching(pattern: str, preferred: str) -> str:
    """`preferred` when the pattern accepts it, else a string generated from the pattern."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return preferred  # a JavaScript-only pattern: the form's problem, not the skeleton's
    if compiled.search(preferred):
        return preferred
    try:
        from re import _parser  # type: ignore[attr-defined]

        made = _emit(_parser.parse(pattern))
    except Exception:
        return preferred
    return made if compiled.search(made) else preferred


def _emit(parsed: Any) -> str:
    from re import _constants as c  # type: ignore[attr-defined]

    out = []
    for op, arg in parsed:
        if op is c.LITERAL:
            out.append(chr(arg))
        elif op is c.NOT_LITERAL:
            out.append("b" if chr(arg) == "a" else "a")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_one_of(arg, c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, high, sub = arg
            out.append(_emit(sub) * min(max(low, 1), high))
        elif op is c.SUBPATTERN:
            out.append(_emit(arg[-1]))
        elif op is c.BRANCH:
            out.append(_emit(arg[1][0]))
        elif op is c.CATEGORY:
            out.append(_category(arg, c))
    return "".join(out)


def _one_of(items: Any, c: Any) -> str:
    if items and items[0][0] is c.NEGATE:
        return "a"
    op, arg = items[0]
    if op is c.LITERAL:
        return chr(arg)
    if op is c.RANGE:
        return chr(arg[0])
    if op is c.CATEGORY:
        return _category(arg, c)
    return "a"


def _category(arg: Any, c: Any) -> str:
    if arg is c.CATEGORY_DIGIT:
        return "0"
    if arg is c.CATEGORY_SPACE:
        return " "
    return "a"
