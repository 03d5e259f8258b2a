"""The aggregators against numpy on random data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trtui.core.model import LayerSummaryTable, ProfiledIteration, SourceBatch, frozen_array
from trtui.stats.latency import LatencyAggregator
from trtui.stats.layers import LayerAggregator

F32 = {"rtol": 2e-6, "atol": 1e-9}  # the window stores float32 samples


def as32(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32).astype(np.float64)


def feed(agg: LayerAggregator, names: tuple[str, ...], data: np.ndarray) -> None:
    for row in data:
        agg.add(ProfiledIteration(names, frozen_array(row)))


@pytest.mark.parametrize("n_iter,window", [(5, 16), (40, 16), (300, 64)])
def test_window_statistics_match_numpy(n_iter: int, window: int) -> None:
    rng = np.random.default_rng(n_iter)
    names = tuple(f"layer{i}" for i in range(7))
    data = rng.lognormal(-3, 0.5, (n_iter, 7))
    agg = LayerAggregator(window=window)
    feed(agg, names, data)
    w = agg.window()
    ref = as32(data[-window:])
    assert w.names == names
    np.testing.assert_array_equal(w.count, np.full(7, len(ref)))
    np.testing.assert_allclose(w.mean_ms, ref.mean(0), **F32)
    np.testing.assert_allclose(w.median_ms, np.median(ref, 0), **F32)  # mean of the two middles
    # trtexec's nearest rank, column by column (no interpolation)
    np.testing.assert_allclose(w.p90_ms, [_nearest_rank(ref[:, j], 90) for j in range(7)], **F32)
    np.testing.assert_allclose(w.p99_ms, [_nearest_rank(ref[:, j], 99) for j in range(7)], **F32)
    np.testing.assert_allclose(w.min_ms, ref.min(0), **F32)
    np.testing.assert_allclose(w.max_ms, ref.max(0), **F32)
    np.testing.assert_allclose(w.std_ms, ref.std(0), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(w.share_pct, ref.sum(0) / ref.sum() * 100, rtol=1e-5)
    np.testing.assert_allclose(w.last_ms, data[-1])
    assert w.share_pct.sum() == pytest.approx(100.0)


def test_since_start_statistics_are_exact_for_moments() -> None:
    rng = np.random.default_rng(7)
    names = tuple(str(i) for i in range(5))  # an engine without layer names reports indices
    data = rng.gamma(2.0, 0.01, (1000, 5))
    agg = LayerAggregator(window=32, reservoir=512)
    feed(agg, names, data)
    t = agg.total()
    assert t.iterations == 1000
    np.testing.assert_array_equal(t.count, np.full(5, 1000))
    np.testing.assert_allclose(t.mean_ms, data.mean(0), rtol=1e-12)
    np.testing.assert_allclose(t.std_ms, data.std(0), rtol=1e-9)
    np.testing.assert_allclose(t.min_ms, data.min(0))
    np.testing.assert_allclose(t.max_ms, data.max(0))
    np.testing.assert_allclose(t.total_ms, data.sum(0), rtol=1e-12)
    # Since-start percentiles come from a uniform reservoir: close to the truth, not exact.
    np.testing.assert_allclose(t.median_ms, np.median(data, 0), rtol=0.12)


def test_missing_layers_get_no_sample_and_new_layers_are_appended() -> None:
    agg = LayerAggregator(window=8)
    full = ("a", "b", "c")
    agg.add(ProfiledIteration(full, frozen_array([1.0, 2.0, 3.0])))
    agg.add(ProfiledIteration(("a", "c"), frozen_array([3.0, 5.0])))  # b skipped (conditional)
    agg.add(ProfiledIteration(("a", "b", "c", "d"), frozen_array([5.0, 4.0, 7.0, 1.0])))
    w, t = agg.window(), agg.total()
    assert w.names == ("a", "b", "c", "d")
    np.testing.assert_array_equal(w.count, [3, 2, 3, 1])
    np.testing.assert_allclose(w.mean_ms, [3.0, 3.0, 5.0, 1.0])
    np.testing.assert_allclose(w.median_ms, [3.0, 3.0, 5.0, 1.0])
    np.testing.assert_allclose(t.mean_ms, [3.0, 3.0, 5.0, 1.0])
    np.testing.assert_allclose(w.max_ms, [5.0, 4.0, 7.0, 1.0])
    np.testing.assert_allclose(w.total_ms, [9.0, 6.0, 15.0, 1.0])


def test_memory_is_bounded_by_max_cells_down_to_the_floor() -> None:
    names = tuple(f"l{i}" for i in range(20_000))
    agg = LayerAggregator(window=256, reservoir=256, max_cells=1_000_000)
    rng = np.random.default_rng(0)
    for _ in range(150):
        agg.add(ProfiledIteration(names, rng.random(20_000)))
    # 1,000,000 cells would be 50 iterations: the floor keeps 128 (a p99 needs 101)
    assert agg.window_capacity == agg.reservoir_capacity == 128
    assert agg._window.data.size == agg._reservoir.data.size == 128 * 20_000
    w = agg.window()
    assert len(w) == 20_000 and w.iterations == 150
    assert int(w.count[0]) == 128  # the window holds its last 128 iterations
    small = LayerAggregator(window=256, reservoir=256, max_cells=1_000_000)
    small.add(ProfiledIteration(names[:5_000], rng.random(5_000)))
    assert small.window_capacity == 200  # above the floor, max_cells holds


def test_snapshots_are_immutable_and_reset_forgets() -> None:
    agg = LayerAggregator()
    agg.add(ProfiledIteration(("a",), frozen_array([1.0])))
    w = agg.window()
    with pytest.raises(ValueError):
        w.mean_ms[0] = 5.0
    agg.reset()
    assert len(agg.window()) == 0 and agg.total().iterations == 0


def test_recording_summary_is_used_as_is() -> None:
    agg = LayerAggregator()
    s = LayerSummaryTable(
        names=("x", "y"),
        count=frozen_array([10, 10], np.int64),
        total_ms=frozen_array([3.0, 1.0]),
        mean_ms=frozen_array([0.3, 0.1]),
        median_ms=frozen_array([0.29, 0.1]),
        iterations=10,
    )
    agg.set_summary(s)
    t = agg.total()
    np.testing.assert_allclose(t.share_pct, [75.0, 25.0])
    assert np.isnan(t.p99_ms).all()  # a recording does not say: unknown, not zero


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(0.0, 1e3), min_size=1, max_size=50), min_size=1, max_size=6))
def test_latency_aggregator_matches_numpy(batches: list[list[float]]) -> None:
    agg = LatencyAggregator(window=64, reservoir=100_000)
    t = 0.0
    for b in batches:
        t += 1.0
        agg.add(SourceBatch(t=t, latencies_ms=frozen_array(b), timing_wall_s=sum(b) / 1000 or 1e-3))
    allv = np.concatenate([np.array(b) for b in batches])
    tot = agg.total()
    assert tot.count == len(allv)
    assert tot.mean == pytest.approx(allv.mean(), rel=1e-9, abs=1e-9)
    assert tot.std == pytest.approx(allv.std(), rel=1e-6, abs=1e-6)
    assert tot.p99 == _nearest_rank(allv, 99)  # the reservoir holds all: trtexec's definition
    assert (tot.min, tot.max, tot.last) == (allv.min(), allv.max(), allv[-1])
    w = agg.window()
    ref = allv[-64:]
    assert w.count == len(ref)
    assert w.median == pytest.approx(np.median(ref))  # the mean of the two middle values
    assert w.p90 == _nearest_rank(ref, 90)


def _nearest_rank(values: np.ndarray, p: float) -> float:
    """trtexec's percentile, restated: sort, drop the top int((1 - p/100) * n) (single precision)."""
    srt = sorted(float(v) for v in values)
    exclude = int(np.float32(np.float32(1) - np.float32(p) / np.float32(100)) * np.float32(len(srt)))
    return srt[max(len(srt) - 1 - exclude, 0)]


