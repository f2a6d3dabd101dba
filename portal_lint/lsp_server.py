"""`portal-lint lsp`: a language server (pygls, stdio) over the same engine as the CLI.

It lints catalog files, AGENTS.md and SKILL.md as the user types (the unsaved text,
debounced), publishes the findings as diagnostics, offers each rule's declared fix as a
quick fix, and shows the rule's documentation on hover. Catalog lookups use the
configured snapshot only: typing never waits on the network.

Positions: `Diagnostic` lines and columns are 1-based code points; LSP positions are
0-based in the encoding negotiated with the client (UTF-16 unless it offers another).
Both conversions happen here, against the exact text that was linted.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from portal_lint import __version__, registry
from portal_lint.diagnostic import Diagnostic, Span
from portal_lint.jsonrpc import Rejected
from portal_lint.session import Workspace, WorkspaceError

DEBOUNCE_SECONDS = 0.3
SOURCE = "portal-lint"
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.portal-lint"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "note": types.DiagnosticSeverity.Information,
}


@dataclass
class Linted:
    """The findings of one document as of the text (and version) that was linted."""

    version: int | None
    lines: list[str]
    findings: list[tuple[Diagnostic, types.Diagnostic]] = field(default_factory=list)


class PortalLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "portal-lint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.debounce = DEBOUNCE_SECONDS
        self.linted: dict[str, Linted] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        # One lint at a time: a thread cannot be stopped, so a lint superseded by new edits
        # must not start at all (it waits here, and is cancelled while it waits).
        self._lint_slot = asyncio.Semaphore(1)
        self._running: set[asyncio.Task[None]] = set()
        self._workspaces: dict[Path, Workspace] = {}
        self._said: set[str] = set()  # messages already shown once

    # -- which workspace, which files -----------------------------------------------------

    def _folders(self) -> list[Path]:
        uris = [f.uri for f in self.workspace.folders.values()]
        if self.workspace.root_uri:
            uris.append(self.workspace.root_uri)
        return [Path(p) for p in map(to_fs_path, uris) if p]

    def workspace_for(self, path: Path) -> Workspace:
        """The repository a file belongs to: its git root, else the editor's folder holding it."""
        from portal_lint.discover import git_root

        holders = [f for f in self._folders() if path.is_relative_to(f)]
        base = git_root(path.parent) or max(holders, key=lambda f: len(f.parts), default=path.parent)
        ws = self._workspaces.get(base)
        if ws is None:
            ws = self._workspaces[base] = Workspace(base)
        return ws

    def lintable(self, ws: Workspace, path: Path) -> bool:
        from portal_lint.discover import kind_of
        from portal_lint.engine import ingest_settings
        from portal_lint.model import Repo

        repo = Repo(ws.root, ingest_settings(ws.config()))
        return kind_of(path, repo, ws.rel(path), explicit=False) in (
            "catalog",
            "skill",
            "agents",
        )

    def say_once(self, text: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        if text not in self._said:
            self._said.add(text)
            self.window_show_message(types.ShowMessageParams(type=kind, message=f"portal-lint: {text}"))

    def log(self, text: str, kind: types.MessageType = types.MessageType.Info) -> None:
        if text not in self._said:
            self._said.add(text)
            self.window_log_message(types.LogMessageParams(type=kind, message=f"portal-lint: {text}"))

    # -- linting --------------------------------------------------------------------------

    def schedule(self, uri: str, delay: float) -> None:
        """Lint `uri` after `delay` seconds, replacing a lint still waiting or running for it."""
        old = self._pending.pop(uri, None)
        if old is not None and old not in self._running:
            old.cancel()  # a running lint finishes (its thread cannot be stopped) and holds the slot
        task = asyncio.get_running_loop().create_task(self._lint_later(uri, delay))
        self._pending[uri] = task
        task.add_done_callback(
            lambda t: self._pending.pop(uri, None) if self._pending.get(uri) is t else None
        )

    def cancel(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()

    async def _lint_later(self, uri: str, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        async with self._lint_slot:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await self._lint_now(uri)
            finally:
                self._running.discard(task)

    async def _lint_now(self, uri: str) -> None:
        fs_path = to_fs_path(uri)
        if fs_path is None:
            return  # untitled buffers have no place in a repository to be checked against
        path = Path(os.path.abspath(fs_path))
        doc = self.workspace.get_text_document(uri)
        version, text = doc.version, doc.source
        try:
            ws = self.workspace_for(path)
            if not self.lintable(ws, path):
                return
        except WorkspaceError as exc:
            self.say_once(str(exc))
            return
        # Every open buffer stands in for its file, so cross-file rules see unsaved edits too.
        overlays = {
            Path(os.path.abspath(d.path)): d.source
            for d in self.workspace.text_documents.values()
            if d.path and d.uri.startswith("file:")
        }
        try:
            result = await asyncio.to_thread(ws.lint, [path], overlays=overlays)
        except WorkspaceError as exc:
            self.say_once(str(exc))
            return
        except Exception as exc:  # a bug in a rule or the engine must not take the editor's server down
            self.log(
                f"internal error linting {path}: {type(exc).__name__}: {exc} (please report this bug)",
                types.MessageType.Error,
            )
            return
        for notice in result.notices:
            self.log(notice)
        for error in result.internal_errors:
            self.log(f"{error} (please report this bug)", types.MessageType.Error)
        linted = Linted(version, text.split("\n"))
        for d in result.diagnostics:
            if ws.absolute(d) == path:
                linted.findings.append((d, self._to_lsp(ws, d, linted.lines)))
        self.linted[uri] = linted
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, version=version, diagnostics=[f[1] for f in linted.findings]
            )
        )

    # -- conversions ----------------------------------------------------------------------

    def client_range(self, lines: list[str], span: Span) -> types.Range:
        """A 0-based code-point span as an LSP range in the client's position encoding."""
        codec = self.workspace.position_codec
        return codec.range_to_client_units(
            lines,
            ServerTextRange(
                ServerTextPosition(span.line, span.col), ServerTextPosition(span.end_line, span.end_col)
            ),
        )

    def _to_lsp(self, ws: Workspace, d: Diagnostic, lines: list[str]) -> types.Diagnostic:
        meta = registry.load_metadata().get(d.code)
        related = [
            types.DiagnosticRelatedInformation(
                location=types.Location(
                    uri=from_fs_path(str(ws.root / r.path)) or "",
                    range=types.Range(
                        types.Position(r.line - 1, r.col - 1), types.Position(r.line - 1, r.col - 1)
                    ),
                ),
                message=r.message,
            )
            for r in d.related
        ]
        return types.Diagnostic(
            range=self.client_range(lines, span_of(d)),
            message=d.message,
            severity=_SEVERITY[d.severity],
            code=d.code,
            code_description=types.CodeDescription(href=meta.help_uri) if meta else None,
            source=SOURCE,
            related_information=related or None,
            data={"name": d.name},
        )

    def current(self, uri: str) -> Linted | None:
        """The findings of `uri` if they still describe the text the editor holds."""
        linted = self.linted.get(uri)
        if linted is None or linted.version != self.workspace.get_text_document(uri).version:
            return None
        return linted


def span_of(d: Diagnostic) -> Span:
    """A diagnostic's region, 0-based as the parsers give it."""
    return Span(d.line - 1, d.column - 1, d.end_line - 1, d.end_column - 1)


def _server_range(span: Span) -> ServerTextRange:
    return ServerTextRange(
        ServerTextPosition(span.line, span.col), ServerTextPosition(span.end_line, span.end_col)
    )


def _edits(ls: PortalLintServer, linted: Linted, fixes: Iterable[Diagnostic]) -> list[types.TextEdit]:
    """The fixes' edits as LSP text edits, without any that overlaps one taken before it."""
    taken: list[ServerTextRange] = []
    out = []
    for d in fixes:
        assert d.fix is not None
        ranges = [_server_range(span) for span, _ in d.fix.edits]
        if any(r.overlaps(t) for r in ranges for t in taken):
            continue
        taken += ranges
        out += [types.TextEdit(ls.client_range(linted.lines, s), text) for s, text in d.fix.edits]
    return out


def _workspace_edit(ls: PortalLintServer, uri: str, version: int | None, edits: list[types.TextEdit]) -> Any:
    caps = ls.client_capabilities.workspace
    versioned = bool(caps and caps.workspace_edit and caps.workspace_edit.document_changes)
    if versioned:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                    edits=list(edits),
                )
            ]
        )
    return types.WorkspaceEdit(changes={uri: edits})


