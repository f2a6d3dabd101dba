"""`portal-lint audit`: the catalog audit the portal team asks for, as streamed JSON.

A *service* is a Component entity of the catalog. With `--repos DIR`, every folder under DIR
is a service repository: it is matched to the catalog Component it defines (by ref, else by
folder name), linted with the same rules as `portal-lint`, and its findings become the
service's issues; folders that match no catalog Component are listed as services that are
not in the catalog. Without `--repos`, issues are what the catalog alone shows: references
to entities that do not exist (REF004) and services behind their template (LIV002).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from portal_lint import live
from portal_lint.atomic import replacing
from portal_lint.catalog import CatalogError
from portal_lint.commands import Parser
from portal_lint.commands.audit_scope import Scope, ScopeError, add_scope_arguments, scope_of, write_locations
from portal_lint.commands.catalog import add_catalog_arguments, open_catalog
from portal_lint.diagnostic import printable
from portal_lint.registry import load_metadata

if TYPE_CHECKING:
    from portal_lint.catalog.client import CatalogClient
    from portal_lint.catalog.index import EntityIndex

TECHDOCS_REF = "backstage.io/techdocs-ref"
CATALOG_FILES = ("catalog-info.yaml", "catalog-info.yml")
COMPONENT_FIELDS = (
    "kind",
    "metadata.name",
    "metadata.namespace",
    "metadata.annotations",
    "spec",
    "relations",
)


class Issue(BaseModel):
    """One portal-lint finding about a service."""

    code: str = Field(description="rule code, e.g. REF004")
    name: str = Field(description="rule name, e.g. ref-not-found")
    severity: Literal["error", "warning", "note"]
    message: str
    path: str | None = Field(
        description="file, relative to --repos (`<repo>/catalog-info.yaml`); the entity's catalog location "
        "when the issue comes from the catalog alone"
    )
    line: int | None = Field(description="1-based line; null for issues found in the catalog alone")
    column: int | None = None


class Service(BaseModel):
    """A Component of the catalog, or a repository under --repos that the catalog does not hold."""

    name: str = Field(description="metadata.name")
    ref: str | None = Field(description="kind:namespace/name, lower-cased")
    type: str | None = Field(description="spec.type, e.g. service, website, library")
    owner: str | None = Field(description="spec.owner as written")
    in_catalog: bool = Field(description="whether the catalog holds this Component")
    location: str | None = Field(description="backstage.io/managed-by-location")
    repo: str | None = Field(description="folder under --repos matched to this service")
    has_catalog_info: bool = Field(
        description="the repository has a catalog-info.yaml (without --repos: the catalog registered the "
        "entity from a catalog-info.yaml file)"
    )
    has_api_entity: bool = Field(description="the Component provides at least one API entity that exists")
    has_techdocs: bool = Field(
        description=f"TechDocs can build the service's docs: it has a `{TECHDOCS_REF}` annotation and, "
        "with its repository under --repos, the mkdocs.yml and the pages folder (`docs_dir`) where a "
        "`dir:` annotation points; when false, one STD008 issue says why"
    )
    issues: list[Issue]


class Summary(BaseModel):
    services: int
    in_catalog: int
    with_catalog_info: int
    with_api_entity: int
    with_techdocs: int
    with_issues: int
    errors: int
    warnings: int
    notes: int
    catalog: str = Field(description="base URL of the catalog audited")
    repos: str | None = Field(description="the --repos folder, if given")
    generated_at: datetime


class AuditReport(BaseModel):
    """`portal-lint audit` output (docs/audit-schema.json)."""

    version: Literal[1] = 1
    services: list[Service]
    summary: Summary


def schema() -> dict[str, Any]:
    return AuditReport.model_json_schema()


class _Progress:
    """`audit: N services` on stderr, only for a person watching a terminal."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.on = stream.isatty()
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.on:
            self.stream.write(f"\rportal-lint audit: {self.count} services")
            self.stream.flush()

    def done(self) -> None:
        if self.on:
            self.stream.write("\n")


class _Tally:
    def __init__(self) -> None:
        self.counts = dict.fromkeys(
            (
                "services",
                "in_catalog",
                "with_catalog_info",
                "with_api_entity",
                "with_techdocs",
                "with_issues",
            ),
            0,
        )
        self.severities = {"error": 0, "warning": 0, "note": 0}

    def add(self, s: Service) -> None:
        flags = (True, s.in_catalog, s.has_catalog_info, s.has_api_entity, s.has_techdocs, bool(s.issues))
        for key, flag in zip(self.counts, flags, strict=True):
            self.counts[key] += flag
        for issue in s.issues:
            self.severities[issue.severity] += 1

    def summary_counts(self) -> dict[str, int]:
        """The counting fields of the Summary."""
        errors, warnings, notes = (self.severities[s] for s in ("error", "warning", "note"))
        return {**self.counts, "errors": errors, "warnings": warnings, "notes": notes}


