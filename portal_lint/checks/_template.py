"""A Template's `spec` against the scaffolder's own schema (`Template.v1beta3.schema.json`).

The catalog's scaffolder module validates Templates with that schema and drops one that fails;
validating with the schema itself (through the `jsonschema` library) keeps every field of it
checked, including the ones added in later releases. Each schema error becomes a finding at
the offending node, in the walk's words, filed under CAT012 (required) or CAT013 / CAT011 (type).
jsonschema is imported only when a Template is checked.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from portal_lint.checks._fields import describe, node_spans, path_pointer
from portal_lint.diagnostic import Span
from portal_lint.parse.tree import PMap, PSeq

if TYPE_CHECKING:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import ValidationError

    from portal_lint.checks._schema import _Walk

Path = tuple[str | int, ...]


@cache
def _validator() -> Draft7Validator:
    from jsonschema import Draft7Validator

    from portal_lint.schemas import template_spec

    return Draft7Validator(template_spec())


def check_spec(walk: _Walk, spec: PMap, spec_span: Span, spec_key: Span) -> None:
    """Every way `spec` breaks the Template schema, each reported once at its node."""
    for error in _validator().iter_errors(spec):
        for leaf in _leaves(error):
            _report(walk, spec, spec_span, spec_key, leaf)


def _leaves(error: ValidationError) -> list[ValidationError]:
    """`parameters` is one form page (a mapping) or a list of pages: a value of either shape is
    reported against that shape's branch, not as "valid under none of the given schemas"."""
    if error.validator != "oneOf":
        return [error]
    branch = 1 if isinstance(error.instance, list) else 0 if isinstance(error.instance, dict) else None
    if branch is None:
        return [error]
    return [e for sub in error.context or () if sub.relative_schema_path[0] == branch for e in _leaves(sub)]


def _is_placeholder(value: Any) -> bool:
    from portal_lint.checks._schema import RESOLVERS

    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in RESOLVERS


def _report(walk: _Walk, spec: PMap, spec_span: Span, spec_key: Span, error: ValidationError) -> None:
    from portal_lint.checks._schema import NOT_STRING, SPEC_INVALID, SPEC_MISSING

    path: Path = tuple(error.absolute_path)
    value = error.instance
    if _is_placeholder(value):
        return  # Backstage replaces `$yaml`/`$json`/`$text` before it validates
    span, kspan = node_spans(spec, spec_span, spec_key, path)
    ptr = path_pointer("spec", path)
    kind = error.validator
    want: Any = error.validator_value
    if kind == "required":
        for name in (n for n in want if isinstance(value, dict) and n not in value):
            if not path:
                walk.missing_spec_field(name)
            else:
                walk.add(
                    SPEC_MISSING,
                    f"`{ptr}` has no `{name}`; Backstage rejects the Template without it: add "
                    + (
                        "the action the step runs, e.g. `action: fetch:template`"
                        if name == "action"
                        else f"`{name}: …`"
                    ),
                    span,
                    f"{ptr}.{name}",
                )
    elif kind == "type" and value is None and (path in (("type",), ("steps",)) or path[-1:] == ("action",)):
        walk.add(
            SPEC_MISSING,
            f"`{ptr}` has no value; Backstage rejects a Template without it: give it a value",
            kspan,
            ptr,
        )
    elif kind == "type" and want == "string":
        walk.string(value, span, kspan, ptr, SPEC_INVALID, min1=False, scalar_code=NOT_STRING)
    elif kind == "type" and want in ("object", "array"):
        walk.container(value, span, kspan, ptr, SPEC_INVALID, PMap if want == "object" else PSeq)
    elif kind == "type":
        shapes = " or ".join(f"a {t}" for t in (want if isinstance(want, list) else [want]))
        hint = (
            ": write a condition such as `${{ parameters.enabled }}`, or true/false"
            if set(want) == {"string", "boolean"}
            else ""
        )
        walk.add(SPEC_INVALID, f"`{ptr}` must be {shapes}, not {describe(value)}{hint}", span, ptr)
    elif kind == "oneOf":  # `parameters` that is neither a page nor a list of pages
        walk.add(
            SPEC_INVALID,
            f"`{ptr}` must be a mapping (one form page: a JSON Schema with `properties`) or a list of "
            f"them (one per page), not {describe(value)}",
            kspan if isinstance(value, dict | list) else span,
            ptr,
        )
    elif kind == "minLength":
        walk.add(
            SPEC_INVALID,
            f"`{ptr}` is empty; Backstage requires a non-empty string here: give it a value",
            span,
            ptr,
        )
    else:
        walk.add(
            SPEC_INVALID,
            f"`{ptr}` is {describe(value)}, which the Template schema rejects: {error.message}",
            span,
            ptr,
        )
