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
from portal_lint.engine import lint
from portal_lint.schemas import TEMPLATE_V1BETA3, template_spec
from tests.expectations import as_repo, found, lint_repo, make_repo

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


# ---------------------------------------------------------------- skeletons

FIXTURE = ROOT / "fixtures" / "repos" / "templates-golden-paths"  # whole: tests/test_std_repos.py


def test_a_run_naming_only_the_template_reports_its_skeleton_at_the_fetch_step(tmp_path: Path) -> None:
    """pre-commit passes the changed Template: what its skeleton becomes is reported at the step."""
    root = as_repo(FIXTURE, tmp_path / "golden-paths")
    got = found(lint([str(root / "templates/node-service/template.yaml")], cwd=root, strict=True))
    url = 1 + (root / "templates/node-service/template.yaml").read_text().split("\n").index(
        "        url: ./skeleton"
    )
    assert got == {
        ("templates/node-service/template.yaml", url, c) for c in ("TPL008", "STD002", "STD003", "STD004")
    }


SKELETON_TEMPLATE = """\
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: service
spec:
  owner: group:default/platform
  type: service
  parameters:
    - properties:
        name: {{type: string}}
        tier: {{type: string, enum: [gold, silver]}}
        api: {{type: boolean, default: false}}
  steps:
    - id: fetch
      action: {action}
      input:
        url: ./skeleton
{options}        values:
          name: ${{{{ parameters.name }}}}
          tier: ${{{{ parameters.tier }}}}
          api: ${{{{ parameters.api }}}}
"""
ROOT_LOCATION = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: templates
spec:
  targets: [./template.yaml]
"""
COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  annotations:
    backstage.io/source-template: template:default/service
  labels:
    tier: {tier}
spec:
  type: service
  lifecycle: production
  owner: group:default/payments
  system: commerce
"""


def _skeleton(
    tmp_path: Path, skeleton: dict[str, str], action: str = "fetch:template", options: str = ""
) -> Path:
    files = {
        "template.yaml": SKELETON_TEMPLATE.format(action=action, options=options),
        "catalog-info.yaml": ROOT_LOCATION,
    }
    files |= {f"skeleton/{k}": v for k, v in skeleton.items()}
    return make_repo(tmp_path / "repo", files)


def _findings(root: Path) -> set[tuple[str, int, str]]:
    return found(lint_repo(root))


def test_nunjucks_syntax_renders_instead_of_being_linted_as_written(tmp_path: Path) -> None:
    """`| dump`, whitespace-controlled `{%- if %}` blocks and loops are rendered, not read as YAML."""
    text = COMPONENT.format(name="${{ values.name | dump }}", tier="${{ values.tier | upper | lower }}")
    text += "  {%- if values.api %}\n  providesApis:\n    - ${{ values.name }}-api\n  {%- endif %}\n"
    text += (
        "  dependsOn:\n  {%- for db in ['orders', 'stock'] %}\n    - resource:${{ db }}-db\n  {%- endfor %}\n"
    )
    assert _findings(_skeleton(tmp_path, {"catalog-info.yaml": text})) == set()


def test_a_finding_on_the_rendered_file_lands_on_the_skeleton_line(tmp_path: Path) -> None:
    text = "# the service\n{% if values.api %}\n# with an API\n{% endif %}\n" + COMPONENT.format(
        name="${{ values.name | dump }}", tier="${{ values.tier }}"
    ).replace("  lifecycle: production\n", "  lifecycle: ${{ values.tier }}\n")
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines, 1) if "lifecycle:" in line)
    got = lint_repo(_skeleton(tmp_path, {"catalog-info.yaml": text}))
    std004 = [d for d in got.diagnostics if d.code == "STD004"]
    # one finding per enum choice (gold, silver) would be noise: the first is reported, at the value
    assert [(d.path.endswith("skeleton/catalog-info.yaml"), d.line, d.column) for d in std004] == [
        (True, at, 14)
    ]
    assert "rendered by the `fetch` step of template.yaml with sample values" in std004[0].message
    assert std004[0].fix is None  # a fix for the rendered text would corrupt the skeleton


def test_cookiecutter_compat_and_copy_options_are_honoured(tmp_path: Path) -> None:
    compat = COMPONENT.format(name="{{ cookiecutter.name | jsonify }}", tier="{{ cookiecutter.tier }}")
    assert (
        _findings(
            _skeleton(
                tmp_path / "a", {"catalog-info.yaml": compat}, options="        cookiecutterCompat: true\n"
            )
        )
        == set()
    )
    # copied as written: the output really holds `${{ values.name }}`, an invalid name
    verbatim = COMPONENT.format(name="${{ values.name }}", tier="gold")
    root = _skeleton(
        tmp_path / "b",
        {"catalog-info.yaml": verbatim},
        options="        copyWithoutRender: [catalog-info.yaml]\n",
    )
    assert ("skeleton/catalog-info.yaml", 4, "CAT005") in _findings(root)
    # only `.njk` files are templates: catalog-info.yaml.njk becomes catalog-info.yaml
    root = _skeleton(
        tmp_path / "c", {"catalog-info.yaml.njk": verbatim}, options="        templateFileExtension: true\n"
    )
    assert _findings(root) == set()


def test_fetch_plain_copies_the_skeleton_as_it_is(tmp_path: Path) -> None:
    root = _skeleton(
        tmp_path,
        {"catalog-info.yaml": COMPONENT.format(name="${{ values.name }}", tier="gold")},
        "fetch:plain",
    )
    assert ("skeleton/catalog-info.yaml", 4, "CAT005") in _findings(root)


def test_a_suppression_in_the_skeleton_applies_to_its_rendered_findings(tmp_path: Path) -> None:
    text = COMPONENT.format(name="${{ values.name | dump }}", tier="${{ values.tier }}")
    text = text.replace("  system: commerce\n", "")
    assert ("skeleton/catalog-info.yaml", 9, "STD003") in _findings(
        _skeleton(tmp_path / "a", {"catalog-info.yaml": text})
    )
    quiet = text.replace("spec:\n", "spec:   # portal-lint: disable=STD003\n")
    assert _findings(_skeleton(tmp_path / "b", {"catalog-info.yaml": quiet})) == set()


def test_values_from_a_later_step_or_a_secret_are_not_guessed(tmp_path: Path) -> None:
    """A value known only when the template runs (a secret, a step's output) is unknown: no finding
    rests on it."""
    text = COMPONENT.format(name="${{ values.name | dump }}", tier="${{ values.url }}")
    root = _skeleton(tmp_path, {"catalog-info.yaml": text})
    template = root / "template.yaml"
    template.write_text(
        template.read_text().replace("          api:", "          url: ${{ secrets.url }}\n          api:")
    )
    assert _findings(root) == set()
