"""The attacks of issue 22 against `trtui serve demo --token-file F`, one at a time, each from a
child process of its own (so that the attackers' threads do not slow the prober's), while this
process asks for /metrics with the token 10 times a second from 127.0.0.1 and reads the server's
resident memory from /proc.

  quiet          no attack: the baseline
  headers        64 connections (127.0.0.2-65) each sending 99 header lines of 65,000 bytes without
                 the closing blank line; when cut off, again half a second later
  slowloris      320 connections (32 from each of 127.0.0.1-10, the prober's address among them)
                 each sending a request one byte every 8 s; closed ones reopened once a second (as
                 slowloris tools do)
  streams        32 /stream clients (4 from each of 127.0.0.2-9) that never read; reopening when
                 dropped or refused
  flood          64 addresses (127.0.0.2-65), a thread each, GET /metrics without the token 50
                 times a second each (3,200/s; the server allows 20/s per address)

Loopback only; every loop ends with its phase (and each socket has a timeout).
"""

from __future__ import annotations

import contextlib
import http.client
import multiprocessing
import os
import re
import select
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

COMMAND = "python -m bench remote"
TOKEN = "bench-attack-token-0123456789abcdef"
PROBE_EVERY_S = 0.1
P99_TARGET_MS = 50.0
RSS_TARGET_MB = 150.0
FLOOD_RATE = 50.0  # requests per second per address (the server allows 20, burst 40)


def _connect(port: int, source: str, timeout: float = 5.0) -> socket.socket:
    sock = socket.socket()
    sock.settimeout(timeout)
    try:
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


# -- attacks (each runs in a child process until `until`, a time.time()) ---------------------------


def _headers(port: int, until: float) -> None:
    header = b"X-Big: " + b"h" * 65_000 + b"\r\n"
    request = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + header * 99  # no closing blank line

    def one(i: int) -> None:
        source = f"127.0.0.{2 + i}"
        while time.time() < until:
            try:
                sock = _connect(port, source, timeout=2.0)
            except OSError:
                time.sleep(0.05)
                continue
            with contextlib.suppress(OSError):
                sock.sendall(request)
                sock.recv(4096)
            sock.close()
            time.sleep(0.5)  # then again: a new connection twice a second per address

    _threads(64, one, until)


def _slowloris(port: int, until: float) -> None:
    sel = selectors.DefaultSelector()
    start = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "
    slots = [f"127.0.0.{1 + i // 32}" for i in range(320)]
    open_: dict[int, tuple[socket.socket, float]] = {}

    def opened(i: int) -> None:
        try:
            sock = _connect(port, slots[i], timeout=1.0)
            sock.sendall(start)
        except OSError:
            return
        sock.setblocking(False)
        open_[i] = (sock, time.time())
        sel.register(sock, selectors.EVENT_READ, i)

    for i in range(len(slots)):
        opened(i)
    next_tick = time.time() + 1.0
    while time.time() < until:
        for key, _ in sel.select(timeout=0.2):  # a reply (408, 503) or a close
            i = key.data
            sock = open_.pop(i)[0]
            sel.unregister(sock)
            sock.close()
        now = time.time()
        if now < next_tick:
            continue
        next_tick = now + 1.0  # once a second: a byte where 8 s passed, reopen what was closed
        for i, (sock, last) in list(open_.items()):
            if now - last >= 8.0:
                try:
                    sock.send(b"a")
                    open_[i] = (sock, now)
                except OSError:
                    sel.unregister(sock)
                    sock.close()
                    del open_[i]
        for i in range(len(slots)):
            if i not in open_ and time.time() < until:
                opened(i)
    for sock, _ in open_.values():
        sock.close()


def _streams(port: int, until: float) -> None:
    def one(i: int) -> None:
        source = f"127.0.0.{2 + i // 4}"
        while time.time() < until:
            try:
                sock = _connect(port, source, timeout=2.0)
                sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            except OSError:
                time.sleep(0.2)
                continue
            # Never read: wait (bounded) until the server drops the connection.
            poll = select.poll()
            poll.register(sock, select.POLLERR | select.POLLHUP | getattr(select, "POLLRDHUP", 0))
            while time.time() < until and not poll.poll(500):
                pass
            time.sleep(0.5)  # dropped or refused: again half a second later
            sock.close()

    _threads(32, one, until)


def _flood(port: int, until: float) -> None:
    def one(i: int) -> None:
        source = f"127.0.0.{2 + i}"
        next_at = time.time()
        while time.time() < until:
            next_at += 1.0 / FLOOD_RATE
            time.sleep(max(0.0, next_at - time.time()))
            try:
                sock = _connect(port, source, timeout=2.0)
                sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                sock.recv(4096)
            except OSError:
                time.sleep(0.01)
                continue
            finally:
                with contextlib.suppress(UnboundLocalError):
                    sock.close()

    _threads(64, one, until)


