"""The copy-paste snippets in the docs are the example files the other tests run.

The examples are exercised for real (pre-commit runs examples/.pre-commit-config.yaml, the
matcher test reads examples/vscode/tasks.json, the MCP and LSP tests start the servers as
examples/mcp and examples/vscode-lsp configure them), so a snippet equal to its example is a
snippet that works. Leading comment lines of an example (where to copy it) may be left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = {
    "examples/.pre-commit-config.yaml": "docs/integrations.md",
    "examples/github/portal-lint.yml": "docs/integrations.md",
    "examples/vscode/tasks.json": "docs/integrations.md",
    "examples/mcp/.mcp.json": "docs/agents-and-editors.md",
    "examples/mcp/codex-config.toml": "docs/agents-and-editors.md",
}
_FENCE = re.compile(r"^```[\w-]*\n(.*?)^```$", re.S | re.M)


def without_leading_comments(text: str) -> str:
    lines = text.strip().split("\n")
    while lines and lines[0].lstrip().startswith(("#", "//")):
        lines.pop(0)
    return "\n".join(lines).strip()


@pytest.mark.parametrize(("example", "doc"), SNIPPETS.items(), ids=list(SNIPPETS))
def test_the_docs_show_the_example_as_it_is(example: str, doc: str) -> None:
    want = without_leading_comments((ROOT / example).read_text(encoding="utf-8"))
    blocks = [without_leading_comments(b) for b in _FENCE.findall((ROOT / doc).read_text(encoding="utf-8"))]
    assert want in blocks, f"{doc} has no code block equal to {example}"
