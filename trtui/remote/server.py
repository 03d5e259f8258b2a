"""The HTTP side of `trtui serve`, on aiohttp's low-level server (one asyncio loop in one thread):
read-only endpoints over the newest `Update` of a headless run.

  GET /metrics   Prometheus text exposition (prometheus-client)
  GET /snapshot  the JSON summary of `trtui profile --json` (schema trtui.summary/1), current
  GET /stream    server-sent events, one "trtui.wire/1" message per update (what `attach` reads)
  POST /control?action=pause|resume|reset   only with --allow-control (off by default)

Every connection carries one request (`Connection: close`). What bounds a client:
- while the request arrives, bytes are counted before they reach the parser (request line 2 KiB:
  414; line + headers + body beyond 11 KiB: 431), and aiohttp's parser (llhttp) applies the
  header count and field sizes as it parses (431);
- a deadline for the whole exchange (request and reply) of every connection but a stream: 408 and
  closed when the request is not complete by then;
- connections per client address and in all; at either cap the oldest connection whose request
  is still incomplete gives way to the new one; with none to give way the new one gets 503;
- streams per client address and in all (503 beyond); a stream whose reader does not drain its
  data within `stall_s` is dropped;
- then, in this order and before any work: the request sizes, the rate per client address (429),
  the token (401, compared in constant time), the method (405) and the path (404).
No thread per connection; rendering and wire encoding run on two worker threads. No endpoint
writes a file or runs code.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong

from trtui.remote.hub import UpdateHub
from trtui.remote.wire import WireEncoder
from trtui.stats.update import Update

MAX_CONNECTIONS = 256
MAX_CONNECTIONS_PER_ADDRESS = 64  # what the whole server allowed before (50 scrapers on one host)
MAX_STREAMS = 16
MAX_STREAMS_PER_ADDRESS = 4
MAX_REQUEST_LINE = 2048
MAX_HEADER_BYTES = 8192
MAX_HEADERS = 32
MAX_BODY = 1024
MAX_REQUEST_BYTES = MAX_REQUEST_LINE + MAX_HEADER_BYTES + MAX_BODY  # all a request may send
DEADLINE_S = 10.0  # the whole exchange of a connection that is not a stream
STALL_S = 5.0  # a stream whose reader takes no data for this long is dropped
LINGER_S = 1.0  # after an error reply, read (and drop) what the client still sends: this long at most
LINGER_BYTES = 64 * 1024  # ... and this much at most
KEEPALIVE_S = 5.0
DEFAULT_RATE = 20.0  # requests per second per client address (burst: twice that)
CONTROL_ACTIONS = ("pause", "resume", "reset")
ALLOWED = {"/metrics": "GET, HEAD", "/snapshot": "GET, HEAD", "/": "GET, HEAD", "/stream": "GET"}

_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}
_QUIET = logging.getLogger("trtui.remote.http")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one server allows; the defaults are the module's constants."""

    max_connections: int = MAX_CONNECTIONS
    connections_per_address: int = MAX_CONNECTIONS_PER_ADDRESS
    max_streams: int = MAX_STREAMS
    streams_per_address: int = MAX_STREAMS_PER_ADDRESS
    deadline_s: float = DEADLINE_S
    stall_s: float = STALL_S
    keepalive_s: float = KEEPALIVE_S


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

    def exhausted(self, client: str) -> bool:
        """True when `client`'s next request would be refused (nothing is charged)."""
        now = self._clock()
        with self._lock:
            hit = self._buckets.get(client)
            return hit is not None and hit[0] + (now - hit[1]) * self.rate < 1.0


