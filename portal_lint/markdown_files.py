"""The Markdown files rules read (AGENTS.md, SKILL.md) as files: where each is, its lines, and
the anchors of the Markdown files it links to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portal_lint.model import InputError, SourceFile, read_text
from portal_lint.parse.markdown import parse, scan


class MarkdownFile:
    """Where a Markdown file a check reads (AGENTS.md, SKILL.md) is, and its lines, from the
    `source` its subclass keeps."""

    source: SourceFile

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def folder(self) -> Path:
        return self.source.path.parent

    @property
    def lines(self) -> list[str]:
        return self.source.lines


def file_anchors(path: Path, cache: dict[str, Any], *, full: bool) -> frozenset[str] | None:
    """Anchors of a linked Markdown file, read once per run (`cache` is the run's cache); None
    when it cannot be read. `full` reads it with markdown-it, else with the line scanner."""
    seen: dict[tuple[Path, bool], frozenset[str] | None] = cache.setdefault("markdown-anchors", {})
    key = (path, full)
    if key not in seen:
        try:
            text = read_text(path)
            seen[key] = (parse(text) if full else scan(text.split("\n"))).anchors
        except InputError:
            seen[key] = None
    return seen[key]
