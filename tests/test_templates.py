"""Templates as the catalog's scaffolder module and the scaffolder read them: the shipped v1beta3
schema (equal to the npm package's), each class of Template defect Backstage rejects, and the
TPL rules on a realistic Template."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from portal_lint.checks._schema import TEMPLATE_FIELDS
from portal_lint.schemas import TEMPLATE_V1BETA3, template_spec
from tests.expectations import found, lint_repo, make_repo

ROOT = Path(__file__).resolve().parent.parent
NPM_PACKAGE = ROOT / ".cache/backstage/node_modules/@backstage/plugin-scaffolder-common"
NPM_SCHEMA = NPM_PACKAGE / "dist/Template.v1beta3.schema.json.cjs.js"


@pytest.mark.skipif(
    not NPM_SCHEMA.is_file() or shutil.which("node") is None, reason="npm package not installed"
)
def test_the_shipped_schema_is_the_npm_packages() -> None:
    script = f"process.stdout.write(JSON.stringify(require({json.dumps(str(NPM_SCHEMA))}).default))"
    exported = json.loads(
        subprocess.run(["node", "-e", script], capture_output=True, check=True, text=True).stdout
    )
    assert json.loads(TEMPLATE_V1BETA3.read_text(encoding="utf-8")) == exported


def test_the_walk_knows_every_top_level_field_of_the_schema() -> None:
    assert set(TEMPLATE_FIELDS) == set(template_spec()["properties"])


GOOD = """\
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: service
spec:
  owner: group:default/platform
  type: service
  parameters:
    - title: Service
      properties:
        name:
          type: string
  steps:
    - id: log
      action: debug:log
      input:
        message: ${{ parameters.name }}
"""


def _lint(tmp_path: Path, text: str) -> set[tuple[int, str]]:
    root = make_repo(tmp_path / "repo", {"catalog-info.yaml": text})
    return {(line, code) for _, line, code in found(lint_repo(root))}


def test_a_valid_template_passes(tmp_path: Path) -> None:
    assert _lint(tmp_path, GOOD) == set()


# Each class of defect the catalog's Template validation rejects: (edit of GOOD, line, code).
REJECTED = {
    "apiVersion backstage.io/v1beta2": (
        ("scaffolder.backstage.io/v1beta3", "backstage.io/v1beta2"),
        1,
        "CAT007",
    ),
    "spec.type missing": (("  type: service\n", ""), 5, "CAT012"),
    "presentation a string": (("  type: service\n", '  type: service\n  presentation: "x"\n'), 8, "CAT013"),
    "secrets a string": (("  type: service\n", '  type: service\n  secrets: "x"\n'), 8, "CAT013"),
    "formDecorators a mapping": (
        ("  type: service\n", "  type: service\n  formDecorators: {}\n"),
        8,
        "CAT013",
    ),
    "parameters page with when: 5": (
        ("    - title: Service\n", "    - when: 5\n      title: Service\n"),
        9,
        "CAT013",
    ),
    "EXPERIMENTAL_strategy a number": (
        ("  type: service\n", "  type: service\n  EXPERIMENTAL_recovery:\n    EXPERIMENTAL_strategy: 5\n"),
        9,
        "CAT011",
    ),
    "a step without action": (("      action: debug:log\n", ""), 14, "CAT012"),
    "step if a number": (
        ("      action: debug:log\n", "      action: debug:log\n      if: 1\n"),
        16,
        "CAT013",
    ),
    "output.text item a string": (("  steps:\n", "  output:\n    text: [x]\n  steps:\n"), 14, "CAT013"),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_each_template_defect_backstage_rejects_is_an_error(case: str, tmp_path: Path) -> None:
    (old, new), line, code = REJECTED[case]
    assert old in GOOD
    assert _lint(tmp_path, GOOD.replace(old, new, 1)) == {(line, code)}


def test_placeholders_stand_for_their_content(tmp_path: Path) -> None:
    """`$yaml` placeholders are replaced before the catalog validates the Template."""
    text = GOOD.replace("  steps:\n", "  output: {$yaml: ./output.yaml}\n  steps:\n")
    text = text.replace("  parameters:\n", "  parameters:\n    - $yaml: ./page.yaml\n")
    files = {
        "catalog-info.yaml": text,
        "page.yaml": "title: Owner\nproperties:\n  owner:\n    type: string\n",
        "output.yaml": "links:\n  - title: Docs\n    url: https://docs.example.com\n",
    }
    root = make_repo(tmp_path / "repo", files)
    assert found(lint_repo(root)) == set()
