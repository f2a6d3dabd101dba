"""docs/architecture.md's "How to add a rule", followed with a throwaway rule: the five steps
are enough for a new rule to be bound, to fire at the marked line and to be documented."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal_lint import registry, ruledocs
from portal_lint.diagnostic import Finding
from portal_lint.model import Entity
from portal_lint.registry import RuleContext
from tests.expectations import expectations, found, lint_repo, make_repo

# Step 1: the metadata, in a family file of its own beside the real ones.
TST_YAML = """\
family: TST
title: A throwaway family
description: Added by tests/test_architecture.py only.
rules:
  TST001:
    name: description-todo
    severity: warning
    subject: entity
    summary: metadata.description still says TODO.
    why: The portal shows the description on every page of the entity.
    fix: Write one sentence on what the component does.
    bad: |
      apiVersion: backstage.io/v1alpha1
      kind: Component
      metadata:
        name: payments
        description: TODO   # expect: TST001
      spec:
        type: service
        lifecycle: production
        owner: group:default/team-payments
        system: commerce
    good: |
      apiVersion: backstage.io/v1alpha1
      kind: Component
      metadata:
        name: payments
        description: Takes card payments.
      spec:
        type: service
        lifecycle: production
        owner: group:default/team-payments
        system: commerce
"""


# Step 2: the check, named after the rule.
def description_todo(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    md = entity.metadata
    if md is not None and "TODO" in str(md.get("description", "")):
        yield Finding(
            "metadata.description still says TODO; write what the component does",
            md.value_span("description"),
            pointer="metadata.description",
        )


def _forget_metadata() -> None:
    """Every memo built from the rule metadata (the registry's, the policy's…) starts over."""
    for name, module in list(sys.modules.items()):
        if name.startswith("portal_lint"):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


@pytest.fixture
def throwaway_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[registry.RuleMeta]:
    registry.all_rules()  # every check module imported (and registered) before _CHECKS is copied
    rules = tmp_path / "rules"
    shutil.copytree(registry.rules_dir(), rules)
    (rules / "tst.yaml").write_text(TST_YAML, encoding="utf-8")
    monkeypatch.setattr(registry, "rules_dir", lambda: rules)
    monkeypatch.setattr(registry, "cache_path", lambda: tmp_path / "rules.marshal")
    monkeypatch.setattr(registry, "_CHECKS", dict(registry._CHECKS))
    _forget_metadata()
    registry.rule("TST001")(description_todo)
    try:
        yield registry.load_metadata()["TST001"]
    finally:
        monkeypatch.undo()
        _forget_metadata()


def test_a_new_rule_fires_at_the_marked_line(throwaway_rule: registry.RuleMeta, tmp_path: Path) -> None:
    # Step 3: a fixture repository with its expectation inline.
    root = make_repo(tmp_path / "repo", {throwaway_rule.bad_path: throwaway_rule.bad})
    want = expectations(root)
    assert want == {("catalog-info.yaml", 5, "TST001")}
    result = lint_repo(root)
    assert found(result) == want
    (d,) = result.diagnostics
    assert (d.severity, d.name, d.column) == ("warning", "description-todo", 16)


def test_a_new_rule_is_quiet_on_its_good_example(throwaway_rule: registry.RuleMeta, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {throwaway_rule.bad_path: throwaway_rule.good})
    assert found(lint_repo(root)) == set()


def test_a_new_rule_is_bound_selectable_and_documented(throwaway_rule: registry.RuleMeta) -> None:
    # Steps 4 and 5: the registry agrees with the metadata, selectors find it, the docs show it.
    assert registry.all_rules()["TST001"].check is description_todo
    assert registry.lookup("TST") == registry.lookup("description-todo") == ["TST001"]
    assert "### TST001 description-todo" in ruledocs.render_all()


def test_the_throwaway_rule_is_gone_afterwards() -> None:
    assert "TST001" not in registry.load_metadata()
    assert "TST001" not in registry.all_rules()


# --------------------------------------------------------------------------- the layers

ROOT = Path(__file__).resolve().parent.parent


def _contract_rows() -> list[set[str]]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [c for c in pyproject["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [{m.strip().removeprefix("portal_lint.") for m in row.split(":")} for row in layers["layers"]]


def _diagram_rows() -> list[set[str]]:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = doc.split("```\n", 2)[1]
    rows = [re.split(r"\s{2,}", line.strip())[-1] for line in block.splitlines()]
    return [{m.strip().removesuffix("/*").replace("/", ".") for m in row.split(",")} for row in rows]


def test_the_diagram_is_the_import_contract() -> None:
    assert _diagram_rows() == _contract_rows()


def test_every_module_sits_in_a_layer() -> None:
    placed = set().union(*_contract_rows())
    package = ROOT / "portal_lint"
    tops = {p.stem for p in package.glob("*.py")} | {p.parent.name for p in package.glob("*/__init__.py")}
    assert tops - {"__init__"} == placed


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` as scripts/test.sh runs it, on the package in `cwd`."""
    command = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([command, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True)


def test_an_import_upwards_fails_the_layer_check(tmp_path: Path) -> None:
    # A copy of the package in which the YAML tree imports the engine.
    package = tmp_path / "portal_lint"
    shutil.copytree(ROOT / "portal_lint", package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    assert _lint_imports(tmp_path).returncode == 0
    tree = package / "parse" / "tree.py"
    tree.write_text(tree.read_text(encoding="utf-8") + "\nfrom portal_lint import engine\n")
    broken = _lint_imports(tmp_path)
    assert broken.returncode == 1
    assert "portal_lint.parse.tree -> portal_lint.engine" in broken.stdout
