"""AGT: AGENTS.md as coding agents read it (Codex's loader, links, paths and commands)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from portal_lint.agents import (
    CODEX_NAMES,
    DEFINERS,
    OVERRIDE_NAME,
    UNKNOWN,
    AgentsFile,
    codex_max_bytes,
    defined,
    normalize,
)
from portal_lint.diagnostic import Finding, Span, excerpt
from portal_lint.markdown_files import file_anchors
from portal_lint.model import SKIP_DIRS, InputError, posix_rel, read_text, walk
from portal_lint.parse.markdown import (
    MARKDOWN_SUFFIXES,
    anchor_missing,
    is_external,
    line_span,
    split_target,
)
from portal_lint.registry import RuleContext, rule


def _line_span(agents: AgentsFile, line: int) -> Span:
    return line_span(agents.lines, line)


# ---------------------------------------------------------------- file-level


@rule("AGT001")
def agents_empty(agents: AgentsFile, ctx: RuleContext) -> Iterator[Finding]:
    if agents.error is not None:
        fix = "" if "re-save" in agents.error else ": replace it with a UTF-8 text file"
        yield Finding(f"{agents.error}; agents cannot read it{fix}", Span(0, 0, 0, 1))
    elif agents.blank:
        what = "is empty, so Codex skips it" if not agents.source.text.strip() else "holds only comments"
        yield Finding(
            f"{agents.path.name} {what} and agents get no instructions from it: write the build, "
            "test and style notes agents need, or delete the file",
            Span(0, 0, 0, 1),
        )


@rule("AGT002")
def agents_no_headings(agents: AgentsFile, ctx: RuleContext) -> Iterator[Finding]:
    filled = sum(1 for line in agents.lines if line.strip())
    if agents.error is None and filled >= int(ctx.options["min-lines"]) and not agents.doc.headings:
        yield Finding(
            f"{agents.path.name} has {filled} lines of text and no headings; agents and people find "
            "instructions by section: add headings such as `## Build and test` and `## Code style`",
            _line_span(agents, 0),
        )


def _codex_pick(folder: Path) -> Path | None:
    """The file Codex reads in a folder: AGENTS.override.md, else AGENTS.md (first existing)."""
    for name in CODEX_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def _codex_bytes(path: Path) -> int:
    try:
        text = read_text(path)
    except InputError:
        return 0
    return len(text.encode("utf-8")) if text.strip() else 0  # Codex skips whitespace-only files


@rule("AGT003")
def agents_too_large(agents: AgentsFile, ctx: RuleContext) -> Iterator[Finding]:
    if (
        agents.error is not None
        or agents.path.name not in CODEX_NAMES
        or _codex_pick(agents.folder) != agents.path
    ):
        return  # Codex does not read this file (AGT007, AGT008 say why)
    option = ctx.options["max-bytes"]
    limit = int(option) if option is not None else codex_max_bytes(ctx.run.memo, agents.source.repo.root)
    if limit == 0:
        return  # Codex is told to read no project docs at all
    ancestors = [p for f in reversed(agents.folders_up()[1:]) if (p := _codex_pick(f)) is not None]
    before = sum(_codex_bytes(p) for p in ancestors)
    own = agents.source.text.encode("utf-8")
    if not agents.source.text.strip() or before + len(own) <= limit:
        return
    chain = ", ".join(posix_rel(p, agents.source.repo.root) for p in ancestors)
    if before >= limit:
        yield Finding(
            f"Codex never reads this file: the AGENTS.md files above it ({chain}) already use the "
            f"{limit}-byte project_doc_max_bytes budget; shorten them or move detail into linked docs",
            _line_span(agents, 0),
        )
        return
    room, used = limit - before, 0
    for no, line in enumerate(agents.lines):
        used += len(line.encode("utf-8")) + 1
        if used > room:
            above = f" after {before:,} bytes from {chain}" if ancestors else ""
            yield Finding(
                f"Codex stops reading here: it reads at most {limit:,} bytes (project_doc_max_bytes) "
                f"of AGENTS.md from the repository root down, and this file is {len(own):,} bytes{above}; "
                "everything from this line on is cut: move detail into linked docs, or raise "
                "project_doc_max_bytes (.codex/config.toml)",
                _line_span(agents, no),
            )
            return


@rule("AGT007")
def agents_shadowed(agents: AgentsFile, ctx: RuleContext) -> Iterator[Finding]:
    if agents.path.name == "AGENTS.md" and (agents.folder / OVERRIDE_NAME).is_file():
        yield Finding(
            f"{OVERRIDE_NAME} in this folder replaces this file for Codex, which reads one file per "
            "folder; other agents still read AGENTS.md: merge the override in when it is no longer "
            "temporary",
            _line_span(agents, 0),
        )


@rule("AGT008")
def agents_lowercase_name(agents: AgentsFile, ctx: RuleContext) -> Iterator[Finding]:
    if agents.path.name == "agents.md":
        yield Finding(
            "the file is named `agents.md`; Codex and Claude Code look for `AGENTS.md` exactly, so on "
            "case-sensitive file systems they never read it: rename it to AGENTS.md",
            _line_span(agents, 0),
        )


# ---------------------------------------------------------------- links and paths


@rule("AGT004")
def agents_link_broken(agents: AgentsFile, ctx: RuleContext) -> Iterator[Finding]:
    for link in agents.links:
        if is_external(link.target) or link.target.startswith("/"):
            continue
        path, fragment = split_target(link.target)
        span = Span(link.line, link.col, link.line, link.end_col)
        where = (agents.folder / path) if path else agents.path
        if not where.exists():
            yield Finding(
                f"the link target `{excerpt(path)}` does not exist (relative to {_rel_folder(agents)}); "
                "agents that follow it find nothing: fix the path or remove the link",
                span,
            )
            continue
        if fragment and where.is_file() and where.suffix.lower() in MARKDOWN_SUFFIXES:
            anchors = agents.doc.anchors if not path else file_anchors(where, ctx.run.memo, full=True)
            if anchor_missing(anchors, fragment):
                yield Finding(
                    f"`#{excerpt(fragment)}` matches no heading in `{excerpt(path or agents.path.name)}`: "
                    "link to one of "
                    "its headings (GitHub anchors: lowercase, punctuation dropped, spaces as hyphens)",
                    span,
                )


def _rel_folder(agents: AgentsFile) -> str:
    rel = posix_rel(agents.folder, agents.source.repo.root)
    return "the repository root" if rel == "." else f"`{rel}/`"


def _up_from(agents: AgentsFile) -> str:
    rel = posix_rel(agents.folder, agents.source.repo.root)
    return "the repository" if rel == "." else f"`{rel}/` or the folders above it"


_PATHLIKE = re.compile(r"(?:\./)?[A-Za-z0-9_][\w.+-]*(?:/[\w.+-]+)*/?")
# Extensions that make a backticked word a file name (`setup.py`), unlike `v1.2` or `example.com`.
_EXTENSION_LIST = (
    "md markdown rst txt py pyi ipynb js mjs cjs jsx ts tsx json jsonc yaml yml toml ini cfg conf "
    "sh bash zsh ps1 go rs java kt kts rb php cs c h cc cpp hpp swift sql proto graphql css scss "
    "html xml gradle tf lock csv"
)
_EXTENSIONS = frozenset(_EXTENSION_LIST.split())


def _looks_like_path(text: str) -> bool:
    if not _PATHLIKE.fullmatch(text) or text.startswith(("./.", "../")):
        return False
    last = text.rstrip("/").rsplit("/", 1)[-1]
    ext = last.rsplit(".", 1)[-1].lower() if "." in last.lstrip(".") else ""
    if (ext and ext not in _EXTENSIONS) or re.fullmatch(r"[\d.]+", last):
        return False  # versions (1.2.3), hosts (example.com) and other dotted words
    # A lone folder (`target/`, `dist/`) is as often build output as a stale path: not checked.
    return bool(ext) or "/" in text.rstrip("/")


def _basenames(agents: AgentsFile, ctx: RuleContext) -> set[str]:
    repo = agents.source.repo
    cache: dict[Path, set[str]] = ctx.run.memo.setdefault("agt-basenames", {})
    if repo.root not in cache:
        cache[repo.root] = {p.name for p in walk(repo.root)}
    return cache[repo.root]


@rule("AGT005")
def agents_path_missing(agents: AgentsFile, ctx: RuleContext) -> Iterator[Finding]:
    root = agents.source.repo.root
    for span in agents.spans:
        text = span.text
        if not _looks_like_path(text):
            continue
        rel = text[2:] if text.startswith("./") else text
        first = rel.split("/", 1)[0]
        if first in SKIP_DIRS or first.startswith("."):
            continue  # generated or hidden folders (node_modules/, .venv/) are often not committed
        bases = [root, agents.folder]
        if "/" not in rel.rstrip("/"):
            if rel.rstrip("/") in _basenames(agents, ctx) or any((b / rel).exists() for b in bases):
                continue
        elif any((b / rel).exists() for b in bases) or not any((b / first).is_dir() for b in bases):
            # Only paths anchored in a folder that exists: `owner/repo`, `application/json` and
            # build output such as `out/bundle.js` name no folder of the checkout.
            continue
        yield Finding(
            f"`{excerpt(text)}` does not exist in the repository; agents that look for it waste a turn or "
            "invent it: fix the path or remove the mention",
            Span(span.line, span.col, span.line, span.end_col),
        )


# ---------------------------------------------------------------- commands

_SEPARATOR = re.compile(r"\s*(?:&&|\|\||;|\|)\s*")
_WORD = re.compile(r"\S+")
_PROMPT = re.compile(r"\s*(?:\$|>|%|#)\s+")
_SHELL_INFOS = frozenset(
    {"", "sh", "bash", "shell", "console", "zsh", "fish", "terminal", "text", "shell-session"}
)
_NPM_RUN = frozenset({"run", "run-script", "rum", "urn"})
_NPM_SCOPED = (
    "-w",
    "--workspace",
    "--workspaces",
    "-ws",
    "--prefix",
    "-C",
    "--dir",
    "--filter",
    "-F",
    "-r",
    "--recursive",
    "--if-present",
)
_PY_ALWAYS = frozenset({"python", "python3", "pip", "pip3", "uv", "uvx", "sh", "bash"})


class Command(NamedTuple):
    tool: str  # key of DEFINERS
    name: str  # the target, script or recipe
    col: int  # where the name is, in the file
    text: str  # the command up to the name, for messages (`npm run lint`)


def _command(words: list[tuple[str, int]]) -> Command | None:
    """The make target / npm script / just recipe / project script a shell command runs, or None."""
    while words and "=" in words[0][0] and not words[0][0].startswith("-"):
        words = words[1:]  # FOO=1 make test
    found = _name_index(words) if len(words) > 1 else None
    if found is None:
        return None
    kind, i = found
    name, col = words[i]
    if words[0][0] == "hatch" and ":" in name:  # hatch run env:script
        env, name = name.split(":", 1)
        col += len(env) + 1
    if not _plain(name) or (kind == "python" and (name in _PY_ALWAYS or name.endswith(".py"))):
        return None
    text = " ".join(w for w, _ in words[:i]) + " " + words[i][0]
    return Command(kind, "test" if kind == "npm" and name in ("t", "tst") else name, col, text)


def _name_index(words: list[tuple[str, int]]) -> tuple[str, int] | None:
    """(DEFINERS key, index of the word naming what runs) of a command line's words."""
    tool, second = words[0][0], words[1][0]
    flags = [w for w, _ in words[1:] if w.startswith("-")]
    if tool in ("make", "gmake"):
        if any(f.startswith(("-C", "-f", "--directory", "--file", "--makefile")) for f in flags):
            return None  # another folder or makefile
        for i, (word, _) in enumerate(words[1:], start=1):
            if not word.startswith("-") and "=" not in word and not word.isdigit():
                return "make", i
        return None
    if tool in ("npm", "pnpm", "yarn", "bun"):
        if any(f.startswith(_NPM_SCOPED) for f in flags):
            return None  # workspaces, another folder, or --if-present
        if second in _NPM_RUN:
            return next((("npm", i) for i in range(2, len(words)) if not words[i][0].startswith("-")), None)
        return ("npm", 1) if second in ("test", "t", "tst") and tool != "bun" else None
    if tool == "just":
        return None if second.startswith("-") or "::" in second or "=" in second else ("just", 1)
    if tool in ("uv", "poetry", "pdm", "hatch") and second == "run" and len(words) > 2:
        return None if words[2][0].startswith("-") else ("python", 2)
    return None


