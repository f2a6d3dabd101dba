"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Shaped by what code scanning reads (reference/integrations.md §a): every rule with short and
full description and help, URIs relative to the run's folder under `%SRCROOT%`, `columnKind`, one run per
file, no `automationDetails` (so the upload step's `category:` decides), at most 25,000 results.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

from portal_lint import __version__
from portal_lint.diagnostic import SEVERITY_RANK, Diagnostic, Result, printable
from portal_lint.model import posix_rel
from portal_lint.registry import RuleMeta, load_metadata
from portal_lint.ruledocs import render_rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/portal-lint/portal-lint"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "portalLint/v1"
# GitHub rejects a run with more results, and descriptions longer than this.
MAX_RESULTS = 25_000
MAX_DESCRIPTION = 1024
# Messages may cite other lines ("first at line 9"); those numbers move with unrelated edits.
_LINE_REF = re.compile(r"\b(lines?|column|col)\s+\d+")
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}

Json = dict[str, Any]


def _clip(text: str, limit: int = MAX_DESCRIPTION) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rule_descriptor(meta: RuleMeta) -> Json:
    tags = [meta.family.lower()]
    if meta.standard:
        tags.append("portal-standard")
    return {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": _clip(meta.summary)},
        "fullDescription": {"text": _clip(meta.why)},
        "help": {
            "text": f"{' '.join(meta.summary.split())}\n\nWhy: {' '.join(meta.why.split())}\n\n"
            f"Fix: {' '.join(meta.fix.split())}",
            "markdown": render_rule(meta),
        },
        "helpUri": meta.help_uri,
        "defaultConfiguration": {"level": meta.severity, "enabled": meta.enabled},
        "properties": {
            "tags": tags,
            "precision": "very-high",
            "problem.severity": _PROBLEM_SEVERITY[meta.severity],
        },
    }


def _root_of(d: Diagnostic, cwd: Path | None) -> Path | None:
    """The repository root a diagnostic's `repo_path` is relative to, when it can be told."""
    rel = PurePosixPath(d.repo_path)
    if cwd is None or not d.repo_path or rel.is_absolute():
        return None
    path = Path(d.path) if Path(d.path).is_absolute() else cwd / d.path
    n = len(rel.parts)
    if path.parts[-n:] != rel.parts:
        return None
    return Path(*path.parts[:-n])


class _Locator:
    """One %SRCROOT% for the run, the folder it was run from, and every URI relative to it, so
    the same file name in two repositories of one run stays two files; a file outside that
    folder (a path given as ../x) gets its absolute URI."""

    def __init__(self, cwd: Path | None) -> None:
        self.cwd = cwd

    def artifact(self, path: str) -> Json:
        """`path`: relative to the run's folder (POSIX), or absolute."""
        if PurePosixPath(path).is_absolute() or path.startswith("../"):
            base = self.cwd or Path.cwd()
            return {"uri": Path(os.path.normpath(base / path)).as_uri()}
        return {"uri": _uri_path(path), "uriBaseId": SRCROOT}

    def related(self, d: Diagnostic, repo_rel: str) -> Json:
        """A related location's repository-relative path, made relative to the run's folder."""
        root = _root_of(d, self.cwd)
        if root is None or self.cwd is None:
            return self.artifact(repo_rel)
        return self.artifact(posix_rel(root / repo_rel, self.cwd))

    def base_ids(self) -> Json:
        return {SRCROOT: {"uri": self.cwd.as_uri().rstrip("/") + "/"}} if self.cwd else {}


def _uri_path(rel: str) -> str:
    """A relative path as a URI reference (RFC 3986, as SARIF requires): `#`, `%`, `?`, spaces,
    controls and non-ASCII percent-encoded, bytes that were not UTF-8 as themselves."""
    return urllib.parse.quote(os.fsencode(rel), safe="/")


