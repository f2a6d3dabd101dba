"""`--fix` loses no byte it must keep: anchors and tags, files outside the repository, a user's
edit made while it runs, and a write that fails is an error, not "applied"."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from portal_lint import fix
from portal_lint.cli import main
from portal_lint.engine import Result, lint
from portal_lint.parse.yaml12 import parse_yaml

ANCHORED = """\
apiVersion: backstage.io/v1alpha1
kind: component
metadata:
  name: payments
  annotations:
    example.com/pci: &flag yes
    example.com/sox: *flag
    example.com/tagged: ! on
spec:
  type: service
  lifecycle: &lc Production
  owner: group:default/team-payments
  system: commerce
"""


def _repo(tmp_path: Path, text: str, name: str = "catalog-info.yaml") -> Path:
    (tmp_path / ".git").mkdir()
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _fix(root: Path, write: bool = True) -> fix.Outcome:
    return fix.fix(lambda: lint([str(root)], cwd=root, strict=True), write=write, cwd=root)


def test_fix_keeps_anchors_and_leaves_tagged_nodes_alone(tmp_path: Path) -> None:
    path = _repo(tmp_path, ANCHORED)
    _fix(tmp_path)
    fixed = path.read_text(encoding="utf-8")
    assert 'example.com/pci: &flag "yes"\n' in fixed
    assert "example.com/sox: *flag\n" in fixed
    assert "example.com/tagged: ! on\n" in fixed  # a tag says how to read the node: not rewritten
    assert "lifecycle: &lc production\n" in fixed
    [doc] = parse_yaml(fixed)
    assert doc.ok
    assert doc.root["metadata"]["annotations"]["example.com/sox"] == "yes"


def test_fix_keeps_the_quotes_of_a_value_it_corrects(tmp_path: Path) -> None:
    path = _repo(tmp_path, ANCHORED.replace("kind: component", 'kind: "component"'))
    _fix(tmp_path)
    assert 'kind: "Component"\n' in path.read_text(encoding="utf-8")


def test_a_fix_that_would_break_parsing_is_taken_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _repo(tmp_path, "apiVersion: backstage.io/v1alpha1\nkind: component\n")
    original = path.read_text(encoding="utf-8")
    # An edit that unbalances a quote, as a faulty rule could declare: the file must still parse.
    monkeypatch.setattr(fix, "apply_edits", lambda text, edits: (text.replace("component", '"Component'), 1))
    outcome = _fix(tmp_path)
    assert outcome.changed == {} and outcome.fixed == 0
    assert path.read_text(encoding="utf-8") == original


def test_fix_never_writes_through_a_symlink_out_of_the_repository(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "notes.md"
    outside.parent.mkdir()
    outside.write_text("---\nname: pdf\ndescription: Use when: filling forms\n---\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".claude" / "skills" / "pdf").mkdir(parents=True)
    (repo / ".claude" / "skills" / "pdf" / "SKILL.md").symlink_to(outside)
    before = outside.read_bytes()
    _fix(repo)
    assert outside.read_bytes() == before


def test_a_file_edited_while_fix_runs_is_not_overwritten(tmp_path: Path) -> None:
    path = _repo(tmp_path, ANCHORED)
    users_edit = ANCHORED.replace("type: service", "type: website")
    calls = 0

    def lint_then_user_saves() -> Result:
        nonlocal calls
        result = lint([str(tmp_path)], cwd=tmp_path, strict=True)
        calls += 1
        if calls == 1:
            path.write_text(users_edit, encoding="utf-8")  # the editor saves between lint and write
        return result

    outcome = fix.fix(lint_then_user_saves, write=True, cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == users_edit
    assert outcome.errors == [
        "catalog-info.yaml: not fixed, it changed on disk while --fix ran: run --fix again"
    ]
    assert outcome.fixed == 0 and outcome.changed == {}


def test_a_failed_write_is_exit_2_and_the_findings_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _repo(tmp_path, ANCHORED)
    monkeypatch.chdir(tmp_path)

    def full_disk(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    assert main(["--fix", "--format", "text"]) == 2
    out, err = capsys.readouterr()
    assert "not fixed, cannot write it: No space left on device" in err
    assert "applied 0 fixes in 0 files" in err
    assert "[CAT004]" in out and "[YML005]" in out  # what is on disk is still wrong
    assert path.read_text(encoding="utf-8") == ANCHORED


def test_fix_diff_applies_with_git_when_the_file_holds_unicode_line_separators(tmp_path: Path) -> None:
    text = (
        "# a\u2028b\u2029c\u0085d\napiVersion: backstage.io/v1alpha1\nkind: component\nmetadata:\n  name: x\n"
    )
    path = _repo(tmp_path, text)
    outcome = _fix(tmp_path, write=False)
    patch = tmp_path / "fix.patch"
    patch.write_text(outcome.diff, encoding="utf-8")
    subprocess.run(["git", "apply", str(patch)], cwd=tmp_path, check=True, capture_output=True)
    assert path.read_text(encoding="utf-8") == text.replace("kind: component", "kind: Component")


def _skill(tmp_path: Path, front: str, newline: str = "\n") -> Path:
    text = f"---\n{front}---\n# PDF forms\n".replace("\n", newline)
    path = _repo(tmp_path, "", ".claude/skills/pdf-forms/SKILL.md")
    path.write_bytes(text.encode("utf-8"))
    return path


def _codes(root: Path) -> list[str]:
    return sorted(d.code for d in lint([str(root)], cwd=root, strict=True).diagnostics)


def test_a_crlf_skill_reads_its_last_frontmatter_value_without_the_cr(tmp_path: Path) -> None:
    front = f"name: pdf-forms\ndescription: {'Fill in PDF forms. ' * 3}\nmetadata:\n  version: 1.0\n"
    _skill(tmp_path, front, "\r\n")
    assert _codes(tmp_path) == ["SKL009"]  # the number under metadata, as with LF line ends
    quoted = f'name: pdf-forms\ndescription: "{"Fill in PDF forms. " * 3}"\n'
    (tmp_path / "b").mkdir()
    _skill(tmp_path / "b", quoted, "\r\n")
    assert _codes(tmp_path / "b") == []  # no SKL002 for a quoted last value


def test_the_skl003_fix_of_a_crlf_skill_leaves_it_parsing(tmp_path: Path) -> None:
    path = _skill(tmp_path, "name: pdf-forms\ndescription: Use when: the user asks for a PDF form\n", "\r\n")
    _fix(tmp_path)
    assert path.read_bytes().split(b"\r\n")[2] == b'description: "Use when: the user asks for a PDF form"'
    assert _codes(tmp_path) == []


def test_the_skl003_fix_keeps_a_line_separator_inside_the_quotes(tmp_path: Path) -> None:
    path = _skill(tmp_path, "name: pdf-forms\ndescription: Use when: the user asks for a PDF form\u2028\n")
    _fix(tmp_path)
    assert 'description: "Use when: the user asks for a PDF form\u2028"\n' in path.read_text(encoding="utf-8")
    assert _codes(tmp_path) == []


def test_a_multi_line_unquoted_colon_value_is_reported_not_half_quoted(tmp_path: Path) -> None:
    front = "name: pdf-forms\ndescription: Use when: the user asks\n  for a PDF form to fill in\n"
    path = _skill(tmp_path, front)
    assert _codes(tmp_path) == ["SKL003"]
    before = path.read_bytes()
    assert _fix(tmp_path).changed == {}
    assert path.read_bytes() == before
