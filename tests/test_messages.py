"""What every finding's message owes the user: what is wrong, then how to fix it, on one line,
quoting their text briefly; and what rule metadata promises (`fixable`, fixtures) holds."""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path

import pytest

from portal_lint.diagnostic import Diagnostic
from portal_lint.engine import lint
from portal_lint.parse.markdown import github_slugs
from portal_lint.registry import RuleMeta, load_metadata
from portal_lint.report.text import line_of
from tests.expectations import expectations
from tests.test_fixtures import CASES

METAS = load_metadata()
FIXABLE = [m for m in METAS.values() if m.fixable]
# Every family, and so every rule on by default (naming a policy-gated rule would switch it on).
_FAMILIES = sorted({m.family for m in METAS.values()})


def _example(meta: RuleMeta, root: Path) -> list[Diagnostic]:
    (root / ".git").mkdir(parents=True)
    for rel, text in {**meta.files, meta.bad_path: meta.bad}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    select = [] if meta.enabled else [*_FAMILIES, meta.code]
    return lint([str(root)], cwd=root, strict=True, select=select).diagnostics


@pytest.mark.parametrize("meta", FIXABLE, ids=[m.code for m in FIXABLE])
def test_a_fixable_rules_bad_example_shows_a_finding_fix_can_edit(meta: RuleMeta, tmp_path: Path) -> None:
    """`portal-lint rule CODE` says "--fix can fix this"; its own example must show it."""
    own = [d for d in _example(meta, tmp_path) if d.code == meta.code]
    assert any(d.fix and d.fix.edits for d in own), f"{meta.code}: no finding of the bad example has an edit"


@cache
def _all_diagnostics(tmp: Path) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for i, meta in enumerate(METAS.values()):
        out += _example(meta, tmp / "examples" / str(i))
    for i, case in enumerate(CASES):
        root = tmp / "fixtures" / str(i)
        shutil.copytree(case, root, symlinks=True)
        (root / ".git").mkdir(exist_ok=True)
        out += lint([str(root)], cwd=root, strict=True).diagnostics
    return out


@pytest.fixture(scope="module")
def every_finding(tmp_path_factory: pytest.TempPathFactory) -> list[Diagnostic]:
    """The findings of every rule example and every fixture: each message of each rule."""
    return _all_diagnostics(tmp_path_factory.mktemp("all"))


# How a message tells the user what to do: an imperative after the diagnosis (`…: quote it`,
# `…; add …`, `…, or set …`) or a suggestion (`did you mean …`).
_VERBS = (
    "add|begin|break|check|choose|commit|correct|create|delete|fix|flatten|give|indent|keep|link|list|make|"
    "merge|migrate|move|name|number|point|put|quote|raise|reference|register|remove|rename|replace|unregister|"
    "reword|say|set|shorten|split|state|update|use|write"
)
_HOW_TO_FIX = re.compile(rf"(?:[:;,—(]|\bor|\band|\bthen|Otherwise)\s+(?:{_VERBS})\b|did you mean", re.I)


def test_every_message_says_how_to_fix(every_finding: list[Diagnostic]) -> None:
    silent = sorted({f"{d.code}: {d.message}" for d in every_finding if not _HOW_TO_FIX.search(d.message)})
    assert silent == []


def test_every_message_is_one_line(every_finding: list[Diagnostic]) -> None:
    assert [d.message for d in every_finding if "\n" in d.message or "\r" in d.message] == []


def test_every_rule_has_a_fixture_that_shows_its_finding() -> None:
    shown = {code for case in CASES for _, _, code in expectations(case)}
    assert sorted(set(METAS) - shown) == []


LONG = "q" * 120  # a value far longer than any message should quote


def _long_values_repo(root: Path) -> Path:
    files = {
        "catalog-info.yaml": f"""\
apiVersion: backstage.io/v1alpha1
kind: Component
{LONG}: stray
metadata:
  name: "{LONG} service"
  namespace: "Team {LONG}"
  labels:
    team: "{LONG} and friends"
  annotations:
    backstage.io/source-location: "{LONG}"
    backstage.io/techdocs-ref: "dir:./{LONG}"
  tags: ["{LONG}"]
  links:
    - url: "{LONG}"
spec:
  type: service
  lifecycle: "{LONG}"
  owner: "user:{LONG}"
  subcomponentOf: ":{LONG}"
  system: commerce
  providesApis: ["{LONG}"]
  dependsOn: ["{LONG[:60]}"]
---
"{LONG}"
---
apiVersion: "{LONG}"
kind: "X{LONG}"
metadata:
  name: odd
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: more
spec:
  type: file
  target: "./{LONG}/"
  targets: ["./{LONG}.yaml"]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: orders-api
spec:
  type: "{LONG}"
  lifecycle: production
  owner: group:default/team-orders
  system: commerce
  definition:
    $text: ./api/{LONG}.yaml
---
{LONG}: 1
{LONG}: 2
""",
        "skills/pdf/SKILL.md": f"""\
---
name: {LONG}_x
description: Use when: {LONG}
{LONG}: x
metadata:
  {LONG}: 1
license: {LONG}.txt
allowed-tools: Bash({LONG}
---
# PDF

See [the guide](references/{LONG}.md) and [shared](../{LONG}.md).
""",
        "AGENTS.md": f"""\
# Notes

Run `make {LONG}` before pushing; see [the docs](docs/{LONG}.md#{LONG}) and edit `src/{LONG}.py`.
""",
        "Makefile": "test:\n\tpytest\n",
        "src/app.py": "",
    }
    (root / ".git").mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_messages_quote_long_user_text_briefly(tmp_path: Path) -> None:
    """A 120-character value is quoted as its first 40 characters and `…`: the message stays
    readable and still says what to do. Suggestions built from it stay within the formats' limits."""
    found = lint([str(_long_values_repo(tmp_path))], cwd=tmp_path, strict=True).diagnostics
    codes = {d.code for d in found}
    quoting = {"YML002", "YML004", "CAT001", "CAT003", "CAT004", "CAT005", "CAT006", "CAT009", "CAT014"}
    quoting |= {"CAT015", "CAT019", "CAT020", "CAT021", "STD004", "STD008", "REF001", "REF002", "REF005"}
    quoting |= {"SKL003", "SKL005", "SKL006", "SKL009", "SKL010", "SKL011", "SKL012", "SKL015", "SKL016"}
    quoting |= {"AGT004", "AGT005", "AGT006"}
    assert quoting <= codes, f"not exercised: {sorted(quoting - codes)}"
    assert [f"{d.code}: {d.message}" for d in found if "q" * 65 in d.message] == []
    assert [d.message for d in found if d.code in quoting and not re.search("q{20,}…", d.message)] == []


def test_a_text_line_is_one_line_whatever_the_message() -> None:
    d = Diagnostic("YML001", "yaml-syntax", "error", "first\nsecond\r\nthird", "a.yaml", 3, 1, 3, 2)
    assert line_of(d) == "a.yaml:3:1: error [YML001] first\\nsecond\\r\\nthird"


def test_every_rules_help_link_lands_on_its_heading_in_the_rule_docs() -> None:
    """SARIF helpUri, the LSP's code link and the MCP server point at docs/rules.md#<anchor>."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    anchors = set(
        github_slugs(line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#"))
    )
    assert [m.code for m in METAS.values() if m.help_uri.rsplit("#", 1)[1] not in anchors] == []
