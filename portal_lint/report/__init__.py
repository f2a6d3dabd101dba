"""Formatters: pure functions from a lint result to text, chosen by name."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from portal_lint.diagnostic import Result

Formatter = Callable[[Result], str]
_MODULES = {"text": "text", "json": "json_", "sarif": "sarif", "github": "github"}
FORMATS = tuple(_MODULES)


def get(name: str) -> Formatter:
    """The `render` function of a format; imported on use so a run loads only its own."""
    return cast(Formatter, importlib.import_module(f"portal_lint.report.{_MODULES[name]}").render)
