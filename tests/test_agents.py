"""AGENTS.md linting as a user sees it: Codex's budget, links, paths and commands that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from portal_lint.agents import UNKNOWN, just_recipes, make_targets, npm_scripts, python_names
from portal_lint.checks.agt import commands_in
from tests.expectations import lint_repo, make_repo


def agt(root: Path) -> list[tuple[str, int, str]]:
    return [(d.repo_path, d.line, d.code) for d in lint_repo(root, select=["AGT"]).diagnostics]


# ---------------------------------------------------------------- Codex's budget


def _lines(prefix: str, count: int, width: int = 99) -> str:
    return "".join(f"{prefix}{i:04d} ".ljust(width, "x") + "\n" for i in range(count))


def test_the_budget_is_crossed_at_the_right_line_counting_bytes_not_characters(tmp_path: Path) -> None:
    # 9 bytes of heading, then 100-byte lines ("é" is 2 bytes): 9 + 100 * 328 > 32,768 on file line 330.
    lines = "".join(f"- é{i:04d} ".ljust(98, "x") + "\n" for i in range(400))
    assert len(lines.split("\n")[0].encode()) + 1 == 100
    root = make_repo(tmp_path, {"AGENTS.md": "# Notes\n\n" + lines})
    assert agt(root) == [("AGENTS.md", 330, "AGT003")]


def test_the_override_counts_instead_of_the_agents_md_it_shadows(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            ".codex/config.toml": "project_doc_max_bytes = 1000\n",
            "AGENTS.md": "# Notes\n\n" + _lines("long ", 30),  # not read by Codex: the override wins
            "AGENTS.override.md": "# Freeze\n\nNo merges today.\n",
            "pkg/AGENTS.md": "# Package\n\n" + _lines("pkg ", 9),
        },
    )
    # 32 bytes of override + 902 of pkg/AGENTS.md fit; the root AGENTS.md is shadowed, not too large.
    assert agt(root) == [("AGENTS.md", 1, "AGT007")]


def test_a_blank_agents_md_uses_no_budget_and_zero_reads_nothing(tmp_path: Path) -> None:
    # 400 bytes of blanks at the root would push the package file (1,001 bytes) over 1,100.
    files = {"AGENTS.md": "   \n" * 100, "pkg/AGENTS.md": "# Package\n\n" + _lines("pkg ", 10)}
    small = make_repo(tmp_path / "a", {".codex/config.toml": "project_doc_max_bytes = 1100\n", **files})
    assert agt(small) == [("AGENTS.md", 1, "AGT001")]
    off = make_repo(tmp_path / "b", {".codex/config.toml": "project_doc_max_bytes = 0\n", **files})
    assert agt(off) == [("AGENTS.md", 1, "AGT001")]


def test_the_rule_option_overrides_the_repository_codex_config(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            ".codex/config.toml": "project_doc_max_bytes = 100\n",
            ".portal-lint.yaml": "rules:\n  agents-too-large: {max-bytes: 5000}\n",
            "AGENTS.md": "# Notes\n\n" + _lines("a ", 10),
        },
    )
    assert agt(root) == []


# ---------------------------------------------------------------- what is and is not checked


def test_the_standards_section_is_left_to_the_policy_rules(tmp_path: Path) -> None:
    text = """# Agent notes

See [the missing guide](docs/missing.md) and `src/missing.py`.

## Developer Portal Standards

- API definitions are stored in `api/` and referenced via `spec.definition.$text` ([guide](docs/api.md)).
- Run `make catalog-check` before merging.

## Testing

