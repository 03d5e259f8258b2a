"""Energy on a real NVIDIA GPU: NVML's total energy counter (through trtui's `NvmlDevice`) against
the power readings integrated over the same window, idle and under a busy kernel; the energy
tracker's counter figures from the real sampler; `trtui telemetry --json` reports the counter.

Skips without pynvml, a driver, or a counter (pre-Volta GPUs); the loaded test also skips
without cuda-python or pycuda. Run with: pytest -m gpu tests/gpu/test_energy_gpu.py -s
(the -s shows what was measured, on lines starting ENERGY-GPU)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import pytest
from gpu_support import nvml_or_skip, telemetry_json

pytestmark = pytest.mark.gpu

WINDOW_S = 8.0  # the counter updates every ~20-100 ms; power is an average over up to 1 s
POLL_S = 0.05
TOLERANCE = 0.15  # counter vs integrated power, relative


def _report(key: str, value: Any) -> None:
    print(f"ENERGY-GPU {key}: {json.dumps(value, default=str)}")


def _device() -> Any:
    nvml_or_skip()
    from trtui.common.not_supported import NotSupported
    from trtui.gpu.nvml import NvmlDevice

    dev = NvmlDevice()
    try:
        if dev.total_energy_mj() is None:
            pytest.skip("the energy counter gave no reading")
    except NotSupported as err:
        pytest.skip(f"no energy counter on this GPU: {err}")
    return dev


def _measure(dev: Any, seconds: float) -> dict[str, float]:
    """Counter difference and trapezoid integral of power over the same window."""
    e0 = dev.total_energy_mj()
    t0 = time.monotonic()
    points: list[tuple[float, float]] = []
    while True:
        now = time.monotonic()
        w = dev.power_w()
        if w is not None:
            points.append((now, w))
        if now - t0 >= seconds:
            break
        time.sleep(POLL_S)
    e1 = dev.total_energy_mj()
    t1 = time.monotonic()
    assert e0 is not None and e1 is not None and e1 >= e0
    assert len(points) > seconds / POLL_S / 4, "too few power readings"
    integral = sum((b[0] - a[0]) * (a[1] + b[1]) / 2.0 for a, b in itertools.pairwise(points))
    span = points[-1][0] - points[0][0]
    counter_j = (e1 - e0) / 1000.0
    return {
        "window_s": t1 - t0,
        "counter_j": counter_j,
        "counter_w": counter_j / (t1 - t0),
        "integrated_w": integral / span,
        "readings": float(len(points)),
    }


def _check(m: dict[str, float]) -> None:
    ratio = m["counter_w"] / m["integrated_w"]
    assert abs(ratio - 1.0) <= TOLERANCE, f"counter {m['counter_w']:.1f} W vs power {m['integrated_w']:.1f} W"


def test_counter_matches_integrated_power_idle() -> None:
    dev = _device()
    try:
        m = _measure(dev, WINDOW_S)
    finally:
        dev.close()
    _report("idle", m)
    assert m["counter_j"] > 0
    _check(m)


def test_counter_matches_integrated_power_under_load() -> None:
    dev = _device()
    from test_telemetry_gpu import _busy

    try:
        with _busy(WINDOW_S + 6.0) as started:
            assert started.wait(60), "the busy kernel did not start"
            time.sleep(3.0)  # let power settle (NVML's power reading averages up to 1 s)
            m = _measure(dev, WINDOW_S)
            power_now = dev.power_w()
    finally:
        dev.close()
    _report("loaded", {**m, "power_now_w": power_now})
    _check(m)


def test_tracker_uses_the_real_counter() -> None:
    _device().close()
    from trtui.sources.factory import gpu_telemetry
    from trtui.stats.energy import COUNTER, EnergyTracker, point_from_sample

    tracker = EnergyTracker(window_s=2.0)
    powers = []
    with gpu_telemetry(tegrastats=None) as sampler:
        for i in range(17):  # 4 s at 0.25 s; pretend 100 inferences per step
            s = sampler.sample()
            if s.power_w is not None:
                powers.append(s.power_w)
            tracker.add(point_from_sample(s, inferences=100 * i))
            time.sleep(0.25)
    snap = tracker.snapshot()
    whole = snap.figure("gpu", whole_run=True)
    _report("tracker", {"whole": whole, "mean_power_w": sum(powers) / max(1, len(powers))})
    assert whole is not None
    assert whole.rail == COUNTER and whole.method == "counter"
    assert whole.inferences == 1600
    assert whole.j_per_inference == pytest.approx(whole.energy_j / 1600)
    assert powers and abs(whole.mean_w / (sum(powers) / len(powers)) - 1.0) <= 0.25  # type: ignore[operator]


def test_telemetry_cli_reports_the_counter() -> None:
    _device().close()
    data = telemetry_json()
    _report("cli_energy_mj", data["energy_mj"])
    assert data["energy_mj"] > 0 and data["sources"]["energy_mj"] == "nvml"
