"""`RemoteFeed`: an `UpdateFeed` fed by a `trtui serve` stream (`trtui attach URL`).

One thread connects to URL/stream, decodes each server-sent event with a `WireDecoder` and
publishes the `Update`. Whatever goes wrong (refused, reset, timeout, a 401, a malformed or
oversized message from a broken or hostile server, a server that answers nothing trtui can read
within `first_message_timeout_s`) becomes one visible state: the newest update is republished with
"CONNECTION LOST" in its label, the reason in words (`describe_failure`) as its `error` and as a
notice, and the feed reconnects with exponential back-off (jittered, capped). Nothing raises out
of the thread.

Control (pause, resume, reset) is sent only when the server says it allows it (`--allow-control`).
"""

from __future__ import annotations

import dataclasses
import http.client
import random
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from urllib.parse import urlsplit

from trtui.common.errors import UserError
from trtui.core.model import SourceInfo, frozen_array
from trtui.core.reconfig import Reconfigured
from trtui.remote.checks import WireError
from trtui.remote.wire_decode import WireDecoder
from trtui.stats.snapshot import LatencyStats, LayerTable, ProfileSnapshot
from trtui.stats.update import Update

MAX_MESSAGE = 64 * 1024 * 1024  # one event; a 20,000-layer engine's first message is a few MB
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0  # the server sends at least a keep-alive every 5 s
FIRST_MESSAGE_TIMEOUT_S = 30.0  # connect to first decoded message: a silent or trickling server ends here
MAX_SERVER_TEXT = 120  # characters of a server's own error text quoted in a reason
BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 15.0


def placeholder(label: str) -> Update:
    """What the screen shows before the first message arrives."""
    info = SourceInfo(kind="engine", label=label, simulated=False)
    empty = LayerTable.empty()
    profile = ProfileSnapshot(
        info=info,
        seq=0,
        t=0.0,
        elapsed_s=0.0,
        state="starting",
        layers_window=empty,
        layers_total=empty,
        latency_window=LatencyStats.empty(),
        latency_total=LatencyStats.empty(),
        per_stream=(),
        recent_latencies_ms=frozen_array(()),
        trend=(),
        layer_sum_ms=None,
        profiled_gpu_ms=None,
        profiler_tax_ms=None,
        profiler_tax_pct=None,
        notices=(),
    )
    return Update(profile, None, (), 0.0)


class _Answered(Exception):
    """The server answered, but not with a stream: the reason is complete as it is."""


class _Expired(Exception):
    """No message arrived within the first-message deadline."""


def server_text(body: bytes) -> str:
    """A server's error body as one short printable line (control characters dropped), or ""."""
    text = body.decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_SERVER_TEXT else text[: MAX_SERVER_TEXT - 1] + "…"


def describe_failure(err: BaseException, where: str, phase: str, timeout_s: float) -> str:
    """Why a connection attempt to `where` failed, in words a user can act on. `phase` is what the
    feed was doing: "connect" (TCP), "response" (waiting for the HTTP answer) or "stream"."""
    if isinstance(err, (_Answered, _Expired)):
        return str(err)
    if isinstance(err, WireError):
        return f"bad data from the server ({err})"
    if isinstance(err, http.client.RemoteDisconnected):
        return "the server closed the connection without answering (is this a 'trtui serve' address?)"
    if isinstance(err, http.client.HTTPException):  # BadStatusLine, LineTooLong, ...
        return f"not a trtui server: its answer is not HTTP (HTTP error {type(err).__name__})"
    if isinstance(err, ConnectionRefusedError):
        return f"connection refused: nothing listens at {where} (is 'trtui serve' running there?)"
    if isinstance(err, socket.gaierror):
        return f"unknown host in {where} ({err.strerror or err})"
    if isinstance(err, ConnectionResetError):
        return "the server reset the connection"
    if isinstance(err, TimeoutError):
        if phase == "connect":
            return f"timeout: no connection to {where} within {timeout_s:g} s (host down or firewalled?)"
        if phase == "response":
            return (f"timeout: {where} accepted the connection but answered nothing within {timeout_s:g} s "
                    "(not a trtui server?)")
        return f"timeout: the stream went silent for more than {timeout_s:g} s"
    if isinstance(err, OSError):
        return err.strerror or str(err) or type(err).__name__
    return f"{type(err).__name__}: {err}"


def backoff_s(attempt: int, rng: random.Random) -> float:
    """Seconds to wait before reconnect `attempt` (0-based): doubling, capped, jittered +-20%."""
    base = min(BACKOFF_MIN_S * (2.0 ** min(attempt, 30)), BACKOFF_MAX_S)
    return base * rng.uniform(0.8, 1.2)


