"""`--fix`: only declared edits, nothing else in the file moves, and a second run has nothing to do."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from portal_lint import fix
from portal_lint.cli import main
from portal_lint.diagnostic import Span
from portal_lint.engine import lint
from portal_lint.registry import RuleMeta, load_metadata
from portal_lint.ruledocs import render_rule
from tests import hostile
from tests.test_fixtures import CASES

ROOT = Path(__file__).resolve().parent.parent


def _fix(root: Path, write: bool = True) -> fix.Outcome:
    return fix.fix(lambda: lint([str(root)], cwd=root, strict=True), write=write, cwd=root)


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink() and ".git" not in p.parts
    }


def _lines(text: str) -> list[str]:
    return text.removeprefix("\ufeff").split("\n")


def assert_changed_only_inside(original: str, fixed: str, rounds: list[list[fix.Edit]]) -> None:
    """Every byte outside the edited spans is where it was: lines without an edit are equal,
    and an edited line keeps its text before the first edit and after the last one."""
    assert original.startswith("\ufeff") == fixed.startswith("\ufeff")
    before, after = _lines(original), _lines(fixed)
    assert len(before) == len(after), "a declared fix added or removed lines"
    spans: dict[int, list[Span]] = {}
    for edits in rounds:
        for span, _ in edits:
            assert span.line == span.end_line, "declared fixes are one-line edits"
            spans.setdefault(span.line, []).append(span)
    for n, (old, new) in enumerate(zip(before, after, strict=True)):
        if n not in spans:
            assert old == new, f"line {n + 1} changed without an edit there"
            continue
        first = min(s.col for s in spans[n])
        last = max(s.end_col for s in spans[n])
        assert old[:first] == new[:first], f"line {n + 1}: text before the edit changed"
        assert old[last:] == new[len(new) - (len(old) - last) :], f"line {n + 1}: text after the edit changed"


def check_fix(root: Path) -> fix.Outcome:
    """Fix the repository at `root`; only fixed spans change, and a second run changes nothing."""
    before = _files(root)
    outcome = _fix(root)
    after = _files(root)
    assert set(after) == set(before), "fixing created or removed a file (a temporary one left behind?)"
    for rel, data in before.items():
        path = Path(os.path.abspath(root / rel))
        if path not in outcome.changed:
            assert after[rel] == data, f"{rel} changed without a fix"
            continue
        assert after[rel] == outcome.changed[path].encode("utf-8")
        assert_changed_only_inside(data.decode("utf-8"), after[rel].decode("utf-8"), outcome.applied[path])
    assert not any(d.fix and d.fix.edits for d in outcome.result.diagnostics), "fixable findings left"
    again = _fix(root)
    assert again.changed == {} and _files(root) == after
    return outcome


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fixing_a_fixture_changes_only_the_fixed_spans_and_is_idempotent(case: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(case, root, symlinks=True)
    (root / ".git").mkdir(exist_ok=True)
    check_fix(root)


METAS = [m for m in load_metadata().values() if m.bad]


@pytest.mark.parametrize("meta", METAS, ids=[m.code for m in METAS])
def test_fixing_a_rule_example_changes_only_the_fixed_spans(meta: RuleMeta, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    path = tmp_path / meta.bad_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(meta.bad, encoding="utf-8")
    outcome = check_fix(tmp_path)
    if meta.code in ("YML005", "CAT011"):  # their examples are the fixable case
        assert outcome.changed, f"{meta.code}: the bad example was not fixed"


def _example_repo(meta: RuleMeta, root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    for rel, text in {**meta.files, meta.bad_path: meta.bad}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_the_fixable_rules_are_exactly_the_rules_that_fix_and_their_docs_say_so(tmp_path: Path) -> None:
    """A rule marked fixable (its docs then promise `--fix`) fixes something in a fixture or its
    bad example; a rule that edits is marked fixable and listed in docs/fix.md."""
    metas = load_metadata()
    repos = [tmp_path / "examples" / m.code for m in METAS]
    for meta, root in zip(METAS, repos, strict=True):
        _example_repo(meta, root)
    for n, case in enumerate(CASES):
        repos.append(tmp_path / str(n))
        shutil.copytree(case, repos[-1], symlinks=True)
        (repos[-1] / ".git").mkdir(exist_ok=True)
    fixers = {
        d.code
        for root in repos
        for d in lint([str(root)], cwd=root, strict=True).diagnostics
        if d.fix and d.fix.edits
    }
    assert fixers == {c for c, m in metas.items() if m.fixable}
    documented = (ROOT / "docs" / "fix.md").read_text(encoding="utf-8")
    assert {c for c in fixers if f"| {c} {metas[c].name} |" not in documented} == set(), (
        "docs/fix.md must list every fixing rule"
    )
    assert all("`portal-lint --fix` does it for you" in render_rule(metas[c]) for c in fixers)


def test_every_use_x_message_with_one_meant_value_is_fixed(tmp_path: Path) -> None:
    """A value whose only fault is its case has one meaning: --fix writes it; a value that
    needs a guess (`Java_17`, `Payments_Team`) stays a finding with its suggestion."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "catalog-info.yaml").write_text(
        "apiVersion: Backstage.io/v1alpha1\n"
        "kind: Component\n"
        "metadata:\n"
        "  name: payments\n"
        "  namespace: 'Default'\n"
        "  title: {{ cookiecutter.title }}\n"
        "  labels:\n"
        "    Example.com/tier: gold\n"
        "  annotations:\n"
        "    GitHub.com/project-slug: acme/payments\n"
        "  tags: [Python, Java_17]\n"
        "spec:\n"
        "  type: service\n"
        "  lifecycle: production\n"
        "  owner: group:default/team-payments\n"
        "  system: commerce\n",
        encoding="utf-8",
    )
    outcome = check_fix(tmp_path)
    assert (tmp_path / "catalog-info.yaml").read_text(encoding="utf-8") == (
        "apiVersion: backstage.io/v1alpha1\n"
        "kind: Component\n"
        "metadata:\n"
        "  name: payments\n"
        "  namespace: 'default'\n"
        '  title: "{{ cookiecutter.title }}"\n'
        "  labels:\n"
        "    example.com/tier: gold\n"
        "  annotations:\n"
        "    github.com/project-slug: acme/payments\n"
        "  tags: [python, Java_17]\n"
        "spec:\n"
        "  type: service\n"
        "  lifecycle: production\n"
        "  owner: group:default/team-payments\n"
        "  system: commerce\n"
    )
    left = [(d.code, d.message) for d in outcome.result.diagnostics if d.code.startswith("CAT")]
    assert left == [("CAT014", 'tag "Java_17" is not valid; Backstage allows 1–63 characters of lowercase '
                     '[a-z0-9:+#] separated by single `-`: use "java-17"')]  # fmt: skip


