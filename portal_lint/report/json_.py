"""A stable JSON shape for coding agents and scripts (documented in docs/json-output.md)."""

from __future__ import annotations

import json
from typing import Any

from portal_lint.diagnostic import Diagnostic, Result, printable

VERSION = 1


def finding(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity,
        "message": printable(d.message),
        "path": printable(d.path),
        "line": d.line,
        "column": d.column,
        "end_line": d.end_line,
        "end_column": d.end_column,
        "pointer": d.pointer,
        "fix": {"description": d.fix.description, "automatic": bool(d.fix.edits)} if d.fix else None,
        "standard": d.standard,
        "related": [
            {"path": printable(r.path), "line": r.line, "column": r.col, "message": printable(r.message)}
            for r in d.related
        ],
    }


def render(result: Result) -> str:
    doc = {
        "version": VERSION,
        "tool": "portal-lint",
        "findings": [finding(d) for d in result.diagnostics],
        "notices": [printable(n) for n in result.notices],
        "summary": {
            "files": result.files,
            "errors": result.count("error"),
            "warnings": result.count("warning"),
            "notes": result.count("note"),
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
