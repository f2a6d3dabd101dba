"""STD: the portal's standards on top of what Backstage accepts (layout, ownership, lifecycle, docs).

Rules tied to a standard run only when the policy in force holds it (portal_lint.policy):
the repository's AGENTS.md, the org policy file, or the built-in standards. The API
definition standards are in std_api.py.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from portal_lint.checks import std_api
from portal_lint.checks._fields import in_metadata
from portal_lint.diagnostic import Finding, Fix, Span, excerpt
from portal_lint.discover import git_root
from portal_lint.model import Entity, InputError, Repo, posix_rel, read_text
from portal_lint.parse.tree import PMap
from portal_lint.refs import refs_of, unmatchable
from portal_lint.registry import RuleContext, rule

ROOT_CATALOG = "catalog-info.yaml"
# What a service repository has even before anyone wrote its catalog file.
_SERVICE_MARKERS = (
    "api",
    "src",
    "Dockerfile",
    "package.json",
    "pyproject.toml",
    "setup.py",
    "go.mod",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Cargo.toml",
    "Gemfile",
    "composer.json",
    "mix.exs",
)


@rule("STD001")
def catalog_info_at_root(repo: Repo, ctx: RuleContext) -> Iterator[Finding]:
    if (repo.root / ROOT_CATALOG).is_file():
        return
    # Catalog files of repositories nested inside this one are theirs, not this one's.
    elsewhere = [p for p in repo.catalog_paths() if git_root(p.parent, repo.root) in (None, repo.root)]
    at_root = [p for p in elsewhere if p.parent == repo.root]
    if at_root:
        yield Finding(
            f"the catalog file is named {at_root[0].name}, but the portal discovers `{ROOT_CATALOG}` "
            f"at the repository root: rename it to {ROOT_CATALOG}",
            Span(0, 0, 0, 0),
            path=at_root[0].name,
        )
    elif elsewhere:
        rel = posix_rel(elsewhere[0], repo.root)
        yield Finding(
            f"there is no {ROOT_CATALOG} at the repository root, only {rel}: move it to the root, or add "
            f"a root {ROOT_CATALOG} holding a Location entity whose `spec.targets` lists ./{rel}",
            Span(0, 0, 0, 0),
            path=rel,
        )
    elif (ctx.standard is not None and ctx.standard.source.is_bullet) or any(
        (repo.root / m).exists() for m in _SERVICE_MARKERS
    ):
        # Without a catalog file anywhere, only a service repository (or a team that wrote the
        # standard down) needs one; a repository of skills or docs does not.
        yield Finding(
            f"this repository has no {ROOT_CATALOG}, so the portal does not know it: create one at the "
            "repository root describing the service (kind: Component, owner, system, lifecycle)",
            Span(0, 0, 0, 0),
            path=ROOT_CATALOG,
        )


@rule("STD002")
def owner_is_group(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    for use in refs_of(entity):
        target = use.target
        if use.field.key != "owner" or target is None:
            continue
        problem = unmatchable(use)
        if problem is not None:
            yield Finding(
                f"`spec.owner` is `{excerpt(use.text)}`, which no group can be ({problem}), but the portal "
                "standard requires a group to own every entity: Backstage ingests it and the portal will "
                "show no owner; write the owning team, e.g. `group:default/<team>`",
                use.span,
                pointer=use.pointer,
            )
        elif target.kind.lower() == "user":
            yield Finding(
                f"`spec.owner` is the user `{excerpt(use.text)}`, but the portal standard requires a group "
                f"to own every entity (people move on, teams stay): make the team the owner, e.g. "
                "`group:default/<team>`, and list the person in that Group's `members`",
                use.span,
                pointer=use.pointer,
            )


SYSTEM_KINDS = ("Component", "API", "Resource")


def _sibling_system(entity: Entity) -> str | None:
    """The system the other entities of this repository name, if they agree on one."""
    systems = {
        s
        for e in entity.file.repo.entities()
        if e is not entity and e.spec is not None and isinstance(s := e.spec.get("system"), str) and s
    }
    return systems.pop() if len(systems) == 1 else None


@rule("STD003")
def system_required(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = entity.spec
    if entity.kind not in SYSTEM_KINDS or spec is None or "system" in spec:
        return
    sibling = _sibling_system(entity)
    example = (
        f"`system: {sibling}` (as the other entities of this repository)"
        if sibling
        else "`system: <system-name>`"
    )
    yield Finding(
        f"{entity.kind} `{excerpt(entity.name)}` has no `spec.system`; the portal standard requires every "
        f"Component, API and Resource to name the system it is part of: add {example}",
        entity.raw.key_span("spec"),
        pointer="spec",
    )


LIFECYCLE_KINDS = ("Component", "API")
# Words teams use for the documented lifecycles; offered only when the target is allowed.
_SYNONYMS = {
    "production": ("prod", "live", "ga", "stable", "released", "production-ready", "prd"),
    "experimental": (
        "beta",
        "alpha",
        "experiment",
        "preview",
        "dev",
        "development",
        "incubating",
        "poc",
        "pilot",
    ),
    "deprecated": (
        "sunset",
        "retired",
        "legacy",
        "eol",
        "end-of-life",
        "obsolete",
        "decommissioned",
        "archived",
    ),
}


def suggest(value: str, allowed: list[str]) -> tuple[str, bool] | None:
    """(allowed value the author probably meant, whether it is a spelling fix rather than a synonym)."""
    low = value.strip().lower()
    for a in allowed:
        if a.lower() == low:
            return a, True
    close = difflib.get_close_matches(low, [a.lower() for a in allowed], n=1, cutoff=0.75)
    if close:
        return next(a for a in allowed if a.lower() == close[0]), True
    for a in allowed:
        if low in _SYNONYMS.get(a, ()):
            return a, False
    prefixed = [a for a in allowed if len(low) >= 3 and a.lower().startswith(low)]
    return (prefixed[0], False) if len(prefixed) == 1 else None


@rule("STD004")
def lifecycle_allowed(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = entity.spec
    if entity.kind not in LIFECYCLE_KINDS or spec is None:
        return
    value = spec.get("lifecycle")
    if not isinstance(value, str) or not value:
        return  # missing, empty or not a string: the kind schema's finding (CAT)
    allowed: list[str] = list(ctx.options["allowed"])
    if value in allowed:
        return
    span = spec.value_span("lifecycle")
    listed = ", ".join(allowed)
    hint = suggest(value, allowed)
    if hint is None:
        yield Finding(
            f"`spec.lifecycle` is `{excerpt(value)}`, which is not one of the portal's lifecycles "
            f"({listed}): use one of them",
            span,
            pointer="spec.lifecycle",
        )
        return
    meant, spelling = hint
    yield Finding(
        f"`spec.lifecycle` is `{excerpt(value)}`, which is not one of the portal's lifecycles ({listed}): "
        f"did you mean `{meant}`?",
        span,
        pointer="spec.lifecycle",
        fix=Fix(f"set spec.lifecycle to {meant}", ((span, meant),) if spelling else ()),
    )


TECHDOCS_REF = "backstage.io/techdocs-ref"
MKDOCS = ("mkdocs.yml", "mkdocs.yaml")


@rule("STD008")
def techdocs_ref(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    ann = in_metadata(entity, "annotations", PMap)
    value = ann.get(TECHDOCS_REF) if ann is not None else None
    if ann is None or not isinstance(value, str) or not value.startswith("dir:"):
        return  # url: targets are never fetched; other forms are a location-ref format error (CAT)
    repo = entity.file.repo
    why = techdocs_problem(value, os.path.dirname(entity.file.norm_path), repo.norm_root, ctx.run.memo)
    if why is not None:
        yield Finding(why, ann.value_span(TECHDOCS_REF), pointer=f"metadata.annotations.{TECHDOCS_REF}")


def techdocs_problem(
    value: object, catalog_dir: str, root: str, cache: dict[str, Any] | None = None
) -> str | None:
    """Why TechDocs cannot build the docs a `backstage.io/techdocs-ref` value points at (the
    catalog file in `catalog_dir`, the repository at `root`, both normalised), or None when it can
    or cannot be told here (a `url:` target is not fetched). `portal-lint audit` reports it too."""
    if not isinstance(value, str) or not value.strip():
        return (
            f"no `{TECHDOCS_REF}` annotation, so the service has no TechDocs: add `{TECHDOCS_REF}: dir:.` "
            "with an mkdocs.yml and docs/index.md at the repository root"
        )
    if not value.startswith("dir:"):
        return None
    folder = os.path.normpath(os.path.join(catalog_dir, value[4:].strip()))
    if not std_api.within_root(folder, root):
        return (
            f"`{TECHDOCS_REF}: {excerpt(value)}` leaves the repository; TechDocs builds the docs from this "
            "repository only: point it at a folder inside it"
        )
    shown = posix_rel(folder, root)
    where = "the repository root" if shown == "." else f"{excerpt(shown)}/"
    docs_dir = _mkdocs_docs_dir(folder, {} if cache is None else cache)
    if docs_dir is None:
        return (
            f"`{TECHDOCS_REF}: {excerpt(value)}` points at {where}, which has no mkdocs.yml, so the "
            "TechDocs build fails: add an mkdocs.yml (and docs/index.md) there, or point the annotation "
            "at the folder that has them"
        )
    if not os.path.isdir(os.path.join(folder, docs_dir)):
        return (
            f"`{TECHDOCS_REF}: {excerpt(value)}` points at {where}, whose mkdocs.yml reads its pages from "
            f"`{excerpt(docs_dir)}/`, which is not there, so the TechDocs build fails: add "
            f"{excerpt(docs_dir)}/index.md, or set `docs_dir` in mkdocs.yml to the folder of the pages"
        )
    return None


# mkdocs.yml may carry tags only MkDocs resolves (`!ENV`, `!!python/name:`): read the one key.
_DOCS_DIR = re.compile(r"""^docs_dir:\s*["']?([^"'#\s]+)""", re.M)


def _mkdocs_docs_dir(folder: str, cache: dict[str, Any]) -> str | None:
    """The pages folder of the mkdocs.yml in `folder` (MkDocs' default `docs`), or None when there
    is no mkdocs.yml. Asked once per folder and run: the entities of one catalog file share it."""
    key = f"std-mkdocs:{folder}"
    if key not in cache:
        found = None
        for name in MKDOCS:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                try:
                    text = read_text(Path(path))
                except InputError:
                    text = ""
                m = _DOCS_DIR.search(text)
                found = m.group(1) if m else "docs"
                break
        cache[key] = found
    got: str | None = cache[key]
    return got


TEMPLATE_ANNOTATIONS = (
    "backstage.io/source-template",
    "backstage.io/template-origin",
    "backstage.io/template-version",
)


@rule("STD009")
def scaffolded_from_template(entity: Entity, ctx: RuleContext) -> Iterator[Finding]:
    spec = entity.spec
    if (
        entity.kind != "Component"
        or spec is None
        or spec.get("type") != "service"
        or "scaffoldedFrom" in spec
    ):
        return
    ann = in_metadata(entity, "annotations", PMap)
    if ann is not None and any(isinstance(ann.get(k), str) and ann.get(k) for k in TEMPLATE_ANNOTATIONS):
        return
    meta = entity.metadata
    if ann is not None and meta is not None:
        span = meta.key_span("annotations")
    else:
        span = entity.raw.key_span("metadata")
    yield Finding(
        f"service `{excerpt(entity.name)}` carries no template provenance (`backstage.io/source-template`); "
        "the portal standard requires services to be scaffolded from the Backstage software template: "
        "create it from the template, or, if it was, add "
        "`backstage.io/source-template: template:default/<template-name>`",
        span,
        pointer="metadata.annotations",
    )
