"""The HTTP endpoints of `trtui serve`, in process: what they answer, and the limits (token,
request size, header count, rate, connections, control off by default)."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from remote_support import InProcessServer, demo_updates

from trtui.recording.summary import summary_dict
from trtui.remote.metrics import LatencyTap
from trtui.remote.server import MAX_BODY, MAX_HEADERS, MAX_REQUEST_LINE, Limits, RateLimiter
from trtui.remote.wire_decode import WireDecoder
from trtui.sources.simulated import SimulatedSource

UPDATES = demo_updates(6)
TOKEN = "s3cret-token-0123456789"


@pytest.fixture
def srv() -> Iterator[InProcessServer]:
    s = InProcessServer()
    s.hub.publish(UPDATES[-1])
    yield s
    s.close()


def samples(body: bytes) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def test_metrics_are_prometheus_text_and_every_series_says_simulated(srv: InProcessServer) -> None:
    status, body, headers = srv.request("GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    got = samples(body)
    p = UPDATES[-1].profile
    assert got["trtui_latency_p99_seconds"][0][1] == pytest.approx(p.latency_window.p99 / 1000)
    assert got["trtui_inferences_total"][0][1] == p.latency_total.count
    assert got["trtui_profiled_inferences_total"][0][1] == p.layers_total.iterations
    info = got["trtui_info"][0][0]
    assert info["simulated"] == "true" and info["device"] and info["precision"]
    layers = got["trtui_layer_share_ratio"]
    assert len(layers) == 20  # top 20 by default: bounded cardinality
    shares = [v for _, v in sorted(layers, key=lambda lv: int(lv[0]["rank"]))]
    assert shares == sorted(shares, reverse=True)
    assert got["trtui_gpu_power_watts"][0][1] == pytest.approx(UPDATES[-1].telemetry.power_w)  # type: ignore[union-attr]
    energy = UPDATES[-1].energy
    assert energy is not None and energy.window  # the simulated telemetry reports power
    by_scope = {labels["scope"]: v for labels, v in got["trtui_energy_per_inference_joules"]}
    gpu = energy.figure("gpu")
    assert gpu is not None and by_scope["gpu"] == pytest.approx(gpu.j_per_inference)
    assert all(labels.get("simulated") == "true" for series in got.values() for labels, _ in series)


def test_the_latency_histogram_counts_every_inference_the_tap_saw() -> None:
    tap = LatencyTap(SimulatedSource())
    tap.start()
    time.sleep(0.3)
    batch = tap.read(0.1)
    tap.stop()
    buckets, total = tap.histogram()
    assert buckets[-1] == ("+Inf", float(len(batch.latencies_ms)))
    counts = [n for _, n in buckets]
    assert counts == sorted(counts) and counts[-1] > 0
    assert total == pytest.approx(float(sum(batch.latencies_ms)) / 1000.0)


def test_snapshot_is_the_json_summary(srv: InProcessServer) -> None:
    status, body, headers = srv.request("GET", "/snapshot")
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == json.loads(json.dumps(summary_dict(UPDATES[-1])))


def test_snapshot_before_any_data_is_503_and_unknown_paths_404() -> None:
    s = InProcessServer()
    try:
        assert s.request("GET", "/snapshot")[0] == 503
        assert s.request("GET", "/etc/passwd")[0] == 404
        assert s.request("GET", "/../metrics")[0] == 404
        assert s.request("PUT", "/metrics")[0] == 405
    finally:
        s.close()


def test_the_stream_sends_decodable_events(srv: InProcessServer) -> None:
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=20)  # generous: CI machines are shared
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    f = sock.makefile("rb")
    assert b"200" in f.readline()
    while f.readline() not in (b"\r\n", b""):
        pass
    dec = WireDecoder()
    events = []
    for u in UPDATES[:3]:
        srv.hub.publish(u)
    deadline = time.monotonic() + 5
    while len(events) < 2 and time.monotonic() < deadline:
        line = f.readline()
        if line.startswith(b"data: "):
            events.append(dec.decode_line(line[6:]))
    sock.close()
    assert events and all(e.profile.info.simulated for e in events)
    assert events[0].profile.seq in {u.profile.seq for u in UPDATES}


def test_a_token_is_required_and_compared_exactly() -> None:
    s = InProcessServer(token=TOKEN)
    s.hub.publish(UPDATES[-1])
    try:
        for path in ("/metrics", "/snapshot", "/stream", "/"):
            assert s.request("GET", path)[0] == 401
        for bad in (
            f"Bearer {TOKEN[:-1]}",
            f"Bearer {TOKEN}x",
            f"Basic {TOKEN}",
            TOKEN,
            "Bearer ",
            "Bearer \xff",
        ):
            status, _, headers = s.request("GET", "/metrics", {"Authorization": bad})
            assert status == 401 and headers["www-authenticate"].startswith("Bearer")
        assert s.request("GET", "/metrics", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
    finally:
        s.close()


def raw(port: int, data: bytes) -> bytes:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        out = b""
        with contextlib.suppress(OSError):  # the server may have answered and closed already
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        while chunk := sock.recv(65536):
            out += chunk
        return out
    except ConnectionResetError:
        return out
    finally:
        sock.close()


def code_of(reply: bytes) -> int:
    """The status code of a raw HTTP reply (0 when there is none)."""
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", reply)
    return int(m.group(1)) if m else 0


def test_oversized_requests_are_refused(srv: InProcessServer) -> None:
    long_line = b"GET /metrics?" + b"a" * MAX_REQUEST_LINE + b" HTTP/1.0\r\n\r\n"
    assert code_of(raw(srv.port, long_line)) == 414
    huge_line = b"GET /" + b"a" * 70_000 + b" HTTP/1.0\r\n\r\n"
    assert code_of(raw(srv.port, huge_line)) == 414
    many = (
        b"GET /metrics HTTP/1.0\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(MAX_HEADERS + 1)) + b"\r\n"
    )
    assert code_of(raw(srv.port, many)) == 431
    fat = b"GET /metrics HTTP/1.0\r\nX-A: " + b"b" * 9000 + b"\r\n\r\n"
    assert code_of(raw(srv.port, fat)) == 431
    body = b"POST /control?action=pause HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1)
    assert code_of(raw(srv.port, body + b"x" * (MAX_BODY + 1))) == 413
    chunked = b"POST /control?action=pause HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert code_of(raw(srv.port, chunked)) == 413
    assert srv.request("GET", "/metrics")[0] == 200  # still serving


def test_requests_beyond_the_rate_get_429() -> None:
    s = InProcessServer(rate=5.0)
    s.hub.publish(UPDATES[-1])
    try:
        codes = [s.request("GET", "/metrics")[0] for _ in range(25)]
        assert codes.count(200) >= 10 and codes[-1] == 429  # burst of 10, then limited
    finally:
        s.close()


def test_rate_limiter_refills_with_time() -> None:
    t = [0.0]
    lim = RateLimiter(2.0, clock=lambda: t[0])
    assert [lim.allow("a") for _ in range(5)] == [True] * 4 + [False]
    assert lim.allow("b")  # per client address
    t[0] += 0.5
    assert lim.allow("a") and not lim.allow("a")


def test_connections_beyond_the_limit_give_way_or_get_503() -> None:
    s = InProcessServer(limits=Limits(max_connections=2))
    s.hub.publish(UPDATES[-1])
    idle = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(2)]
    streams: list[socket.socket] = []
    try:
        time.sleep(0.2)  # both are accepted and waiting for their request line
        # Connections that have not sent a whole request give way to a new one, oldest first.
        assert code_of(raw(s.port, b"GET /metrics HTTP/1.0\r\n\r\n")) == 200
        assert idle[0].recv(1) == b""  # closed by the server
        for sock in idle:
            sock.close()
        # Connections past their request (two streams) do not: beyond them, 503.
        for _ in range(2):
            sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b" 200 " in sock.recv(4096)
            streams.append(sock)
        assert code_of(raw(s.port, b"GET /metrics HTTP/1.0\r\n\r\n")) == 503
    finally:
        for sock in idle + streams:
            sock.close()
        s.close()


def test_control_is_off_by_default_and_validated_when_on(srv: InProcessServer) -> None:
    assert srv.request("POST", "/control?action=pause")[0] == 403
    s = InProcessServer(control=True)
    try:
        assert s.request("POST", "/control?action=pause")[0] == 200
        assert s.request("POST", "/control?action=reset")[0] == 200
        assert s.request("POST", "/control?action=shutdown")[0] == 400
        assert s.actions == ["pause", "reset"]
    finally:
        s.close()
