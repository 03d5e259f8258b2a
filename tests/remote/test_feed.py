"""`RemoteFeed` (what `trtui attach` reads): updates arrive decoded; a server that goes away, a
wrong token, or a broken or hostile server becomes a visible lost-connection update and a
reconnect with back-off; the thread never dies and `stop` returns promptly."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from remote_support import InProcessServer, demo_updates, wait_until

from trtui.remote.feed import BACKOFF_MAX_S, RemoteFeed, backoff_s
from trtui.stats.update import Update

UPDATES = demo_updates(4)
TOKEN = "feed-test-token-0123456789"


class Collect:
    def __init__(self) -> None:
        self.got: list[Update] = []

    def __call__(self, u: Update) -> None:
        self.got.append(u)

    def labels(self) -> list[str]:
        return [u.profile.info.label for u in self.got]


@pytest.fixture
def feed_for() -> Iterator[Callable[..., tuple[RemoteFeed, Collect]]]:
    feeds: list[RemoteFeed] = []

    def make(url: str, token: str | None = None, **kw: object) -> tuple[RemoteFeed, Collect]:
        feed = RemoteFeed(url, token, seed=1, **kw)  # type: ignore[arg-type]
        out = Collect()
        feed.start(out)
        feeds.append(feed)
        return feed, out

    yield make
    for f in feeds:
        t0 = time.monotonic()
        f.stop(timeout=3)
        assert time.monotonic() - t0 < 3


def test_updates_arrive_decoded_and_read_only_by_default(
    feed_for: Callable[..., tuple[RemoteFeed, Collect]],
) -> None:
    srv = InProcessServer()
    try:
        feed, out = feed_for(srv.url)
        assert "connecting" in out.labels()[0]
        for u in UPDATES:
            srv.hub.publish(u)
            time.sleep(0.05)
        wait_until(lambda: feed.messages >= 2)
        last = out.got[-1].profile
        assert last.info.label == f"{UPDATES[0].profile.info.label} @ 127.0.0.1:{srv.port}"
        assert last.info.simulated and last.latency_total.count > 0
        assert feed.connected and not feed.can_control
        feed.set_paused(True)  # a no-op: the server did not allow control
        time.sleep(0.2)
        assert srv.actions == []
    finally:
        srv.close()


def test_control_goes_to_the_server_when_it_allows_it(
    feed_for: Callable[..., tuple[RemoteFeed, Collect]],
) -> None:
    srv = InProcessServer(control=True)
    try:
        srv.hub.publish(UPDATES[0])
        feed, _ = feed_for(srv.url)
        wait_until(lambda: feed.can_control)
        feed.set_paused(True)
        feed.reset()
        wait_until(lambda: len(srv.actions) == 2)
        assert sorted(srv.actions) == ["pause", "reset"]
    finally:
        srv.close()


def test_a_server_killed_mid_run_shows_as_lost_and_is_reconnected(
    feed_for: Callable[..., tuple[RemoteFeed, Collect]],
) -> None:
    srv = InProcessServer()
    srv.hub.publish(UPDATES[0])
    feed, out = feed_for(srv.url)
    wait_until(lambda: feed.messages >= 1)
    port = srv.port
    srv.close()  # the server goes away
    wait_until(lambda: not feed.connected and feed.last_error is not None)
    lost = wait_until(lambda: [u for u in out.got if "CONNECTION LOST" in u.profile.info.label])
    assert lost[-1].profile.latency_total == UPDATES[0].profile.latency_total  # last numbers kept
    assert "retrying in" in lost[-1].profile.notices[-1]
    # A server on the same port again: the feed comes back by itself.
    again = InProcessServer(port=port)
    try:
        again.hub.publish(UPDATES[1])
        wait_until(lambda: feed.connected and feed.messages >= 2, timeout=20)
        assert feed.reconnects >= 1
        assert "CONNECTION LOST" not in out.got[-1].profile.info.label
    finally:
        again.close()


def test_a_wrong_token_is_reported(feed_for: Callable[..., tuple[RemoteFeed, Collect]]) -> None:
    srv = InProcessServer(token=TOKEN)
    srv.hub.publish(UPDATES[0])
    try:
        feed, _ = feed_for(srv.url, "wrong-token-0123456789")
        wait_until(lambda: feed.last_error is not None)
        assert "401" in (feed.last_error or "") and not feed.connected
        ok, _ = feed_for(srv.url, TOKEN)
        wait_until(lambda: ok.messages >= 1)
    finally:
        srv.close()


def hostile_server(payload: bytes) -> tuple[int, Callable[[], None]]:
    """A loopback server that answers every connection with `payload` and then closes."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    lsock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = lsock.accept()
            except OSError:
                continue
            try:
                conn.recv(65536)
                conn.sendall(payload)
            except OSError:
                pass
            finally:
                conn.close()

    threading.Thread(target=serve, daemon=True).start()

    def close() -> None:
        stop.set()
        lsock.close()

    return lsock.getsockname()[1], close