Run `make test`.
"""
    root = make_repo(tmp_path, {"AGENTS.md": text, "Makefile": "test:\n\tpytest\n", "src/app.py": ""})
    assert agt(root) == [("AGENTS.md", 3, "AGT004"), ("AGENTS.md", 3, "AGT005")]


def test_nested_and_lowercase_files_are_linted_with_their_own_folder(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            "AGENTS.md": "# Notes\n\nRun `make test`.\n",
            "Makefile": "test:\n\tpytest\n",
            "web/AGENTS.md": "# Web\n\nRun `npm run e2e` and read [the guide](GUIDE.md).\n",
            "web/package.json": '{"scripts": {"e2e": "playwright test"}}',
            "web/GUIDE.md": "# Guide\n",
            "docs/agents.md": "# Docs\n\nRun `npm run build` and read [the guide](GUIDE.md).\n",
        },
    )
    assert set(agt(root)) == {
        ("docs/agents.md", 1, "AGT008"),
        ("docs/agents.md", 3, "AGT004"),
        ("docs/agents.md", 3, "AGT006"),
    }


def test_a_suppression_comment_silences_one_finding(tmp_path: Path) -> None:
    text = "# Notes\n\nThe old layout used `src/legacy/`. <!-- portal-lint: disable=agents-path-missing -->\n"
    root = make_repo(tmp_path, {"AGENTS.md": text, "src/app.py": ""})
    assert agt(root) == []


def test_lone_carriage_returns_do_not_shift_lines(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"AGENTS.md": "\r0\n# Notes\r\n\r\nSee [x](missing.md).\r\n"})
    assert agt(root) == [("AGENTS.md", 4, "AGT004")]


@pytest.mark.parametrize("content", [b"\xff\xfe#\x00 \x00", b"# caf\xe9\n"], ids=["utf-16", "latin-1"])
def test_unreadable_agents_md_is_a_finding_not_a_traceback(tmp_path: Path, content: bytes) -> None:
    root = make_repo(tmp_path, {"AGENTS.md": content})
    assert agt(root) == [("AGENTS.md", 1, "AGT001")]


def test_backticked_words_that_are_not_repository_paths_are_left_alone(tmp_path: Path) -> None:
    text = (
        "# Notes\n\nUse `application/json`, `owner/repo`, `origin/main`, `v1.2.3`, `example.com`, "
        "`src/**/*.ts`, `$HOME/.cache`, `~/.codex/config.toml`, `/etc/hosts`, `node_modules/x.js`, "
        "`.env`, `@scope/pkg`, `out/bundle.js`, `npm run build`, `README.md` (anywhere: `docs/README.md`).\n"
    )
    root = make_repo(
        tmp_path,
        {"AGENTS.md": text, "docs/README.md": "# Docs\n", "package.json": '{"scripts": {"build": "x"}}'},
    )
    assert agt(root) == []


# ---------------------------------------------------------------- commands and their definitions


@pytest.mark.parametrize(
    ("line", "want"),
    [
        ("make test lint", [("make", "test")]),
        ("$ FOO=1 make -j4 lint", [("make", "lint")]),
        ("make -C docs html", []),
        ("make install && make itest", [("make", "install"), ("make", "itest")]),
        ("cd web && npm run build", []),
        ("npm run -s build -- --watch", [("npm", "build")]),
        ("npm run build --workspace=web", []),
        ("npm test", [("npm", "test")]),
        ("yarn run lint | tee log", [("npm", "lint")]),
        ("bun test", []),
        ("just release 2.1", [("just", "release")]),
        ("just --list", []),
        ("uv run pytest -q", [("python", "pytest")]),
        ("uv run --with ruff ruff check", []),
        ("uv run python -m build", []),
        ("hatch run test:cov", [("python", "cov")]),
        ("poetry run ./scripts/x.sh", []),
        ("pip install -e .", []),
    ],
)
def test_which_commands_are_checked(line: str, want: list[tuple[str, str]]) -> None:
    assert [(c.tool, c.name) for c in commands_in(line, 0)] == want


def test_columns_of_a_command_point_at_its_name() -> None:
    (cmd,) = commands_in("$ npm run lint", 4)
    assert (cmd.col, cmd.text) == (4 + len("$ npm run "), "npm run lint")


def test_makefile_targets() -> None:
    text = ".PHONY: all test\nall: build\nbuild test:: deps\n\tcc -o x\nVAR := a:b\ndefine T\nfake:\nendef\n"
    assert make_targets(text) == {"all", "build", "test"}
    assert make_targets("include common.mk\ntest:\n") is UNKNOWN
    assert make_targets("%.o: %.c\n\tcc $<\n") is UNKNOWN


def test_justfile_recipes() -> None:
    text = """set shell := ["bash", "-c"]
alias t := test

# run tests
test *args="":
    pytest {{args}}
@lint:
    ruff
"""
    assert just_recipes(text) == {"t", "test", "lint"}
    assert just_recipes("import 'common.just'\n") is UNKNOWN


def test_npm_scripts_and_python_names() -> None:
    assert npm_scripts('{"scripts": {"build": "vite"}}') == {"build"}
    assert npm_scripts("{not json") is UNKNOWN
    pyproject = """
[project]
name = "svc"
dependencies = ["httpx>=0.27", "Pydantic_Core"]
[project.scripts]
svc-api = "svc:main"
[dependency-groups]
dev = ["pytest", {include-group = "lint"}]
[tool.poetry.group.docs.dependencies]
sphinx = "*"
"""
    assert python_names(pyproject) == {"httpx", "pydantic-core", "svc-api", "pytest", "sphinx"}


# ---------------------------------------------------------------- one parse


def test_the_root_agents_md_is_parsed_once_for_both_the_policy_and_the_agt_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "# Service\n\n## Developer Portal Standards\n\n"
        "- catalog-info.yaml MUST exist at the repository root.\n\n"
        "## Docs\n\nSee [the runbook](docs/runbook.md).\n"
    )
    root = make_repo(tmp_path, {"AGENTS.md": text})
    real = MarkdownIt.parse
    parsed: list[str] = []

    def counting(self: MarkdownIt, src: str, env: Any = None) -> Any:
        parsed.append(src)
        return real(self, src, env)

    monkeypatch.setattr(MarkdownIt, "parse", counting)
    found = {(d.code, d.line, d.related[0].line if d.related else None) for d in lint_repo(root).diagnostics}
    # The AGT rules read the parse (the broken link) and so did the policy (its finding cites the bullet).
    assert found == {("AGT004", 9, None), ("STD001", 1, 5)}
    assert parsed.count(text) == 1
