"""The policy in force: AGENTS.md bullets mapped to standards (with their parameters and lines),
the built-in standards without one, org policy files, config overrides, `portal-lint policy`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portal_lint.config import Config
from portal_lint.engine import Run
from portal_lint.model import Repo
from portal_lint.policy import BUILTIN, load_policy, param_source, policy_for
from portal_lint.registry import load_metadata
from tests.expectations import found, lint_repo, make_repo

SEED = """\
# Payments

## Developer Portal Standards
- All new services MUST be scaffolded via the Backstage software template.
- Before creating a new service, verify the name is unique in the catalog.
- catalog-info.yaml MUST exist at the repository root.
- spec.owner MUST reference a valid group entity.
- spec.system MUST reference the parent system.
- Every HTTP/gRPC API MUST have a corresponding API entity.
- API definitions are stored in api/ and referenced via spec.definition.$text.
- Lifecycle values: production | experimental | deprecated. Never omit lifecycle.
- All services MUST have a PagerDuty annotation.
"""

COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: {lifecycle}
  owner: group:default/team-payments
"""


def test_every_seed_bullet_maps_to_its_standard_at_its_line(tmp_path: Path) -> None:
    policy = load_policy(make_repo(tmp_path, {"AGENTS.md": SEED}), Config())
    assert [(b.source.label, b.standards) for b in policy.bullets] == [
        ("AGENTS.md:4", ["scaffolded-from-template"]),
        ("AGENTS.md:5", ["unique-name"]),
        ("AGENTS.md:6", ["catalog-info-at-root"]),
        ("AGENTS.md:7", ["owner-is-group"]),
        ("AGENTS.md:8", ["system-required"]),
        ("AGENTS.md:9", ["api-entity-required"]),
        ("AGENTS.md:10", ["api-definition-in-api-dir"]),
        ("AGENTS.md:11", ["lifecycle-allowed"]),
        ("AGENTS.md:12", ["required-annotation"]),
    ]
    assert policy.origin == "AGENTS.md:3"
    assert policy.standards["lifecycle-allowed"].params == {
        "allowed": ["production", "experimental", "deprecated"]
    }
    assert policy.standards["api-definition-in-api-dir"].params == {"api-dir": "api"}
    assert [b.source.label for b in policy.bullets if b.normative and not b.enforced] == []


@pytest.mark.parametrize(
    ("bullet", "standard"),
    [
        ("Services must be created from the golden-path template.", "scaffolded-from-template"),
        ("`catalog-info.yaml` lives in the root of the repo.", "catalog-info-at-root"),
        ("Owners are teams: `spec.owner` MUST be a `Group`, never a person.", "owner-is-group"),
        ("Every component MUST belong to a system.", "system-required"),
        ("Each REST or gRPC API needs an `API` entity in the catalog.", "api-entity-required"),
        (
            "Keep OpenAPI definitions in `specs/` and point `spec.definition` at them with `$text`.",
            "api-definition-in-api-dir",
        ),
        ("**spec.lifecycle** SHOULD be `production`, `experimental` or `deprecated`.", "lifecycle-allowed"),
        ("Names MUST NOT be taken by another entity in the catalog.", "unique-name"),
        ("New skills MUST follow the portal skill template.", "skill-template"),
        ("Every `SKILL.md` has the sections Purpose, Steps and Constraints.", "skill-template"),
    ],
)
def test_reworded_bullets_are_recognised(tmp_path: Path, bullet: str, standard: str) -> None:
    text = f"# X\n\n## Developer Portal Standards\n\n- {bullet}\n"
    (got,) = load_policy(make_repo(tmp_path, {"AGENTS.md": text}), Config()).bullets
    assert got.standards == [standard]


