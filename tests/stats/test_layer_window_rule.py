"""How many iterations the layer window and reservoir hold as the layer count grows (the rule in
trtui/stats/sample_ring.py), and what the tables say when a ring cannot hold enough for a p99."""

from __future__ import annotations

import numpy as np
import pytest

from trtui.core.model import ProfiledIteration, frozen_array
from trtui.stats.layers import LayerAggregator
from trtui.stats.percentiles import min_samples_for, trtexec_index
from trtui.stats.sample_ring import HARD_MAX_CELLS, MAX_CELLS, MIN_ROWS, RecentRows, SampleRing, ring_rows


def test_the_floor_gives_p99_a_meaning() -> None:
    # by trtexec's nearest rank, p99 of MIN_ROWS samples is not their maximum
    assert trtexec_index(MIN_ROWS, 99.0) < MIN_ROWS - 1
    assert min_samples_for(99.0) == 101 and min_samples_for(90.0) == 10
    assert trtexec_index(100, 99.0) == 99  # single precision: p99 of 100 samples is the max


@pytest.mark.parametrize(
    "layers,rows",
    [
        (59, 256),  # the demo engine: the whole requested window
        (7_812, 256),  # the last size at which 256 iterations fit in MAX_CELLS
        (10_000, 200),  # MAX_CELLS // layers
        (20_000, MIN_ROWS),  # the floor
        (100_000, MIN_ROWS),  # the floor, above MAX_CELLS: 51 MB a ring
        (125_000, MIN_ROWS),  # the floor, at the hard ceiling
        (200_000, 80),  # beyond the ceiling: HARD_MAX_CELLS // layers
        (20_000_000, 1),  # never empty
    ],
)
def test_ring_rows_rule(layers: int, rows: int) -> None:
    assert ring_rows(256, layers) == rows
    assert rows * layers <= max(MAX_CELLS, MIN_ROWS * layers) or rows * layers <= HARD_MAX_CELLS


def test_a_smaller_request_is_kept() -> None:
    assert ring_rows(16, 59) == 16
    assert ring_rows(16, 100_000) == 16  # asked for: not raised to the floor
    assert ring_rows(100_000, 59) == MAX_CELLS // 59


def test_window_at_100k_layers_holds_enough_iterations_for_a_p99() -> None:
    layers = 100_000
    names = tuple(f"l{i}" for i in range(layers))
    agg = LayerAggregator()
    rng = np.random.default_rng(0)
    base = rng.uniform(0.001, 0.01, layers)
    n_iter = MIN_ROWS + 5
    last = np.empty((n_iter, 3))
    for k in range(n_iter):
        row = base * rng.lognormal(0.0, 0.1, layers)
        last[k] = row[:3]
        agg.add(ProfiledIteration(names, frozen_array(row)))
    assert agg.window_capacity == MIN_ROWS and agg.reservoir_capacity == MIN_ROWS
    assert agg._window.data.dtype == np.float32 and agg._window.data.shape == (layers, MIN_ROWS)
    w = agg.window()
    assert int(w.count[0]) == MIN_ROWS
    held = np.sort(last[-MIN_ROWS:].astype(np.float32), axis=0)
    # p99 of 128 samples drops the largest one: a percentile, not the maximum
    np.testing.assert_array_equal(w.p99_ms[:3], held[-2])
    np.testing.assert_array_equal(w.max_ms[:3], held[-1])
    # bounded: the two rings and the sort buffer, float32, 128 iterations each; 32 sparkline rows
    assert agg.sample_bytes == 4 * layers * (3 * MIN_ROWS + 32)


def test_beyond_the_ceiling_tail_percentiles_are_unknown() -> None:
    """A ring cut below 101 iterations by the ceiling reports no p99 (NaN) rather than its max;
    p90 needs 10. Modelled with a small ceiling: 1,000 layers x 50 iterations."""
    names = tuple(f"l{i}" for i in range(1_000))
    agg = LayerAggregator(hard_max_cells=50_000)
    rng = np.random.default_rng(1)
    for _ in range(60):
        agg.add(ProfiledIteration(names, frozen_array(rng.random(1_000))))
    assert agg.window_capacity == 50 and agg.reservoir_capacity == 50
    for table in (agg.window(), agg.total()):
        assert np.isnan(table.p99_ms).all()
        assert np.isfinite(table.p90_ms).all() and np.isfinite(table.median_ms).all()
        assert np.isfinite(table.max_ms).all()
    assert int(agg.window().count[0]) == 50
    cut = LayerAggregator(hard_max_cells=9_000)  # 9 iterations: no p90 either
    for _ in range(12):
        cut.add(ProfiledIteration(names, frozen_array(rng.random(1_000))))
    w = cut.window()
    assert cut.window_capacity == 9 and np.isnan(w.p90_ms).all() and np.isfinite(w.median_ms).all()


def test_an_explicit_small_window_still_gives_its_nearest_rank() -> None:
    agg = LayerAggregator(window=16)
    for k in range(20):
        agg.add(ProfiledIteration(("a",), frozen_array([float(k)])))
    assert agg.window().p99_ms[0] == 19.0  # what was asked for: trtexec's p99 of 16 samples


def test_growing_past_the_floor_keeps_the_newest_iterations() -> None:
    agg = LayerAggregator(max_cells=1_000, hard_max_cells=1_000)
    for k in range(30):
        agg.add(ProfiledIteration(("a", "b"), frozen_array([float(k), 1.0])))
    assert agg.window_capacity == 256  # 2 layers x 256 iterations fit
    names = tuple(f"l{i}" for i in range(98))  # 100 layers: the ceiling allows 10 iterations
    agg.add(ProfiledIteration(("a", "b", *names), frozen_array([30.0, 1.0, *([2.0] * 98)])))
    assert agg.window_capacity == 10
    w = agg.window()
    assert int(w.count[0]) == 10 and w.min_ms[0] == 21.0 and w.max_ms[0] == 30.0  # the newest 10
    assert int(w.count[5]) == 1  # a new layer: one sample


def test_ring_keeps_time_order_through_wrap_and_resize() -> None:
    ring = SampleRing(4, 2)
    for k in range(7):
        ring.push(np.array([k, -k], dtype=np.float64), complete=True)
    np.testing.assert_array_equal(ring.data[0, ring.newest_slots(3)], [4.0, 5.0, 6.0])
    assert not ring.has_gaps
    small = ring.resized(2, 3)
    np.testing.assert_array_equal(small.data, [[5.0, 6.0], [-5.0, -6.0], [np.nan, np.nan]])
    assert small.has_gaps and small.filled == 2 and small.head == 0
    small.push(np.array([7.0, -7.0, 1.0]), complete=True)
    np.testing.assert_array_equal(small.data[0, small.newest_slots()], [6.0, 7.0])


def test_recent_rows_are_the_newest_oldest_first() -> None:
    recent = RecentRows(3, 1)
    recent.push(np.array([0.0]))
    np.testing.assert_array_equal(recent.ordered(), [[0.0]])
    for k in range(1, 5):
        recent.push(np.array([float(k)]))
    recent.grow(2)
    np.testing.assert_array_equal(recent.ordered(), [[2.0, np.nan], [3.0, np.nan], [4.0, np.nan]])
