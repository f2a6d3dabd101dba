"""CAT: each kind's `spec` — required fields and field types from the kind schemas."""

from __future__ import annotations

from collections.abc import Iterator

from portal_lint.checks import _schema
from portal_lint.diagnostic import Finding
from portal_lint.model import Entity
from portal_lint.registry import RuleContext, rule


@rule("CAT012")
def spec_field_missing(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    yield from _schema.problems(entity, _schema.SPEC_MISSING)


@rule("CAT013")
def spec_field_invalid(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    yield from _schema.problems(entity, _schema.SPEC_INVALID)
