"""AGENTS.md as the AGT rules see it, plus what the repository defines for its commands to use.

The Markdown is parsed with markdown-it (see `portal_lint.parse.markdown`) on first use. The
section named by `standards-heading` belongs to the policy rules (POL), so the content
rules here see links, code spans and code blocks outside it only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portal_lint.markdown_files import MarkdownFile
from portal_lint.model import InputError, SourceFile, read_text
from portal_lint.parse.markdown import CodeBlock, CodeSpan, Link, MdDoc, parse

if TYPE_CHECKING:
    from portal_lint.discover import Target

OVERRIDE_NAME = "AGENTS.override.md"
CODEX_NAMES = (OVERRIDE_NAME, "AGENTS.md")  # what Codex looks for in each folder, first found wins
CODEX_DEFAULT_MAX_BYTES = 32 * 1024  # project_doc_max_bytes in codex-rs config_toml.rs
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(eq=False)
class AgentsFile(MarkdownFile):
    """One AGENTS.md, AGENTS.override.md or agents.md."""

    source: SourceFile
    standards_heading: str = ""
    error: str | None = None  # why the file could not be read
    read_doc: Callable[[str], MdDoc] = parse  # the run's, which parsed the root one for the policy

    @property
    def blank(self) -> bool:
        """No text an agent could act on: only whitespace and HTML comments."""
        text = self.source.text
        return not (_COMMENT.sub("", text) if "<!--" in text else text).strip()

    @cached_property
    def doc(self) -> MdDoc:
        return self.read_doc(self.source.text)

    @cached_property
    def _policy_lines(self) -> range:
        found = self.doc.find_section(self.standards_heading) if self.standards_heading else None
        return found if found is not None else range(0)

    @property
    def links(self) -> list[Link]:
        return [x for x in self.doc.links if x.line not in self._policy_lines]

    @property
    def spans(self) -> list[CodeSpan]:
        return [x for x in self.doc.spans if x.line not in self._policy_lines]

    @property
    def blocks(self) -> list[CodeBlock]:
        return [x for x in self.doc.blocks if x.line not in self._policy_lines]

    def folders_up(self) -> list[Path]:
        """This file's folder and each folder above it, up to the repository root."""
        root = self.source.repo.root
        out = [self.folder]
        while out[-1] != root and out[-1].is_relative_to(root) and out[-1].parent != out[-1]:
            out.append(out[-1].parent)
        return out


def load_agents_subjects(
    target: Target, heading: str, read_doc: Callable[[str], MdDoc] = parse
) -> Iterator[tuple[str, Any, SourceFile]]:
    """Engine loader for kind "agents": one AgentsFile per AGENTS.md-like file, whose section
    under `heading` (the policy's) the content rules leave alone."""
    try:
        sf = SourceFile(target.path, target.repo, target.repo.read(target.path))
    except InputError as exc:
        sf = SourceFile(target.path, target.repo, "")
        yield "agents", AgentsFile(sf, heading, error=f"{target.path.name} {exc}"), sf
        return
    yield "agents", AgentsFile(sf, heading, read_doc=read_doc), sf


def codex_max_bytes(memo: dict[str, Any], root: Path) -> int:
    """project_doc_max_bytes from the repository's `.codex/config.toml`, else Codex's default
    (read once per run: `memo` is the run's)."""
    cache: dict[Path, int] = memo.setdefault("agt-codex-max-bytes", {})
    if root not in cache:
        cache[root] = CODEX_DEFAULT_MAX_BYTES
        path = root / ".codex" / "config.toml"
        if path.is_file():
            import tomllib

            try:
                value = tomllib.loads(read_text(path)).get("project_doc_max_bytes")
            except (InputError, tomllib.TOMLDecodeError):
                value = None
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                cache[root] = value
    return cache[root]


# ---------------------------------------------------------------- what the repository defines

# A definition file that defines "anything" (includes, pattern rules, unparsable) is UNKNOWN:
# commands against it are not checked.
UNKNOWN: frozenset[str] = frozenset({"\0unknown"})