MESSY = (
    "\ufeffapiVersion: backstage.io/v1alpha1\r\n"
    "kind: component   # keep this comment\r\n"
    "metadata:\r\n"
    "  name: payments\r\n"
    "\r\n"
    "  annotations:\r\n"
    "    backstage.io/github-actions-id: acme/payments\r\n"
    "    example.com/port:   8080     # the port\r\n"
    "    'example.com/quoted': 'kept'\r\n"
    "spec: {type: service, lifecycle: Production, owner: group:default/team-payments, system: commerce}\r\n"
)
FIXED = (
    "\ufeffapiVersion: backstage.io/v1alpha1\r\n"
    "kind: Component   # keep this comment\r\n"
    "metadata:\r\n"
    "  name: payments\r\n"
    "\r\n"
    "  annotations:\r\n"
    "    github.com/project-slug: acme/payments\r\n"
    '    example.com/port:   "8080"     # the port\r\n'
    "    'example.com/quoted': 'kept'\r\n"
    "spec: {type: service, lifecycle: production, owner: group:default/team-payments, system: commerce}\r\n"
)


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    path = tmp_path / "catalog-info.yaml"
    path.write_bytes(MESSY.encode("utf-8"))
    path.chmod(0o640)
    return path


def test_fix_keeps_bom_crlf_comments_quotes_blank_lines_and_permissions(messy: Path) -> None:
    outcome = _fix(messy.parent)
    assert messy.read_bytes() == FIXED.encode("utf-8")
    assert oct(messy.stat().st_mode & 0o777) == oct(0o640)
    assert outcome.fixed == 4  # kind, annotation key, quoting, then the lifecycle of the Component
    assert sorted(p.name for p in messy.parent.iterdir()) == [".git", "catalog-info.yaml"]


