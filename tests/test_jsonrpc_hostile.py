"""Malformed JSON-RPC to the real `portal-lint mcp` and `portal-lint lsp` processes: every request
gets an answer (the JSON-RPC error codes), message size is bounded, the server keeps serving."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from portal_lint.jsonrpc import MAX_MESSAGE_BYTES

INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
PING = {"jsonrpc": "2.0", "id": "ping", "method": "ping"}


@pytest.fixture
def mcp(tmp_path: Path) -> Any:
    (tmp_path / ".git").mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal_lint", "mcp", "--root", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PORTAL_LINT_CATALOG_URL": ""},
    )
    assert proc.stdin is not None and proc.stdout is not None
    # Replies are read on a thread: a server that never answers fails the test, not hangs it.
    proc.replies = queue.Queue()
    threading.Thread(target=lambda: [proc.replies.put(line) for line in proc.stdout], daemon=True).start()
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _send(proc: Any, raw: bytes) -> None:
    proc.stdin.write(raw if raw.endswith(b"\n") else raw + b"\n")
    proc.stdin.flush()


def _reply(proc: Any, wait: float = 30) -> dict[str, Any]:
    try:
        line = proc.replies.get(timeout=wait)
    except queue.Empty:
        raise AssertionError(f"no reply within {wait} s") from None
    answer: dict[str, Any] = json.loads(line)
    return answer


def _ready(proc: Any) -> None:
    _send(proc, json.dumps(INIT).encode())
    assert _reply(proc)["id"] == 0
    _send(proc, b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')


DEEP_PARAMS = (
    b'{"jsonrpc": "2.0", "id": 10, "method": "ping", "params": ' + b'{"a":' * 200 + b"1" + b"}" * 201
)
BAD: list[tuple[bytes, Any, int]] = [
    (b"{not json", None, -32700),
    (b"[" * 100_000 + b"]" * 100_000, None, -32700),
    (json.dumps([PING, PING]).encode(), None, -32600),
    (b'"just a string"', None, -32600),
    (b'{"jsonrpc": "2.0", "id": null, "method": "ping"}', None, -32600),
    (b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"}', None, -32600),
    (b'{"jsonrpc": "1.0", "id": 7, "method": "ping"}', 7, -32600),
    (b'{"jsonrpc": "2.0", "id": 8, "method": 5}', 8, -32600),
    (b'{"jsonrpc": "2.0", "id": 9}', 9, -32600),
    (
        b'{"jsonrpc": "2.0", "id": 10, "method": "ping", "params": ' + b'{"a":' * 200 + b"1" + b"}" * 201,
        10,
        -32600,
    ),
]


def test_every_malformed_message_gets_its_json_rpc_error_and_the_server_goes_on(mcp: Any) -> None:
    _ready(mcp)
    for raw, ident, code in BAD:
        _send(mcp, raw)
        answer = _reply(mcp)
        assert (answer["id"], answer["error"]["code"]) == (ident, code), raw[:80]
    _send(mcp, json.dumps(PING).encode())
    assert _reply(mcp) == {"jsonrpc": "2.0", "id": "ping", "result": {}}


def test_a_lone_surrogate_in_a_tool_call_gets_a_reply(mcp: Any) -> None:
    _ready(mcp)
    call = {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "tools/call",
        "params": {"name": "explain_rule", "arguments": {"rule": "CAT\ud800"}},
    }
    _send(mcp, json.dumps(call).encode())  # json.dumps writes the surrogate as `\ud800`
    answer = _reply(mcp)
    assert answer["id"] == 3 and answer["result"]["isError"] is True


def test_a_message_over_the_size_limit_is_answered_without_reading_it_into_memory(mcp: Any) -> None:
    _ready(mcp)
    began = time.monotonic()
    chunk = b" " * (1 << 20)
    for _ in range(MAX_MESSAGE_BYTES // len(chunk) + 4):
        mcp.stdin.write(chunk)
    _send(mcp, b"")
    answer = _reply(mcp)
    assert answer["id"] is None and answer["error"]["code"] == -32600
    assert "over the 16 MiB limit" in answer["error"]["message"]
    _send(mcp, json.dumps(PING).encode())
    assert _reply(mcp)["id"] == "ping"
    assert time.monotonic() - began < 20


# --- the language server: Content-Length framing -------------------------------------------


def _frame(message: dict[str, Any] | bytes, length: int | None = None) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body


@pytest.fixture
def lsp(tmp_path: Path) -> Any:
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal_lint", "lsp", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    replies: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        length = 0
        while header := proc.stdout.readline():
            if header.lower().startswith(b"content-length:"):
                length = int(header.split(b":")[1])
            elif not header.strip():
                replies.put(json.loads(proc.stdout.read(length)))

    threading.Thread(target=read, daemon=True).start()
    proc.replies = replies
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _lsp_reply(proc: Any, ident: Any, wait: float = 30) -> dict[str, Any]:
    """The next reply that is a response (server notifications such as logs are skipped)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            answer = proc.replies.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no reply to {ident!r} within {wait} s") from None
        if "method" not in answer:
            assert answer.get("id") == ident, answer
            return answer


def test_a_wrong_content_length_does_not_swallow_the_next_request(lsp: Any) -> None:
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
    lsp.stdin.write(_frame(init))
    lsp.stdin.flush()
    assert "capabilities" in _lsp_reply(lsp, 1)["result"]
    unknown = {"jsonrpc": "2.0", "id": 2, "method": "portal-lint/none"}
    body = json.dumps(unknown).encode()
    # 40 bytes longer than the body: a plain reader would take the next message as the rest.
    lsp.stdin.write(_frame(body, len(body) + 40) + _frame({**unknown, "id": 3}))
    lsp.stdin.flush()
    assert _lsp_reply(lsp, 2)["error"]["code"] == -32600  # answered (pygls alone would not: no params)
    assert _lsp_reply(lsp, 3)["error"]["code"] == -32600


def test_malformed_lsp_messages_get_json_rpc_errors(lsp: Any) -> None:
    lsp.stdin.write(_frame(b"{not json"))
    lsp.stdin.write(_frame(b'{"jsonrpc": "2.0", "id": null, "method": "portal-lint/none"}'))
    lsp.stdin.write(b"Content-Length: 99999999999\r\n\r\n")
    lsp.stdin.flush()
    for code in (-32700, -32600, -32600):
        answer = _lsp_reply(lsp, None)
        assert answer["error"]["code"] == code, answer
