"""JSON-RPC messages checked before a server sees them, so every request gets an answer.

The MCP SDK's stdio transport drops what it cannot validate without a reply (a parse error,
a batch, `id: null`, a lone surrogate), and reads a line of any length. Here each line is
read up to MAX_MESSAGE_BYTES, parsed, and checked; what fails gets the JSON-RPC 2.0 error
(-32700 parse error, -32600 invalid request) with the request's id when it has a usable one,
else `null`, and only well-formed messages go on to the server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import IO, Any, NamedTuple

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64  # no MCP message nests deeper than a few levels; pydantic recurses on each
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


class Rejected(NamedTuple):
    id: str | int | None
    code: int
    message: str

    def response(self) -> str:
        error = {"code": self.code, "message": self.message}
        return json.dumps({"jsonrpc": "2.0", "id": self.id, "error": error})


TOO_LARGE = Rejected(
    None, INVALID_REQUEST, f"Invalid Request: message over the {MAX_MESSAGE_BYTES // 1048576} MiB limit"
)


def read_line(stream: IO[bytes], limit: int = MAX_MESSAGE_BYTES) -> bytes | Rejected | None:
    """The next line (None at the end of input); a longer line is skipped in bounded chunks
    and answered with TOO_LARGE, so memory stays within `limit` whatever the client sends."""
    line = stream.readline(limit + 1)
    if not line:
        return None
    if len(line) <= limit or line.endswith(b"\n"):
        return line
    while True:
        rest = stream.readline(1 << 20)
        if not rest or rest.endswith(b"\n"):
            return TOO_LARGE


def check(line: bytes) -> dict[str, Any] | Rejected | None:
    """The message of one line (lone surrogates replaced), a Rejected to answer, or None for
    a blank line."""
    text = line.decode("utf-8", "replace").strip()
    if not text:
        return None
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return Rejected(None, PARSE_ERROR, "Parse error: the line is not JSON")
    if isinstance(message, list):
        return Rejected(None, INVALID_REQUEST, "Invalid Request: batches are not supported")
    if not isinstance(message, dict):
        return Rejected(None, INVALID_REQUEST, "Invalid Request: a message is a JSON object")
    ident = message.get("id")
    if "id" in message and (not isinstance(ident, str | int) or isinstance(ident, bool)):
        return Rejected(None, INVALID_REQUEST, "Invalid Request: `id` must be a string or a number")
    if _depth(message) > MAX_DEPTH:
        return Rejected(ident, INVALID_REQUEST, f"Invalid Request: nested deeper than {MAX_DEPTH} levels")
    if message.get("jsonrpc") != "2.0":
        return Rejected(ident, INVALID_REQUEST, 'Invalid Request: `jsonrpc` must be "2.0"')
    if "method" in message and not isinstance(message["method"], str):
        return Rejected(ident, INVALID_REQUEST, "Invalid Request: `method` must be a string")
    if "method" not in message and "result" not in message and "error" not in message:
        return Rejected(ident, INVALID_REQUEST, "Invalid Request: no `method`, `result` or `error`")
    if not _ESCAPED_SURROGATE.search(text):
        return message  # raw bytes decode with "replace": only a `\\udXXX` escape makes one
    cleaned: dict[str, Any] = _clean(message)
    return cleaned


def _depth(value: Any) -> int:
    """How deep containers nest (iteratively: the value may be as deep as json.loads allows)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _clean(value: Any) -> Any:
    """Lone surrogates (`"\\ud800"` is valid JSON, but no UTF-8) replaced by U+FFFD: a reply that
    echoed one could not be written at all."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


_HEADER = re.compile(rb"Content-Length:[ \t]*(\d+)[ \t]*\r?\n", re.IGNORECASE)
_RESYNC = re.compile(rb"Content-Length:[ \t]*\d+[ \t]*\r?\n(?:[!-9;-~]+:[^\r\n]*\r?\n)*\r?\n", re.IGNORECASE)
MAX_HEADER_LINE = 8192


class FramedInput:
    """An LSP client's stdin (`Content-Length` framing) as the server may read it: only checked
    messages, each with a correct header. A missing, malformed or oversized `Content-Length`
    and a body that is not a JSON-RPC message get their error on `reply`; a Content-Length
    longer than its body does not swallow the next message (the next header is found in it)."""

    def __init__(
        self, raw: IO[bytes], reply: Callable[[Rejected], None], accepts: Callable[[bytes], bool]
    ) -> None:
        self._raw = raw
        self._reply = reply
        self._accepts = accepts  # whether the server can read a message (else it would not answer)
        self._pushback = b""  # raw bytes read past the end of a message
        self._out = b""  # clean framed bytes ready for the server
        self._skipping = False  # the body of a message already answered as too large follows

    # -- the BinaryIO methods pygls' reader uses

    def readline(self) -> bytes:
        while b"\n" not in self._out:
            if not self._fill():
                break
        end = self._out.find(b"\n") + 1 or len(self._out)
        line, self._out = self._out[:end], self._out[end:]
        return line

    def read(self, n: int) -> bytes:
        while len(self._out) < n:
            if not self._fill():
                break
        data, self._out = self._out[:n], self._out[n:]
        return data

    # -- framing

    def _fill(self) -> bool:
        """Append the next good message to `_out`; False at the end of input."""
        while True:
            length = self._header()
            if length is None:
                return False
            if length > MAX_MESSAGE_BYTES:
                # Answered at once; its body (if it ever comes) is skipped line by line up to
                # the next header, never held whole.
                self._reply(TOO_LARGE)
                self._skipping = True
                continue
            body = self._body(length)
            message = check(body)
            if isinstance(message, Rejected):
                self._reply(message)
                continue
            if message is None:
                continue
            # The bytes as sent when nothing was replaced (no second encoding of a large buffer).
            data = body if _as_sent(body) else json.dumps(message).encode()
            if not self._accepts(data):
                what = "Invalid Request: not a message this server can read (missing or wrong `params`?)"
                self._reply(Rejected(message.get("id"), INVALID_REQUEST, what))
                continue
            self._out += b"Content-Length: %d\r\n\r\n" % len(data) + data
            return True

    def _line(self) -> bytes:
        if self._pushback:
            end = self._pushback.find(b"\n") + 1
            if end:
                line, self._pushback = self._pushback[:end], self._pushback[end:]
                return line
            line, self._pushback = self._pushback, b""
            return line + self._raw.readline(MAX_HEADER_LINE)
        return self._raw.readline(MAX_HEADER_LINE)

    def _header(self) -> int | None:
        """The Content-Length of the next header block (other header lines skipped); lines that
        are no header (the rest of a broken message) are skipped up to the next header."""
        length: int | None = None
        complained, self._skipping = self._skipping, False
        while True:
            line = self._line()
            if not line:
                return None
            if not line.strip(b"\r\n"):
                if length is not None:
                    return length
                continue
            found = _HEADER.search(line)
            if found is not None:
                length = int(found[1])
            elif b":" not in line and not complained:
                complained = True  # stray bytes: what is left of a message whose length was wrong
                self._reply(Rejected(None, PARSE_ERROR, "Parse error: bytes outside a Content-Length frame"))

    def _body(self, length: int) -> bytes:
        """`length` bytes, or fewer when the next message's header shows up inside them (a
        Content-Length longer than the body): what follows it is pushed back."""
        body = self._pushback[:length]
        self._pushback = self._pushback[length:]
        scanned = 0
        while True:
            cut = _resync(body, scanned)
            if cut is not None:
                self._pushback = body[cut:] + self._pushback
                return body[:cut]
            if len(body) >= length:
                return body
            scanned = max(0, len(body) - MAX_HEADER_LINE)  # a header may straddle two reads
            chunk = self._read1(length - len(body))
            if not chunk:
                return body
            body += chunk

    def _read1(self, n: int) -> bytes:
        read1 = getattr(self._raw, "read1", None)
        return bytes(read1(n) if read1 is not None else self._raw.read(n))


def _as_sent(body: bytes) -> bool:
    """Whether `check` read `body` without replacing anything (valid UTF-8, no lone surrogate)."""
    try:
        return not _ESCAPED_SURROGATE.search(body.decode("utf-8"))
    except UnicodeDecodeError:
        return False


def _resync(body: bytes, start: int) -> int | None:
    """Where a complete header block starts inside `body` (at or after `start`) right after a
    complete JSON value, if anywhere."""
    for found in _RESYNC.finditer(body, start):
        try:
            json.loads(body[: found.start()])
        except ValueError:
            continue
        return found.start()
    return None