def _threads(n: int, body: Callable[[int], None], until: float) -> None:
    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, until - time.time()) + 5.0)


ATTACKS: dict[str, tuple[Callable[[int, float], None] | None, str]] = {
    "quiet": (None, "no attack"),
    "headers": (_headers, "64 addresses: 99 headers x 65,000 bytes, no blank line, 2 connections/s each"),
    "slowloris": (_slowloris, "320 connections from 10 addresses, 1 byte / 8 s, reopened each second"),
    "streams": (_streams, "32 /stream clients from 8 addresses that never read"),
    "flood": (_flood, f"64 addresses x {FLOOD_RATE:.0f} requests/s for /metrics without the token"),
}


# -- measuring ----------------------------------------------------------------------------------------


def _rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of `pid` so far."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return float("nan")


def _probe(port: int) -> float | None:
    """One GET /metrics with the token from 127.0.0.1: milliseconds, or None if not a 200."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        resp = conn.getresponse()
        resp.read()
        ok = resp.status == 200
    except (OSError, http.client.HTTPException):
        ok = False
    finally:
        conn.close()
    return (time.perf_counter() - t0) * 1000.0 if ok else None


def _phase(name: str, port: int, pid: int, seconds: float) -> dict[str, float]:
    attack = ATTACKS[name][0]
    child = None
    if attack is not None:
        child = multiprocessing.get_context("fork").Process(
            target=attack, args=(port, time.time() + seconds + 1.0), daemon=True
        )
        child.start()
        time.sleep(1.0)  # the attack takes hold
    times: list[float] = []
    failed = 0
    rss = _rss_mb(pid)
    cpu0, t0_phase = _cpu_s(pid), time.monotonic()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        ms = _probe(port)
        if ms is None:
            failed += 1
        else:
            times.append(ms)
        rss = max(rss, _rss_mb(pid))
        time.sleep(max(0.0, PROBE_EVERY_S - (time.monotonic() - t0)))
    cpu = (_cpu_s(pid) - cpu0) / (time.monotonic() - t0_phase) * 100.0
    if child is not None:
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join(5)
    time.sleep(1.5)  # lingering connections close
    times.sort()

    def pct(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))] if times else float("nan")

    return {
        "p50": pct(0.50),
        "p99": pct(0.99),
        "failed": failed,
        "probes": len(times) + failed,
        "rss": rss,
        "rss_after": _rss_mb(pid),
        "cpu": cpu,
    }


@contextlib.contextmanager
def serve_demo(root: Path, *extra: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`trtui serve demo` from the checkout `root` on a free loopback port, warmed up 3 s: yields
    (the process, its port); SIGTERM (then kill) on the way out."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "trtui", "serve", "demo", "--listen", "127.0.0.1:0", *extra],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        m = re.search(r":(\d+)\s*$", proc.stderr.readline())
        if not m:
            raise RuntimeError("trtui serve did not start")
        time.sleep(3.0)  # warm-up: the first ticks, imports
        yield proc, int(m.group(1))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def attacks(seconds: float, serve_root: Path) -> list[dict[str, Any]]:
    """Rows: /metrics p50 and p99 and the server's peak RSS, quiet and under each attack."""
    with tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "token"
        token_file.write_text(TOKEN)
        token_file.chmod(0o600)
        with serve_demo(serve_root, "--token-file", str(token_file)) as (proc, port):
            results = {name: _phase(name, port, proc.pid, seconds) for name in ATTACKS}
    quiet = results["quiet"]
    rows: list[dict[str, Any]] = []
    for name, r in results.items():
        what = ATTACKS[name][1]
        served = f"{r['probes'] - r['failed']:.0f}/{r['probes']:.0f} probes answered 200"
        p99 = {
            "name": f"serve attack {name}: /metrics p99",
            "value": r["p99"],
            "unit": "ms",
            "command": COMMAND,
            "note": f"{what}; {served}; server CPU {r['cpu']:.0f}% of a core; "
            f"target < {P99_TARGET_MS:.0f} ms",
            "baseline": P99_TARGET_MS,
        }
        if name != "quiet" and quiet["p99"] == quiet["p99"] and quiet["p99"] > 0:
            p99["ratio"] = r["p99"] / quiet["p99"]
        rows += [
            {
                "name": f"serve attack {name}: /metrics p50",
                "value": r["p50"],
                "unit": "ms",
                "command": COMMAND,
                "note": f"{what}; {served}",
            },
            p99,
            {
                "name": f"serve attack {name}: server RSS (peak)",
                "value": r["rss"],
                "unit": "MB",
                "command": COMMAND,
                "note": f"{what}; {r['rss_after']:.0f} MB after; target < {RSS_TARGET_MB:.0f} MB",
                "baseline": RSS_TARGET_MB,
            },
        ]
    return rows
