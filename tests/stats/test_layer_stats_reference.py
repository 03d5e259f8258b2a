"""The layer aggregator's fast path (float32 rings, one sort buffer, float32 sums) against a
straightforward numpy reference, computed layer by layer in float64 on random data."""

from __future__ import annotations

import numpy as np
import pytest

from trtui.core.model import ProfiledIteration, frozen_array
from trtui.stats.layers import LayerAggregator
from trtui.stats.snapshot import LayerTable

MOMENTS = {"rtol": 1e-5, "atol": 1e-12}  # float32 sums against float64 ones


def nearest_rank(values: np.ndarray, p: float) -> float:
    """trtexec's percentile, restated: sort, drop the top int((1 - p/100) * n) (single precision)."""
    srt = np.sort(values)
    exclude = int(np.float32(np.float32(1) - np.float32(p) / np.float32(100)) * np.float32(len(srt)))
    return float(srt[max(len(srt) - 1 - exclude, 0)])


def reference(samples: np.ndarray) -> dict[str, np.ndarray]:
    """Per column of `samples` (iterations x layers, NaN = no sample): the figures the table shows."""
    keys = ("count", "mean", "median", "p90", "p99", "min", "max", "std", "sum")
    out: dict[str, list[float]] = {k: [] for k in keys}
    for j in range(samples.shape[1]):
        v = samples[:, j][~np.isnan(samples[:, j])].astype(np.float64)
        out["count"].append(len(v))
        if len(v) == 0:
            for k in ("mean", "median", "p90", "p99", "min", "max", "std"):
                out[k].append(np.nan)
            out["sum"].append(0.0)
            continue
        out["mean"].append(float(np.mean(v)))
        out["median"].append(float(np.median(v)))  # the mean of the two middle values when even
        out["p90"].append(nearest_rank(v, 90))
        out["p99"].append(nearest_rank(v, 99))
        out["min"].append(float(v.min()))
        out["max"].append(float(v.max()))
        out["std"].append(float(np.std(v)))
        out["sum"].append(float(v.sum()))
    return {k: np.array(v) for k, v in out.items()}


