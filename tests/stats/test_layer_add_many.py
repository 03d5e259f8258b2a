"""`LayerAggregator.add_many` (blocks of iterations, as a session ingests a tick) against `add` one
iteration at a time, on random data: the same tables, the moments up to float rounding."""

from __future__ import annotations

import numpy as np
import pytest

from trtui.core.model import ProfiledIteration, frozen_array
from trtui.stats.layers import LayerAggregator
from trtui.stats.sample_ring import RecentRows, SampleRing
from trtui.stats.snapshot import LayerTable

EXACT = ("names", "count", "last_ms", "median_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "recent_ms")
ROUNDED = ("mean_ms", "std_ms", "total_ms", "share_pct")  # Chan's combination vs Welford's steps


def same_table(got: LayerTable, want: LayerTable) -> None:
    assert got.iterations == want.iterations
    for field in EXACT:
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field), err_msg=field)
    for field in ROUNDED:
        np.testing.assert_allclose(getattr(got, field), getattr(want, field), rtol=1e-9, atol=1e-15,
                                   err_msg=field)


def fed_both_ways(
    batches: list[list[ProfiledIteration]], **kw: int
) -> tuple[LayerAggregator, LayerAggregator]:
    one, many = LayerAggregator(**kw), LayerAggregator(**kw)
    for batch in batches:
        for it in batch:
            one.add(it)
        many.add_many(batch)
        same_table(many.window(), one.window())
        same_table(many.total(), one.total())
    return one, many


def split(its: list[ProfiledIteration], rng: np.random.Generator, most: int) -> list[list[ProfiledIteration]]:
    out, i = [], 0
    while i < len(its):
        k = int(rng.integers(0, most + 1))  # empty batches too
        out.append(its[i : i + k])
        i += k
    return out


@pytest.mark.parametrize("most", [1, 5, 50, 300])
def test_complete_iterations_in_blocks_equal_one_by_one(most: int) -> None:
    """Batches smaller and larger than the window (16) and the reservoir (8): the rings wrap inside
    a block, and the reservoir fills, then replaces slots, within one."""
    rng = np.random.default_rng(most)
    names = tuple(f"layer{i}" for i in range(23))
    data = rng.lognormal(-3, 1.0, (900, 23))
    its = [ProfiledIteration(names, frozen_array(row)) for row in data]
    _, many = fed_both_ways(split(its, rng, most), window=16, reservoir=8, recent=4, seed=7)
    # the figures themselves, not only the agreement
    t = many.total()
    np.testing.assert_allclose(t.mean_ms, data.mean(0), rtol=1e-12)
    np.testing.assert_allclose(t.std_ms, data.std(0), rtol=1e-9)
    np.testing.assert_array_equal(t.min_ms, data.min(0))
    np.testing.assert_array_equal(t.max_ms, data.max(0))
    np.testing.assert_array_equal(t.last_ms, data[-1])
    assert many._reservoir.version > 0 and many.reservoir_capacity == 8


def test_mixed_layer_sets_order_and_missing_layers_equal_one_by_one() -> None:
    """Iterations that report a subset of the layers, new layers, another order, and equal names in
    another tuple object, interleaved with complete runs inside the same batches."""
    rng = np.random.default_rng(3)
    base = tuple(f"l{i}" for i in range(12))
    grown = (*base, "late0", "late1")
    kinds = [
        base,
        grown,
        tuple(reversed(grown)),  # out of order
        tuple(n for i, n in enumerate(grown) if i % 3),  # missing layers
        (*grown,),  # equal to `grown`, another object
    ]
    assert kinds[4] == grown and kinds[4] is not grown
    its: list[ProfiledIteration] = []
    for run in range(60):  # `base`, then `grown` (columns in its order), then any
        names = kinds[run] if run < 2 else kinds[int(rng.integers(0, len(kinds)))]
        run = rng.gamma(2.0, 0.05, (int(rng.integers(1, 12)), len(names)))  # a run of one layer set
        its += [ProfiledIteration(names, frozen_array(row)) for row in run]
    _, many = fed_both_ways(split(its, rng, 40), window=32, reservoir=16, recent=8, seed=1)
    assert many.names == list(grown)
    assert many.window().count.min() < many.window().count.max()  # some layers missed iterations


def test_reservoir_draws_the_same_numbers_as_one_by_one() -> None:
    """A long run past the reservoir: the same random draws in the same order, so the same
    iterations held, so the same since-start percentiles."""
    rng = np.random.default_rng(9)
    names = ("a", "b", "c", "d")
    its = [ProfiledIteration(names, frozen_array(rng.random(4) * (k % 97 + 1))) for k in range(5000)]
    one, many = fed_both_ways([its[i : i + 64] for i in range(0, len(its), 64)], window=8, reservoir=32)
    np.testing.assert_array_equal(many._reservoir.samples(), one._reservoir.samples())
    assert many._draws == one._draws


@pytest.mark.parametrize("rows", [1, 4, 7])
@pytest.mark.parametrize("k", [0, 1, 3, 7, 8, 20])
@pytest.mark.parametrize("head_pushes", [0, 2, 6])
def test_ring_block_push_equals_pushes(rows: int, k: int, head_pushes: int) -> None:
    rng = np.random.default_rng(rows * 100 + k * 10 + head_pushes)
    cols = 3
    ring, ring_b = SampleRing(rows, cols), SampleRing(rows, cols)
    recent, recent_b = RecentRows(rows, cols), RecentRows(rows, cols)
    for row in rng.random((head_pushes, cols)):
        for r in (ring, ring_b):
            r.push(row, True)
        for rr in (recent, recent_b):
            rr.push(row)
    block = rng.random((k, cols))
    for row in block:
        ring.push(row, True)
        recent.push(row)
    ring_b.push_block(block, True)
    recent_b.push_block(block)
    np.testing.assert_array_equal(ring_b.data, ring.data)
    assert (ring_b.head, ring_b.filled, ring_b.has_gaps) == (ring.head, ring.filled, ring.has_gaps)
    np.testing.assert_array_equal(recent_b.ordered(), recent.ordered())
    assert (recent_b.head, recent_b.filled) == (recent.head, recent.filled)
