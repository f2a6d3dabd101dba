"""`path:line:col: severity [CODE] message`, the line problem matchers read."""

from __future__ import annotations

import os
import sys

from portal_lint.diagnostic import Diagnostic, Result, printable

# SARIF says `note`; GitHub's problem matchers accept only error|warning|notice.
WORD = {"error": "error", "warning": "warning", "note": "notice"}
_COLOR = {"error": "\033[31m", "warning": "\033[33m", "note": "\033[36m"}


def use_color(stream_isatty: bool, no_color_flag: bool) -> bool:
    return (
        stream_isatty
        and not no_color_flag
        and not os.environ.get("NO_COLOR")  # no-color.org: set and not empty
        and os.environ.get("GITHUB_ACTIONS") != "true"
        and os.environ.get("TERM") != "dumb"
    )


def line_of(d: Diagnostic, color: bool = False) -> str:
    word = WORD[d.severity]
    if color:
        word = f"{_COLOR[d.severity]}{word}\033[0m"
    # One finding, one line: a line break in a path or message would forge another line for
    # the problem matchers (and GitHub Actions runs a line starting `::` as a command).
    return f"{printable(d.path)}:{d.line}:{d.column}: {word} [{d.code}] {printable(d.message)}"


def summary(result: Result) -> str:
    e, w, n = result.count("error"), result.count("warning"), result.count("note")
    files = f"{result.files} file{'s' * (result.files != 1)}"
    if not result.diagnostics:
        # An all-clear is a promise: never made for a run that could not check everything.
        if result.incomplete or result.internal_errors:
            why = result.incomplete or "portal-lint failed on some checks (above)"
            return f"No findings in {files}, but not all clear: {why}."
        return f"All clear: {files} checked, no findings."
    counts = f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}, {n} notice{'s' * (n != 1)}"
    return f"Found {counts} in {files}."


def render(result: Result, color: bool | None = None) -> str:
    if color is None:
        color = use_color(sys.stdout.isatty(), False)
    lines = [line_of(d, color) for d in result.diagnostics]
    lines.extend(f"note: {printable(n)}" for n in result.notices)
    lines.append(summary(result))
    return "\n".join(lines) + "\n"