_MAKE_RULE = re.compile(r"([^\s:=#.][^:=#]*?|\.[A-Za-z][^:=#]*?)[ \t]*::?(?![=:])")
_MAKE_INCLUDE = re.compile(r"-?(?:include|sinclude)\s")
_JUST_RECIPE = re.compile(r"@?([A-Za-z_][A-Za-z0-9_-]*)(?:[ \t][^:]*)?:(?![=:])")
_JUST_ALIAS = re.compile(r"alias[ \t]+([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:=")
_REQ_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def make_targets(text: str) -> frozenset[str]:
    targets: set[str] = set()
    in_define = False
    for line in text.split("\n"):
        if in_define:
            in_define = not line.startswith("endef")
            continue
        if line.startswith(("\t", "#")) or not line.strip():
            continue
        if line.startswith("define"):
            in_define = True
            continue
        if _MAKE_INCLUDE.match(line):
            return UNKNOWN
        m = _MAKE_RULE.match(line)
        if m is None:
            continue
        names = m.group(1).split()
        if any("%" in n or "$" in n for n in names):
            return UNKNOWN  # pattern rules and computed targets: any name may be a target
        targets.update(n for n in names if not n.startswith("."))
    return frozenset(targets)


def just_recipes(text: str) -> frozenset[str]:
    recipes: set[str] = set()
    for line in text.split("\n"):
        if line.startswith(("import ", "mod ", "import?", "mod?")):
            return UNKNOWN
        m = _JUST_ALIAS.match(line) or _JUST_RECIPE.match(line)
        if m and not line.startswith(("set ", "export ")):
            recipes.add(m.group(1))
    return frozenset(recipes)


def npm_scripts(text: str) -> frozenset[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return UNKNOWN
    scripts = data.get("scripts") if isinstance(data, dict) else None
    return frozenset(scripts) if isinstance(scripts, dict) else frozenset()


def normalize(name: str) -> str:
    """PEP 503 name normalisation (`Foo_Bar` and `foo-bar` are the same project)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def python_names(text: str) -> frozenset[str]:
    """Scripts and dependency names a pyproject.toml declares (what `uv run X` can start)."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return UNKNOWN
    tool = data.get("tool", {})
    project = data.get("project", {})
    names: set[str] = set()
    tables = [
        project.get("scripts"),
        project.get("gui-scripts"),
        tool.get("poetry", {}).get("scripts"),
        tool.get("pdm", {}).get("scripts"),
    ]
    tables += [
        env.get("scripts") for env in tool.get("hatch", {}).get("envs", {}).values() if isinstance(env, dict)
    ]
    for table in tables:
        if isinstance(table, dict):
            names.update(table)
    reqs: list[Any] = list(project.get("dependencies", []))
    for group in (project.get("optional-dependencies", {}), data.get("dependency-groups", {})):
        for items in group.values():
            reqs.extend(items if isinstance(items, list) else [])
    reqs.extend(tool.get("uv", {}).get("dev-dependencies", []))
    poetry = tool.get("poetry", {})
    for table in [
        poetry.get("dependencies"),
        poetry.get("dev-dependencies"),
        *(g.get("dependencies") for g in poetry.get("group", {}).values() if isinstance(g, dict)),
    ]:
        if isinstance(table, dict):
            reqs.extend(table)
    for req in reqs:
        m = _REQ_NAME.match(req) if isinstance(req, str) else None
        if m:
            names.add(m.group(1))
    return frozenset(normalize(n) for n in names)


@dataclass(frozen=True, slots=True)
class Definer:
    """A kind of build file: where commands of one tool are defined."""

    tool: str  # what the user calls it in messages
    files: tuple[str, ...]  # file names, first found in a folder wins
    read: Any  # text -> frozenset of names (or UNKNOWN)
    what: str  # "target", "script", "recipe"


DEFINERS = {
    "make": Definer("Makefile", ("GNUmakefile", "makefile", "Makefile"), make_targets, "target"),
    "npm": Definer("package.json", ("package.json",), npm_scripts, "script"),
    "just": Definer("justfile", ("justfile", "Justfile", ".justfile"), just_recipes, "recipe"),
    "python": Definer("pyproject.toml", ("pyproject.toml",), python_names, "script or dependency"),
}


def defined(
    memo: dict[str, Any], definer: Definer, folders: list[Path]
) -> tuple[frozenset[str], Path] | None:
    """Names the nearest build file of this kind defines, in `folders` (nearest first), or None
    when there is none. Read once per run (`memo` is the run's)."""
    cache: dict[Path, tuple[frozenset[str], Path] | None] = memo.setdefault(f"agt-{definer.tool}", {})
    for folder in folders:
        if folder not in cache:
            cache[folder] = None
            for name in definer.files:
                path = folder / name
                if path.is_file():
                    try:
                        cache[folder] = (definer.read(read_text(path)), path)
                    except InputError:
                        cache[folder] = (UNKNOWN, path)
                    break
        got = cache[folder]
        if got is not None:
            return got
    return None
