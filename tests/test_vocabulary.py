"""The standards vocabulary: bullets as platform teams write them are enforced as written, or
reported as unenforced with the nearest supported phrasing; never mapped to a rule that checks
something else. fixtures/repos/standards-vocabulary-{good,bad} hold a standards section of 30
bullets: the good repository meets them all, the bad one breaks each once."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from portal_lint.config import Config
from portal_lint.policy import load_policy
from portal_lint.registry import load_metadata
from portal_lint.vocabulary import SHAPES, read
from tests.expectations import as_repo, lint_repo, make_repo

REPOS = Path(__file__).resolve().parent.parent / "fixtures" / "repos"
GOOD, BAD = REPOS / "standards-vocabulary-good", REPOS / "standards-vocabulary-bad"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "standards.md"
SECTION = "## Developer Portal Standards\n\n"


def _bullets(root: Path) -> list[str]:
    return re.findall(r"^- (.+)$", (root / "AGENTS.md").read_text(encoding="utf-8"), re.M)


def _cited(root: Path) -> Counter[int]:
    """AGENTS.md lines cited by the findings of a lint of `root`, each as often as cited."""
    out: Counter[int] = Counter()
    for d in lint_repo(root).diagnostics:
        for r in d.related:
            if r.path == "AGENTS.md":
                out[r.line] += 1
    return out


def test_the_vocabulary_repository_has_25_bullets_in_varied_wording_all_enforced(tmp_path: Path) -> None:
    root = as_repo(GOOD, tmp_path / "good")
    policy = load_policy(root, Config())
    assert len(policy.bullets) >= 25
    assert all(b.normative and b.enforced for b in policy.bullets), [
        b.text for b in policy.bullets if not b.enforced
    ]
    words = " ".join(b.text for b in policy.bullets)
    for wording in ("MUST", "must", "SHOULD", "required", "Do not", "needs", "mandatory"):
        assert wording in words
    assert (BAD / "AGENTS.md").read_text(encoding="utf-8") == (GOOD / "AGENTS.md").read_text(encoding="utf-8")


def test_the_compliant_repository_yields_nothing_and_each_violation_cites_its_own_bullet(
    tmp_path: Path,
) -> None:
    assert _cited(as_repo(GOOD, tmp_path / "good")) == Counter()
    bad = as_repo(BAD, tmp_path / "bad")
    policy = load_policy(bad, Config())
    metas = load_metadata()
    by_line = {b.source.line: b for b in policy.bullets}
    cited: Counter[int] = Counter()
    for d in lint_repo(bad).diagnostics:
        bullets = [r.line for r in d.related if r.path == "AGENTS.md"]
        if not bullets:
            continue
        (line,) = bullets
        cited[line] += 1
        # the finding's rule enforces a standard its bullet was read as, nothing else
        assert set(metas[d.code].standard) & set(by_line[line].standards), (d.code, by_line[line].text)
    # one violation per check a bullet asks for ("groups whose names start with team-": two)
    assert cited == Counter({line: len(b.standards) for line, b in by_line.items()})


@pytest.mark.parametrize("bullet", _bullets(GOOD))
def test_no_bullet_maps_to_a_rule_that_misses_its_violation(bullet: str, tmp_path: Path) -> None:
    """Each bullet alone: its violation in the bad repository is found and cites it; the good
    repository, under that bullet alone, is clean."""
    bad = as_repo(BAD, tmp_path / "bad")
    good = as_repo(GOOD, tmp_path / "good")
    for root in (bad, good):
        (root / "AGENTS.md").write_text(SECTION + f"- {bullet}\n", encoding="utf-8")
    assert _cited(bad)[3] >= 1
    assert _cited(good) == Counter()


# The four bullets that were once mapped to a rule checking something else, each with a
# catalog that breaks it: the rule that runs must catch exactly that.
MISMAPPED = [
    (
        "Each System is part of a Domain: set spec.domain on every System",
        "kind: System\nmetadata:\n  name: commerce\nspec:\n  owner: group:default/team-a\n",
        ["field-required"],
        "STD016",
    ),
    (
        "TechDocs are mandatory for all services (annotation `backstage.io/techdocs-ref`)",
        "kind: Component\nmetadata:\n  name: payments\nspec:\n  type: service\n  lifecycle: production\n"
        "  owner: group:default/team-a\n  system: commerce\n",
        ["required-annotation"],
        "STD010",
    ),
    (
        "API entities MUST declare an owner and a lifecycle",
        "kind: API\nmetadata:\n  name: payments-api\nspec:\n  type: openapi\n  lifecycle: production\n"
        "  system: commerce\n  definition: 'openapi: 3.0.0'\n",
        ["field-required"],
        "STD016",
    ),
    (
        "Group names MUST start with `team-`.",
        "kind: Group\nmetadata:\n  name: payments\nspec:\n  type: team\n  children: []\n",
        ["name-pattern"],
        "STD018",
    ),
]


@pytest.mark.parametrize(
    ("bullet", "catalog", "standards", "code"), MISMAPPED, ids=[m[3] + m[2][0] for m in MISMAPPED]
)
def test_the_once_mismapped_bullets_are_enforced_as_written(
    bullet: str, catalog: str, standards: list[str], code: str, tmp_path: Path
) -> None:
    root = make_repo(
        tmp_path,
        {
            "AGENTS.md": SECTION + f"- {bullet}\n",
            "catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\n" + catalog,
        },
    )
    policy = load_policy(root, Config())
    (got,) = policy.bullets
    assert got.standards == standards
    assert policy.param("allowed") is None  # no lifecycle list attributed to an owner/lifecycle bullet
    cited = [d.code for d in lint_repo(root).diagnostics if d.related and d.related[0].line == 3]
    assert cited == [code]


@pytest.mark.parametrize(
    "bullet",
    [
        "API entities MUST declare an owner, a lifecycle and a runbook link.",  # a part no shape checks
        "Owners MUST be groups named after their product.",  # a naming rule with no pattern
        "Every service SHOULD have a PagerDuty annotation unless it is internal.",  # a condition
        "Production services must never call deprecated APIs.",  # not a dependsOn relation
    ],
)
def test_a_bullet_read_only_in_part_is_unenforced_with_the_nearest_phrasing(
    bullet: str, tmp_path: Path
) -> None:
    root = make_repo(tmp_path, {"AGENTS.md": SECTION + f"- {bullet}\n"})
    (got,) = load_policy(root, Config()).bullets
    assert got.standards == [] and got.normative
    [d] = lint_repo(root).diagnostics
    assert (d.code, d.line) == ("POL001", 3)
    if "PagerDuty" in bullet or "declare" in bullet:
        assert "the nearest supported phrasing is" in d.message


@pytest.mark.parametrize("shape", SHAPES, ids=[s.key for s in SHAPES])
def test_each_shape_reads_both_documented_phrasings(shape: object) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for phrasing in shape.phrasings:  # type: ignore[attr-defined]
        assert [key for key, _ in read(phrasing)][:1] == [shape.key]  # type: ignore[attr-defined]
        assert phrasing in docs, f"docs/standards.md does not show {phrasing!r}"


def test_the_explicit_form_names_the_rule_and_its_parameters(tmp_path: Path) -> None:
    text = (
        SECTION + "- Payment services report errors to our tracker.\n"
        "  <!-- portal-lint: required-annotation keys=sentry.io/project-slug kinds=Component:service -->\n"
        "- Our dashboards are the source of truth. <!-- portal-lint: no-such-rule -->\n"
        "- Tags are reviewed. <!-- portal-lint: required-tag colour=blue -->\n"
    )
    catalog = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n"
        "  type: service\n  lifecycle: production\n  owner: group:default/team-a\n  system: commerce\n"
    )
    root = make_repo(tmp_path, {"AGENTS.md": text, "catalog-info.yaml": catalog})
    policy = load_policy(root, Config())
    first, unknown, bad_param = policy.bullets
    assert first.text == "Payment services report errors to our tracker." and first.enforced
    assert not unknown.enforced and not bad_param.enforced
    got = {(d.code, d.path, d.line): d for d in lint_repo(root).diagnostics}
    assert set(got) == {
        ("STD010", "catalog-info.yaml", 3),
        ("POL001", "AGENTS.md", 5),
        ("POL001", "AGENTS.md", 6),
    }
    annotation = got[("STD010", "catalog-info.yaml", 3)]
    assert "`sentry.io/project-slug`" in annotation.message and annotation.related[0].line == 3
    assert "names no standard rule (`no-such-rule`)" in got[("POL001", "AGENTS.md", 5)].message
    assert "`colour=blue` is not a parameter of required-tag" in got[("POL001", "AGENTS.md", 6)].message


@pytest.mark.parametrize(
    ("bullet", "checks"),
    [
        ("Use kebab-case for component names.", [("name-pattern", ["Component"])]),
        ("Services MUST declare their owner and lifecycle.", [("field-required", ["Component:service"])]),
        ("Every Sentry project is set on services.", [("required-annotation", ["Component:service"])]),
        ("Every service must have an owner team.", []),  # a kind word out of place: not read as scope
        ("Every System MUST be part of a Domain.", [("field-required", ["System"])]),
    ],
)
def test_what_a_shape_reads_and_what_it_leaves(bullet: str, checks: list[tuple[str, list[str]]]) -> None:
    assert [(key, params["kinds"]) for key, params in read(bullet)] == checks


def test_the_config_form_adds_checks_that_name_their_entry(tmp_path: Path) -> None:
    from portal_lint.config import ConfigError, load

    catalog = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n"
        "  type: service\n  lifecycle: prod\n  owner: group:default/team-a\n  system: commerce\n"
    )
    config = "standards:\n  - rule: required-annotation\n    keys: [sentry.io/project-slug]\n"
    root = make_repo(tmp_path / "ok", {".portal-lint.yaml": config, "catalog-info.yaml": catalog})
    got = {d.code: d for d in lint_repo(root, cfg=load(root)).diagnostics}
    assert set(got) == {"STD010", "STD004"}
    assert got["STD010"].severity == "error"  # the team's own check; the built-in one stays a warning
    assert got["STD010"].message.endswith("(.portal-lint.yaml standards[1])")
    assert got["STD004"].severity == "warning"

    wrong = "standards:\n  - rule: required-anotation\n  - rule: required-tag\n    colour: blue\n"
    bad = make_repo(tmp_path / "bad", {".portal-lint.yaml": wrong})
    with pytest.raises(ConfigError) as exc:
        load(bad)
    assert "entry 1: `rule: required-anotation` names no rule a standard switches on" in str(exc.value)
    assert "(did you mean `required-annotation`?)" in str(exc.value)
    assert "entry 2: required-tag has no parameter `colour`" in str(exc.value)
