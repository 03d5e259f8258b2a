"""The idle-baseline measurement (trtui/pipeline/idle_baseline.py): the GPU's power before the engine
runs, sampled on a given clock; none without a power reading."""

from __future__ import annotations

import pytest

from trtui.pipeline.idle_baseline import measure_idle_baseline
from trtui.telemetry.sample import TelemetrySample


class _IdleSource:
    def __init__(self, clock: list[float]) -> None:
        self.clock = clock

    def sample(self) -> TelemetrySample:
        return TelemetrySample(t=self.clock[0], power_w=70.0, sources=(("power_w", "nvml"),))

    def close(self) -> None:
        pass


def test_measure_idle_baseline_with_a_fake_clock() -> None:
    now = [100.0]

    def sleep(s: float) -> None:
        now[0] += s

    idle = measure_idle_baseline(_IdleSource(now), 2.0, interval_s=0.25, clock=lambda: now[0], sleep=sleep)
    assert idle is not None and idle.gpu_w == pytest.approx(70.0) and idle.seconds == pytest.approx(2.0)
    assert "--idle-baseline" in idle.how


class _NoPower(_IdleSource):
    def sample(self) -> TelemetrySample:
        return TelemetrySample(t=self.clock[0])


def test_no_idle_baseline_without_power() -> None:
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s

    assert measure_idle_baseline(_NoPower(now), 1.5, clock=lambda: now[0], sleep=sleep) is None
