"""The simulated engine models batching and concurrency plausibly (labelled simulated): throughput
grows sub-linearly and levels off, latency keeps growing, there is a knee; configurations beyond the
simulated profile or memory do not fit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trtui.sources.reconfigurable import DoesNotFit, can_reconfigure
from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry
from trtui.sweep.analysis import find_knee
from trtui.sweep.plan import plan_points
from trtui.sweep.point import summarize


def _measure(src: SimulatedSource, batch: int, streams: int, n: int = 3000):  # type: ignore[no-untyped-def]
    done = src.reconfigure(batch, streams)
    b = src.generate(n)
    return summarize(plan_points((batch,), (streams,))[0], batch=done.batch, streams=done.streams,
                     latencies_ms=np.asarray(b.latencies_ms), timing_s=b.timing_wall_s, simulated=True)


def test_batching_gains_are_sub_linear_and_latency_grows() -> None:
    src = SimulatedSource()
    assert can_reconfigure(src) and src.info.simulated
    pts = [_measure(src, b, 1) for b in (1, 2, 4, 8, 16, 32, 64)]
    sps = [p.samples_per_s or 0.0 for p in pts]
    p99 = [p.p99_ms or 0.0 for p in pts]
    assert all(b > a for a, b in itertools.pairwise(sps))  # throughput grows...
    gains = [b / a for a, b in itertools.pairwise(sps)]
    assert all(g < 2.0 for g in gains)  # ...less than the batch doubles...
    assert gains[-1] < 1.1 < gains[0]  # ...and levels off
    assert all(b > a for a, b in itertools.pairwise(p99))  # latency keeps growing
    assert p99[-1] / p99[-2] > 1.8  # nearly linear at large batch
    knee, _ = find_knee(pts, 0.10)
    assert knee is not None and knee is not pts[-1] and knee is not pts[0]
    assert all(p.simulated for p in pts)


def test_concurrent_contexts_raise_throughput_and_latency() -> None:
    src = SimulatedSource()
    pts = [_measure(src, 1, s) for s in (1, 2, 4, 8)]
    sps = [p.samples_per_s or 0.0 for p in pts]
    p99 = [p.p99_ms or 0.0 for p in pts]
    assert all(b > a for a, b in itertools.pairwise(sps))
    assert sps[-1] < 8 * sps[0]  # sub-linear in the number of contexts
    assert all(b > a for a, b in itertools.pairwise(p99))
    big = [_measure(src, 64, s) for s in (1, 8)]
    assert (big[1].samples_per_s or 0) < (big[0].samples_per_s or 0)  # a saturated GPU: contention costs


def test_streams_are_reported_per_stream_and_in_the_info() -> None:
    src = SimulatedSource()
    src.reconfigure(4, 3)
    assert src.info.streams == 3 and src.info.shapes == (("input", (4, 3, 224, 224)),)
    b = src.generate(30)
    assert b.latency_streams is not None and set(b.latency_streams.tolist()) == {0, 1, 2}


def test_what_does_not_fit_keeps_the_previous_configuration() -> None:
    src = SimulatedSource()
    src.reconfigure(16, 2)
    with pytest.raises(DoesNotFit, match="outside the simulated engine's profile") as err:
        src.reconfigure(128, 1)
    assert err.value.problem == "profile"
    with pytest.raises(DoesNotFit, match="out of memory") as err:
        src.reconfigure(64, 64)
    assert err.value.problem == "memory"
    assert (src.batch, src.streams) == (16, 2)


def test_telemetry_follows_the_configuration() -> None:
    src = SimulatedSource()
    tel = SimulatedTelemetry(src)
    src.read(0.0)  # running (before its first read the simulator is idle: an idle baseline)
    base = tel.sample()
    src.reconfigure(1, 1)
    small = tel.sample()
    src.reconfigure(32, 4)
    large = tel.sample()
    assert small.simulated and large.simulated
    assert (small.gpu_util_pct or 0) < (base.gpu_util_pct or 0) <= (large.gpu_util_pct or 0)
    assert (small.power_w or 0) < (large.power_w or 0)
    assert (small.mem_used_mib or 0) < (base.mem_used_mib or 0) < (large.mem_used_mib or 0)


def test_until_stable_ends_a_point_early_and_says_so() -> None:
    import time

    from trtui.sweep.runner import SweepRunner, settings_for

    src = SimulatedSource()
    settings = settings_for("demo", "demo", True, plan_points((1,), None), duration_s=20.0, warmup_s=0.0,
                            until_stable=True, budget_ms=None, knee_gain=0.1)
    t0 = time.monotonic()
    result = SweepRunner(src, settings).run()
    took = time.monotonic() - t0
    (p,) = result.points
    assert p.ok and p.stable is True and took < 5.0
    assert p.p99_ci_ms is not None and p.p99_ci_ms[1] - p.p99_ci_ms[0] <= 0.05 * (p.p99_ms or 0)
