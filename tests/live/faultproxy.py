"""A loopback HTTP proxy in front of the real backend that injects what a healthy server cannot show.

Everything it does not inject is forwarded to the real Backstage backend unchanged,
so the behaviour under test is always the real catalog's: only timeouts, 5xx, 429,
garbage, connection resets, a truncated page listing, an error echoing the request's
headers, a trickled answer and an endless one are made up here.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "host", "content-length", "transfer-encoding", "accept-encoding"}


class Fault(StrEnum):
    DELAY = "delay"  # answer only after `delay` seconds: client timeouts
    ERROR_500 = "500"
    RATE_LIMIT = "429"  # with the Retry-After given to inject()
    GARBAGE = "garbage"  # 200 with a body that is not JSON
    RESET = "reset"  # TCP RST instead of an answer
    TRUNCATE_PAGING = "truncate-paging"  # by-query pages lose their nextCursor
    ECHO = "echo"  # an error (`status`) whose message quotes the request's headers, as some proxies do
    TRICKLE = "trickle"  # the real answer, one byte every `delay` seconds
    HUGE = "huge"  # a 200 whose body is `size` bytes of one JSON string


class FaultProxy:
    """Forwards 127.0.0.1:<port> to `upstream`, injecting one fault for the next `times` requests."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.hostname != "127.0.0.1" or parts.port is None:
            raise ValueError("the fault proxy forwards to a loopback backend only")
        self._upstream = (parts.hostname, parts.port)
        self._lock = threading.Lock()
        self._fault: Fault | None = None
        self._remaining: int | None = 0
        self.delay = 2.0
        self.retry_after = "1"
        self.status = 502
        self.size = 0
        self.hits = 0  # requests received
        self.paths: list[str] = []  # each request's path and query, as received
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="faultproxy", daemon=True
        )

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(
        self,
        fault: Fault,
        *,
        times: int | None = 1,
        delay: float = 2.0,
        retry_after: str = "1",
        status: int = 502,
        size: int = 0,
    ) -> None:
        """Inject `fault` into the next `times` requests (None: all of them until clear())."""
        with self._lock:
            self._fault, self._remaining = fault, times
            self.delay, self.retry_after, self.status, self.size = delay, retry_after, status, size

    def clear(self) -> None:
        with self._lock:
            self._fault = None

    def _take(self) -> Fault | None:
        with self._lock:
            self.hits += 1
            if self._fault is None or self._remaining == 0:
                return None
            if self._remaining is not None:
                self._remaining -= 1
            return self._fault

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() in ("content-type", "retry-after")}
            return response.status, kept, data
        finally:
            conn.close()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out or are reset on purpose are the point, not news


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real backend

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def log_message(self, format: str, *args: object) -> None:
            pass  # test output stays readable

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            proxy.paths.append(self.path)
            fault = proxy._take()
            if fault is Fault.RESET:
                # SO_LINGER 0: close() sends RST, as a crashing peer or a middlebox does.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if fault is Fault.ERROR_500:
                error = {"error": {"name": "Error", "message": "injected failure"}}
                self._reply(500, {"Content-Type": "application/json"}, json.dumps(error).encode())
                return
            if fault is Fault.RATE_LIMIT:
                error = {"error": {"name": "TooManyRequests", "message": "slow down"}}
                headers = {"Content-Type": "application/json", "Retry-After": proxy.retry_after}
                self._reply(429, headers, json.dumps(error).encode())
                return
            if fault is Fault.ECHO:
                # Authorization first: within what a message quotes of it.
                ordered = sorted(self.headers.items(), key=lambda kv: kv[0].lower() != "authorization")
                echoed = "; ".join(f"{k}: {v}" for k, v in ordered)
                error = {"error": {"name": "Error", "message": f"bad gateway for request {echoed}"}}
                self._reply(proxy.status, {"Content-Type": "application/json"}, json.dumps(error).encode())
                return
            if fault is Fault.HUGE:
                self._huge(proxy.size)
                return
            if fault is Fault.GARBAGE:
                self._reply(200, {"Content-Type": "application/json"}, b"<html>upstream proxy error</html>")
                return
            if fault is Fault.DELAY:
                time.sleep(proxy.delay)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            status, out_headers, data = proxy.forward(self.command, self.path, headers, body)
            if fault is Fault.TRUNCATE_PAGING and "/entities/by-query" in self.path and status == 200:
                page = json.loads(data)
                page.get("pageInfo", {}).pop("nextCursor", None)
                data = json.dumps(page).encode()
            if fault is Fault.TRICKLE:
                self._reply(status, out_headers, data, trickle=proxy.delay)
                return
            self._reply(status, out_headers, data)

        def _huge(self, size: int) -> None:
            chunk = b"x" * (1 << 20)
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(size + 2))
                self.end_headers()
                self.wfile.write(b'"')
                for start in range(0, size, len(chunk)):
                    self.wfile.write(chunk[: size - start])
                self.wfile.write(b'"')
            except OSError:
                self.close_connection = True  # the client stopped reading, as it should

        def _reply(self, status: int, headers: dict[str, str], data: bytes, trickle: float = 0) -> None:
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not trickle:
                    self.wfile.write(data)
                for i in range(len(data) if trickle else 0):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(trickle)
            except OSError:
                # The client gave up (its timeout fired while we were delaying).
                self.close_connection = True

    return Handler
