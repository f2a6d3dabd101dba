"""Plain Python values that remember where they came from.

Rules read catalog documents as ordinary dicts and lists; positions ride along on the
containers so a finding can point at a key or a value without a second tree to walk.
"""

from __future__ import annotations

from typing import Any

from portal_lint.diagnostic import Span


class PMap(dict[str, Any]):
    """A YAML mapping: keys as JavaScript would see them (strings), plus their positions."""

    __slots__ = ("key_spans", "span", "value_spans")

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span
        self.key_spans: dict[str, Span] = {}
        self.value_spans: dict[str, Span] = {}

    def key_span(self, key: str) -> Span:
        return self.key_spans.get(key, self.span)

    def value_span(self, key: str) -> Span:
        return self.value_spans.get(key, self.span)


class PSeq(list[Any]):
    """A YAML sequence plus the position of each item."""

    __slots__ = ("item_spans", "span")

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span
        self.item_spans: list[Span] = []
