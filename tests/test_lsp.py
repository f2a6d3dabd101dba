"""`portal-lint lsp` driven end to end over stdio by pygls' language client, as an editor would."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from portal_lint.engine import lint

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
VSCODE = json.loads((ROOT / "examples" / "vscode-lsp" / "package.json").read_text(encoding="utf-8"))
# Two characters outside the Basic Multilingual Plane: one code point each for portal-lint,
# two UTF-16 code units each for the editor, so a wrong conversion shifts the range.
CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations: {portal.example.com/mood: "😀😀", portal.example.com/on-call: on}
spec:
  type: service
  lifecycle: production
  owner: group:default/team-payments
  system: commerce
"""
ON_LINE = 4  # 0-based line of the bare `on`
FAST = 0.05  # debounce the tests ask for, in seconds


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def on_range() -> types.Range:
    line = CATALOG.splitlines()[ON_LINE]
    col = line.index(" on}") + 1
    return types.Range(
        types.Position(ON_LINE, utf16(line[:col])), types.Position(ON_LINE, utf16(line[:col]) + 2)
    )


class Editor:
    """The editor side: documents it has open and every diagnostics notification it got."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.versions: dict[str, int] = {}
        self.published: list[types.PublishDiagnosticsParams] = []
        self.messages: list[str] = []
        self.arrived = asyncio.Event()

    def uri(self, rel: str) -> str:
        uri = from_fs_path(str(self.root / rel))
        assert uri is not None
        return uri

    def open(self, rel: str, text: str) -> str:
        uri = self.uri(rel)
        self.versions[uri] = 1
        language = "yaml" if rel.endswith(".yaml") else "markdown"
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
            )
        )
        return uri

    def type(self, uri: str, text: str) -> None:
        """Replace the whole buffer (unsaved), as one keystroke-sized notification."""
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def for_uri(self, uri: str) -> list[types.PublishDiagnosticsParams]:
        return [p for p in self.published if p.uri == uri]

    async def diagnostics(self, uri: str, timeout: float = 20) -> list[types.Diagnostic]:
        """The diagnostics published for the buffer's current version."""
        version = self.versions[uri]
        deadline = time.monotonic() + timeout
        while True:
            got = [p for p in self.for_uri(uri) if p.version == version]
            if got:
                return list(got[-1].diagnostics)
            self.arrived.clear()
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no diagnostics for {uri} version {version}; got {self.for_uri(uri)}"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)

    async def code_actions(self, uri: str, rng: types.Range, only: list[str] | None = None) -> list[Any]:
        got = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=rng,
                context=types.CodeActionContext(diagnostics=[], only=only),
            )
        )
        return list(got or [])

    async def hover(self, uri: str, pos: types.Position) -> types.Hover | None:
        return await self.client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=pos)
        )


async def start_editor(
    root: Path, options: dict[str, Any] | None = None, encodings: list[str] | None = None
) -> Editor:
    client = LanguageClient("portal-lint-tests", "1")
    editor = Editor(client, root)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        editor.published.append(params)
        editor.arrived.set()

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def on_message(params: types.ShowMessageParams) -> None:
        editor.messages.append(params.message)

    # As the VS Code example starts it: its configured command, plus the `--stdio` that
    # vscode-languageclient appends (the console script is this checkout's `python -m portal_lint`).
    command, *args = VSCODE["contributes"]["configuration"]["properties"]["portal-lint.command"]["default"]
    assert command == "portal-lint"
    await client.start_io(sys.executable, "-m", "portal_lint", *args, "--stdio", cwd=str(ROOT))
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                workspace=types.WorkspaceClientCapabilities(
                    workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)
                ),
                general=types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None,
            ),
            root_uri=from_fs_path(str(root)),
            initialization_options=options if options is not None else {"debounceMs": FAST * 1000},
        )
    )
    client.initialized(types.InitializedParams())
    return editor


async def stop_editor(editor: Editor) -> None:
    await editor.client.shutdown_async(None)
    editor.client.exit(None)
    await editor.client.stop()


def make_repo(root: Path, config: str = "select: [YML]\n") -> Path:
    (root / ".git").mkdir(parents=True)
    # Only the YAML family, so these tests do not move when other families gain rules.
    (root / ".portal-lint.yaml").write_text(config, encoding="utf-8")
    (root / "catalog-info.yaml").write_text(CATALOG, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("ws") / "service")


