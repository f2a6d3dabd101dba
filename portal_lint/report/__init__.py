"""Formatters: pure functions from a lint result to text. Chosen by name."""

from __future__ import annotations

from collections.abc import Callable

from portal_lint.engine import Result

Formatter = Callable[[Result], str]


def get(name: str) -> Formatter:
    if name == "text":
        from portal_lint.report.text import render
    elif name == "json":
        from portal_lint.report.json_ import render
    elif name == "sarif":
        from portal_lint.report.sarif import render
    elif name == "github":
        from portal_lint.report.github import render
    else:
        raise ValueError(name)
    return render


FORMATS = ("text", "json", "sarif", "github")
