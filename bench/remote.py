"""`trtui serve` under scrape load and under attack, on loopback only.

Scrape load: 50 concurrent scrapers of /metrics for 30 s must leave the run's throughput within 5%
of the same run without them (simulated engine).

The served demo runs in its own process (`trtui serve demo --rate 100000`, so that every scrape
is served, not refused by the rate limit); the scrapers are threads of this process, each
scraping as fast as it is answered. Throughput is read from /snapshot (inferences over
duration) for a quiet phase, then for the loaded phase, of `TRTUI_BENCH_REMOTE_S` seconds each
(default 30; 0 skips this part). The ratio is loaded / quiet throughput; the goal is >= 0.95.

Attacks (see `attacks()`): a second `trtui serve demo` with a token file and the default limits;
a prober with the token asks for /metrics 10 times a second from 127.0.0.1 while one attack at a
time runs for `TRTUI_BENCH_ATTACK_S` seconds (default 10) from a child process of its own, and the
server's resident memory is read from /proc. The targets: /metrics p99 < 50 ms under each attack,
server RSS < 150 MB. `TRTUI_BENCH_SERVE_ROOT` serves from another checkout (e.g. an older one, to
compare). All traffic goes to 127.0.0.1, from 127.0.0.x; every loop is bounded in time.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

COMMAND = "python -m bench remote"
SCRAPERS = 50
PHASE_S = float(os.environ.get("TRTUI_BENCH_REMOTE_S", "30"))
ROOT = Path(__file__).resolve().parent.parent
ATTACK_S = float(os.environ.get("TRTUI_BENCH_ATTACK_S", "10"))
SERVE_ROOT = Path(os.environ.get("TRTUI_BENCH_SERVE_ROOT", str(ROOT)))


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _count(port: int) -> tuple[int, float]:
    status, body = _get(port, "/snapshot")
    if status != 200:
        raise RuntimeError(f"/snapshot answered {status}")
    summary = json.loads(body)
    return int(summary["iterations"]), time.monotonic()


def _throughput(port: int, seconds: float) -> float:
    n0, t0 = _count(port)
    time.sleep(seconds)
    n1, t1 = _count(port)
    return (n1 - n0) / (t1 - t0)


def run() -> list[dict[str, Any]]:
    rows = throughput() if PHASE_S > 0 else []
    if ATTACK_S > 0:
        from bench._remote_attacks import attacks

        rows += attacks(ATTACK_S, SERVE_ROOT)
    return rows


def throughput() -> list[dict[str, Any]]:
    from bench._remote_attacks import serve_demo

    with serve_demo(ROOT, "--rate", "100000") as (_proc, port):
        quiet = _throughput(port, PHASE_S)
        stop = threading.Event()
        served = [0] * SCRAPERS
        failed = [0] * SCRAPERS

        def scrape(i: int) -> None:
            while not stop.is_set():
                try:
                    status, _ = _get(port, "/metrics")
                except OSError:
                    failed[i] += 1
                    continue
                if status == 200:
                    served[i] += 1
                else:
                    failed[i] += 1

        threads = [threading.Thread(target=scrape, args=(i,), daemon=True) for i in range(SCRAPERS)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        s0 = sum(served)
        loaded = _throughput(port, PHASE_S)
        scrapes = (sum(served) - s0) / PHASE_S
        stop.set()
        for t in threads:
            t.join(15)
    ratio = loaded / quiet if quiet else float("nan")
    note = f"{SCRAPERS} scrapers, {PHASE_S:.0f} s per phase, simulated engine; goal >= 0.95"
    rows = [
        ("serve: throughput under scrape load / quiet", ratio, "x", note),
        ("serve: quiet throughput", quiet, "inf/s", "simulated engine, no scrapers"),
        (
            "serve: /metrics scrapes served",
            scrapes,
            "scrapes/s",
            f"{SCRAPERS} scrapers; {sum(failed)} failed",
        ),
    ]
    out: list[dict[str, Any]] = [
        {"name": name, "value": float(value), "unit": unit, "command": COMMAND, "note": text}
        for name, value, unit, text in rows
    ]
    out[0].update(ratio=ratio, baseline=0.95)
    return out