@pytest.fixture(scope="module")
async def editor(repo: Path) -> AsyncIterator[Editor]:
    editor = await start_editor(repo)
    yield editor
    await stop_editor(editor)


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions) to a text, last first."""
    lines = text.split("\n")

    def offset(pos: types.Position) -> int:
        line = lines[pos.line]
        units = 0
        for i, ch in enumerate(line):
            if units >= pos.character:
                return sum(len(x) + 1 for x in lines[: pos.line]) + i
            units += utf16(ch)
        return sum(len(x) + 1 for x in lines[: pos.line]) + len(line)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


async def test_open_publishes_diagnostics_with_utf16_ranges(editor: Editor) -> None:
    uri = editor.open("catalog-info.yaml", CATALOG)
    (diag,) = await editor.diagnostics(uri)
    assert diag.code == "YML005" and diag.source == "portal-lint"
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert diag.range == on_range()
    assert diag.code_description is not None and "yml005" in diag.code_description.href


async def test_unsaved_edits_are_linted_not_the_file_on_disk(editor: Editor, repo: Path) -> None:
    uri = editor.open("sub/catalog-info.yaml", CATALOG)  # not on disk at all
    assert len(await editor.diagnostics(uri)) == 1
    editor.type(uri, CATALOG.replace(" on}", ' "on"}'))
    assert await editor.diagnostics(uri) == []
    editor.type(uri, CATALOG + "---\nkind: [\n")
    codes = [d.code for d in await editor.diagnostics(uri)]
    assert sorted(codes) == ["YML001", "YML005"]
    assert not (repo / "sub").exists()


async def test_quick_fix_applies_the_rules_declared_edit(editor: Editor) -> None:
    uri = editor.open("fix/catalog-info.yaml", CATALOG)
    (diag,) = await editor.diagnostics(uri)
    cursor = types.Range(diag.range.start, diag.range.start)
    (action,) = await editor.code_actions(uri, cursor)
    assert action.kind == types.CodeActionKind.QuickFix and "YML005" in action.title
    (change,) = action.edit.document_changes
    assert change.text_document.version == editor.versions[uri]
    fixed = apply(CATALOG, list(change.edits))
    assert ' "on"}' in fixed and fixed.count("\n") == CATALOG.count("\n")
    editor.type(uri, fixed)
    assert await editor.diagnostics(uri) == []
    assert await editor.code_actions(uri, cursor) == []


async def test_fix_all_source_action(editor: Editor) -> None:
    text = CATALOG.replace("lifecycle: production", "lifecycle: production\n  tier: yes")
    uri = editor.open("all/catalog-info.yaml", text)
    assert len(await editor.diagnostics(uri)) == 2
    whole = types.Range(types.Position(0, 0), types.Position(len(text.splitlines()), 0))
    (action,) = await editor.code_actions(uri, whole, only=[types.CodeActionKind.SourceFixAll])
    editor.type(uri, apply(text, list(action.edit.document_changes[0].edits)))
    assert await editor.diagnostics(uri) == []


async def test_hover_on_a_finding_shows_the_rule_docs(editor: Editor) -> None:
    uri = editor.open("hover/catalog-info.yaml", CATALOG)
    (diag,) = await editor.diagnostics(uri)
    got = await editor.hover(uri, diag.range.start)
    assert got is not None and isinstance(got.contents, types.MarkupContent)
    assert got.contents.kind == types.MarkupKind.Markdown
    assert got.contents.value.startswith(f"{diag.message}\n\n#### YML005 ")
    assert "**Why.**" in got.contents.value and "**Fix.**" in got.contents.value
    assert got.range == diag.range
    assert await editor.hover(uri, types.Position(0, 0)) is None


async def test_only_portal_files_are_linted(editor: Editor) -> None:
    readme = editor.open("README.md", "# Readme\n")
    agents = editor.open("AGENTS.md", "# Agents\n")
    await editor.diagnostics(agents)  # the README, opened first, was decided on before this
    assert editor.for_uri(readme) == []


async def test_close_clears_the_diagnostics(editor: Editor) -> None:
    uri = editor.open("close/catalog-info.yaml", CATALOG)
    assert len(await editor.diagnostics(uri)) == 1
    editor.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    deadline = time.monotonic() + 10
    while editor.for_uri(uri)[-1].diagnostics:
        assert time.monotonic() < deadline, "diagnostics not cleared on close"
        await asyncio.sleep(0.05)


async def test_changes_are_debounced(tmp_path: Path) -> None:
    editor = await start_editor(make_repo(tmp_path / "svc"), {"debounceMs": 400})
    try:
        uri = editor.open("catalog-info.yaml", CATALOG)
        await editor.diagnostics(uri)
        for i in range(5):  # typing faster than the debounce
            editor.type(uri, CATALOG.replace("payments", f"payments-{i}"))
            await asyncio.sleep(0.05)
        await editor.diagnostics(uri)
        later = editor.open("AGENTS.md", "# Agents\n")
        await editor.diagnostics(later)  # whatever the typing caused was published before this
        assert [p.version for p in editor.for_uri(uri)] == [1, 6]
    finally:
        await stop_editor(editor)


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, int]]:
    """A loopback port that accepts connections and never answers: a catalog that hangs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        s.setblocking(False)
        yield s, s.getsockname()[1]


async def test_typing_never_waits_on_the_live_catalog(
    tmp_path: Path, listener: tuple[socket.socket, int]
) -> None:
    sock, port = listener
    root = make_repo(tmp_path / "svc", f"catalog-url: http://127.0.0.1:{port}\n")
    editor = await start_editor(root)
    try:
        uri = editor.open("catalog-info.yaml", CATALOG)
        started = time.monotonic()
        await editor.diagnostics(uri)
        assert time.monotonic() - started < 5
        with pytest.raises(BlockingIOError):
            sock.accept()  # nobody connected to the catalog
    finally:
        await stop_editor(editor)


