"""`portal-lint mcp`: portal-lint's checks as MCP tools for coding agents (stdio transport).

Tools: `lint` (files of the workspace, or proposed text under a virtual file name),
`explain_rule`, `check_name` (valid per Backstage, and free in the catalog?) and
`policy`. Every tool answers from the same engine and rule metadata as the CLI.

Every path a client names must stay inside the workspace root the server was started
with (after resolving `..` and symlinks), and files reached while linting a folder are
refused when they resolve outside it. The catalog token is read from the environment
and only ever handed to the HTTP client: no tool result carries it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from portal_lint import __version__, live, registry
from portal_lint.model import MAX_BYTES
from portal_lint.session import Workspace, WorkspaceError, finding_json

# The rules that decide whether a kind, namespace and name are valid: check_name asks them.
NAME_RULES = ("name-invalid", "namespace-invalid", "kind-unknown")
# A catalog lookup from a tool call should answer while the agent waits, not after minutes.
CATALOG_TIMEOUT = 5.0
CATALOG_RETRIES = 1

INSTRUCTIONS = """\
portal-lint checks a service repository against Backstage and the portal's standards.
After writing or editing catalog-info.yaml, AGENTS.md or SKILL.md, call `lint` (pass the
file paths, or the text you are about to write with `text` + `filename`) and fix every
finding: each has a stable code, the exact position, and a fix hint; `explain_rule` gives
the full rationale. Before creating a new service, call `check_name` to verify the name is
valid and free in the catalog. `policy` lists the standards in force."""


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class FixEdit(_Out):
    line: int
    column: int
    end_line: int
    end_column: int
    replacement: str


class FixHint(_Out):
    description: str = Field(description="what to change")
    automatic: bool = Field(description="whether `edits` apply the fix mechanically")
    edits: list[FixEdit] = Field(default_factory=list, description="1-based positions, end exclusive")


class RelatedPlace(_Out):
    path: str
    line: int
    column: int
    message: str


class LintFinding(_Out):
    code: str = Field(description="stable rule code, e.g. CAT005")
    name: str = Field(description="rule name, e.g. name-invalid")
    severity: Literal["error", "warning", "note"]
    message: str
    path: str = Field(description="relative to the workspace root")
    line: int = Field(description="1-based")
    column: int = Field(description="1-based")
    end_line: int
    end_column: int = Field(description="exclusive")
    pointer: str = Field(description="the key the finding is about, e.g. spec.owner")
    fix: FixHint | None
    standard: str | None = Field(description="the written standard this rule enforces, if any")
    related: list[RelatedPlace]


class LintSummary(_Out):
    files: int
    errors: int
    warnings: int
    notes: int


class LintReport(_Out):
    findings: list[LintFinding]
    notices: list[str] = Field(description="run-level facts, e.g. checks skipped without a catalog")
    summary: LintSummary


class RuleDoc(_Out):
    code: str
    name: str
    family: str
    severity: str
    enabled: bool
    fixable: bool
    summary: str
    why: str
    fix: str
    standard: str | None
    help_uri: str
    markdown: str = Field(description="the rule's full documentation, as `portal-lint rule CODE` prints it")


class CatalogEntry(_Out):
    ref: str
    source: str = Field(description="snapshot or catalog")
    managed_by_location: str | None


class NameCheck(_Out):
    name: str
    ref: str = Field(description="kind:namespace/name, lower-cased as the catalog keys it")
    valid: bool
    problems: list[str] = Field(description="why Backstage would reject the entity: rule code and message")
    status: Literal["free", "taken", "unknown", "invalid"]
    message: str
    checked: str | None = Field(description="where the name was looked up")
    existing: CatalogEntry | None
    in_workspace: list[str] = Field(description="catalog files of this workspace that define this entity")


class Standard(_Out):
    text: str = Field(description="the standard as written (the AGENTS.md bullet, or the built-in text)")
    in_force: bool = Field(description="false: a built-in standard that only an AGENTS.md bullet switches on")
    rules: list[str] = Field(description="codes of the installed rules that enforce it")
    source: str = Field(description="AGENTS.md:LINE, or built-in")


class PolicyReport(_Out):
    source: str = Field(description="where the policy in force comes from")
    standards: list[Standard]
    unenforced: list[str] = Field(description="written standards no rule checks (POL001)")
    details: dict[str, Any] = Field(description="the policy as `portal-lint policy --format json` prints it")


def _fail(exc: Exception) -> Exception:
    from mcp.server.mcpserver.exceptions import ToolError

    return ToolError(str(exc))


def build_server(
    root: Path, *, catalog_url: str | None = None, snapshot: Path | None = None
) -> Any:  # MCPServer; Any keeps the SDK's import off the module's import path
    """The MCP server for a workspace root (every tool is confined to it)."""
    from mcp.server.mcpserver import MCPServer

    ws = Workspace(root, confined=True, snapshot_path=snapshot)
    server = MCPServer(name="portal-lint", version=__version__, instructions=INSTRUCTIONS)

    @server.tool(title="Lint files or proposed text")
    def lint(
        paths: Annotated[
            list[str] | None,
            Field(
                description="files or folders relative to the workspace root; omit for the whole workspace"
            ),
        ] = None,
        text: Annotated[
            str | None,
            Field(description="file content to lint instead of what is on disk (e.g. before writing it)"),
        ] = None,
        filename: Annotated[
            str,
            Field(description="where `text` would live, relative to the root: catalog-info.yaml, AGENTS.md…"),
        ] = "catalog-info.yaml",
        select: Annotated[
            list[str] | None, Field(description="only these rules: codes, names, families")
        ] = None,
        ignore: Annotated[list[str] | None, Field(description="skip these rules")] = None,
    ) -> LintReport:
        """Lint catalog-info.yaml, AGENTS.md and SKILL.md files of the workspace, or proposed text for one of
        them, and return every finding with its rule code, position (1-based), fix hint and the standard it
        enforces. Repository-level rules see the rest of the workspace as it is on disk."""
        try:
            return _lint(ws, paths, text, filename, select or [], ignore or [])
        except WorkspaceError as exc:
            raise _fail(exc) from None

    @server.tool(title="Explain a rule")
    def explain_rule(
        rule: Annotated[str, Field(description="a rule code (CAT005) or name (name-invalid)")],
    ) -> RuleDoc:
        """The documentation of one rule: what it checks, why, how to fix it, with bad and good examples."""
        try:
            return _explain(rule)
        except WorkspaceError as exc:
            raise _fail(exc) from None

    @server.tool(title="Check a proposed entity name")
    def check_name(
        name: Annotated[str, Field(description="the proposed metadata.name, e.g. payments-api")],
        kind: Annotated[str, Field(description="entity kind")] = "Component",
        namespace: Annotated[str, Field(description="entity namespace")] = "default",
    ) -> NameCheck:
        """Whether a proposed service name is valid in Backstage and still free in the catalog. Says
        "unknown", never "free", when no catalog (live or snapshot) is configured or reachable."""
        try:
            return _check_name(ws, name, kind, namespace, catalog_url)
        except WorkspaceError as exc:
            raise _fail(exc) from None

    @server.tool(title="Show the policy in force")
    def policy() -> PolicyReport:
        """The standards in force for this workspace and which rules enforce each of them."""
        try:
            return _policy(ws)
        except WorkspaceError as exc:
            raise _fail(exc) from None

    return server


def _lint(
    ws: Workspace,
    paths: list[str] | None,
    text: str | None,
    filename: str,
    select: list[str],
    ignore: list[str],
) -> LintReport:
    overlays: dict[Path, str] = {}
    if text is not None:
        if paths:
            raise WorkspaceError("give either `paths` or `text` (with `filename`), not both")
        if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise WorkspaceError(f"`text` is over the {MAX_BYTES // 1048576} MiB limit")
        target = ws.inside(filename, must_exist=False)
        if not _lintable(ws, target):
            raise WorkspaceError(
                f"{filename}: not a file portal-lint lints; name a catalog file (catalog-info.yaml or "
                "another .yaml), AGENTS.md or SKILL.md"
            )
        overlays[target] = text
        targets = [target]
    else:
        targets = [ws.inside(p) for p in paths] if paths else [ws.root]
    result = ws.lint(targets, overlays=overlays, select=select, ignore=ignore)
    return LintReport(
        findings=[LintFinding.model_validate(finding_json(d)) for d in result.diagnostics],
        notices=[*result.notices, *result.internal_errors],
        summary=LintSummary(
            files=result.files,
            errors=result.count("error"),
            warnings=result.count("warning"),
            notes=result.count("note"),
        ),
    )


def _lintable(ws: Workspace, path: Path) -> bool:
    from portal_lint.discover import kind_of
    from portal_lint.engine import ingest_settings
    from portal_lint.model import Repo

    kind = kind_of(path, Repo(ws.root, ingest_settings(ws.config())), ws.rel(path))
    return kind in ("catalog", "skill", "agents")


def _explain(token: str) -> RuleDoc:
    from portal_lint.policy import describe
    from portal_lint.ruledocs import render_rule

    metas = registry.load_metadata()
    codes = registry.lookup(token) if token.strip() else []
    if len(codes) != 1:
        if codes:
            raise WorkspaceError(
                f"`{token}` names {len(codes)} rules ({', '.join(codes)}); ask for one of them"
            )
        known = [*metas, *(m.name for m in metas.values())]
        close = difflib.get_close_matches(token.strip(), known, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `portal-lint rule` lists them all"
        raise WorkspaceError(f"no rule `{token}`{hint}")
    meta = metas[codes[0]]
    return RuleDoc(
        code=meta.code,
        name=meta.name,
        family=meta.family,
        severity=meta.severity,
        enabled=meta.enabled,
        fixable=meta.fixable,
        summary=meta.summary,
        why=meta.why.strip(),
        fix=meta.fix.strip(),
        standard=describe(meta),
        help_uri=meta.help_uri,
        markdown=render_rule(meta, heading="#"),
    )


def name_problems(ws: Workspace, name: str, kind: str, namespace: str) -> list[str]:
    """Why Backstage would reject the entity `kind:namespace/name`, in the words of the rules
    that check it (their options from the workspace config apply)."""
    if not name:
        raise WorkspaceError("`name` is empty: give the metadata.name you want to check")
    rules = [r for r in NAME_RULES if registry.lookup(r)]
    if not rules:
        raise WorkspaceError("this portal-lint has no rules for entity names (name-invalid)")
    text = (
        f"apiVersion: backstage.io/v1alpha1\nkind: {json.dumps(kind)}\n"
        f"metadata:\n  name: {json.dumps(name)}\n  namespace: {json.dumps(namespace)}\nspec: {{}}\n"
    )
    # A file that is never on disk: the text stands in for it.
    virtual = ws.root / ".portal-lint-check-name" / "catalog-info.yaml"
    result = ws.lint([virtual], overlays={virtual: text}, select=rules)
    return [f"{d.code} {d.message}" for d in result.diagnostics]


Availability = tuple[Literal["free", "taken", "unknown"], str, str | None, CatalogEntry | None]


def _check_name(ws: Workspace, name: str, kind: str, namespace: str, catalog_url: str | None) -> NameCheck:
    kind, namespace = kind.strip() or "Component", namespace.strip() or "default"
    ref = f"{kind}:{namespace}/{name}".lower()
    problems = name_problems(ws, name, kind, namespace)
    in_workspace = _defined_in(ws, ref)
    status: Literal["free", "taken", "unknown", "invalid"] = "invalid"
    message = f"`{ref}` is not a valid entity reference: " + "; ".join(problems)
    checked, existing = None, None
    if not problems:
        status, message, checked, existing = _availability(ws, ref, bool(in_workspace), catalog_url)
    return NameCheck(
        name=name,
        ref=ref,
        valid=not problems,
        problems=problems,
        status=status,
        message=message,
        checked=checked,
        existing=existing,
        in_workspace=in_workspace,
    )


def _availability(ws: Workspace, ref: str, in_workspace: bool, catalog_url: str | None) -> Availability:
    """Whether `ref` is free: the live catalog if one is configured, else (or if it fails) the snapshot."""
    notices: list[str] = []
    entry, index = None, None
    try:
        index = ws.live_index(
            ws.config(), notices, url=catalog_url, timeout=CATALOG_TIMEOUT, retries=CATALOG_RETRIES
        )
    except live.LiveError as exc:
        notices.append(str(exc))
    if index is not None:
        try:
            entries, failure = live.resolve_outside(index, [ref])
        finally:
            live.close(index)
        entry = entries[ref]
        if failure is not None:
            notices.append(f"the live catalog could not answer: {failure}")
    if entry is not None:
        where = f" (managed by {entry.managed_by_location})" if entry.managed_by_location else ""
        mine = " If that location is this repository, it is already registered." if in_workspace else ""
        existing = CatalogEntry(
            ref=entry.ref, source=entry.source, managed_by_location=entry.managed_by_location
        )
        return (
            "taken",
            f"`{ref}` already exists in the {entry.source}{where}: choose another name.{mine}",
            index.description if index is not None else None,
            existing,
        )
    if index is None or not index.can_check_existence:
        reason = " ".join(notices) or (
            f"no catalog is configured: set {live.CATALOG_URL_ENV} (and {live.TOKEN_ENV}) or `catalog-url`, "
            "or `snapshot` in the portal-lint config"
        )
        return "unknown", f"`{ref}` is a valid name, but whether it is free is unknown: {reason}", None, None
    caveat = f" ({' '.join(notices)})" if notices else ""
    return "free", f"`{ref}` is a valid name and not in {index.description}{caveat}", index.description, None


def _defined_in(ws: Workspace, ref: str) -> list[str]:
    from portal_lint.model import Repo, read_scope

    with read_scope(confine=[ws.root]):
        entities = Repo(ws.root).entities()
    return sorted({ws.rel(e.file.path) for e in entities if e.ref == ref})


def _policy(ws: Workspace) -> PolicyReport:
    from portal_lint.commands.policy import policy_report
    from portal_lint.model import read_scope

    cfg = ws.config()
    with read_scope(confine=ws.readable(cfg)):
        report: dict[str, Any] = policy_report(ws.root, cfg)
    return PolicyReport(
        source=report["source"],
        standards=[
            Standard(
                text=std["text"],
                in_force=std["in_force"],
                rules=[r["code"] for r in std["rules"] if r.get("code")],
                source=std["source"]["label"] if std["source"] else "built-in",
            )
            for std in report["standards"]
        ],
        unenforced=[f"{b['source']['label']}: {b['text']}" for b in report["unenforced"]],
        details=report,
    )


def serve(root: Path, *, catalog_url: str | None = None, snapshot: Path | None = None) -> None:
    """Serve MCP over stdio until the client closes the connection."""
    import anyio

    anyio.run(_serve_stdio, build_server(root, catalog_url=catalog_url, snapshot=snapshot))


async def _serve_stdio(server: Any) -> None:
    """The SDK's stdio transport, fed only checked messages (portal_lint.jsonrpc): every other
    line is answered with its JSON-RPC error here, since the SDK would drop it unanswered."""
    import sys

    from mcp.server.stdio import stdio_server

    out = _Output(sys.stdout.buffer)
    async with stdio_server(stdin=cast(Any, _CheckedLines(sys.stdin.buffer, out)), stdout=cast(Any, out)) as (
        read,
        write,
    ):
        lowlevel = server._lowlevel_server  # MCPServer.run_stdio_async, with our streams
        await lowlevel.run(read, write, lowlevel.create_initialization_options())


class _Output:
    """stdout for the SDK's writer and for our error replies: one whole line per write."""

    def __init__(self, buffer: IO[bytes]) -> None:
        import anyio

        self._buffer = buffer
        self._lock = anyio.Lock()

    async def write(self, text: str) -> None:
        import anyio

        async with self._lock:
            await anyio.to_thread.run_sync(self._write, text)

    async def flush(self) -> None:
        return None  # every write is flushed

    def _write(self, text: str) -> None:
        # A lone surrogate becomes its JSON escape (`\udcff`): valid JSON, where "strict"
        # would stop the server.
        self._buffer.write(text.encode("utf-8", "backslashreplace"))
        self._buffer.flush()


class _CheckedLines:
    """The lines of stdin the SDK may see; the others are answered on `out`."""

    def __init__(self, buffer: IO[bytes], out: _Output) -> None:
        self._buffer = buffer
        self._out = out

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        import anyio
        import mcp_types
        from pydantic import ValidationError

        from portal_lint import jsonrpc

        while True:
            line = await anyio.to_thread.run_sync(jsonrpc.read_line, self._buffer)
            if line is None:
                return
            message = jsonrpc.check(line) if isinstance(line, bytes) else line
            if message is None:
                continue
            if isinstance(message, dict):
                text = json.dumps(message, ensure_ascii=False)
                try:
                    mcp_types.jsonrpc_message_adapter.validate_json(text, by_name=False)
                except ValidationError:
                    what = "Invalid Request: not a JSON-RPC request, notification or response MCP accepts"
                    message = jsonrpc.Rejected(message.get("id"), jsonrpc.INVALID_REQUEST, what)
                else:
                    yield text
                    continue
            await self._out.write(message.response() + "\n")
