"""Percentiles by trtexec's definitions (samples/common/sampleReporting.cpp), used for every finite
set of times: recordings, summaries, windows, and a finished replay's since-start figures."""

from __future__ import annotations

import numpy as np
import pytest

from trtui.core.model import SourceBatch, frozen_array
from trtui.stats.latency import LatencyAggregator, latency_stats
from trtui.stats.percentiles import trtexec_index, trtexec_median, trtexec_percentile


@pytest.mark.parametrize(
    ("n", "p", "index"),
    [
        (10, 90, 8),  # exclude int(0.1 * 10) = 1
        (10, 99, 9),  # exclude int(0.1) = 0: the maximum
        (1000, 99, 990),  # single precision: (1 - 0.99f) * 1000 = 9.99999 -> 9 (double would give 10)
        (1000, 90, 899),  # (1 - 0.9f) * 1000 = 100.00002 -> 100 (double: 99.99999 -> 99)
        (1, 50, 0),
        (3, 0, 0),  # max(n - 1 - n, 0)
        (7, 100, 6),
    ],
)
def test_index_is_trtexecs_nearest_rank(n: int, p: float, index: int) -> None:
    assert trtexec_index(n, p) == index


def test_no_interpolation_and_median_of_two_middles() -> None:
    v = np.arange(1.0, 11.0)  # 1..10
    assert trtexec_percentile(v, 90) == 9.0  # numpy's linear method says 9.1
    assert np.percentile(v, 90) != 9.0
    assert trtexec_median(v) == 5.5
    assert trtexec_median(np.array([1.0, 2.0, 7.0])) == 2.0
    with pytest.raises(ValueError):
        trtexec_index(0, 50)
    with pytest.raises(ValueError):
        trtexec_index(5, 101)


def test_latency_stats_use_the_definition() -> None:
    rng = np.random.default_rng(5)
    v = rng.exponential(0.3, 1001)
    s = latency_stats(v, None)
    srt = np.sort(v)
    assert s.p90 == srt[trtexec_index(1001, 90)] and s.p99 == srt[trtexec_index(1001, 99)]
    assert s.median == srt[500]


def test_a_finished_replay_is_exact_beyond_the_reservoir() -> None:
    rng = np.random.default_rng(7)
    v = rng.lognormal(-1.3, 0.2, 20_000)
    agg = LatencyAggregator(window=64, reservoir=100)
    wall = float(v.sum()) / 1000
    agg.add(SourceBatch(t=1.0, latencies_ms=frozen_array(v), timing_wall_s=wall, finished=True))
    tot = agg.total()
    srt = np.sort(v)
    assert (tot.p90, tot.p99) == (srt[trtexec_index(len(v), 90)], srt[trtexec_index(len(v), 99)])
    assert tot.median == (srt[9999] + srt[10000]) / 2


def test_a_running_source_keeps_a_bounded_sample() -> None:
    agg = LatencyAggregator(window=64, reservoir=100)
    for k in range(10):
        batch = frozen_array(np.full(1000, float(k)))
        agg.add(SourceBatch(t=float(k), latencies_ms=batch, timing_wall_s=1.0))
    assert agg._reservoir.size == 100
    tot = agg.total()
    assert tot.p90 in {float(k) for k in range(10)}  # a value of the sample, not an interpolation