async def test_a_broken_config_is_shown_to_the_user(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "svc", "selct: [YML]\n")
    editor = await start_editor(root)
    try:
        editor.open("catalog-info.yaml", CATALOG)
        deadline = time.monotonic() + 20
        while not editor.messages:
            assert time.monotonic() < deadline, "no message about the broken config"
            await asyncio.sleep(0.05)
        assert "unknown key `selct`" in editor.messages[0] and "select" in editor.messages[0]
    finally:
        await stop_editor(editor)


async def test_positions_follow_the_negotiated_utf8_encoding(tmp_path: Path) -> None:
    # Neovim offers UTF-8 first: columns are then bytes, not UTF-16 units.
    editor = await start_editor(make_repo(tmp_path / "svc"), encodings=["utf-8", "utf-16"])
    try:
        uri = editor.open("catalog-info.yaml", CATALOG)
        (diag,) = await editor.diagnostics(uri)
        line = CATALOG.splitlines()[ON_LINE]
        start = len(line[: line.index(" on}") + 1].encode("utf-8"))
        assert diag.range == types.Range(types.Position(ON_LINE, start), types.Position(ON_LINE, start + 2))
    finally:
        await stop_editor(editor)


SKILL = """\
---
name: pdf-forms
description: Fill in PDF forms. Use when: the user asks to complete a form.
---
# PDF forms
"""


async def test_skill_md_gets_findings_and_hover_docs(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "svc", "select: [SKL]\n")
    on_disk = root / "skills" / "pdf-forms" / "SKILL.md"
    on_disk.parent.mkdir(parents=True)
    on_disk.write_text(SKILL, encoding="utf-8")
    (want,) = [d for d in lint([str(on_disk)], cwd=root).diagnostics if d.code == "SKL003"]
    editor = await start_editor(root)
    try:
        uri = editor.open("skills/pdf-forms/SKILL.md", SKILL)
        (diag,) = [d for d in await editor.diagnostics(uri) if d.code == "SKL003"]
        # The CLI's 1-based line and column, 0-based (the line is ASCII: units are code points).
        assert diag.range == types.Range(
            types.Position(want.line - 1, want.column - 1),
            types.Position(want.end_line - 1, want.end_column - 1),
        )
        got = await editor.hover(uri, diag.range.start)
        assert got is not None and isinstance(got.contents, types.MarkupContent)
        assert "#### SKL003 skill-unquoted-colon" in got.contents.value
        editor.type(
            uri, SKILL.replace("description: Fill", 'description: "Fill').replace("form.\n", 'form."\n')
        )
        assert "SKL003" not in [d.code for d in await editor.diagnostics(uri)]
    finally:
        await stop_editor(editor)


async def test_agents_md_gets_findings_as_it_is_typed(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "svc", "select: [AGT]\n")
    (root / "docs").mkdir()
    (root / "docs" / "setup.md").write_text("# Setup\n", encoding="utf-8")
    editor = await start_editor(root)
    try:
        uri = editor.open("AGENTS.md", "# Agents\n\nSee [setup](docs/setup.md).\n")
        assert await editor.diagnostics(uri) == []
        editor.type(uri, "# Agents\n\nSee [setup](docs/set-up.md).\n")
        (diag,) = await editor.diagnostics(uri)
        assert diag.code == "AGT004" and "docs/set-up.md" in diag.message
        start = len("See [setup](")
        assert diag.range.start == types.Position(2, start)
    finally:
        await stop_editor(editor)


async def test_skill_md_quick_fix_quotes_the_value(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "svc", "select: [SKL]\n")
    editor = await start_editor(root)
    try:
        uri = editor.open("skills/pdf-forms/SKILL.md", SKILL)
        (diag,) = [d for d in await editor.diagnostics(uri) if d.code == "SKL003"]
        (action,) = await editor.code_actions(uri, types.Range(diag.range.start, diag.range.start))
        fixed = apply(SKILL, list(action.edit.document_changes[0].edits))
        assert fixed == SKILL.replace(
            "description: Fill in PDF forms. Use when: the user asks to complete a form.",
            'description: "Fill in PDF forms. Use when: the user asks to complete a form."',
        )
        editor.type(uri, fixed)
        assert "SKL003" not in [d.code for d in await editor.diagnostics(uri)]
    finally:
        await stop_editor(editor)


async def test_an_open_buffer_is_held_to_the_limits_of_a_file(editor: Editor) -> None:
    huge = editor.open("big/catalog-info.yaml", CATALOG + "# " + "x" * (11 * 1024 * 1024) + "\n")
    began = time.monotonic()
    [diagnostic] = await editor.diagnostics(huge)
    assert diagnostic.code == "YML006" and "over the 10 MiB limit" in diagnostic.message
    assert time.monotonic() - began < 30  # the transport of 11 MB included, on a loaded machine
    binary = editor.open("bin/catalog-info.yaml", CATALOG.replace("service", "serv\0ice"))
    [diagnostic] = await editor.diagnostics(binary)
    assert diagnostic.code == "YML006" and "NUL bytes" in diagnostic.message