def check(table: LayerTable, ref: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(table.count, ref["count"])
    # order statistics are samples (float32 values), or the mean of two: exact
    np.testing.assert_array_equal(table.median_ms, ref["median"])
    np.testing.assert_array_equal(table.p90_ms, ref["p90"])
    np.testing.assert_array_equal(table.p99_ms, ref["p99"])
    np.testing.assert_array_equal(table.min_ms, ref["min"])
    np.testing.assert_array_equal(table.max_ms, ref["max"])
    np.testing.assert_allclose(table.mean_ms, ref["mean"], **MOMENTS)
    np.testing.assert_allclose(table.std_ms, ref["std"], **MOMENTS)
    np.testing.assert_allclose(table.total_ms, ref["sum"], **MOMENTS)
    np.testing.assert_allclose(table.share_pct, ref["sum"] / ref["sum"].sum() * 100, **MOMENTS)


def as32(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32).astype(np.float64)


@pytest.mark.parametrize(
    "n_iter,window,layers",
    [(1, 256, 9), (7, 256, 40), (256, 256, 40), (300, 128, 513), (1000, 101, 64), (500, 256, 2000)],
)
def test_window_matches_numpy_reference(n_iter: int, window: int, layers: int) -> None:
    rng = np.random.default_rng(n_iter * 31 + layers)
    names = tuple(f"layer{i}" for i in range(layers))
    # spread over four decades, with outliers: percentiles and moments both matter
    data = rng.lognormal(-3, 1.0, (n_iter, layers)) * np.where(rng.random((n_iter, layers)) < 0.02, 50, 1)
    agg = LayerAggregator(window=window)
    for row in data:
        agg.add(ProfiledIteration(names, frozen_array(row)))
    w = agg.window()
    check(w, reference(as32(data[-window:])))
    np.testing.assert_array_equal(w.last_ms, data[-1])
    np.testing.assert_allclose(w.recent_ms, as32(data[-32:]))  # sparkline rows, oldest first
    assert w.iterations == n_iter


def test_window_with_missing_layers_matches_numpy_reference() -> None:
    """Conditional layers: each iteration reports a random subset, in engine order."""
    rng = np.random.default_rng(5)
    layers, n_iter, window = 50, 400, 128
    names = tuple(f"l{i}" for i in range(layers))
    full = np.full((n_iter, layers), np.nan)
    agg = LayerAggregator(window=window)
    for k in range(n_iter):
        keep = rng.random(layers) < (0.3 if k % 7 == 1 else 0.97)
        keep |= k == 0  # the first iteration runs every layer (it sets the engine order)
        if k >= 200:
            keep[10] = False  # a layer that stops running: no sample in the last 200 iterations
        values = rng.gamma(2.0, 0.05, layers)
        full[k, keep] = values[keep]
        sub = tuple(n for n, kept in zip(names, keep, strict=True) if kept)
        agg.add(ProfiledIteration(sub, frozen_array(values[keep])))
    w = agg.window()
    assert w.names == names
    ref = reference(as32(full[-window:]))
    check(w, ref)
    assert w.count[10] == 0 and np.isnan(w.p99_ms[10]) and w.total_ms[10] == 0.0


def test_total_percentiles_are_exact_while_the_reservoir_holds_everything() -> None:
    rng = np.random.default_rng(11)
    names = tuple(str(i) for i in range(30))
    data = rng.exponential(0.1, (200, 30))
    agg = LayerAggregator(window=64, reservoir=256)
    for row in data:
        agg.add(ProfiledIteration(names, frozen_array(row)))
    t = agg.total()
    ref = reference(as32(data))
    for col in ("median", "p90", "p99"):
        np.testing.assert_array_equal(getattr(t, f"{col}_ms"), ref[col])
    # since-start moments are float64 and exact (Welford on the float64 samples)
    np.testing.assert_allclose(t.mean_ms, data.mean(0), rtol=1e-12)
    np.testing.assert_allclose(t.std_ms, data.std(0), rtol=1e-9)
    np.testing.assert_array_equal(t.min_ms, data.min(0))
    np.testing.assert_array_equal(t.max_ms, data.max(0))


def test_total_follows_every_change_of_the_reservoir() -> None:
    """The reservoir's percentiles are cached until it changes: they must match what it holds
    after every iteration, replaced or not."""
    rng = np.random.default_rng(2)
    names = ("a", "b", "c")
    agg = LayerAggregator(window=8, reservoir=8, seed=3)
    changed = 0
    for k in range(200):
        before = agg._reservoir.version
        agg.add(ProfiledIteration(names, frozen_array(rng.random(3) * (k + 1))))
        changed += agg._reservoir.version != before
        held = agg._reservoir.samples().T.astype(np.float64)  # iterations x layers
        t = agg.total()
        ref = reference(held)
        for col in ("median", "p90", "p99"):
            np.testing.assert_array_equal(getattr(t, f"{col}_ms"), ref[col])
    assert 8 < changed < 200  # some iterations replaced a slot, most did not


def test_layers_reported_out_of_engine_order_land_in_their_columns() -> None:
    agg = LayerAggregator(window=8)
    agg.add(ProfiledIteration(("a", "b", "c", "d"), frozen_array([1.0, 2.0, 3.0, 4.0])))
    agg.add(ProfiledIteration(("a", "c", "b", "d"), frozen_array([1.0, 30.0, 20.0, 4.0])))
    w = agg.window()
    np.testing.assert_array_equal(w.max_ms, [1.0, 20.0, 30.0, 4.0])
    np.testing.assert_array_equal(w.last_ms, [1.0, 20.0, 30.0, 4.0])
