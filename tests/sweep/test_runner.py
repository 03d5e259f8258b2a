"""The sweep runner over a scripted reconfigurable source and a fake clock: warm-up is discarded,
each point measures its own configuration, telemetry is averaged, what does not fit is recorded,
an ended source stops the sweep with the points kept, and cancel stops it."""

from __future__ import annotations

import numpy as np
import pytest

from trtui.core.model import SourceBatch, SourceInfo, frozen_array
from trtui.sources.reconfigurable import DoesNotFit, Reconfigured, can_reconfigure
from trtui.sweep.plan import plan_points
from trtui.sweep.point import PointResult
from trtui.sweep.results import SweepSettings
from trtui.sweep.runner import SweepListener, SweepRunner, settings_for
from trtui.telemetry.sample import TelemetrySample


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Scripted:
    """Each read advances the clock by 0.1 s and returns 10 inferences of (batch x 1 ms); the first
    read after a reconfigure is "warm" (10x slower) and must be discarded by the runner."""

    def __init__(self, clock: Clock, fail_after_reads: int | None = None) -> None:
        self.clock = clock
        self.batch, self.streams = 1, 1
        self.cold = False
        self.reads = 0
        self.fail_after = fail_after_reads
        self.started = self.stopped = False
        self.info = SourceInfo(kind="engine", label="scripted", simulated=False)

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def set_paused(self, paused: bool) -> None:
        pass

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
        if batch is not None and batch > 16:
            raise DoesNotFit(f"batch {batch} is outside the profile", "profile")
        self.batch = batch or self.batch
        self.streams = streams or self.streams
        self.cold = True
        return Reconfigured(self.batch, self.streams, (), 10.0 * self.batch)

    def read(self, timeout: float) -> SourceBatch:
        self.reads += 1
        self.clock.t += 0.1
        if self.fail_after is not None and self.reads > self.fail_after:
            return SourceBatch(t=self.clock.t, finished=True, error="CUDA error: an illegal memory access")
        ms = float(self.batch) * (10.0 if self.cold else 1.0)
        self.cold = False
        n = 10 * self.streams
        return SourceBatch(t=self.clock.t, latencies_ms=frozen_array(np.full(n, ms)), timing_wall_s=0.1)


class Tel:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.closed = False

    def sample(self) -> TelemetrySample:
        return TelemetrySample(t=self.clock.t, power_w=200.0, gpu_util_pct=50.0)

    def close(self) -> None:
        self.closed = True


def _settings(batches: tuple[int, ...], streams: tuple[int, ...] = (1,), *, duration_s: float = 1.0,
              until_stable: bool = False) -> SweepSettings:
    return settings_for("x.engine", "scripted", False, plan_points(batches, streams), duration_s=duration_s,
                        warmup_s=0.15, until_stable=until_stable, budget_ms=None, knee_gain=0.1)


def test_each_point_measures_its_own_configuration_after_warm_up() -> None:
    clock = Clock()
    src = Scripted(clock)
    assert can_reconfigure(src)
    events: list[str] = []

    class L(SweepListener):
        def point_started(self, index: int, point) -> None:  # type: ignore[no-untyped-def]
            events.append(f"start {index}")

        def point_finished(self, index: int, result: PointResult) -> None:
            events.append(f"end {index} {result.status}")

    runner = SweepRunner(src, _settings((1, 4, 32), (1, 2)), Tel(clock), clock=clock)
    result = runner.run(L())
    assert src.started and not src.stopped  # the caller stops the source
    assert result.stopped == "done" and len(result.points) == 6
    assert events[:2] == ["start 0", "end 0 ok"] and events[-1] == "end 5 does_not_fit"
    for p in result.points[:4]:
        assert p.ok and p.median_ms == p.p99_ms == float(p.batch or 0)  # no cold (warm-up) latency kept
        assert p.inferences_per_s == pytest.approx(100.0 * p.streams)
        assert p.samples_per_s == pytest.approx(100.0 * p.streams * (p.batch or 1))
        assert p.memory_per_context_mib == 10.0 * (p.batch or 1)
        assert p.gpu_util_pct == 50.0
        assert p.energy_per_sample_j == pytest.approx(200.0 / (p.samples_per_s or 1))
        assert 0.9 <= p.timing_s <= 1.2
    assert result.points[4].reason == "batch 32 is outside the profile"


def test_an_ended_source_stops_the_sweep_and_keeps_the_points() -> None:
    clock = Clock()
    src = Scripted(clock, fail_after_reads=30)
    result = SweepRunner(src, _settings((1, 2, 4, 8)), clock=clock).run()
    assert result.stopped == "error" and result.error == "CUDA error: an illegal memory access"
    assert 1 <= len(result.points) < 4 and all(p.ok for p in result.points)


def test_cancel_drops_the_point_in_progress() -> None:
    clock = Clock()
    src = Scripted(clock)
    runner = SweepRunner(src, _settings((1, 2, 4)), clock=clock)

    class CancelDuringSecond(SweepListener):
        def point_progress(self, index: int, phase: str, fraction: float, inferences: int) -> None:
            if index == 1 and phase == "measuring" and fraction > 0.5:
                runner.cancel()

    result = runner.run(CancelDuringSecond())
    assert result.stopped == "cancelled" and [p.batch for p in result.points] == [1]


def test_until_stable_not_reached_is_marked() -> None:
    clock = Clock()
    src = Scripted(clock)
    result = SweepRunner(src, _settings((2,), until_stable=True, duration_s=0.3), clock=clock).run()
    (p,) = result.points
    assert p.ok and p.stable is False  # too few inferences to call the p99 stable