def _fingerprints(diagnostics: list[Diagnostic]) -> dict[Diagnostic, str]:
    """Identity without line numbers, so alerts survive edits elsewhere in the file.

    Same rule, file, pointer and message twice in a file (rare) are told apart by their order.
    """
    seen: Counter[str] = Counter()
    out = {}
    for d in diagnostics:
        message = _LINE_REF.sub(r"\1 #", d.message)
        key = "\0".join((d.code, d.repo_path or d.path, d.pointer, message))
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        out[d] = f"{digest}:{seen[digest]}"
        seen[digest] += 1
    return out


def _result(d: Diagnostic, index: dict[str, int], loc: _Locator, fingerprint: str) -> Json:
    res: Json = {"ruleId": d.code}
    if d.code in index:
        res["ruleIndex"] = index[d.code]
    res |= {
        "level": d.severity,
        "message": {"text": printable(d.message)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": loc.artifact(d.path),
                    "region": {
                        "startLine": d.line,
                        "startColumn": d.column,
                        "endLine": d.end_line,
                        "endColumn": d.end_column,
                    },
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if d.related:
        res["relatedLocations"] = [
            {
                "id": i,
                "message": {"text": printable(r.message)},
                "physicalLocation": {
                    "artifactLocation": loc.related(d, r.path),
                    "region": {"startLine": max(r.line, 1), "startColumn": max(r.col, 1)},
                },
            }
            for i, r in enumerate(d.related, start=1)
        ]
    return res


def _keep(diagnostics: list[Diagnostic], limit: int) -> list[Diagnostic]:
    """The `limit` most severe findings, in their original order."""
    if len(diagnostics) <= limit:
        return diagnostics
    ranked = sorted(range(len(diagnostics)), key=lambda i: -SEVERITY_RANK[diagnostics[i].severity])
    return [diagnostics[i] for i in sorted(ranked[:limit])]


def _cut_message(diagnostics: list[Diagnostic], kept: list[Diagnostic], limit: int) -> str:
    """How many findings were left out, and which: per severity, the rules with most first."""
    kept_ids = {id(d) for d in kept}
    dropped = [d for d in diagnostics if id(d) not in kept_ids]
    parts = []
    for severity in sorted({d.severity for d in dropped}, key=lambda s: -SEVERITY_RANK[s]):
        codes = Counter(d.code for d in dropped if d.severity == severity)
        n = codes.total()
        listed = ", ".join(f"{code} ×{count}" for code, count in codes.most_common(5))
        more = f", {len(codes) - 5} more rules" if len(codes) > 5 else ""
        parts.append(f"{n} {severity}{'s' * (n != 1)} ({listed}{more})")
    return (
        f"{len(dropped)} of {len(diagnostics)} findings were left out: GitHub code scanning accepts "
        f"at most {limit} results per run, so the most severe were kept. Left out: {'; '.join(parts)}. "
        "Run `portal-lint --format json` for all of them."
    )


def build(result: Result, max_results: int = MAX_RESULTS) -> Json:
    """The SARIF log as a dict (`render` serialises it)."""
    metas = load_metadata()
    index = {code: i for i, code in enumerate(metas)}
    kept = _keep(result.diagnostics, max_results)
    loc = _Locator(result.cwd)
    prints = _fingerprints(kept)

    notifications: list[Json] = [{"level": "note", "message": {"text": printable(n)}} for n in result.notices]
    if len(kept) < len(result.diagnostics):
        notifications.append(
            {"level": "warning", "message": {"text": _cut_message(result.diagnostics, kept, max_results)}}
        )
    notifications += [{"level": "error", "message": {"text": printable(e)}} for e in result.internal_errors]
    invocation: Json = {"executionSuccessful": not result.internal_errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications

    run: Json = {
        "tool": {
            "driver": {
                "name": "portal-lint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(m) for m in metas.values()],
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
    }
    if loc.base_ids():
        run["originalUriBaseIds"] = loc.base_ids()
    run["results"] = [_result(d, index, loc, prints[d]) for d in kept]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: Result) -> str:
    # Compact: the C encoder is ~20× faster than indenting, and uploads are capped at 10 MB gzipped.
    return json.dumps(build(result), ensure_ascii=False, separators=(",", ":")) + "\n"
