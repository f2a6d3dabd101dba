"""Which files are catalog files: node-glob targets, gitignore config patterns, and the graph's
answers a user sees (--show-files, the entity index)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_lint.globs import glob_regex, matches_any
from portal_lint.ingest import Settings
from portal_lint.model import Repo
from tests.expectations import make_repo


@pytest.mark.parametrize(
    ("pattern", "path", "matched"),
    [
        ("systems/*.yaml", "systems/a.yaml", True),
        ("systems/*.yaml", "systems/x/a.yaml", False),  # `*` stays in one folder
        ("systems/*.yaml", "systems/.draft.yaml", False),  # no wildcard matches a leading dot
        ("systems/.*.yaml", "systems/.draft.yaml", True),  # unless the pattern spells it
        ("org/**/*.yaml", "org/users.yaml", True),  # `**` is zero folders too
        ("org/**/*.yaml", "org/a/b/users.yaml", True),
        ("org/**/*.yaml", "org/.hidden/users.yaml", False),
        ("org/{users,groups}.yaml", "org/groups.yaml", True),
        ("org/user?.yaml", "org/users.yaml", True),
        ("org/[ug]*.yaml", "org/groups.yaml", True),
    ],
)
def test_location_globs_expand_as_node_glob_does(pattern: str, path: str, matched: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is matched


@pytest.mark.parametrize(
    ("patterns", "path", "matched"),
    [
        (["org/**/*.yaml"], "org/users.yaml", True),
        (["/entities.yaml"], "entities.yaml", True),
        (["/entities.yaml"], "a/entities.yaml", False),
        (["*.entity.yaml"], "a/b/x.entity.yaml", True),  # no slash: any depth, as gitignore
        (["legacy/", "!legacy/keep.yaml"], "legacy/keep.yaml", False),
        (["legacy/"], "legacy/a/b.yaml", True),
    ],
)
def test_config_patterns_have_gitignore_semantics(patterns: list[str], path: str, matched: bool) -> None:
    assert matches_any(path, patterns) is matched


DOMAIN = (
    "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n  name: commerce\nspec:\n  owner: team-a\n"
)


def test_the_entity_index_knows_every_file_the_graph_reaches(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            ".backstage/catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n"
            "  name: root\nspec:\n  targets: [../domains/*.yaml]\n",
            "domains/commerce.yaml": DOMAIN,
            "extra/entities.yaml": DOMAIN.replace("commerce", "billing"),
        },
    )
    names = {e.name for e in Repo(root).entities()}
    assert names == {"root", "commerce"}  # extra/ is linted but never read: not in the index
    configured = Repo(root, Settings(catalog_files=("extra/*.yaml",)))
    assert {e.name for e in configured.entities()} == {"root", "commerce", "billing"}


def test_cookiecutter_text_is_a_skeleton_only_in_a_cookiecutter_project_folder(tmp_path: Path) -> None:
    """`{{ cookiecutter.x }}` in cookiecutter's project folder is template input; in the
    repository's own catalog-info.yaml it is a value left unrendered, and CAT008 says so."""
    from tests.expectations import lint_repo

    text = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n"
        "  title: {{ cookiecutter.title }}\nspec:\n  type: service\n  lifecycle: production\n"
        "  owner: group:default/team-payments\n  system: commerce\n"
    )
    root = make_repo(tmp_path, {"catalog-info.yaml": text, "{{cookiecutter.slug}}/catalog-info.yaml": text})
    found = [(d.path, d.line, d.code) for d in lint_repo(root).diagnostics if d.code.startswith("CAT")]
    assert found == [("catalog-info.yaml", 5, "CAT008")]
