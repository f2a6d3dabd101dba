"""Rules declare themselves: the metadata names the standard a rule enforces and whether the
standard gates it; the engine alone decides where a gated rule runs and cites the bullet. These
tests tie the metadata, the check functions, the fixtures, the docs and the policy together."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal_lint.policy import STANDARDS, gated_codes
from portal_lint.registry import all_rules, load_metadata
from portal_lint.vocabulary import SHAPES
from tests.expectations import lint_repo, make_repo

ROOT = Path(__file__).resolve().parent.parent

# One way a team writes each gated standard (a bullet the recogniser must read as that standard).
BULLETS = {
    "catalog-info-at-root": "catalog-info.yaml MUST exist at the repository root.",
    "owner-is-group": "spec.owner MUST reference a valid group entity.",
    "system-required": "spec.system MUST reference the parent system.",
    "lifecycle-allowed": "Lifecycle values: production | experimental | deprecated. Never omit lifecycle.",
    "api-entity-required": "Every HTTP/gRPC API MUST have a corresponding API entity.",
    "api-definition-in-api-dir": "API definitions are stored in api/, referenced via spec.definition.$text.",
    "scaffolded-from-template": "All new services MUST be scaffolded via the Backstage software template.",
    "skill-template": "Every skill MUST follow the skill template: Purpose, When to Use, Steps, Constraints.",
}


def _section(bullet: str) -> str:
    return f"## Developer Portal Standards\n\n- {bullet}\n"


def test_declared_standards_exist_and_every_standard_is_enforced_by_a_rule() -> None:
    keys = {d.key for d in STANDARDS}
    for meta in load_metadata().values():
        assert set(meta.standard) <= keys, f"{meta.code} names an unknown standard {meta.standard}"
    for d in STANDARDS:
        assert d.switches or d.also, f"standard {d.key} is enforced by no rule"
    assert {load_metadata()[c].standard[0] for c in gated_codes()} == set(BULLETS) | {s.key for s in SHAPES}


def test_every_check_is_named_after_its_rule_with_fixtures_and_docs() -> None:
    docs = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for code, rule in all_rules().items():
        assert rule.check.__name__ == rule.meta.name.replace("-", "_"), code
        assert any((ROOT / "fixtures" / "rules" / code).iterdir()), f"{code} has no fixture"
        assert re.search(rf"^### {code} {rule.meta.name}$", docs, re.M), f"{code} is not in docs/rules.md"


@pytest.mark.parametrize("code", sorted(gated_codes()))
def test_a_gated_rule_runs_only_where_its_standard_is_written_and_cites_the_bullet(
    code: str, tmp_path: Path
) -> None:
    meta = load_metadata()[code]
    key = meta.standard[0]
    files = {meta.bad_path: meta.bad, **meta.files}
    # The bullet the rule's own example writes, else the seed's wording of the standard.
    written = re.findall(r"^- (.+)$", meta.files.get("AGENTS.md", ""), re.M)
    bullet = written[0] if written else BULLETS[key]
    other = next(b for k, b in BULLETS.items() if k != key)

    off = lint_repo(make_repo(tmp_path / "off", {**files, "AGENTS.md": _section(other)}))
    assert code not in {d.code for d in off.diagnostics}

    on = lint_repo(make_repo(tmp_path / "on", {**files, "AGENTS.md": _section(bullet)}))
    hits = [d for d in on.diagnostics if d.code == code]
    assert hits
    for d in hits:
        assert d.message.endswith("(AGENTS.md:3)") and d.standard == bullet
        assert (d.related[0].path, d.related[0].line) == ("AGENTS.md", 3)

    if key in BULLETS:  # a vocabulary rule selected without a bullet has nothing to check
        selected = make_repo(tmp_path / "selected", {**files, "AGENTS.md": _section(other)})
        chosen = lint_repo(selected, select=[meta.name])
        hits = [d for d in chosen.diagnostics if d.code == code]
        assert hits and not any(d.related for d in hits)
