"""SKILL.md linting as a user sees it: positions in the file, profiles, bad input, the corpus."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal_lint.config import ConfigError
from portal_lint.engine import lint
from portal_lint.parse.markdown import github_slugs, parse, scan, split_frontmatter
from tests.expectations import lint_repo, make_repo

DESC = "Fill in PDF forms with the bundled script. Use when the user asks to complete a PDF form."
ROOT = Path(__file__).resolve().parent.parent


def findings(root: Path, **kw: object) -> list[tuple[str, int, int, str]]:
    return [(d.repo_path, d.line, d.column, d.code) for d in lint_repo(root, **kw).diagnostics]


def skill_md(front: str, body: str = "# PDF forms\n") -> str:
    return f"---\n{front}---\n{body}"


# ---------------------------------------------------------------- discovery


def test_skills_are_found_under_the_usual_roots_and_where_named(tmp_path: Path) -> None:
    """skills/, .agents/skills/, .codex/skills/, .claude/skills/ (and any folder); other hidden
    folders only when named on the command line. Each skill here has a bad name (SKL005)."""
    roots = ["skills", ".agents/skills", ".codex/skills", ".claude/skills", "tools/skills", ".cursor/skills"]
    root = make_repo(
        tmp_path,
        {f"{r}/Pdf/SKILL.md": skill_md(f"name: Pdf\ndescription: {DESC}\n") for r in roots},
    )
    found = {path for path, *_, code in findings(root, select=["SKL005"])}
    assert found == {f"{r}/Pdf/SKILL.md" for r in roots if r != ".cursor/skills"}
    result = lint([".cursor/skills"], cwd=root, strict=True, select=["SKL005"])
    assert [d.path for d in result.diagnostics] == [".cursor/skills/Pdf/SKILL.md"]


# ---------------------------------------------------------------- positions and one finding per cause


def test_findings_point_at_the_line_of_skill_md_not_of_the_frontmatter(tmp_path: Path) -> None:
    text = skill_md(f"name: pdf-forms\ndescription: {DESC}\nmetadata:\n  author: docs\n  version: 1.0\n")
    root = make_repo(tmp_path, {"skills/pdf-forms/SKILL.md": text})
    # `version: 1.0` is line 6 of the file (line 5 of the YAML block); the value starts at column 12.
    assert findings(root) == [("skills/pdf-forms/SKILL.md", 6, 12, "SKL009")]


def test_unquoted_colon_is_reported_and_the_other_fields_are_still_checked(tmp_path: Path) -> None:
    text = skill_md("name: pdf-forms-v2\ndescription: Fill in forms. Use when: asked.\ncolour: blue\n")
    root = make_repo(tmp_path, {"skills/pdf-forms/SKILL.md": text})
    got = findings(root)
    assert [(line, code) for _, line, _, code in got] == [(2, "SKL006"), (3, "SKL003"), (4, "SKL012")]
    message = next(d.message for d in lint_repo(root).diagnostics if d.code == "SKL003")
    assert 'quote it: description: "Fill in forms. Use when: asked."' in message


def test_a_broken_frontmatter_gives_one_finding_not_a_cascade(tmp_path: Path) -> None:
    text = skill_md(f"name: pdf-forms\ndescription: {DESC}\nmetadata: [unclosed\n")
    root = make_repo(tmp_path, {"skills/pdf-forms/SKILL.md": text})
    assert [code for *_, code in findings(root)] == ["SKL002"]


def test_a_dashes_line_inside_a_quoted_value_does_not_end_the_frontmatter(tmp_path: Path) -> None:
    # skills-ref splits on "---" and fails here; the frontmatter is valid YAML.
    text = skill_md('name: pdf-forms\ndescription: "Convert A --- B tables. Use when asked to convert."\n')
    root = make_repo(tmp_path, {"skills/pdf-forms/SKILL.md": text})
    assert findings(root) == []


def test_name_problems_come_in_one_finding_with_a_valid_name_to_use(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path, {"skills/PDF__Forms-/SKILL.md": skill_md(f"name: PDF__Forms-\ndescription: {DESC}\n")}
    )
    (diag,) = lint_repo(root).diagnostics
    assert diag.code == "SKL005"
    for part in ("must be lowercase", "`_`", "must not start or end with a hyphen", "name it `pdf-forms`"):
        assert part in diag.message


def test_a_mismatch_with_an_invalid_folder_name_suggests_a_valid_name_for_both(tmp_path: Path) -> None:
    """Copying the folder's name `Deploy_Helper` into `name:` would only trade SKL006 for SKL005."""
    root = make_repo(
        tmp_path, {"skills/Deploy_Helper/SKILL.md": skill_md(f"name: deployer\ndescription: {DESC}\n")}
    )
    (diag,) = lint_repo(root).diagnostics
    assert diag.code == "SKL006"
    assert diag.message.endswith("rename the folder to `deploy-helper` and set `name: deploy-helper`")
    (tmp_path / "skills" / "Deploy_Helper").rename(tmp_path / "skills" / "deploy-helper")
    (diag,) = lint_repo(root).diagnostics
    assert diag.message.endswith("rename the folder or set `name: deploy-helper`")


