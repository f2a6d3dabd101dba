"""GitHub Actions workflow commands: `::error file=…,line=…::message`, one per finding.

The runner turns each into an inline annotation, but only the first 10 errors, 10 warnings and
10 notices of a step (reference/integrations.md §b.2); the rest stay in the log. So every
finding is printed and a closing plain line says how many were cut and where to see them all.
"""

from __future__ import annotations

import os

from portal_lint.diagnostic import Diagnostic, Result, printable
from portal_lint.report.text import WORD

ANNOTATIONS_PER_STEP = 10
# The SARIF file the same run writes, when the caller says so (the GitHub Action sets it from its
# `sarif-file` input): the summary then names the file to upload instead of how to write one.
SARIF_FILE_ENV = "PORTAL_LINT_SARIF_FILE"


def escape_data(text: str) -> str:
    # The runner would decode `%0A` back into a line break: other control characters and
    # separators are shown escaped first, as in every format.
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props: str | int) -> str:
    """`::kind k=v,…::message`, escaped as @actions/core does."""
    params = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items())
    return f"::{kind}{' ' + params if params else ''}::{escape_data(message)}"


def annotation(d: Diagnostic) -> str:
    # The end column is exclusive: a region that ends at column 1 ends on the line before it.
    end_line = d.end_line - 1 if d.end_column == 1 and d.end_line > d.line else d.end_line
    props: dict[str, str | int] = {"file": d.repo_path or d.path, "line": d.line, "endLine": end_line}
    # The runner drops col/endColumn when the region spans lines, so only single-line ones carry them.
    if d.end_line == d.line:
        props |= {"col": d.column, "endColumn": d.end_column}
    props["title"] = f"{d.code} {d.name}"
    return command(WORD[d.severity], d.message, **props)


def summary(result: Result, sarif_file: str | None = None) -> str:
    counts = {WORD[s]: result.count(s) for s in ("error", "warning", "note")}
    text = "portal-lint: " + ", ".join(f"{n} {w}{'s' * (n != 1)}" for w, n in counts.items())
    text += f" in {result.files} file{'s' * (result.files != 1)}."
    # Run notices and internal errors come first, so they are always annotated; they use up
    # part of the step's quota, and the findings past it are the ones GitHub leaves out.
    used = {"error": len(result.internal_errors), "warning": 0, "notice": len(result.notices)}
    room = {w: max(ANNOTATIONS_PER_STEP - used[w], 0) for w in counts}
    hidden = {w: n - room[w] for w, n in counts.items() if n > room[w]}
    if hidden:
        cut = ", ".join(f"{n} {w}{'s' * (n != 1)}" for w, n in hidden.items())
        report = f"`{sarif_file}`" if sarif_file else "(`--format sarif` or `--report sarif=FILE`)"
        text += (
            f" GitHub shows {ANNOTATIONS_PER_STEP} annotations of each kind per step, so {cut}"
            f" appear{'s' * (sum(hidden.values()) == 1)}"
            f" only in this log; upload the SARIF report {report}"
            " with github/codeql-action/upload-sarif to see every finding as a code scanning alert."
        )
    return text


def render(result: Result) -> str:
    lines = [command("error", e, title="portal-lint internal error") for e in result.internal_errors]
    lines += [command("notice", n, title="portal-lint") for n in result.notices]
    lines += [annotation(d) for d in result.diagnostics]
    lines.append(summary(result, os.environ.get(SARIF_FILE_ENV, "").strip() or None))
    return "\n".join(lines) + "\n"
