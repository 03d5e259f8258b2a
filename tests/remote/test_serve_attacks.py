"""`trtui serve` under the cheap attacks of issue 22, on loopback, scaled down: oversized header
lines, slowloris, streams that never read, one address taking every slot, and methods other than
GET/HEAD/POST. Each fails against the former `http.server` layer (no reply to a header that never
ends, a per-read timeout, no per-address caps, a 501 page before the token check)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import pytest
from remote_support import InProcessServer, demo_updates

from trtui.remote.server import MAX_REQUEST_BYTES, Limits

TOKEN = "attack-test-token-0123456789"
UPDATES = demo_updates(3)
PROBE = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"


def connect(port: int, source: str = "127.0.0.1", rcvbuf: int | None = None) -> socket.socket:
    """A client socket from `source` (any 127.x address is this host)."""
    sock = socket.socket()
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(5)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def status(sock: socket.socket, timeout: float = 2.0) -> int:
    """The status code of the reply on `sock` (0 when it closed without one)."""
    sock.settimeout(timeout)
    head = b""
    with contextlib.suppress(ConnectionResetError):
        while b"\r\n" not in head and (chunk := sock.recv(4096)):
            head += chunk
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.") else 0


def probe(port: int, source: str = "127.0.0.1") -> tuple[int, float]:
    """GET /metrics: (status, seconds)."""
    t0 = time.monotonic()
    sock = connect(port, source)
    try:
        sock.sendall(PROBE)
        return status(sock), time.monotonic() - t0
    finally:
        sock.close()


@contextlib.contextmanager
def server(**kw: object) -> Iterator[InProcessServer]:
    s = InProcessServer(**kw)
    s.hub.publish(UPDATES[-1])
    try:
        yield s
    finally:
        s.close()


def test_a_header_that_never_ends_is_refused_once_it_passes_the_limit() -> None:
    # The attack: header lines of 65,000 bytes without the closing blank line. The bytes
    # are counted as they arrive, so the reply comes after MAX_REQUEST_BYTES, not after 6 MB.
    with server() as s:
        socks = [connect(s.port) for _ in range(8)]
        try:
            for sock in socks:
                sock.sendall(b"GET /metrics HTTP/1.1\r\nX-A: " + b"a" * (MAX_REQUEST_BYTES + 100))
            assert [status(sock) for sock in socks] == [431] * 8
            assert probe(s.port)[0] == 200
        finally:
            for sock in socks:
                sock.close()


def test_a_trickled_request_meets_a_deadline_for_the_whole_request() -> None:
    # Slowloris: one byte now and then resets a per-read timeout, not a deadline.
    with server(limits=Limits(deadline_s=1.0)) as s:
        sock = connect(s.port)
        try:
            sock.sendall(b"GET /metrics HTTP/1.1\r\nX-Slow: ")
            t0 = time.monotonic()
            closed_at = None
            while time.monotonic() - t0 < 3.0:
                try:
                    sock.sendall(b"a")
                except OSError:
                    closed_at = time.monotonic() - t0
                    break
                sock.settimeout(0.1)
                try:
                    reply = sock.recv(4096)
                except TimeoutError:
                    continue
                assert reply.startswith(b"HTTP/1.1 408 ") or reply == b""
                closed_at = time.monotonic() - t0
                break
            assert closed_at is not None and closed_at < 2.0
        finally:
            sock.close()


@pytest.mark.parametrize("attacker", ["127.0.0.2", "127.0.0.1"], ids=["other-address", "same-address"])
def test_slowloris_connections_do_not_hold_the_slots(attacker: str) -> None:
    # Every slot held by a request that never completes: the oldest incomplete one gives way to a
    # new connection, so /metrics answers at once, even from the attacker's own address.
    with server(limits=Limits(max_connections=8, connections_per_address=8)) as s:
        slow = []
        try:
            for _ in range(8):
                sock = connect(s.port, attacker)
                sock.sendall(b"GET /metrics HTTP/1.1\r\nX-Slow: a")
                slow.append(sock)
            time.sleep(0.2)
            results = [probe(s.port) for _ in range(16)]
            assert [code for code, _ in results] == [200] * 16
            assert max(seconds for _, seconds in results) < 1.0
        finally:
            for sock in slow:
                sock.close()


def test_one_address_cannot_take_every_connection() -> None:
    # Connections past their request (streams here) cannot give way; a per-address cap keeps them
    # from taking the slots of other clients.
    with server(limits=Limits(max_connections=8, connections_per_address=3)) as s:
        held = []
        try:
            for _ in range(3):
                sock = connect(s.port, "127.0.0.2")
                sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
                assert status(sock) == 200
                held.append(sock)
            assert probe(s.port, "127.0.0.2")[0] == 503
            assert probe(s.port, "127.0.0.1")[0] == 200
        finally:
            for sock in held:
                sock.close()


def test_streams_that_never_read_are_capped_per_address_and_dropped() -> None:
    big = demo_updates(4, layers=2000)  # ~150 KB a message: the buffers fill quickly
    limits = Limits(max_streams=4, streams_per_address=2, stall_s=0.5)
    with server(limits=limits) as s:
        s.hub.publish(big[0])
        quiet = []
        try:
            for _ in range(2):
                sock = connect(s.port, "127.0.0.2", rcvbuf=4096)
                sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
                quiet.append(sock)  # never read again
            time.sleep(0.2)
            third = connect(s.port, "127.0.0.2")
            third.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status(third) == 503  # two streams per address
            third.close()
            other = connect(s.port, "127.0.0.1")
            other.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status(other) == 200  # another address still gets a stream
            other.close()
            # New updates: the two quiet readers' buffers fill, they stall, they are dropped.
            t0 = time.monotonic()
            freed = False
            while not freed and time.monotonic() - t0 < 4.0:
                for u in big[1:]:
                    s.hub.publish(u)
                    time.sleep(0.05)
                again = connect(s.port, "127.0.0.2")
                again.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
                freed = status(again) == 200
                again.close()
            assert freed, "the non-reading streams still hold their slots"
        finally:
            for sock in quiet:
                sock.close()


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE", "TRACE", "PATCH"])
def test_other_methods_get_405_after_the_token_and_rate_checks(method: str) -> None:
    with server(token=TOKEN, rate=1.0) as s:  # a burst of 2, then 1 a second
        assert s.request(method, "/metrics")[0] == 401
        code, _, headers = s.request(method, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert code == 405 and headers["allow"] == "GET, HEAD"
        assert s.request(method, "/metrics", {"Authorization": f"Bearer {TOKEN}"})[0] == 429


def test_control_takes_only_post() -> None:
    with server(control=True) as s:
        code, _, headers = s.request("GET", "/control?action=pause")
        assert code == 405 and headers["allow"] == "POST" and s.actions == []
        code, _, headers = s.request("POST", "/metrics")
        assert code == 405 and headers["allow"] == "GET, HEAD"