def tally(services: Iterable[Service]) -> dict[str, int]:
    """The counting fields of the Summary of these services."""
    counts = _Tally()
    for service in services:
        counts.add(service)
    return counts.summary_counts()


def main(argv: Sequence[str]) -> int:
    p = Parser(
        prog="portal-lint audit",
        usage="%(prog)s [options]\n       %(prog)s merge SHARD.json... [-o FILE]",
        description="Audit every service (Component) of the catalog, or those the filters below select: "
        "catalog-info, API entity, TechDocs and portal-lint issues, as JSON (schema: `portal-lint audit "
        "--schema`, docs/audit-schema.json). `portal-lint audit merge` joins the reports of --shard runs.",
    )
    p.add_argument(
        "--repos", type=Path, metavar="DIR", help="folder whose subfolders are service repositories"
    )
    p.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write the report here (default: stdout)"
    )
    p.add_argument("--schema", action="store_true", help="print the report's JSON Schema and exit")
    add_scope_arguments(p)
    add_catalog_arguments(p)
    if argv[:1] == ["merge"]:
        from portal_lint.commands.audit_merge import main as merge

        return merge(argv[1:])
    args = p.parse_args(argv)
    if args.schema:
        sys.stdout.write(json.dumps(schema(), indent=2) + "\n")
        return 0
    if args.repos is not None and not args.repos.is_dir():
        print(f"portal-lint: --repos {args.repos} is not a folder", file=sys.stderr)
        return 2
    repos = args.repos.absolute() if args.repos is not None else None  # each repository is linted from itself
    try:
        scope = scope_of(args)
    except ScopeError as exc:
        p.error(str(exc))
    try:
        s, client = open_catalog(args, "portal-lint audit")
    except live.LiveError as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return 2
    try:
        with client:
            from portal_lint.catalog.index import EntityIndex

            index = EntityIndex(client=client, template_version_key=s.template_version_key)

            def write(out: IO[str]) -> None:
                if args.locations:
                    write_locations(out, client, scope)
                else:
                    write_report(out, client, index, repos, s.template_version_key, scope)

            if args.output is None:
                write(sys.stdout)
            else:
                # Whole or not at all: a catalog failing halfway keeps the last good report.
                with replacing(args.output) as out:
                    write(out)
    except CatalogError as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # `audit | head`: the reader left; portal-lint's main ends quietly
    except OSError as exc:
        print(f"portal-lint: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def write_report(
    out: IO[str],
    client: CatalogClient,
    index: EntityIndex,
    repos: Path | None,
    version_key: str,
    scope: Scope | None = None,
) -> None:
    """Stream the report: one service a line as each is ready, the summary last."""
    counts = _Tally()
    progress = _Progress(sys.stderr)
    out.write('{"version": 1, "services": [')
    for service in services(client, index, repos, version_key, scope):
        counts.add(service)
        out.write(("\n" if counts.counts["services"] == 1 else ",\n") + service.model_dump_json())
        out.flush()
        progress.tick()
    progress.done()
    summary = Summary(
        **counts.summary_counts(),
        catalog=client.url,
        repos=printable(str(repos)) if repos is not None else None,
        generated_at=datetime.now(UTC),
    )
    out.write(f'\n], "summary": {summary.model_dump_json()}}}\n')


def services(
    client: CatalogClient,
    index: EntityIndex,
    repos: Path | None,
    version_key: str,
    scope: Scope | None = None,
) -> Iterator[Service]:
    """The services of `scope` (default: every Component), from the catalog's own query; what they
    reference is looked up in one by-refs batch, never by listing the catalog."""
    from portal_lint.catalog.index import entity_facts

    scope = scope or Scope("kind=component")
    rows = [
        (entity, facts)
        for entity in client.iter_entities(filter=scope.query, fields=COMPONENT_FIELDS)
        if (facts := entity_facts(entity, version_key)) is not None
    ]
    folders: dict[Path, list[str]] = {}
    wanted: list[str] = []
    if repos is not None:
        folders, wanted = _scan(repos)
    wanted += [ref for entity, facts in rows if scope.covers(facts.ref) for ref in _wanted(entity)]
    # One batch: every repository's lint below and the catalog-only checks read these answers.
    found = index.resolve(dict.fromkeys(wanted), include_local=False) if wanted else {}
    known = {ref.lower(): entry.template_version for ref, entry in found.items() if entry is not None}
    matched: set[Path] = set()
    for entity, facts in rows:
        folder = _match(facts.ref, facts.name, folders)
        if folder is not None:
            matched.add(folder)  # a folder of another shard's service is still not "not in the catalog"
        if scope.covers(facts.ref):
            yield _service(
                entity, facts.ref, facts.managed_by_location, folder, repos, index, known, version_key
            )
    for folder, refs in folders.items():
        if folder not in matched and scope.covers(next(iter(refs), folder.name)):
            name = next((r.split("/", 1)[1] for r in refs if r.startswith("component:")), folder.name)
            yield _repo_service(name, folder, repos, index)