class RemoteFeed:
    """An `UpdateFeed` that follows one `trtui serve` at `url` (http or https, optional base path).

    The stream is read on a daemon thread of its own; `on_update` is called from it. A failure never
    ends the feed: it publishes the newest update marked "CONNECTION LOST" and reconnects after
    `backoff_s`, until `stop()`. `token` is sent as a Bearer token. The public fields (`connected`,
    `last_error`, `retry_at`, `last_update`, `messages`, `reconnects`) are written by that thread and
    read by the fleet overview; each is replaced whole, never mutated.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        read_timeout_s: float = READ_TIMEOUT_S,
        max_message: int = MAX_MESSAGE,
        seed: int | None = None,
        first_message_timeout_s: float = FIRST_MESSAGE_TIMEOUT_S,
    ) -> None:
        parts = urlsplit(url)
        self.url = url
        self.name = parts.netloc or url
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "localhost"
        self._port = parts.port
        self._base = parts.path.rstrip("/")
        self.token = token
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.max_message = max_message
        self.first_message_timeout_s = first_message_timeout_s
        self._phase = "connect"
        self._expired = threading.Event()
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: http.client.HTTPConnection | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._on_update: Callable[[Update], None] | None = None
        self._control = False
        self.connected = False
        self.last_error: str | None = None
        self.retry_at: float | None = None  # time.monotonic() of the next attempt while lost
        self.last_update: Update | None = None  # the newest update from the server
        self.messages = 0
        self.messages_this_connection = 0
        self._info_key: SourceInfo | None = None
        self._info: SourceInfo | None = None
        self.reconnects = 0

    # -- UpdateFeed ------------------------------------------------------------------------------

    @property
    def can_control(self) -> bool:
        """True while connected to a server that accepts control (`--allow-control`)."""
        return self._control and self.connected

    def start(self, on_update: Callable[[Update], None]) -> None:
        """Publish a placeholder (or the update remembered from an earlier connection), then start
        the thread that connects and reconnects. Call once."""
        self._on_update = on_update
        if self.last_update is None:
            self._publish(placeholder(f"{self.name} — connecting…"))
        else:  # remembered from an earlier connection (the fleet overview): shown until news come
            self._publish(self._labelled(self.last_update, "connecting…"))
        self._thread = threading.Thread(target=self._run, name=f"trtui-attach-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop publishing, close the connection and end the thread. Idempotent; waits up to
        `timeout` s for the thread (not when called from it)."""
        self._stop.set()
        self._close_connection()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def set_paused(self, paused: bool) -> None:
        """Ask the server to pause or resume its run; ignored unless `can_control`. Does not wait:
        the stream shows whether it took effect."""
        self._send_control("pause" if paused else "resume")

    def reset(self) -> None:
        """Ask the server to restart its statistics; ignored unless `can_control`. Does not wait."""
        self._send_control("reset")

    @property
    def can_reconfigure(self) -> bool:
        """Always False: the server offers no control over its batch or streams."""
        return False  # a remote run keeps its batch and streams (the server offers no such control)

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
        """Always raises UserError: a remote run cannot be reconfigured."""
        raise UserError("a remote run cannot be reconfigured from here")

    # -- connection ------------------------------------------------------------------------------

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=timeout)

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", "User-Agent": "trtui-attach"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _send_control(self, action: str) -> None:
        if not self.can_control:
            return

        def send() -> None:
            conn = self._connection(self.connect_timeout_s)
            try:
                conn.request("POST", f"{self._base}/control?action={action}", headers=self._headers())
                conn.getresponse().read(4096)
            except (OSError, http.client.HTTPException):
                pass  # the stream shows whether it took effect
            finally:
                conn.close()

        threading.Thread(target=send, name="trtui-attach-control", daemon=True).start()

    def _close_connection(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            sock, self._sock = self._sock, None
        if conn is not None:
            sock = sock or conn.sock  # an HTTP/1.0 answer hands the socket to the response
            try:
                if sock is not None:
                    sock.shutdown(2)  # unblocks a read in the feed thread
            except OSError:
                pass
            conn.close()

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self._phase = "connect"
            self._expired.clear()
            deadline = threading.Timer(self.first_message_timeout_s, self._expire)
            deadline.daemon = True
            deadline.start()
            try:
                got = self._follow()
                reason = "the server closed the stream"
                if got:
                    attempt = 0
                elif self._expired.is_set():
                    reason = self._expired_reason()
            except Exception as err:  # never let the thread die: report and retry
                failure = _Expired(self._expired_reason()) if self._expired.is_set() else err
                timeout = self.connect_timeout_s if self._phase != "stream" else self.read_timeout_s
                reason = describe_failure(failure, self.name, self._phase, timeout)
            finally:
                deadline.cancel()
            self._close_connection()
            if self._stop.is_set():
                break
            wait = backoff_s(attempt, self._rng)
            attempt += 1
            self._lost(reason, wait)
            self._stop.wait(wait)
            self.reconnects += 1

    def _expire(self) -> None:
        """The first-message deadline passed: end the attempt (the feed thread reports why)."""
        if self.messages_this_connection == 0:
            self._expired.set()
            self._close_connection()

    def _expired_reason(self) -> str:
        t = f"{self.first_message_timeout_s:g}"
        if self._phase == "stream":
            return f"no trtui message within {t} s of connecting (a silent server: not 'trtui serve'?)"
        return f"no answer within {t} s of connecting (a silent or trickling server: not 'trtui serve'?)"

    def _follow(self) -> bool:
        """Read one connection's stream until it ends; True when any message arrived."""
        self.messages_this_connection = 0
        conn = self._connection(self.connect_timeout_s)
        with self._lock:
            self._conn = conn
        if self._stop.is_set():
            return False
        self._phase = "connect"
        conn.connect()
        with self._lock:
            self._sock = conn.sock
        self._phase = "response"
        conn.request("GET", f"{self._base}/stream", headers=self._headers())
        resp = conn.getresponse()
        if resp.status != 200:
            body = b""
            with suppress(OSError, http.client.HTTPException):
                body = resp.read(4096)
            said = server_text(body)
            said = f": {said}" if said else ""
            if resp.status == 401:
                raise _Answered(f"the server refused the token (HTTP 401{said}); check --token-file or "
                                "$TRTUI_TOKEN")
            raise _Answered(f"HTTP {resp.status} {server_text(resp.reason.encode())}{said}"
                            + (" (is this a 'trtui serve' address?)" if resp.status == 404 else ""))
        kind = resp.getheader("Content-Type", "")
        if not kind.startswith("text/event-stream"):
            shown = server_text(kind.encode()) or "no content type"
            raise _Answered(f"not a trtui server: /stream answered {shown}, not an event stream")
        self._phase = "stream"
        sock = self._sock  # conn.sock is None once an HTTP/1.0 answer took the socket over
        if sock is not None:
            sock.settimeout(self.read_timeout_s)
        decoder = WireDecoder()
        data: list[bytes] = []
        size = 0
        got = False
        while not self._stop.is_set():
            line = resp.readline(self.max_message + 1)
            if not line:
                return got
            if len(line) > self.max_message or not line.endswith(b"\n"):
                if len(line) > self.max_message:
                    raise WireError(f"a message larger than {self.max_message} bytes")
                return got  # a cut-off last line: the stream ended
            line = line.rstrip(b"\r\n")
            if not line:  # end of an event
                if data:
                    update = decoder.decode_line(b"\n".join(data))
                    data, size = [], 0
                    got = True
                    self.messages_this_connection += 1
                    self._received(update, decoder.control)
                continue
            if line.startswith(b":"):
                continue  # a keep-alive comment
            field, _, value = line.partition(b":")
            if field == b"data":
                value = value[1:] if value.startswith(b" ") else value
                size += len(value)
                if size > self.max_message:
                    raise WireError(f"a message larger than {self.max_message} bytes")
                data.append(value)
        return got

    # -- publishing ------------------------------------------------------------------------------

    def _received(self, update: Update, control: bool) -> None:
        self.last_update = update  # as the server sent it (the fleet overview reads it)
        info = update.profile.info
        if self._info is None or self._info_key is not info:  # the decoder keeps an unchanged info
            self._info_key = info
            self._info = dataclasses.replace(info, label=f"{info.label} @ {self.name}")
        shown = self._info
        update = dataclasses.replace(update, profile=dataclasses.replace(update.profile, info=shown))
        self._control = control
        self.connected = True
        self.last_error = None
        self.retry_at = None
        self.messages += 1
        self._publish(update)

    def _labelled(
        self, base: Update, what: str, error: str | None = None, notice: str | None = None
    ) -> Update:
        """`base` (the newest update, its numbers kept) labelled `where — what`, with `error` as
        the profile's error (the screen shows it under the label) and `notice` added."""
        p = base.profile
        where = f"{p.info.label} @ {self.name}" if p.info.label else self.name
        info = dataclasses.replace(p.info, label=f"{where} — {what}")
        notices = p.notices if notice is None else (*p.notices[-49:], notice)
        profile = dataclasses.replace(p, info=info, notices=notices, error=error)
        return dataclasses.replace(base, profile=profile)

    def _lost(self, reason: str, wait_s: float) -> None:
        self.connected = False
        self.last_error = reason
        self.retry_at = time.monotonic() + wait_s
        notice = f"connection to {self.url} lost: {reason}; retrying in {wait_s:.1f} s"
        self._publish(self._labelled(self.last_update or placeholder(""), f"CONNECTION LOST, retrying in "
                                     f"{wait_s:.1f} s", error=reason, notice=notice))

    def _publish(self, update: Update) -> None:
        if self._on_update is not None and not self._stop.is_set():
            self._on_update(update)
