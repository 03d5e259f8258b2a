"""`RemoteFeed`: an `UpdateFeed` fed by a `trtui serve` stream (`trtui attach URL`).

One thread connects to URL/stream, decodes each server-sent event with a `WireDecoder` and
publishes the `Update`. Whatever goes wrong (refused, reset, timeout, a 401, a malformed or
oversized message from a broken or hostile server) becomes one visible state: the newest update
is republished with "CONNECTION LOST" in its label and the reason as a notice, and the feed
reconnects with exponential back-off (jittered, capped). Nothing raises out of the thread.

Control (pause, resume, reset) is sent only when the server says it allows it (`--allow-control`).
"""

from __future__ import annotations

import dataclasses
import http.client
import random
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from trtui.errors import UserError
from trtui.model import SourceInfo, frozen_array
from trtui.reconfig import Reconfigured
from trtui.remote.checks import WireError
from trtui.remote.wire_decode import WireDecoder
from trtui.stats.snapshot import LatencyStats, LayerTable, ProfileSnapshot
from trtui.stats.update import Update

MAX_MESSAGE = 64 * 1024 * 1024  # one event; a 20,000-layer engine's first message is a few MB
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0  # the server sends at least a keep-alive every 5 s
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


def backoff_s(attempt: int, rng: random.Random) -> float:
    """Seconds to wait before reconnect `attempt` (0-based): doubling, capped, jittered +-20%."""
    base = min(BACKOFF_MIN_S * (2.0 ** min(attempt, 30)), BACKOFF_MAX_S)
    return base * rng.uniform(0.8, 1.2)


class RemoteFeed:
    def __init__(
        self,
        url: str,
        token: str | None = None,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        read_timeout_s: float = READ_TIMEOUT_S,
        max_message: int = MAX_MESSAGE,
        seed: int | None = None,
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
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self._on_update: Callable[[Update], None] | None = None
        self._control = False
        self.connected = False
        self.last_error: str | None = None
        self.retry_at: float | None = None  # time.monotonic() of the next attempt while lost
        self.last_update: Update | None = None  # the newest update from the server
        self.messages = 0
        self._info_key: SourceInfo | None = None
        self._info: SourceInfo | None = None
        self.reconnects = 0

    # -- UpdateFeed ------------------------------------------------------------------------------

    @property
    def can_control(self) -> bool:
        return self._control and self.connected

    def start(self, on_update: Callable[[Update], None]) -> None:
        self._on_update = on_update
        self._publish(placeholder(f"{self.name} — connecting…"))
        self._thread = threading.Thread(target=self._run, name=f"trtui-attach-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._close_connection()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def set_paused(self, paused: bool) -> None:
        self._send_control("pause" if paused else "resume")

    def reset(self) -> None:
        self._send_control("reset")

    @property
    def can_reconfigure(self) -> bool:
        return False  # a remote run keeps its batch and streams (the server offers no such control)

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
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
        if conn is not None:
            sock = conn.sock
            try:
                if sock is not None:
                    sock.shutdown(2)  # unblocks a read in the feed thread
            except OSError:
                pass
            conn.close()

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                got = self._follow()
                reason = "the server closed the stream"
                if got:
                    attempt = 0
            except WireError as err:
                reason = f"bad data from the server ({err})"
            except http.client.HTTPException as err:
                reason = f"HTTP error ({type(err).__name__})"
            except OSError as err:
                reason = err.strerror or str(err) or type(err).__name__
            except Exception as err:  # never let the thread die: report and retry
                reason = f"{type(err).__name__}: {err}"
            self._close_connection()
            if self._stop.is_set():
                break
            wait = backoff_s(attempt, self._rng)
            attempt += 1
            self._lost(reason, wait)
            self._stop.wait(wait)
            self.reconnects += 1

    def _follow(self) -> bool:
        """Read one connection's stream until it ends; True when any message arrived."""
        conn = self._connection(self.connect_timeout_s)
        with self._lock:
            self._conn = conn
        if self._stop.is_set():
            return False
        conn.request("GET", f"{self._base}/stream", headers=self._headers())
        resp = conn.getresponse()
        if resp.status == 401:
            raise OSError("the server refused the token (HTTP 401); check --token-file or $TRTUI_TOKEN")
        if resp.status != 200:
            raise OSError(f"HTTP {resp.status} {resp.reason[:80]}")
        if not resp.getheader("Content-Type", "").startswith("text/event-stream"):
            raise WireError("not an event stream (is this a trtui serve address?)")
        if conn.sock is not None:
            conn.sock.settimeout(self.read_timeout_s)
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

    def _lost(self, reason: str, wait_s: float) -> None:
        self.connected = False
        self.last_error = reason
        self.retry_at = time.monotonic() + wait_s
        base = self.last_update or placeholder("")
        p = base.profile
        where = f"{p.info.label} @ {self.name}" if p.info.label else self.name
        info = dataclasses.replace(p.info, label=f"{where} — CONNECTION LOST, retrying")
        notice = f"connection to {self.url} lost: {reason}; retrying in {wait_s:.1f} s"
        profile = dataclasses.replace(p, info=info, notices=(*p.notices[-49:], notice))
        self._publish(dataclasses.replace(base, profile=profile))

    def _publish(self, update: Update) -> None:
        if self._on_update is not None and not self._stop.is_set():
            self._on_update(update)
