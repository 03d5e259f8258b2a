"""History snapshots for sparklines and the latency-spike correlation (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from trtui.telemetry.history import SERIES, TelemetryHistory, correlate
from trtui.telemetry.sample import TelemetrySample

BASE = TelemetrySample(
    t=0.0,
    gpu_util_pct=95.0,
    sm_clock_mhz=1980.0,
    mem_clock_mhz=2619.0,
    temperature_c=70.0,
    power_w=650.0,
    mem_used_mib=20000.0,
    mem_total_mib=80000.0,
    throttle_reasons=(),
)


def at(t: float, **changes: object) -> TelemetrySample:
    return replace(BASE, t=t, **changes)  # type: ignore[arg-type]


def test_ring_buffer_is_bounded_and_aligned() -> None:
    h = TelemetryHistory(capacity=3)
    for i in range(5):
        snap = h.push(at(float(i), gpu_util_pct=None if i == 3 else float(i * 10)))
    assert snap.times == (2.0, 3.0, 4.0)
    assert snap.gpu_util_pct == (20.0, None, 40.0)
    assert snap.values("gpu_util_pct") == (20.0, 40.0)
    assert snap.latest is not None and snap.latest.t == 4.0
    assert len(h.samples) == 3 and snap.capacity == 3
    for name in SERIES:
        assert len(getattr(snap, name)) == 3


def test_snapshot_is_immutable_and_independent() -> None:
    h = TelemetryHistory()
    s1 = h.push(at(0.0))
    h.push(at(1.0))
    assert s1.times == (0.0,)
    with pytest.raises(AttributeError):
        s1.times = ()  # type: ignore[misc]


def test_derived_values_and_markers() -> None:
    h = TelemetryHistory()
    h.push(at(0.0))
    snap = h.push(at(1.0, throttle_reasons=("GpuIdle", "SwThermalSlowdown")))
    assert snap.mem_used_pct == 25.0
    assert snap.throttled
    assert snap.slowdown == ((), ("SwThermalSlowdown",))
    assert snap.index_at(0.5) == 0 and snap.index_at(1.0) == 1 and snap.index_at(-1.0) is None
    assert not TelemetryHistory().push(at(0.0, throttle_reasons=("GpuIdle",))).throttled
    with pytest.raises(KeyError):
        snap.values("nope")


def test_empty_history_and_bad_input() -> None:
    snap = TelemetryHistory().snapshot()
    assert snap.latest is None and snap.times == () and snap.mem_used_pct is None
    with pytest.raises(ValueError):
        TelemetryHistory(capacity=0)
    h = TelemetryHistory()
    h.push(at(5.0))
    with pytest.raises(ValueError):
        h.push(at(4.0))


def test_spike_with_thermal_slowdown() -> None:
    h = TelemetryHistory()
    h.extend(at(float(i)) for i in range(10))
    h.extend(
        [
            at(10.0, sm_clock_mhz=1410.0, temperature_c=86.0, throttle_reasons=("HwThermalSlowdown",)),
            at(11.0, sm_clock_mhz=1410.0, temperature_c=87.0, throttle_reasons=("HwThermalSlowdown",)),
        ]
    )
    (event,) = h.correlate([10.2], window_s=2.0)
    assert event.sm_clock_mhz == (1980.0, 1410.0)
    assert event.throttle_reasons == ("HwThermalSlowdown",)
    assert event.new_reasons == ("HwThermalSlowdown",)
    assert event.suspicious
    assert event.describe(t0=0.0) == (
        "p99 jump at 10.2 s: SM clock 1980->1410 MHz, HwThermalSlowdown, temperature 70->86 C"
    )


def test_spike_without_gpu_change() -> None:
    samples = [at(float(i)) for i in range(6)]
    (event,) = correlate(samples, [4.0])
    assert not event.suspicious
    assert event.findings == ()
    assert event.describe(t0=1.0) == "p99 jump at 3.0 s: no clock, temperature or throttle change"


def test_power_cap_and_clock_rise_and_util_drop() -> None:
    samples = [
        at(0.0),
        at(1.0),
        at(
            2.0,
            power_w=400.0,
            mem_clock_mhz=2619.0,
            gpu_util_pct=40.0,
            throttle_reasons=("SwPowerCap", "GpuIdle"),
        ),
    ]
    (event,) = correlate(samples, [2.0], window_s=1.5, label="latency spike")
    # With other findings, the (unchanged) temperature is given for context.
    assert event.findings == ("SwPowerCap", "temperature 70 C", "power 650->400 W", "GPU util 95->40 %")
    assert event.describe().startswith("latency spike at t=2.0 s: SwPowerCap, temperature 70 C, power")
    clock_up = correlate([at(0.0, sm_clock_mhz=1200.0), at(2.0)], [2.0])[0]
    assert clock_up.findings[0] == "SM clock 1200->1980 MHz"
    assert not clock_up.suspicious  # a clock rise does not explain a slowdown


def test_nvpmodel_change_on_jetson() -> None:
    samples = [at(0.0, nvpmodel="MAXN (0)"), at(1.0, nvpmodel="MODE_15W (1)")]
    (event,) = correlate(samples, [1.0])
    assert "nvpmodel MAXN (0)->MODE_15W (1)" in event.findings and event.suspicious


def test_no_telemetry_near_the_spike() -> None:
    (far,) = correlate([at(0.0), at(1.0)], [30.0])
    assert far.sample_t is None and far.findings == ("no telemetry near that time",)
    (none,) = correlate([], [1.0])
    assert none.findings == ("no telemetry",)


def test_hot_gpu_is_reported_even_without_a_change() -> None:
    (event,) = correlate([at(0.0, temperature_c=88.0), at(1.0, temperature_c=88.0)], [1.0])
    assert event.findings == ("temperature 88 C",) and event.suspicious


def test_reasons_unknown_stays_none() -> None:
    (event,) = correlate([at(0.0, throttle_reasons=None), at(1.0, throttle_reasons=None)], [1.0])
    assert event.throttle_reasons is None