def test_fix_diff_shows_the_same_change_and_writes_nothing(
    messy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(messy.parent)
    assert main(["--fix", "--diff"]) == 1
    diff = capsys.readouterr().out
    assert messy.read_bytes() == MESSY.encode("utf-8")
    assert diff.startswith("--- a/catalog-info.yaml\n+++ b/catalog-info.yaml\n")
    body = diff.splitlines(keepends=True)[3:]
    old, new = set(MESSY.splitlines(True)), set(FIXED.splitlines(True))
    assert {line[1:] for line in body if line.startswith("-")} == old - new
    assert {line[1:] for line in body if line.startswith("+")} == new - old


def test_fix_on_the_command_line_reports_what_is_left(
    messy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(messy.parent)
    assert main(["--fix"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-1].startswith("All clear"), out
    assert err == "portal-lint: applied 4 fixes in 1 file\n"
    assert main(["--fix", "--diff"]) == 0
    assert capsys.readouterr().out == ""


def test_diff_without_fix_is_a_usage_error(messy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(messy.parent)
    with pytest.raises(SystemExit) as exc:
        main(["--diff"])
    assert exc.value.code == 2


def test_a_symlinked_catalog_file_is_fixed_through_the_link(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "config").mkdir()
    real = tmp_path / "config" / "payments.yaml"
    real.write_text(MESSY, encoding="utf-8")
    (tmp_path / "catalog-info.yaml").symlink_to("config/payments.yaml")
    _fix(tmp_path)
    assert (tmp_path / "catalog-info.yaml").is_symlink()
    assert real.read_bytes() == FIXED.encode("utf-8")


def test_apply_edits_skips_overlaps_and_edits_outside_the_text() -> None:
    text = "a: 1\nb: 2\n"
    edits = [
        (Span(0, 3, 0, 4), '"1"'),
        (Span(0, 3, 0, 4), '"1"'),  # the same edit from a second rule: applied once
        (Span(0, 2, 0, 4), "x"),  # overlaps the first: left for a later round
        (Span(1, 3, 1, 9), "y"),  # past the end of its line
        (Span(7, 0, 7, 1), "z"),  # past the end of the file
    ]
    assert fix.apply_edits(text, edits) == ('a: "1"\nb: 2\n', 1)


def test_apply_edits_counts_lines_as_the_parser_does() -> None:
    """LF ends a line (CRLF too); a lone CR does not, for Backstage's parser and for portal-lint."""
    assert fix.apply_edits("a: 1\r\nb: 2\r\n", [(Span(1, 3, 1, 4), '"2"')]) == ('a: 1\r\nb: "2"\r\n', 1)
    assert fix.apply_edits("a: x\ry\nb: 2\n", [(Span(0, 5, 0, 6), "z")]) == ("a: x\rz\nb: 2\n", 1)


def test_hostile_files_are_left_alone(tmp_path: Path) -> None:
    for case in hostile.build(tmp_path):
        if case.exit_code == 2 or case.drop_privileges:
            continue
        before = _files(tmp_path / case.name)
        outcome = _fix(tmp_path / case.name)
        assert outcome.changed == {}, case.name
        assert _files(tmp_path / case.name) == before, case.name


def test_diff_names_a_file_outside_the_current_folder_as_git_does(
    messy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (messy.parent / "sub").mkdir()
    monkeypatch.chdir(messy.parent / "sub")
    assert main(["--fix", "--diff", str(messy)]) == 1
    name = messy.as_posix().lstrip("/")
    assert capsys.readouterr().out.startswith(f"--- a/{name}\n+++ b/{name}\n")


def test_a_write_that_fails_midway_leaves_the_original_and_no_temporary_file(
    messy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inode = messy.stat().st_ino

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    outcome = _fix(messy.parent)
    assert outcome.errors == ["catalog-info.yaml: not fixed, cannot write it: No space left on device"]
    assert messy.read_bytes() == MESSY.encode("utf-8") and messy.stat().st_ino == inode
    assert sorted(p.name for p in messy.parent.iterdir()) == [".git", "catalog-info.yaml"]
    monkeypatch.undo()
    _fix(messy.parent)
    assert messy.stat().st_ino != inode, "the new content arrives by rename, not by rewriting in place"