def _wanted(entity: Mapping[str, Any]) -> Iterator[str]:
    """What the catalog-only checks of a service look up: the targets of its reference fields, the
    APIs it provides, its template."""
    meta, spec = _mapping(entity.get("metadata")), _mapping(entity.get("spec"))
    written = meta.get("namespace")
    namespace = written if isinstance(written, str) else "default"
    yield from (target for _, target in _targets(spec, namespace))
    yield from (t for t in _provided(entity) if isinstance(t, str))
    origin = live.provenance(_mapping(meta.get("annotations")).get, namespace)
    if origin is not None:
        yield origin[1]


def _provided(entity: Mapping[str, Any]) -> list[object]:
    return [
        r.get("targetRef")
        for r in entity.get("relations") or []
        if isinstance(r, dict) and r.get("type") == "providesApi"
    ]


def _scan(repos: Path) -> tuple[dict[Path, list[str]], list[str]]:
    """Each service repository under `repos` → the refs its catalog files define; and every ref
    the catalog rules will look up in them."""
    from portal_lint.model import Repo

    folders: dict[Path, list[str]] = {}
    wanted: list[str] = []
    for folder in sorted(p for p in repos.iterdir() if p.is_dir() and not p.name.startswith(".")):
        entities = Repo(folder).entities()
        folders[folder] = [e.ref for e in entities if e.ref is not None]
        wanted.extend(live.wanted_refs(entities))
    return folders, list(dict.fromkeys(wanted))


def _match(ref: str, name: str, folders: Mapping[Path, list[str]]) -> Path | None:
    for folder, refs in folders.items():
        if ref in refs:
            return folder
    return next((f for f in folders if f.name.lower() == name.lower()), None)