def code_actions(ls: PortalLintServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    linted = ls.current(uri)
    if linted is None:
        return None  # a lint of the newer text is on its way; its fixes will be offered then
    doc = ls.workspace.get_text_document(uri)
    wanted = doc.range_from_client_units(params.range)
    only = params.context.only
    fixable = [(d, lsp) for d, lsp in linted.findings if d.fix is not None and d.fix.edits]
    actions: list[types.CodeAction] = []
    if not only or any(types.CodeActionKind.QuickFix.value.startswith(k) for k in only):
        for d, lsp in fixable:
            if _server_range(span_of(d)).overlaps(wanted):
                assert d.fix is not None
                actions.append(
                    types.CodeAction(
                        title=f"{d.fix.description} ({d.code})",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[lsp],
                        is_preferred=True,
                        edit=_workspace_edit(ls, uri, linted.version, _edits(ls, linted, [d])),
                    )
                )
    if fixable and only and any(FIX_ALL_KIND.startswith(k) for k in only):
        actions.append(
            types.CodeAction(
                title="Apply every automatic portal-lint fix",
                kind=FIX_ALL_KIND,
                diagnostics=[lsp for _, lsp in fixable],
                edit=_workspace_edit(ls, uri, linted.version, _edits(ls, linted, (d for d, _ in fixable))),
            )
        )
    return actions or None


def hover(ls: PortalLintServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    linted = ls.current(uri)
    if linted is None:
        return None
    from portal_lint.ruledocs import render_rule

    pos = ls.workspace.get_text_document(uri).position_from_client_units(params.position)
    hits = [(d, lsp) for d, lsp in linted.findings if pos in _server_range(span_of(d))]
    if not hits:
        return None
    metas = registry.load_metadata()
    # The message first (editors that show only the hover still say what is wrong), then the docs.
    parts = [
        f"{d.message}\n\n{render_rule(metas[d.code], heading='####')}" if d.code in metas else d.message
        for d, _ in hits
    ]
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
        range=hits[0][1].range,
    )


def build_server() -> PortalLintServer:
    server = PortalLintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: PortalLintServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounceMs"), int | float):
            ls.debounce = max(0.0, options["debounceMs"] / 1000)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: PortalLintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: PortalLintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: PortalLintServer, params: types.DidSaveTextDocumentParams) -> None:
        # A saved file can change what the others see (config, api/ definitions, AGENTS.md).
        for uri in list(ls.workspace.text_documents):
            ls.schedule(uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: PortalLintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.cancel(uri)
        if ls.linted.pop(uri, None) is not None:
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )(code_actions)
    server.feature(types.TEXT_DOCUMENT_HOVER)(hover)
    return server


