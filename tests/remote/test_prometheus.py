"""A real Prometheus server (Debian's `prometheus`) scrapes `trtui serve demo` on loopback, with
the bearer token, and its HTTP API then answers for the latency metrics. CI installs the package
(.ci/run); outside CI the test is skipped when the binary is missing, in CI it fails."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from remote_support import served

TOKEN = "prometheus-test-token-0123456789"
PROMETHEUS = shutil.which("prometheus")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def query(port: int, expr: str) -> list[dict[str, object]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = json.loads(resp.read())
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def test_prometheus_scrapes_the_served_demo(tmp_path: Path) -> None:
    if PROMETHEUS is None:
        if os.environ.get("CI"):
            pytest.fail("the prometheus binary is missing in CI (.ci/run installs Debian's prometheus)")
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o600)  # serve refuses a token file that others can read
    with served("--token-file", str(token_file)) as (_, url):
        target = url.removeprefix("http://")
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: trtui\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
            f"    authorization:\n      credentials_file: {token_file}\n"
            f"    static_configs:\n      - targets: ['{target}']\n"
        )
        port = free_port()
        log = (tmp_path / "prometheus.log").open("w")
        prom = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 45
            result: list[dict[str, object]] = []
            while time.monotonic() < deadline and prom.poll() is None:
                try:
                    result = query(port, "trtui_inference_latency_seconds_count")
                except OSError:
                    result = []
                if result and float(result[0]["value"][1]) > 0:  # type: ignore[index]
                    break
                time.sleep(0.5)
            assert result, (tmp_path / "prometheus.log").read_text()[-2000:]
            metric = result[0]["metric"]
            assert metric["simulated"] == "true" and metric["job"] == "trtui"  # type: ignore[index]
            p99 = query(port, "trtui_latency_p99_seconds")
            assert 0 < float(p99[0]["value"][1]) < 1  # type: ignore[index]
            up = query(port, "up")
            assert float(up[0]["value"][1]) == 1  # type: ignore[index]  (the token was accepted)
        finally:
            prom.terminate()
            try:
                prom.wait(10)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait(5)
            log.close()
