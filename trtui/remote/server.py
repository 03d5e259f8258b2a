"""The HTTP side of `trtui serve` (stdlib `ThreadingHTTPServer`): read-only endpoints over the
newest `Update` of a headless run.

  GET /metrics   Prometheus text exposition (prometheus-client)
  GET /snapshot  the JSON summary of `trtui profile --json` (schema trtui.summary/1), current
  GET /stream    server-sent events, one "trtui.wire/1" message per update (what `attach` reads)
  POST /control?action=pause|resume|reset   only with --allow-control (off by default)

Bounded: concurrent connections (503 beyond), streams, requests per second per client address
(429 beyond), request line and header size (414/431), request bodies (none are read; 413).
With a token every endpoint needs `Authorization: Bearer TOKEN` (compared in constant time).
No endpoint writes a file or runs code.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from trtui.remote.hub import UpdateHub
from trtui.remote.wire import WireEncoder
from trtui.stats.update import Update

MAX_CONNECTIONS = 64
MAX_STREAMS = 16
MAX_REQUEST_LINE = 2048
MAX_HEADER_BYTES = 8192
MAX_HEADERS = 32
MAX_BODY = 1024
KEEPALIVE_S = 5.0
SOCKET_TIMEOUT_S = 10.0
DEFAULT_RATE = 20.0  # requests per second per client address (burst: twice that)
CONTROL_ACTIONS = ("pause", "resume", "reset")


class RateLimiter:
    """A token bucket per client address."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(2.0 * rate, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            ok = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if ok else tokens, now)
            if len(self._buckets) > 10_000:  # forget idle clients (bounded memory)
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60.0}
            return ok


class RunServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self,
        address: tuple[str, int],
        hub: UpdateHub,
        render_metrics: Callable[[Update | None], bytes],
        render_snapshot: Callable[[Update | None], bytes],
        token: str | None = None,
        control: Callable[[str], None] | None = None,
        rate: float = DEFAULT_RATE,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.hub = hub
        self.render_metrics = render_metrics
        self.render_snapshot = render_snapshot
        self.token = None if token is None else token.encode("utf-8")
        self.control = control
        self.limiter = RateLimiter(rate)
        self._slots = threading.BoundedSemaphore(max_connections)
        self._streams = threading.BoundedSemaphore(MAX_STREAMS)
        self.stopping = threading.Event()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(
                    b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def close(self) -> None:
        self.stopping.set()
        self.hub.close()
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: RunServer
    timeout = SOCKET_TIMEOUT_S
    server_version = "trtui"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: a headless service; errors reach the client as status codes

    # -- checks ----------------------------------------------------------------------------------

    def _reply(self, code: int, body: bytes = b"", content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _admitted(self) -> bool:
        """Size, rate and token checks; replies with the error and returns False when one fails."""
        if len(self.requestline) > MAX_REQUEST_LINE:
            self._reply(414, b"request line too long\n")
            return False
        items = self.headers.items()
        if len(items) > MAX_HEADERS or sum(len(k) + len(v) + 4 for k, v in items) > MAX_HEADER_BYTES:
            self._reply(431, b"request headers too large\n")
            return False
        length = self.headers.get("Content-Length")
        if (length is not None and (not length.isdigit() or int(length) > MAX_BODY)) or self.headers.get(
            "Transfer-Encoding"
        ):
            self._reply(413, b"request body too large\n")
            return False
        if not self.server.limiter.allow(str(self.client_address[0])):
            self._reply(429, b"too many requests\n")
            return False
        token = self.server.token
        if token is not None:
            given = self.headers.get("Authorization", "")
            scheme, _, value = given.partition(" ")
            ok = hmac.compare_digest(value.strip().encode("utf-8", "replace"), token)
            if scheme.lower() != "bearer" or not ok:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Bearer realm="trtui"')
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                return False
        return True

    # -- endpoints -------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if not self._admitted():
            return
        path = urlsplit(self.path).path
        if path == "/metrics":
            from prometheus_client import CONTENT_TYPE_LATEST

            self._reply(
                200, self.server.hub.rendered("metrics", self.server.render_metrics), CONTENT_TYPE_LATEST
            )
        elif path == "/snapshot":
            if self.server.hub.latest() is None:
                self._reply(503, b'{"error": "no data yet"}\n', "application/json")
            else:
                body = self.server.hub.rendered("snapshot", self.server.render_snapshot)
                self._reply(200, body, "application/json")
        elif path == "/stream":
            if self.command == "HEAD":
                self._reply(405, b"GET the stream\n")
            else:
                self._stream()
        elif path == "/":
            self._reply(200, b"trtui serve: /metrics /snapshot /stream\n")
        else:
            self._reply(404, b"not found\n")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        if not self._admitted():
            return
        url = urlsplit(self.path)
        if url.path != "/control":
            self._reply(404, b"not found\n")
            return
        if self.server.control is None:
            self._reply(403, b"control is off (trtui serve --allow-control)\n")
            return
        action = parse_qs(url.query).get("action", [""])[0]
        if action not in CONTROL_ACTIONS:
            self._reply(400, b"action must be pause, resume or reset\n")
            return
        self.server.control(action)
        self._reply(200, json.dumps({"ok": action}).encode() + b"\n", "application/json")

    def _stream(self) -> None:
        server = self.server
        if not server._streams.acquire(blocking=False):
            self._reply(503, b"too many streams\n")
            return
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.send_header("X-Accel-Buffering", "no")  # nginx: do not buffer the stream
            self.end_headers()
            self.close_connection = True
            encoder = WireEncoder(control=server.control is not None)
            version = -1
            while not server.stopping.is_set():
                new_version, update = server.hub.wait_newer(version, KEEPALIVE_S)
                if server.stopping.is_set():
                    break
                if new_version == version or update is None:
                    self.wfile.write(b": keepalive\n\n")
                else:
                    self.wfile.write(b"data: " + encoder.encode_line(update) + b"\n\n")
                self.wfile.flush()
                version = new_version
        except (OSError, ValueError):
            pass  # the client went away
        finally:
            server._streams.release()
