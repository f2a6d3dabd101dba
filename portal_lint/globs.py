"""The two kinds of path pattern portal-lint reads.

- Location targets are expanded as the catalog's file reader expands them, with node's `glob`
  package: `*` and `?` stay within one path segment, `**` spans segments, `{a,b}` alternates,
  and no wildcard matches a name that starts with `.` unless the pattern spells the dot.
- The config's `catalog-files` and `exclude` (and `.gitignore`) have gitignore semantics,
  through the `pathspec` library; it is imported only when such patterns are in play.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

GLOB_CHARS = frozenset("*?[{")


def is_glob(target: str) -> bool:
    return not GLOB_CHARS.isdisjoint(target)


def _braces(pattern: str) -> list[str]:
    """`a/{b,c}/*.yaml` → `a/b/*.yaml`, `a/c/*.yaml` (nested braces too), as brace-expansion does."""
    depth, start = 0, -1
    for i, ch in enumerate(pattern):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                inner, parts, level, last = pattern[start + 1 : i], [], 0, 0
                for j, c in enumerate(inner):
                    level += c == "{"
                    level -= c == "}"
                    if c == "," and level == 0:
                        parts.append(inner[last:j])
                        last = j + 1
                parts.append(inner[last:])
                if len(parts) < 2:
                    continue  # `{a}` is literal in brace expansion
                head, tail = pattern[:start], pattern[i + 1 :]
                return [x for p in parts for x in _braces(head + p + tail)]
    return [pattern]


def _segment(seg: str) -> str:
    """Regex of one path segment: no wildcard matches a leading dot (glob's `dot: false`)."""
    out = [] if seg.startswith(".") else ["(?!\\.)"]
    i = 0
    while i < len(seg):
        ch = seg[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = seg.find("]", i + 2)
            if end < 0:
                out.append("\\[")
            else:
                body = seg[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex matching the repository-relative POSIX paths node's `glob` returns for `pattern`
    (itself relative to the repository root, normalised)."""
    alternatives = []
    for expanded in _braces(pattern):
        parts, out = expanded.split("/"), []
        for n, seg in enumerate(parts):
            last = n == len(parts) - 1
            if seg == "**":
                # any number of segments, none of them hidden; `a/**` also matches `a`'s files
                out.append("(?:(?!\\.)[^/]+/)*" if not last else "(?:(?!\\.)[^/]+/)*(?!\\.)[^/]+")
            else:
                out.append(_segment(seg) + ("" if last else "/"))
        alternatives.append("".join(out))
    return re.compile("(?:" + "|".join(alternatives) + ")\\Z")


@cache
def _gitignore(patterns: tuple[str, ...]) -> Any:
    import pathspec  # only when patterns are configured: importing it costs a one-file run dearly

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def matches_any(rel: str, patterns: Sequence[str]) -> bool:
    """Whether a repository-relative POSIX path matches gitignore-style `patterns`
    (`org/**/*.yaml`, `/catalog/*.yaml` rooted, `*.yaml` at any depth, `!keep.yaml`)."""
    if not patterns:
        return False
    return bool(_gitignore(tuple(patterns)).match_file(rel))