# ---------------------------------------------------------------- profiles


def test_lenient_profile_turns_unknown_fields_into_notes(tmp_path: Path) -> None:
    text = skill_md(f"name: pdf-forms\ndescription: {DESC}\ndisable-model-invocation: true\n")
    strict = make_repo(tmp_path / "strict", {"skills/pdf-forms/SKILL.md": text})
    lenient = make_repo(
        tmp_path / "lenient",
        {"skills/pdf-forms/SKILL.md": text, ".portal-lint.yaml": "skills-profile: lenient\n"},
    )
    assert [(d.code, d.severity) for d in lint_repo(strict).diagnostics] == [("SKL012", "error")]
    assert [(d.code, d.severity) for d in lint_repo(lenient).diagnostics] == [("SKL013", "note")]


def test_an_unknown_profile_is_a_config_error_naming_the_line(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            "skills/pdf-forms/SKILL.md": skill_md(f"name: pdf-forms\ndescription: {DESC}\n"),
            ".portal-lint.yaml": "fail-on: error\nskills-profile: loose\n",
        },
    )
    with pytest.raises(ConfigError, match=r":2: `skills-profile` must be one of strict, lenient"):
        lint_repo(root)


def test_template_sections_run_only_when_asked_for_by_name_or_by_agents_md(tmp_path: Path) -> None:
    text = skill_md(f"name: pdf-forms\ndescription: {DESC}\n", "# PDF forms\n\nDo the thing.\n")
    root = make_repo(tmp_path, {"skills/pdf-forms/SKILL.md": text})
    assert findings(root) == []
    assert findings(root, select=["SKL"]) == []  # a family does not switch on a policy rule
    assert {code for *_, code in findings(root, select=["SKL", "skill-template"])} == {"SKL017"}
    bullet = "- Skills MUST follow the skill template: `Purpose`, `Steps` and `Constraints`.\n"
    (root / "AGENTS.md").write_text(
        f"# Skills\n\n## Developer Portal Standards\n\n{bullet}", encoding="utf-8"
    )
    [d] = lint_repo(root).diagnostics
    assert (d.code, d.repo_path, d.line) == ("SKL017", "skills/pdf-forms/SKILL.md", 5)
    assert "`## Purpose`, `## Steps`, `## Constraints`" in d.message and d.message.endswith("(AGENTS.md:5)")
    assert [(r.path, r.line) for r in d.related] == [("AGENTS.md", 5)]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe-\x00-\x00-\x00", b"---\nname: caf\xe9\n---\n", b"\x00\x01binary"],
    ids=["utf-16", "latin-1", "binary"],
)
def test_unreadable_skill_files_are_a_finding_not_a_traceback(tmp_path: Path, content: bytes) -> None:
    root = make_repo(tmp_path, {"skills/pdf-forms/SKILL.md": content})
    assert [(line, code) for _, line, _, code in findings(root)] == [(1, "SKL002")]


@pytest.mark.parametrize("front", ["", "\n\n", "# only a comment\n"])
def test_an_empty_frontmatter_is_one_finding(tmp_path: Path, front: str) -> None:
    root = make_repo(tmp_path, {"skills/pdf-forms/SKILL.md": skill_md(front)})
    assert [(line, code) for _, line, _, code in findings(root)] == [(1, "SKL002")]


def test_a_bom_before_the_frontmatter_is_accepted(tmp_path: Path) -> None:
    text = "\ufeff" + skill_md(f"name: pdf-forms\ndescription: {DESC}\n")
    root = make_repo(tmp_path, {"skills/pdf-forms/SKILL.md": text})
    assert findings(root) == []


def test_suppression_comment_in_the_frontmatter_silences_the_rule(tmp_path: Path) -> None:
    text = skill_md(
        f"name: pdf-forms\ndescription: {DESC}\nversion: '2'   # portal-lint: disable=skill-field-unknown\n"
    )
    root = make_repo(tmp_path, {"skills/pdf-forms/SKILL.md": text})
    assert findings(root) == []


# ---------------------------------------------------------------- Markdown helpers


