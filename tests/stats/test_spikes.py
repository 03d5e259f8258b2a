"""Latency spikes are detected and explained with what the (simulated) GPU clocks did."""

from __future__ import annotations

import pytest

import trtui.sources.simulated as sim
from trtui.pipeline.session import Session
from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry
from trtui.stats.snapshot import TrendPoint
from trtui.stats.spikes import is_spike


def pts(p99s: list[float]) -> list[TrendPoint]:
    return [TrendPoint(float(i), None, v, None) for i, v in enumerate(p99s)]


def test_is_spike_once_per_jump() -> None:
    flat = [1.0] * 8
    assert not is_spike(pts(flat + [1.02]))
    assert is_spike(pts(flat + [1.5]))
    assert not is_spike(pts(flat + [1.5, 1.5]))  # still high: the same jump, no new event
    assert not is_spike(pts([1.0] * 3 + [2.0]))  # not enough history
    assert not is_spike(pts([0.001] * 8 + [0.002]))  # under the absolute floor


def test_session_explains_a_p99_jump_with_the_clock_drop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim, "THROTTLE_PERIOD_S", 6.0)
    monkeypatch.setattr(sim, "THROTTLE_LEN_S", 2.0)
    t = [0.0]
    clock = lambda: t[0]  # noqa: E731
    src = SimulatedSource(clock=clock)
    ses = Session(src, SimulatedTelemetry(src, clock=clock), tick_s=0.25, clock=clock)
    ses.open()
    for _ in range(int(11 / 0.25)):
        t[0] += 0.25
        ses.ingest(src.read(0))
        ses._sample_telemetry()
        ses.build_update()
    u = ses.build_update()
    assert len(u.events) >= 1
    first = u.events[0]
    assert 3.5 <= first.t <= 5.0  # the first slowdown starts 4 s in
    assert "SwThermalSlowdown" in (first.throttle_reasons or ())
    assert any("SM clock 1980->1755 MHz" in f for f in first.findings)
    assert any(n.startswith("p99 jump at") and "SM clock" in n for n in u.profile.notices)
    assert u.telemetry_history and u.telemetry_history[-1].sm_clock_mhz is not None