@pytest.mark.parametrize(
    ("bullet", "params"),
    [
        ("Lifecycle MUST be one of: alpha, beta, ga.", {"allowed": ["alpha", "beta", "ga"]}),
        (
            "Lifecycle values: production | experimental | deprecated.",
            {"allowed": ["production", "experimental", "deprecated"]},
        ),
        ("`spec.lifecycle` is `ga` or `sunset`.", {"allowed": ["ga", "sunset"]}),
        ("Never omit lifecycle.", {}),
        (
            "API definitions are stored under `contracts/openapi/` and read with $text.",
            {"api-dir": "contracts/openapi"},
        ),
        (
            "Every skill MUST follow the portal skill template: Purpose, When to Use, Steps, Constraints.",
            {"sections": ["Purpose", "When to Use", "Steps", "Constraints"]},
        ),
        (
            "Skills use the sections `## Overview`, `## Workflow` and `## Limits`.",
            {"sections": ["Overview", "Workflow", "Limits"]},
        ),
        ("Skills MUST follow the portal skill template.", {}),
    ],
)
def test_parameters_come_from_the_bullet_text(tmp_path: Path, bullet: str, params: dict[str, object]) -> None:
    text = f"## Developer Portal Standards\n\n- {bullet}\n"
    policy = load_policy(make_repo(tmp_path, {"AGENTS.md": text}), Config())
    (std,) = policy.standards.values()
    assert std.params == params


def test_nested_bullets_carry_parameters_and_unrecognised_parents_pass_to_children(tmp_path: Path) -> None:
    text = (
        "## Developer Portal Standards\n\n"
        "- Lifecycle MUST be one of:\n"
        "  - `ga`\n"
        "  - `retired`\n"
        "- Catalog rules:\n"
        "  - spec.system MUST reference the parent system.\n"
        "  - Tags MUST be lowercase.\n"
        "- The portal is at https://portal.example.com.\n"
        "\n## Testing\n\n- Tests MUST pass.\n"
    )
    policy = load_policy(make_repo(tmp_path, {"AGENTS.md": text}), Config())
    assert policy.standards["lifecycle-allowed"].params == {"allowed": ["ga", "retired"]}
    assert [(b.source.line, b.standards, b.normative) for b in policy.bullets] == [
        (3, ["lifecycle-allowed"], True),
        (7, ["system-required"], True),
        (8, [], True),
        (9, [], False),  # descriptive: not a rule, so never "unenforced"
    ]


def test_without_a_standards_section_the_built_in_standards_apply(tmp_path: Path) -> None:
    for files in ({}, {"AGENTS.md": "# Agents\n\n- Run the tests.\n"}):
        policy = load_policy(make_repo(tmp_path, files), Config())
        assert policy.origin == BUILTIN and not policy.bullets
        assert set(policy.standards) == {
            "unique-name",
            "catalog-info-at-root",
            "owner-is-group",
            "system-required",
            "api-entity-required",
            "api-definition-in-api-dir",
            "lifecycle-allowed",
            "skill-template",
        }


def test_the_heading_is_configurable(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"AGENTS.md": "## Engineering rules\n\n- spec.system MUST be set.\n"})
    assert load_policy(root, Config()).origin == BUILTIN
    policy = load_policy(root, Config({"standards-heading": "Engineering Rules"}))
    assert list(policy.standards) == ["system-required"]


def test_an_org_policy_file_applies_and_the_repository_wins(tmp_path: Path) -> None:
    org = tmp_path / "org" / "AGENTS.md"
    org.parent.mkdir()
    org.write_text(
        "## Developer Portal Standards\n\n- Lifecycle values: production | deprecated.\n"
        "- spec.owner MUST reference a group.\n- Every service MUST be load-tested.\n",
        encoding="utf-8",
    )
    root = make_repo(
        tmp_path / "svc",
        {
            "AGENTS.md": "## Developer Portal Standards\n\n- Lifecycle values: ga | beta.\n",
            "catalog-info.yaml": COMPONENT.format(lifecycle="production").replace(
                "group:default/team-payments", "user:jdoe"
            ),
        },
    )
    for written in (str(org), "../org/AGENTS.md"):  # absolute, or relative to the repository
        cfg = Config({"policy": written})
        policy = load_policy(root, cfg)
        assert policy.standards["lifecycle-allowed"].params == {"allowed": ["ga", "beta"]}
        assert policy.standards["lifecycle-allowed"].source.label == "AGENTS.md:3"
        got = {(d.code, d.line): d for d in lint_repo(root, cfg=cfg).diagnostics}
        # the org file's unenforced bullet is reported in its own repository, not in every service
        assert set(got) == {("STD004", 7), ("STD002", 8)}, written
        assert Path(root, got[("STD002", 8)].related[0].path).resolve() == org.resolve()