def test_split_frontmatter_reports_where_the_yaml_and_the_body_start() -> None:
    fm = split_frontmatter(["---", "name: x", "---", "# Body"])
    assert fm is not None and (fm.yaml, fm.offset, fm.end, fm.body) == ("name: x", 1, 2, 3)
    unclosed = split_frontmatter(["---", "name: x"])
    assert unclosed is not None and unclosed.end is None
    assert split_frontmatter(["# Title", "---"]) is None


def test_github_slugs_follow_github_slugger() -> None:
    texts = ["Code style", "Code style", "Releases & tags (v2)", "Café!", "Über `uns`", "a_b-c"]
    assert github_slugs(texts) == [
        "code-style",
        "code-style-1",
        "releases--tags-v2",
        "café",
        "über-uns",
        "a_b-c",
    ]


TRICKY = """# Title with [a link](x.md) and `code`

Text [one](a.md#Part-1) and `scripts/run.sh`, <!-- [hidden](h.md) --> [two][ref].

- item

  ```bash
  make test   # [not a link](n.md)
  ```

Setext heading
==============

[ref]: <docs/with space.md>
"""


def test_line_scanner_and_markdown_it_agree_on_links_code_and_headings() -> None:
    cheap, full = scan(TRICKY.split("\n")), parse(TRICKY)
    for doc in (cheap, full):
        assert [(h.line, h.level, h.text) for h in doc.headings] == [
            (0, 1, "Title with a link and code"),
            (10, 1, "Setext heading"),
        ]
        assert [(x.target, x.line, x.col) for x in doc.links] == [
            ("x.md", 0, 22),
            ("a.md#Part-1", 2, 11),
            ("docs/with space.md", 13, 8),
        ]
        assert [(c.text, c.line) for c in doc.spans] == [("code", 0), ("scripts/run.sh", 2)]
        assert [(b.info, b.line, b.lines) for b in doc.blocks] == [
            ("bash", 7, ("  make test   # [not a link](n.md)",))
        ]


@pytest.mark.parametrize("line", ["``a" * 1_000_000, "".join("`" * k + "a" for k in range(1, 2000))])
def test_hostile_backtick_lines_are_scanned_in_linear_time(line: str) -> None:
    # Quadratic matching of code spans takes minutes on these; CommonMark's run matching is linear.
    start = time.perf_counter()
    doc = scan(["# Title", "", line])
    assert time.perf_counter() - start < 10
    assert len(doc.spans) == (1_000_000 // 2 if line.startswith("``a``") else 0)


# ---------------------------------------------------------------- cost


def _imports_after(code: str, cwd: Path) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return set(out.stdout.split())


GROUP = """apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: docs
spec:
  type: team
  children: []
"""


def test_markdown_it_is_imported_only_for_agents_md(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            "skills/pdf-forms/SKILL.md": skill_md(
                f"name: pdf-forms\ndescription: {DESC}\n", "See [x](#pdf-forms).\n"
            ),
            "catalog-info.yaml": GROUP,
            "AGENTS.md": "# Notes\n",
        },
    )
    lint = "from portal_lint.engine import lint; lint([{!r}])"
    assert "markdown_it" not in _imports_after(lint.format("catalog-info.yaml"), root)
    assert "markdown_it" not in _imports_after(lint.format("skills/pdf-forms/SKILL.md"), root)
    assert "markdown_it" in _imports_after(lint.format("AGENTS.md"), root)


# ---------------------------------------------------------------- the benchmark corpus


def _generator() -> Path | None:
    shared = Path(os.environ.get("PORTAL_LINT_SHARED", ROOT.parent / "shared"))
    path = shared / "gen_corpus.py"
    return path if path.is_file() else None


def test_every_seeded_skill_error_is_reported_at_its_manifest_line(tmp_path: Path) -> None:
    gen_path = _generator()
    # The test command runs beside ../shared (README, Set-up): without it this fails, as the live tests do.
    assert gen_path is not None, (
        "../shared/gen_corpus.py is missing: point PORTAL_LINT_SHARED at the shared folder"
    )
    spec = importlib.util.spec_from_file_location("gen_corpus", gen_path)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for label, rate in (("skills", gen.ERROR_RATE), ("skills-clean", 0.0)):
        root = tmp_path / label / "n100"
        root.mkdir(parents=True)
        manifest = gen.gen_skills(root, 100, 20261124, rate)
        (root / ".git").mkdir()
        result = lint_repo(root)
        got = {(f"{label}/n100/{d.repo_path}", d.line) for d in result.diagnostics}
        want = {(e["path"], e["line"]) for e in manifest["errors"]}
        assert got == want, json.dumps(sorted(got ^ want))
        assert len(result.diagnostics) == len(want)  # one finding per seeded error, nothing else