def _service(
    entity: Mapping[str, Any],
    ref: str,
    location: str | None,
    folder: Path | None,
    repos: Path | None,
    index: EntityIndex,
    known: Mapping[str, str | None],
    version_key: str,
) -> Service:
    meta = _mapping(entity.get("metadata"))
    spec = _mapping(entity.get("spec"))
    annotations = _mapping(meta.get("annotations"))
    provided = _provided(entity)
    if folder is not None and repos is not None:
        issues, has_catalog_info = _lint_repo(folder, repos, index)
    else:
        issues = _catalog_issues(meta, spec, annotations, location, known, version_key)
        has_catalog_info = location is not None and location.rsplit("/", 1)[-1].lower() in CATALOG_FILES
    owner = spec.get("owner")
    kind_type = spec.get("type")
    return Service(
        name=str(meta.get("name")),
        ref=ref,
        type=kind_type if isinstance(kind_type, str) else None,
        owner=owner if isinstance(owner, str) else None,
        in_catalog=True,
        location=location,
        repo=printable(folder.name) if folder is not None else None,
        has_catalog_info=has_catalog_info,
        has_api_entity=any(isinstance(t, str) and t.lower() in known for t in provided),
        has_techdocs=_techdocs(
            annotations.get(TECHDOCS_REF),
            folder,
            issues,
            f"{printable(folder.name)}/catalog-info.yaml" if folder is not None else location,
        ),
        issues=issues,
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _repo_service(name: str, folder: Path, repos: Path | None, index: EntityIndex) -> Service:
    from portal_lint.model import Repo

    assert repos is not None
    issues, has_catalog_info = _lint_repo(folder, repos, index)
    entities = Repo(folder).entities()
    components = [e for e in entities if e.kind == "Component"]
    first = components[0] if components else None
    spec = first.spec if first is not None else None
    return Service(
        name=printable(name),
        ref=first.ref if first is not None else None,
        type=spec.get("type") if spec is not None and isinstance(spec.get("type"), str) else None,
        owner=spec.get("owner") if spec is not None and isinstance(spec.get("owner"), str) else None,
        in_catalog=False,
        location=None,
        repo=printable(folder.name),
        has_catalog_info=has_catalog_info,
        has_api_entity=any(e.kind == "API" for e in entities),
        has_techdocs=_techdocs(
            first.annotation(TECHDOCS_REF) if first is not None else None,
            Path(first.file.norm_path).parent if first is not None else folder,
            issues,
            printable(f"{folder.name}/{first.file.path.relative_to(folder).as_posix()}")
            if first is not None
            else printable(folder.name),
        ),
        issues=issues,
    )


def _techdocs(value: object, folder: Path | None, issues: list[Issue], where: str | None) -> bool:
    """Whether TechDocs can build the service's docs from `value`, its techdocs-ref: with the
    catalog file's folder at hand, where the annotation points is checked as STD008 does; from
    the catalog alone, only that the annotation is there. When it cannot, `issues` gets the
    reason, once (the lint of the repository may have said it already)."""
    from portal_lint.checks.std import techdocs_problem

    if folder is None:
        why = None if isinstance(value, str) and value.strip() else techdocs_problem(None, "", "")
    else:
        root = os.path.normpath(folder)
        why = techdocs_problem(value, root, root)
    if why is None:
        return True
    if not any(i.code == "STD008" for i in issues):
        issues.append(_catalog_issue("STD008", why, where))
    return False


def _lint_repo(folder: Path, repos: Path, index: EntityIndex) -> tuple[list[Issue], bool]:
    from portal_lint import engine
    from portal_lint.config import ConfigError
    from portal_lint.discover import UsageError

    # Shown escaped (a folder name that is not UTF-8 could not be written as JSON at all).
    prefix = printable(folder.relative_to(repos).as_posix())
    try:
        result = engine.lint([str(folder)], cwd=folder, root=folder, index=index)
    except (ConfigError, UsageError) as exc:
        return [
            Issue(
                code="CONFIG",
                name="config-invalid",
                severity="error",
                message=str(exc),
                path=prefix,
                line=None,
            )
        ], _has_catalog_info(folder)
    issues = [
        Issue(
            code=d.code,
            name=d.name,
            severity=d.severity,
            message=printable(d.message),
            path=f"{prefix}/{printable(d.repo_path or d.path)}",
            line=d.line,
            column=d.column,
        )
        for d in result.diagnostics
    ]
    return issues, _has_catalog_info(folder)


def _has_catalog_info(folder: Path) -> bool:
    return any((folder / name).is_file() for name in CATALOG_FILES)


def _catalog_issues(
    meta: Mapping[str, Any],
    spec: Mapping[str, Any],
    annotations: Mapping[str, Any],
    location: str | None,
    known: Mapping[str, str | None],
    version_key: str,
) -> list[Issue]:
    """What the catalog alone shows about a Component: missing targets and template drift."""
    from portal_lint.checks.liv import older

    written = meta.get("namespace")
    namespace = written if isinstance(written, str) else "default"
    issues: list[Issue] = []
    for key, target in _targets(spec, namespace):
        if target not in known:
            issues.append(
                _catalog_issue(
                    "REF004", f"`spec.{key}` references `{target}`, which is not in the catalog", location
                )
            )
    origin = live.provenance(annotations.get, namespace)
    template_ref = origin[1] if origin is not None else None
    mine = annotations.get(version_key)
    if template_ref is not None and isinstance(mine, str):
        current = known.get(template_ref.lower())
        if current is not None and older(mine, current):
            issues.append(
                _catalog_issue(
                    "LIV002",
                    f"scaffolded from `{template_ref}` {mine}, but the template is now at {current}",
                    location,
                )
            )
    return issues


def _targets(spec: Mapping[str, Any], namespace: str) -> Iterator[tuple[str, str]]:
    """(field, lower-cased target ref) of each reference field REF004 checks in a catalog-info.yaml."""
    from portal_lint.refs import FIELDS, RefError, parse_ref

    for field in FIELDS["Component"]:
        key, value = field.key, spec.get(field.key)
        values = value if field.many and isinstance(value, list) else [value] if not field.many else []
        for text in values:
            if not isinstance(text, str) or not text:
                continue
            try:
                yield key, str(parse_ref(text, field.default_kind, namespace)).lower()
            except RefError:
                continue


def _catalog_issue(code: str, message: str, location: str | None) -> Issue:
    """A finding about a catalog entity with no file to point into: the rule's name and severity
    from its metadata, the entity's catalog location as the path."""
    meta = load_metadata()[code]
    return Issue(code=code, name=meta.name, severity=meta.severity, message=message, path=location, line=None)