SSE = b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (SSE + b"data: {not json\n\n", "bad data"),
        (SSE + b'data: {"wire": "trtui.wire/1", "simulated": true}\n\n', "bad data"),
        (SSE + b"data: " + b"x" * 5000 + b"\n\n", "larger than"),
        (SSE + b"data: " + b"[" * 4000 + b"\n\n", "bad data"),
        (b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>", "not an event stream"),
        (b"HTTP/1.0 500 Oops\r\n\r\n", "HTTP 500"),
        (b"garbage\r\n\r\n", "not a trtui server: its answer is not HTTP"),
        (b"HTTP/1.0 401 Unauthorized\r\n\r\nbad token\x1b[31m here", "HTTP 401: bad token [31m here"),
        (b"HTTP/1.0 404 Not Found\r\n\r\n", "is this a 'trtui serve' address?"),
        (SSE, "closed the stream"),
    ],
    ids=["json", "fields", "oversized", "nested", "html", "500", "garbage", "401", "404", "empty"],
)
def test_a_broken_or_hostile_server_never_crashes_the_feed(
    feed_for: Callable[..., tuple[RemoteFeed, Collect]], payload: bytes, says: str
) -> None:
    port, close = hostile_server(payload)
    try:
        feed, out = feed_for(f"http://127.0.0.1:{port}", max_message=4096)
        wait_until(lambda: feed.last_error is not None)
        assert says in (feed.last_error or ""), feed.last_error
        assert feed._thread is not None and feed._thread.is_alive()
        assert any("CONNECTION LOST" in label for label in out.labels())
    finally:
        close()


def test_backoff_doubles_is_capped_and_jittered() -> None:
    rng = random.Random(0)
    waits = [backoff_s(a, rng) for a in range(12)]
    assert waits[0] < 1.0 and waits[3] > 2 * waits[0]
    assert max(waits) <= BACKOFF_MAX_S * 1.2 and waits[-1] >= BACKOFF_MAX_S * 0.8
    assert backoff_s(10**6, rng) <= BACKOFF_MAX_S * 1.2


def test_a_refused_connection_is_said_in_words(feed_for: Callable[..., tuple[RemoteFeed, Collect]]) -> None:
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    port = lsock.getsockname()[1]
    lsock.close()  # nothing listens there now
    feed, out = feed_for(f"http://127.0.0.1:{port}")
    wait_until(lambda: feed.last_error is not None)
    assert feed.last_error == (f"connection refused: nothing listens at 127.0.0.1:{port} "
                               "(is 'trtui serve' running there?)")
    lost = wait_until(lambda: [u for u in out.got if "CONNECTION LOST" in u.profile.info.label])
    assert lost[-1].profile.error == feed.last_error  # the screen shows it under the label


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (None, "no answer within 1 s of connecting"),
        (SSE + b": keep-alive\n\n", "no trtui message within 1 s"),
    ],
    ids=["silent", "keep-alives-only"],
)
def test_a_silent_server_ends_the_attempt_with_a_reason(
    feed_for: Callable[..., tuple[RemoteFeed, Collect]], payload: bytes | None, says: str
) -> None:
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = lsock.accept()
                held.append(conn)
                if payload is not None:
                    conn.sendall(payload)  # and then nothing more, the connection held open

    threading.Thread(target=accept, daemon=True).start()
    try:
        feed, _ = feed_for(f"http://127.0.0.1:{lsock.getsockname()[1]}", first_message_timeout_s=1.0,
                           connect_timeout_s=30.0, read_timeout_s=30.0)
        wait_until(lambda: feed.last_error is not None, timeout=5)
        assert says in (feed.last_error or ""), feed.last_error
    finally:
        lsock.close()
        for conn in held:
            conn.close()