def serve() -> None:
    """Serve LSP over stdio until the client says exit. What the client sends is framed and
    checked first (portal_lint.jsonrpc): a malformed message gets its JSON-RPC error and never
    swallows the next one."""
    import sys

    from portal_lint.jsonrpc import FramedInput

    server = build_server()

    def accepts(data: bytes) -> bool:
        # pygls reads each message into its type while parsing it, and answers nothing when
        # that fails (an unknown request without params): try it here first.
        try:
            json.loads(data, object_hook=server.protocol.structure_message)
        except Exception:  # whatever pygls raises for it, the message gets an error reply
            return False
        return True

    out = _LockedOutput(sys.stdout.buffer)
    server.start_io(stdin=cast(Any, FramedInput(sys.stdin.buffer, out.reply, accepts)), stdout=cast(Any, out))


class _LockedOutput:
    """stdout shared by pygls' writer and the framing's error replies: whole messages only."""

    def __init__(self, buffer: BinaryIO) -> None:
        self._buffer = buffer
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            self._buffer.write(data)
            self._buffer.flush()

    def flush(self) -> None:
        return None  # every write is flushed

    def close(self) -> None:
        self._buffer.close()

    def reply(self, rejected: Rejected) -> None:
        body = rejected.response().encode()
        self.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