def _raw_reply(code: int, text: str) -> bytes:
    body = text.encode() + b"\n"
    head = (
        f"HTTP/1.1 {code} {_REASONS.get(code, 'Error')}\r\nServer: trtui\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def _reply(
    code: int,
    body: bytes = b"",
    content_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> web.Response:
    resp = web.Response(
        status=code,
        body=body,
        headers={
            "Content-Type": content_type,
            "Cache-Control": "no-store",
            "Server": "trtui",
            **(headers or {}),
        },
    )
    resp.force_close()
    return resp


class _Connection(web.RequestHandler):
    """aiohttp's protocol for one connection, with trtui's admission, byte counting and deadline.

    state: "reading" (the request is arriving), "handling" (the request is complete; the reply is
    being made or sent), "streaming" (a /stream: the stall check bounds it, not the deadline),
    "refused" (an error reply went out; what the client still sends is read and dropped until it
    closes or LINGER_S passes, so that the reply is not lost to a reset)."""

    def __init__(self, server: RunServer, manager: web.Server, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(
            manager,
            loop=loop,
            keepalive_timeout=0,  # one request per connection; the deadline bounds the wait for it
            tcp_keepalive=False,
            logger=_QUIET,
            # aiohttp takes None: no access log.
            access_log=None,  # type: ignore[arg-type]
            max_line_size=MAX_REQUEST_LINE,
            max_headers=MAX_HEADERS,
            max_field_size=MAX_HEADER_BYTES,
            lingering_time=0,
        )
        self.server = server
        self.address = "?"
        self.state = "new"
        self.received = 0
        self.line_ended = False
        self._protocol_started = False
        self._timer: asyncio.TimerHandle | None = None
        self._linger: asyncio.TimerHandle | None = None
        self._tr: asyncio.Transport | None = None

    # -- asyncio protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        tr: asyncio.Transport = transport  # type: ignore[assignment]
        self._tr = tr
        peer = tr.get_extra_info("peername")
        self.address = str(peer[0]) if peer else "?"
        if self.server.limiter.exhausted(self.address):
            # Over its rate already: refused before any parsing (the cheapest answer to a flood),
            # and before it could make another client's incomplete request give way.
            self._refuse(429, "too many requests")
            return
        if not self.server._admit(self):
            self._refuse(503, "too many connections")
            return
        self.state = "reading"
        self._protocol_started = True
        super().connection_made(transport)
        self._timer = self._loop.call_later(self.server.limits.deadline_s, self._deadline)

    def data_received(self, data: bytes) -> None:
        if self.state == "refused":  # lingering: read and drop, a little
            self.received += len(data)
            if self.received > MAX_REQUEST_BYTES + LINGER_BYTES and self._tr is not None:
                self._tr.abort()
            return
        if self.state == "reading":
            before = self.received
            self.received += len(data)
            if not self.line_ended:
                end = data.find(b"\n")
                if (before + end if end >= 0 else self.received) > MAX_REQUEST_LINE:
                    self._refuse(414, "request line too long")
                    return
                self.line_ended = end >= 0
            if self.received > MAX_REQUEST_BYTES:
                self._refuse(431, "request headers too large")
                return
        super().data_received(data)
        if self.state == "reading" and getattr(self, "_messages", None):
            self.state = "handling"  # the parser has the whole request head

    # asyncio: True keeps the connection open after the client half-closes.
    def eof_received(self) -> bool | None:  # type: ignore[override]
        # The client stopped sending: a complete request is still answered (HTTP/1.0 clients may
        # half-close); an incomplete one never completes, and a lingering one is done.
        return True if self.state in ("handling", "streaming") else None

    def connection_lost(self, exc: BaseException | None) -> None:
        for handle in (self._timer, self._linger):
            if handle is not None:
                handle.cancel()
        if self._linger is not None:
            self.server._lingering -= 1
        self._timer = self._linger = None
        self.server._release(self)
        if self._protocol_started:
            super().connection_lost(exc)

    # -- trtui's checks --------------------------------------------------------------------------

    def _refuse(self, code: int, text: str) -> None:
        """Reply `code` at once, whatever the parser holds, and close after a linger."""
        tr = self._tr
        self.state = "refused"
        self.server._release(self)
        if self._protocol_started:
            # aiohttp: parse and answer nothing more, but leave the transport to this reply.
            self.transport = None
            self.force_close()
        if tr is None or tr.is_closing():
            return
        tr.write(_raw_reply(code, text))
        if self.server._lingering >= self.server.limits.max_connections or not tr.can_write_eof():
            tr.close()  # too many lingering already: close now
            return
        tr.write_eof()
        self.server._lingering += 1
        self._linger = self._loop.call_later(LINGER_S, tr.abort)

    def _deadline(self) -> None:
        self._timer = None
        if self.state == "reading":
            self._refuse(408, "the request took too long")
        elif self.state == "handling":
            self.drop()  # the reply is not taken: drop it

    def streaming(self) -> None:
        """This connection is a stream from now on: the stall check bounds it, not the deadline."""
        self.state = "streaming"
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def drop(self) -> None:
        """Close at once (it gave way to a newer connection, it is stuck, or the server stops)."""
        self.server._release(self)
        if self._tr is not None:
            self._tr.abort()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """The parser's complaints as trtui's replies (431 for header sizes and counts), without
        aiohttp's own page or log."""
        if request.writer.output_size > 0:
            raise ConnectionError("the reply had started")
        if isinstance(exc, LineTooLong) or (
            isinstance(exc, BadHttpMessage) and "too many headers" in str(exc).lower()
        ):
            return _reply(431, b"request headers too large\n")
        if status >= 500:
            return _reply(500, b"internal error\n")
        return _reply(status if 400 <= status < 500 else 400, b"bad request\n")


class RunServer:
    """`trtui serve`'s HTTP server: bound at construction (an `OSError` there is a bad --listen),
    served by `serve_forever()` in the caller's thread until `close()`."""

    def __init__(
        self,
        address: tuple[str, int],
        hub: UpdateHub,
        render_metrics: Callable[[Update | None], bytes],
        render_snapshot: Callable[[Update | None], bytes],
        token: str | None = None,
        control: Callable[[str], None] | None = None,
        rate: float = DEFAULT_RATE,
        limits: Limits | None = None,
    ) -> None:
        self.hub = hub
        self.render_metrics = render_metrics
        self.render_snapshot = render_snapshot
        self.token = None if token is None else token.encode("utf-8")
        self.control = control
        self.limiter = RateLimiter(rate)
        self.limits = limits or Limits()
        self.stopping = threading.Event()
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind(address)
            self._sock.listen(128)
        except OSError:
            self._sock.close()
            raise
        self._sock.setblocking(False)
        self.server_address: tuple[Any, ...] = self._sock.getsockname()
        # Loop-thread state (touched only on the loop).
        self._open: dict[_Connection, None] = {}  # in accept order
        self._per_address: dict[str, int] = {}
        self._streams: dict[str, int] = {}
        self._lingering = 0
        self._changed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="trtui-http-work")
        self._started = threading.Event()
        self._finished = threading.Event()

    # -- life --------------------------------------------------------------------------------------

    def serve_forever(self) -> None:
        """Serve until `close()`; runs an asyncio loop in the calling thread."""
        if self.stopping.is_set():
            self._finished.set()
            return
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._finished.set()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._changed = asyncio.Event()
        web_server = web.Server(self._handle, loop=loop)

        def factory() -> _Connection:
            return _Connection(self, web_server, loop)

        unsubscribe = self.hub.subscribe(lambda: _call_soon(loop, self._published))
        listener = await loop.create_server(factory, sock=self._sock)
        self._started.set()
        if self.stopping.is_set():
            self._stop.set()
        try:
            await self._stop.wait()
        finally:
            unsubscribe()
            listener.close()
            self._published()  # wakes every stream: they see `stopping` and end
            for conn in list(self._open):
                conn.drop()
            tasks = [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]
            if tasks:
                await asyncio.wait(tasks, timeout=2.0)
                for t in tasks:
                    t.cancel()
            with contextlib.suppress(Exception):
                await listener.wait_closed()

    def close(self) -> None:
        """Stop serving: every connection is closed, `serve_forever` returns."""
        self.stopping.set()
        self.hub.close()
        loop = self._loop
        if loop is not None and self._stop is not None:
            _call_soon(loop, self._stop.set)
            self._finished.wait(10.0)
        elif self._started.is_set() or loop is not None:
            self._finished.wait(10.0)
        self._pool.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(OSError):
            self._sock.close()

    # -- admission (on the loop) -----------------------------------------------------------------

    def _admit(self, conn: _Connection) -> bool:
        lim = self.limits
        if self.stopping.is_set():
            return False
        full = self._per_address.get(conn.address, 0) >= lim.connections_per_address
        if full and not self._give_way(conn.address):
            return False
        if len(self._open) >= lim.max_connections and not self._give_way(None):
            return False
        self._open[conn] = None
        self._per_address[conn.address] = self._per_address.get(conn.address, 0) + 1
        return True

    def _give_way(self, address: str | None) -> bool:
        """Drop the oldest connection (of `address`, or of anyone) whose request is incomplete."""
        for old in self._open:
            if old.state == "reading" and (address is None or old.address == address):
                old.drop()
                return True
        return False

    def _release(self, conn: _Connection) -> None:
        if conn in self._open:
            del self._open[conn]
            n = self._per_address.get(conn.address, 1) - 1
            if n > 0:
                self._per_address[conn.address] = n
            else:
                self._per_address.pop(conn.address, None)

    def _published(self) -> None:
        if self._changed is not None:
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()

    # -- requests --------------------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        conn: _Connection = request.protocol  # type: ignore[assignment]
        conn.state = "handling"
        raw = request.raw_headers
        if len(raw) > MAX_HEADERS or sum(len(k) + len(v) + 4 for k, v in raw) > MAX_HEADER_BYTES:
            return _reply(431, b"request headers too large\n")
        length = request.headers.get("Content-Length")
        if (length is not None and (not length.isdigit() or int(length) > MAX_BODY)) or request.headers.get(
            "Transfer-Encoding"
        ):
            return _reply(413, b"request body too large\n")
        if not self.limiter.allow(conn.address):
            return _reply(429, b"too many requests\n")
        if self.token is not None:
            scheme, _, value = request.headers.get("Authorization", "").partition(" ")
            ok = hmac.compare_digest(value.strip().encode("utf-8", "replace"), self.token)
            if scheme.lower() != "bearer" or not ok:
                return _reply(401, headers={"WWW-Authenticate": 'Bearer realm="trtui"'})
        method, path = request.method, request.rel_url.path
        if path == "/control":
            if method != "POST":
                return _reply(405, b"POST /control?action=...\n", headers={"Allow": "POST"})
            return await self._control(request)
        allowed = ALLOWED.get(path)
        if allowed is None:
            return _reply(404, b"not found\n")
        if method not in allowed.split(", "):
            return _reply(405, b"method not allowed\n", headers={"Allow": allowed})
        if path == "/metrics":
            from prometheus_client import CONTENT_TYPE_LATEST

            body = self.hub.cached("metrics") or await self._work(
                self.hub.rendered, "metrics", self.render_metrics
            )
            return _reply(200, body, CONTENT_TYPE_LATEST)
        if path == "/snapshot":
            if self.hub.latest() is None:
                return _reply(503, b'{"error": "no data yet"}\n', "application/json")
            body = self.hub.cached("snapshot") or await self._work(
                self.hub.rendered, "snapshot", self.render_snapshot
            )
            return _reply(200, body, "application/json")
        if path == "/stream":
            return await self._stream(request, conn)
        return _reply(200, b"trtui serve: /metrics /snapshot /stream\n")

    async def _work(self, fn: Callable[..., bytes], *args: Any) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def _control(self, request: web.BaseRequest) -> web.StreamResponse:
        if self.control is None:
            return _reply(403, b"control is off (trtui serve --allow-control)\n")
        action = parse_qs(request.rel_url.query_string).get("action", [""])[0]
        if action not in CONTROL_ACTIONS:
            return _reply(400, b"action must be pause, resume or reset\n")
        control = self.control
        await asyncio.get_running_loop().run_in_executor(self._pool, control, action)
        return _reply(200, json.dumps({"ok": action}).encode() + b"\n", "application/json")

    async def _stream(self, request: web.BaseRequest, conn: _Connection) -> web.StreamResponse:
        lim = self.limits
        address = conn.address
        if sum(self._streams.values()) >= lim.max_streams or self._streams.get(address, 0) >= (
            lim.streams_per_address
        ):
            return _reply(503, b"too many streams\n")
        self._streams[address] = self._streams.get(address, 0) + 1
        conn.streaming()
        resp = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",  # nginx: do not buffer the stream
                "Server": "trtui",
            },
        )
        resp.force_close()
        try:
            await resp.prepare(request)
            encoder = WireEncoder(control=self.control is not None)
            version = -1
            while not self.stopping.is_set():
                changed = self._changed
                new_version, update = self.hub.current()
                if new_version == version and changed is not None:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(changed.wait(), lim.keepalive_s)
                    new_version, update = self.hub.current()
                if self.stopping.is_set():
                    break
                if new_version == version or update is None:
                    payload = b": keepalive\n\n"
                else:
                    line = await self._work(encoder.encode_line, update)
                    payload = b"data: " + line + b"\n\n"
                version = new_version
                # One write (one HTTP chunk) per event; a reader that does not take it within
                # stall_s is dropped: its data would pile up here.
                await asyncio.wait_for(resp.write(payload), lim.stall_s)
        except (OSError, asyncio.TimeoutError, RuntimeError):
            conn.drop()  # gone, or not reading
        finally:
            n = self._streams.get(address, 1) - 1
            if n > 0:
                self._streams[address] = n
            else:
                self._streams.pop(address, None)
        return resp


def _call_soon(loop: asyncio.AbstractEventLoop, fn: Callable[[], None]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop has closed
        loop.call_soon_threadsafe(fn)


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A headless service: a client's broken connection is not news; anything else is one line."""
    exc = context.get("exception")
    if isinstance(exc, (OSError, asyncio.CancelledError)):
        return
    print(f"trtui serve: HTTP server: {context.get('message')}: {exc!r}"[:300], file=sys.stderr)
