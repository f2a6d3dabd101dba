"""Inline expectations: fixtures say, next to the line, which finding belongs there.

YAML:      `owner: user:jdoe   # expect: REF003`   or a line `# expect-next-line: REF003`
Markdown:  `<!-- expect: AGT002 -->` on the line, or `<!-- expect-next-line: AGT002 -->` above it
Anywhere:  `expect-file: YML006` (the finding sits at line 1, for files that cannot hold a comment
           on the right line), written in a sibling file `<name>.expect`.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from portal_lint.diagnostic import Result
from portal_lint.engine import lint

_EXPECT = re.compile(r"expect(-next-line)?:\s*([A-Z]{3}\d{3}(?:\s*,\s*[A-Z]{3}\d{3})*)")

Expected = set[tuple[str, int, str]]  # (repo-relative path, 1-based line, code)


def expectations(root: Path) -> Expected:
    out: Expected = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".expect":
            target = rel[: -len(".expect")]
            for m in _EXPECT.finditer(path.read_text()):
                out |= {(target, 1, c.strip()) for c in m.group(2).split(",")}
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for i, line in enumerate(text.split("\n"), start=1):
            for m in _EXPECT.finditer(line):
                at = i + 1 if m.group(1) else i
                out |= {(rel, at, c.strip()) for c in m.group(2).split(",")}
    return out


def as_repo(src: Path, dest: Path) -> Path:
    """Copy a fixture folder to `dest` and mark it as a repository root."""
    shutil.copytree(src, dest, symlinks=True)
    (dest / ".git").mkdir(exist_ok=True)
    return dest


def make_repo(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (repo-relative path → text, or bytes as they are) under `root` and mark it
    as a repository root."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def found(result: Result) -> Expected:
    return {(d.repo_path, d.line, d.code) for d in result.diagnostics}


def lint_repo(root: Path, **kw: object) -> Result:
    return lint([str(root)], cwd=root, strict=True, **kw)  # type: ignore[arg-type]