def _plain(word: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9_][\w.:+-]*", word) is not None


def commands_in(line: str, col0: int) -> Iterator[Command]:
    """Commands of one shell line (columns in the file), up to the first `cd`."""
    m = _PROMPT.match(line)
    start = m.end() if m else 0
    for segment in _SEPARATOR.split(line[start:]):
        offset = line.index(segment, start) if segment else start
        start = offset + len(segment)
        words = [(w.group(), col0 + offset + w.start()) for w in _WORD.finditer(segment)]
        if words and words[0][0] in ("cd", "pushd"):
            return
        found = _command(words)
        if found:
            yield found


def _shell_lines(agents: AgentsFile) -> Iterator[tuple[str, int, int]]:
    """(text, line, column) of every code span and shell code-block line."""
    for span in agents.spans:
        yield span.text, span.line, span.col
    for block in agents.blocks:
        if block.info.lower() not in _SHELL_INFOS:
            continue
        for i, text in enumerate(block.lines):
            if text.strip() and not text.lstrip().startswith("#"):
                indent = len(text) - len(text.lstrip())
                yield text.strip(), block.line + i, indent


@rule("AGT006")
def agents_command_undefined(agents: AgentsFile, ctx: RuleContext) -> Iterator[Finding]:
    folders = agents.folders_up()
    for text, line, col in _shell_lines(agents):
        for cmd in commands_in(text, col):
            definer = DEFINERS[cmd.tool]
            got = defined(ctx.run.memo, definer, folders)
            span = Span(line, cmd.col, line, cmd.col + len(cmd.name))
            if got is None:
                if cmd.tool == "python":
                    continue  # `uv run X` without a project: a standalone script or tool, not checkable
                yield Finding(
                    f"`{excerpt(cmd.text)}`: there is no {definer.tool} in {_up_from(agents)}, so an agent "
                    f"that runs this command fails: add one with the {definer.what} or fix the command",
                    span,
                )
                continue
            names, path = got
            if names is UNKNOWN or _is_defined(cmd.tool, cmd.name, names):
                continue
            rel, hint = posix_rel(path, agents.source.repo.root), _alternatives(cmd.name, names)
            yield Finding(
                f"`{excerpt(cmd.text)}`: {rel} defines no {definer.what} `{excerpt(cmd.name)}` ({hint}), "
                "so an agent "
                f"that runs this command fails: fix the command or add the {definer.what}",
                span,
            )


def _alternatives(name: str, names: frozenset[str]) -> str:
    from difflib import get_close_matches

    close = get_close_matches(name, sorted(names), n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    return "it has: " + (", ".join(sorted(names)[:8]) + (", …" if len(names) > 8 else "") or "none")


def _is_defined(tool: str, name: str, names: frozenset[str]) -> bool:
    if tool != "python":
        return name in names
    n = normalize(name)
    # `uv run sphinx-build` comes from the `sphinx` dependency: an executable named after, or
    # starting with, a declared dependency is taken as provided by it.
    return n in names or any(n.startswith(d + "-") or d.startswith(n + "-") for d in names)
