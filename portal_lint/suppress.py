"""Inline suppressions, as ruff and yamllint read theirs.

- `# portal-lint: disable=CODE[,CODE]` at the end of a line silences that line only;
- the same comment alone on a line (or `disable-next-line=`) silences the line below it;
- `disable-file=` silences the whole file.

In Markdown the same words go in an HTML comment: `<!-- portal-lint: disable=AGT002 -->`.
"""

from __future__ import annotations

import re

_DIRECTIVE = re.compile(r"portal-lint:\s*(disable-file|disable-next-line|disable)\s*=\s*([A-Za-z0-9_,\- ]+)")
# What may stand before a directive that is alone on its line: the comment's opening.
_ALONE = ("", "#", "<!--")


class Suppressions:
    __slots__ = ("by_line", "unknown", "whole_file")

    def __init__(
        self,
        by_line: dict[int, set[str]] | None = None,
        whole_file: set[str] | None = None,
        unknown: list[tuple[int, int, str]] | None = None,
    ) -> None:
        self.by_line: dict[int, set[str]] = {} if by_line is None else by_line  # 1-based line → codes
        self.whole_file: set[str] = set() if whole_file is None else whole_file
        # (line, col, token) of every token that names no rule, for POL003
        self.unknown: list[tuple[int, int, str]] = [] if unknown is None else unknown

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Suppressions):
            return NotImplemented
        return (self.by_line, self.whole_file, self.unknown) == (
            other.by_line,
            other.whole_file,
            other.unknown,
        )

    def __repr__(self) -> str:
        fields = f"by_line={self.by_line!r}, whole_file={self.whole_file!r}, unknown={self.unknown!r}"
        return f"Suppressions({fields})"

    def covers(self, code: str, name: str, line: int) -> bool:
        if code in self.whole_file or name in self.whole_file or "all" in self.whole_file:
            return True
        got = self.by_line.get(line)
        return got is not None and (code in got or name in got or "all" in got)


def parse(text: str, resolve: dict[str, tuple[str, str]]) -> Suppressions:
    """`resolve` maps a code or name to (code, name); anything else is recorded as unknown."""
    sup = Suppressions()
    if "portal-lint:" not in text:
        return sup
    for i, line in enumerate(text.split("\n"), start=1):
        if "portal-lint:" not in line:
            continue
        for m in _DIRECTIVE.finditer(line):
            codes: set[str] = set()
            # In Markdown the directive ends with ` -->`; no code or name contains `--`.
            for token in (t.strip() for t in m.group(2).split("--")[0].split(",")):
                if not token:
                    continue
                hit = resolve.get(token.upper()) or resolve.get(token.lower())
                if hit is None and token.lower() != "all":
                    sup.unknown.append((i, line.index(token, m.start(2)) + 1, token))
                    continue
                codes.update(hit if hit else ("all",))
            if m.group(1) == "disable-file":
                sup.whole_file |= codes
            elif m.group(1) == "disable-next-line" or line[: m.start()].strip() in _ALONE:
                sup.by_line.setdefault(i + 1, set()).update(codes)
            else:
                sup.by_line.setdefault(i, set()).update(codes)
    return sup
