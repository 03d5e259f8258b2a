"""Helpers for the remote tests: deterministic demo updates, an in-process server, `trtui serve`
subprocesses on free loopback ports."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trtui.core.options import RunOptions
from trtui.pipeline.session import Session
from trtui.recording.summary import summary_dict
from trtui.remote.hub import UpdateHub
from trtui.remote.metrics import LatencyTap, RunCollector, registry_for
from trtui.remote.server import RunServer
from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry
from trtui.stats.update import Update

ROOT = Path(__file__).resolve().parents[2]


def demo_updates(n: int, layers: int | None = None, seed: int = 1, step_s: float = 0.25) -> list[Update]:
    """`n` consecutive updates of the simulated engine on a fake clock (fast, deterministic)."""
    t = [100.0]
    src = SimulatedSource(RunOptions(seed=seed, layers=layers), clock=lambda: t[0])
    ses = Session(src, SimulatedTelemetry(src, clock=lambda: t[0]), clock=lambda: t[0])
    ses.open()
    out = []
    for _ in range(n):
        t[0] += step_s
        ses.ingest(src.read(0))
        ses._sample_telemetry()
        out.append(ses.build_update())
    ses.close()
    return out


class InProcessServer:
    """A `RunServer` on a free loopback port over a hub the test publishes to."""

    def __init__(
        self,
        token: str | None = None,
        control: bool = False,
        rate: float = 1000.0,
        port: int = 0,
        **kw: object,
    ):
        self.hub = UpdateHub()
        self.actions: list[str] = []
        self.tap = LatencyTap(SimulatedSource())
        registry = registry_for(RunCollector(self.hub.latest, self.tap))

        def metrics(_: Update | None) -> bytes:
            from prometheus_client import generate_latest

            return bytes(generate_latest(registry))

        def snapshot(u: Update | None) -> bytes:
            return json.dumps(summary_dict(u)).encode() if u else b"{}"

        self.server = RunServer(
            ("127.0.0.1", port),
            self.hub,
            metrics,
            snapshot,
            token=token,
            control=self.actions.append if control else None,
            rate=rate,
            **kw,  # type: ignore[arg-type]
        )
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()

    def close(self) -> None:
        self.server.close()
        self._thread.join(5)


@contextmanager
def served(
    *extra: str, env: dict[str, str] | None = None, source: str = "demo"
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`trtui serve SOURCE --listen 127.0.0.1:0 ...` in a subprocess; yields (process, base URL)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "trtui", "serve", source, "--listen", "127.0.0.1:0", *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: SIGINT at its default even when the test runner was started in the
        # background (where the shell ignores it, and Python would then ignore it too).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        assert m, f"trtui serve did not start: {line!r}"
        yield proc, m.group(1)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def get(url: str, path: str, token: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_until(test, timeout: float = 10.0, step: float = 0.05):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = test()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")