def test_config_options_override_the_policy_parameters(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"AGENTS.md": SEED})
    meta = next(m for m in load_metadata().values() if m.name == "lifecycle-allowed")
    policy = load_policy(root, Config())
    assert param_source(Config(), meta, "allowed", policy)[1].label == "AGENTS.md:11"
    cfg = Config({"rules": {"lifecycle-allowed": {"allowed": ["ga"]}}}, ".portal-lint.yaml")
    value, src = param_source(cfg, meta, "allowed", policy)
    assert value == ["ga"] and src.label == "config (.portal-lint.yaml)"


def test_config_can_switch_on_a_standard_the_policy_does_not_hold(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path, {"catalog-info.yaml": COMPONENT.format(lifecycle="production") + "  system: commerce\n"}
    )
    assert found(lint_repo(root)) == set()  # the built-in standards leave templates alone
    got = found(lint_repo(root, cfg=Config({"select": ["scaffolded-from-template"]})))
    assert got == {("catalog-info.yaml", 3, "STD009")}


def test_the_policy_is_read_once_per_repository_and_run(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"AGENTS.md": SEED})
    run = Run(tmp_path, Config(), {})
    first = policy_for(run, Repo(root))
    (root / "AGENTS.md").write_text("## Developer Portal Standards\n\n- Nothing.\n", encoding="utf-8")
    assert policy_for(run, Repo(root)) is first


def test_a_catalog_only_run_never_imports_markdown_it(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"catalog-info.yaml": COMPONENT.format(lifecycle="prod")})
    code = (
        "import sys; from portal_lint.engine import lint; r = lint(['.']); "
        "print(sorted({d.code for d in r.diagnostics}), 'markdown_it' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.split("] ")[1].strip() == "False"
    assert "STD004" in out.stdout


def _policy_cli(root: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "portal_lint", "policy", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_policy_command_shows_each_standard_its_rules_parameters_and_source(tmp_path: Path) -> None:
    agents = SEED + "- Every service MUST be load-tested before each release.\n"
    root = make_repo(tmp_path, {"AGENTS.md": agents, ".portal-lint.yaml": "ignore: [system-required]\n"})
    text = _policy_cli(root)
    assert "the standards section at AGENTS.md:3" in text
    assert "AGENTS.md:11: Lifecycle values: production | experimental | deprecated." in text
    assert "STD004.allowed = production, experimental, deprecated   (from AGENTS.md:11)" in text
    assert "switched off by config `ignore system-required` (POL002)" in text
    # a vocabulary bullet shows the parameters read from it
    assert (
        "AGENTS.md:12: All services MUST have a PagerDuty annotation.\n"
        "    standard required-annotation: STD010 required-annotation (error)\n"
        "    STD010.kinds = Component:service   (from AGENTS.md:12)\n"
        "    STD010.keys = pagerduty.com/integration-key|pagerduty.com/service-id   (from AGENTS.md:12)\n"
    ) in text
    assert (
        "AGENTS.md:13: Every service MUST be load-tested before each release.\n"
        "    no rule enforces this (POL001)"
    ) in text
    report = json.loads(_policy_cli(root, "--format", "json"))
    assert report["source"] == "AGENTS.md:3"
    assert [u["source"]["line"] for u in report["unenforced"]] == [13]
    template = next(s for s in report["standards"] if s["key"] == "scaffolded-from-template")
    assert template["in_force"] and template["rules"][0]["code"] == "STD009"


def test_policy_command_without_agents_md_lists_the_built_in_standards(tmp_path: Path) -> None:
    report = json.loads(_policy_cli(make_repo(tmp_path, {}), "--format", "json"))
    assert report["source"] == BUILTIN and report["sections"] == []
    in_force = {s["key"]: s["in_force"] for s in report["standards"]}
    assert in_force["lifecycle-allowed"] and not in_force["scaffolded-from-template"]
    lifecycle = next(s for s in report["standards"] if s["key"] == "lifecycle-allowed")
    assert lifecycle["parameters"]["STD004.allowed"]["source"] == BUILTIN
    assert "not enforced by default" in _policy_cli(tmp_path)


def test_a_bullet_that_only_mentions_lifecycles_does_not_switch_the_rule_on(tmp_path: Path) -> None:
    text = "## Developer Portal Standards\n\n- The portal shows lifecycles as badges.\n"
    policy = load_policy(make_repo(tmp_path, {"AGENTS.md": text}), Config())
    assert policy.standards == {} and policy.bullets[0].standards == []