def test_throughput_counts_timing_wall_time_only() -> None:
    agg = LatencyAggregator(throughput_window_s=5.0)
    for k in range(10):
        agg.add(SourceBatch(t=float(k), latencies_ms=frozen_array([1.0] * 100), timing_wall_s=0.1))
    assert agg.throughput_total() == pytest.approx(1000.0)
    assert agg.window().throughput_per_s == pytest.approx(1000.0)
    assert agg.total().throughput_per_s == pytest.approx(1000.0)


def test_latency_reservoir_is_bounded_and_unbiased() -> None:
    rng = np.random.default_rng(3)
    agg = LatencyAggregator(window=128, reservoir=2000)
    data = rng.exponential(1.0, 200_000)
    for chunk in np.split(data, 100):
        agg.add(SourceBatch(t=0.0, latencies_ms=frozen_array(chunk), timing_wall_s=1.0))
    assert agg._reservoir.size == 2000
    assert agg.total().median == pytest.approx(np.median(data), rel=0.1)
    assert agg.total().count == 200_000


def test_per_stream_statistics() -> None:
    agg = LatencyAggregator()
    lat = frozen_array([1.0, 2.0, 1.0, 2.0, 1.0, 2.0])
    streams = frozen_array([0, 1, 0, 1, 0, 1], np.int64)
    agg.add(SourceBatch(t=1.0, latencies_ms=lat, latency_streams=streams, timing_wall_s=0.01))
    per = agg.per_stream()
    assert [s.mean for s in per] == [1.0, 2.0] and [s.count for s in per] == [3, 3]


def test_tables_are_reused_until_a_new_iteration_arrives() -> None:
    agg = LayerAggregator()
    names = ("a", "b")
    agg.add(ProfiledIteration(names, frozen_array([1.0, 2.0])))
    w1, t1 = agg.window(), agg.total()
    assert agg.window() is w1 and agg.total() is t1  # nothing new: the same immutable tables
    agg.add(ProfiledIteration(names, frozen_array([3.0, 4.0])))
    w2 = agg.window()
    assert w2 is not w1
    np.testing.assert_allclose(w2.mean_ms, [2.0, 3.0])
    np.testing.assert_allclose(w1.mean_ms, [1.0, 2.0])  # the old snapshot did not change
    agg.reset()
    assert len(agg.window()) == 0
