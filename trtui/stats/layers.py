"""Per-layer statistics over a rolling window and since start, with bounded memory.

Layers are keyed by name (an engine built without layer names reports decimal indices: those are
names too). The layer set may change between iterations (conditionals, profile switches): a layer
missing from an iteration simply gets no sample in it.

Since start, count, sum, mean, standard deviation (Welford), min, max and the last value are
exact (`since_start.SinceStart`), updated at `add`, or for a batch of iterations (one tick of a
source) at `add_many`, which folds runs of complete, same-order iterations in as blocks; the
since-start percentiles come from a uniform reservoir sample of whole iterations (Vitter's
algorithm R). The window holds the newest iterations. Both are float32
`SampleRing`s sized by `sample_ring.ring_rows`: the requested number of iterations (256 by
default) up to 2,000,000 values, never fewer than 128 iterations (so that a p99 is one) up to a
ceiling of 16,000,000 values (125,000 layers); beyond that ceiling a ring holds fewer iterations
and a p90/p99 that they cannot give is NaN (unknown). Memory: the two rings and one sort buffer,
3 x 4 B x layers x iterations held, and the newest 32 iterations for the sparklines: 33 MB at
20,000 layers, 166 MB at 100,000.

`window()` and `total()` build immutable `LayerTable`s, cached until the next `add(_many)`; the
reservoir's percentiles are cached until the reservoir changes (rarely, late in a long run).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.core.model import FloatArray, IntArray, LayerSummaryTable, ProfiledIteration, frozen_array
from trtui.stats.percentiles import min_samples_for
from trtui.stats.sample_ring import HARD_MAX_CELLS, MAX_CELLS, RecentRows, SampleRing, ring_rows
from trtui.stats.sample_stats import OrderStats, SortBuffer, moments_over, order_stats, valid_counts
from trtui.stats.since_start import SinceStart
from trtui.stats.snapshot import LayerTable

_DRAWS = 1024


def _sealed(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """`a`, made read-only: for arrays built for one snapshot and referenced by nobody else."""
    a.setflags(write=False)
    return a


class LayerAggregator:
    """Accumulates profiled iterations; `window()` and `total()` return immutable `LayerTable`s."""

    def __init__(
        self,
        window: int = 256,
        reservoir: int = 256,
        recent: int = 32,
        max_cells: int = MAX_CELLS,
        seed: int = 0,
        hard_max_cells: int = HARD_MAX_CELLS,
    ) -> None:
        self._window_rows = window
        self._reservoir_rows = reservoir
        self._recent_count = recent
        self._max_cells = max_cells
        self._hard_max_cells = hard_max_cells
        self._rng = np.random.default_rng(seed)
        self._draws: list[float] = []
        self._summary: LayerSummaryTable | None = None
        self._sort = SortBuffer()
        self.reset()

    @property
    def window_capacity(self) -> int:
        """Iterations the rolling window holds at the current layer count."""
        return self._window.rows

    @property
    def reservoir_capacity(self) -> int:
        """Iterations the since-start reservoir sample holds at the current layer count."""
        return self._reservoir.rows

    @property
    def sample_bytes(self) -> int:
        """Bytes held for samples: the window, the reservoir, the sort buffer, the sparkline rows."""
        rings = self._window.data.nbytes + self._reservoir.data.nbytes + self._recent.data.nbytes
        return int(rings) + self._sort.nbytes

    # -- ingestion -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every layer and sample, and any summary (a statistics reset); the capacities are
        sized again as layers arrive."""
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self._last_names: tuple[str, ...] | None = None
        self._last_cols: npt.NDArray[Any] | None = None
        self._in_order = False  # _last_cols is 0, 1, ..., n - 1
        self.iterations = 0
        self._cache: dict[tuple[str, int], LayerTable] = {}
        self._reservoir_stats: tuple[int, OrderStats] | None = None
        self._recent_rows: tuple[int, FloatArray] | None = None
        n = 0
        self._since = SinceStart(n)
        self._window = SampleRing(self._rows_for(self._window_rows, n), n)
        self._recent = RecentRows(min(self._recent_count, self._window.rows), n)
        self._reservoir = SampleRing(self._rows_for(self._reservoir_rows, n), n)
        self._summary = None

    def _rows_for(self, wanted: int, layers: int) -> int:
        return ring_rows(wanted, layers, self._max_cells, self._hard_max_cells)

    def _cols_for(self, names: tuple[str, ...]) -> npt.NDArray[Any]:
        if names is self._last_names and self._last_cols is not None:
            return self._last_cols
        cols = np.empty(len(names), dtype=np.int64)
        new = False
        for i, name in enumerate(names):
            c = self._index.get(name)
            if c is None:
                c = len(self.names)
                self._index[name] = c
                self.names.append(name)
                new = True
            cols[i] = c
        if new:
            self._grow(len(self.names))
        self._last_names, self._last_cols = names, cols
        self._in_order = bool(np.array_equal(cols, np.arange(len(cols))))
        return cols

    def _grow(self, n: int) -> None:
        self._since.grow(n)
        self._window = self._fitted(self._window, self._window_rows, n)
        rows = min(self._recent_count, self._window.rows)  # no more than the window holds
        self._recent = self._recent.resized(rows, n) if rows != self._recent.rows else self._recent
        self._recent.grow(n)
        self._reservoir = self._fitted(self._reservoir, self._reservoir_rows, n)

    def _fitted(self, ring: SampleRing, wanted: int, n: int) -> SampleRing:
        """`ring` with `n` layers, resized when the rule gives `n` layers another row count."""
        rows = self._rows_for(wanted, n)
        if rows != ring.rows:
            return ring.resized(rows, n)
        ring.grow(n)
        return ring

    def add(self, it: ProfiledIteration) -> None:
        """Take one profiled iteration (ms per named layer). A layer not seen before is added; a
        known layer missing from `it` gets no sample in it."""
        cols = self._cols_for(it.names)
        x = np.asarray(it.times_ms, dtype=np.float64)
        n = len(self.names)
        complete = len(cols) == n
        self.iterations += 1
        if complete and self._in_order:  # the common case: same layers, same order
            row = x
            self._since.add_all(x)
        else:
            row = np.full(n, np.nan)
            row[cols] = x
            self._since.add_some(cols, x)
        self._window.push(row, complete)
        self._recent.push(row)
        # Reservoir sampling of whole iterations (Vitter's algorithm R): a uniform sample of
        # every iteration since start, for since-start percentiles with bounded memory.
        k = self.iterations
        if k <= self._reservoir.rows:
            self._reservoir.push(row, complete)
        else:
            j = int(self._uniform() * k)  # uniform in [0, k)
            if j < self._reservoir.rows:
                self._reservoir.write(j, row, complete)

    def add_many(self, iterations: Sequence[ProfiledIteration]) -> None:
        """`add` each iteration, in order. Runs of iterations that share one names tuple (the same
        object), hold every layer known and report them in column order (a source's usual case)
        are folded in as blocks: a few vectorised operations per run instead of per iteration.
        The figures equal adding one by one up to float rounding; the reservoir draws the same
        random numbers in the same order, so it holds the same iterations."""
        i, end = 0, len(iterations)
        while i < end:
            names = iterations[i].names
            cols = self._cols_for(names)
            j = i + 1
            while j < end and iterations[j].names is names:
                j += 1
            if j - i > 1 and len(cols) == len(self.names) and self._in_order:
                self._add_block(np.array([it.times_ms for it in iterations[i:j]], dtype=np.float64))
            else:
                for it in iterations[i:j]:
                    self.add(it)
            i = j

    def _add_block(self, block: FloatArray) -> None:
        """Complete, in-order iterations (k x layers, oldest first): `add` for each, vectorised."""
        k = len(block)
        first = self.iterations + 1  # the number `add` would give the first row
        self.iterations += k
        self._since.add_block(block)
        self._window.push_block(block, True)
        self._recent.push_block(block)
        res = self._reservoir
        fill = max(0, min(k, res.rows - first + 1))  # rows taken while the reservoir fills
        if fill:
            res.push_block(block[:fill], True)
        if fill == k:
            return
        # Algorithm R for the rest, drawing in the order `add` draws: a later row that lands in
        # the same slot replaces an earlier one.
        numbers = np.arange(first + fill, first + k, dtype=np.float64)
        slots = (np.array(self._uniforms(k - fill)) * numbers).astype(np.int64)
        hits = np.flatnonzero(slots < res.rows)
        if len(hits) == 0:
            return
        newest = dict(zip(slots[hits].tolist(), (hits + fill).tolist(), strict=True))  # last wins
        res.write_slots(np.fromiter(newest, np.int64, len(newest)), block[list(newest.values())], True)

    def _uniforms(self, count: int) -> list[float]:
        """`count` draws, the ones `count` calls of `_uniform` would give, in that order."""
        out: list[float] = []
        while len(out) < count:
            if not self._draws:
                self._draws = self._rng.random(_DRAWS).tolist()
            take = min(count - len(out), len(self._draws))
            chunk = self._draws[-take:]
            del self._draws[-take:]
            chunk.reverse()
            out += chunk
        return out

    def _uniform(self) -> float:
        """A uniform draw in [0, 1), from a batch (one numpy call per add would cost a microsecond)."""
        if not self._draws:
            self._draws = self._rng.random(_DRAWS).tolist()
        return self._draws.pop()

    def set_summary(self, summary: LayerSummaryTable) -> None:
        """Use statistics a source aggregated itself (a recording) instead of samples."""
        self._summary = summary
        self._cache.clear()
        for name in summary.names:
            if name not in self._index:
                self._index[name] = len(self.names)
                self.names.append(name)

    # -- snapshots -------------------------------------------------------------------------------

    def window(self) -> LayerTable:
        """Statistics over the rolling window. Tables are immutable, so while no new iteration
        arrived the previous one is returned again."""
        if self._summary is not None:
            return self._summary_table()
        key = ("window", self.iterations)
        if key not in self._cache:
            self._cache[key] = self._window_table()
        return self._cached(key)

    def total(self) -> LayerTable:
        """Statistics since start (percentiles from the reservoir sample); cached like `window`."""
        if self._summary is not None:
            return self._summary_table()
        key = ("total", self.iterations)
        if key not in self._cache:
            self._cache[key] = self._total_table()
        return self._cached(key)

    def _cached(self, key: tuple[str, int]) -> LayerTable:
        # Keep only the newest table of each kind.
        for stale in [k for k in self._cache if k[0] == key[0] and k != key]:
            del self._cache[stale]
        return self._cache[key]

    def _order_stats(self, ring: SampleRing, wanted: int, moments: bool) -> tuple[OrderStats, Any]:
        """Order statistics of `ring` (and its moments when asked), with the tail rule applied."""
        gaps = ring.has_gaps
        srt = self._sort.sorted_copy(ring.samples())
        count = valid_counts(srt, gaps)
        order = order_stats(srt, count, gaps)
        mom = moments_over(srt, count, gaps) if moments else None
        if ring.rows < wanted:  # cut by the memory ceiling: drop tails so few samples cannot give
            nan = np.full(len(count), np.nan)
            p90 = nan if ring.rows < min_samples_for(90.0) else order.p90
            p99 = nan.copy() if ring.rows < min_samples_for(99.0) else order.p99
            order = OrderStats(order.count, order.median, p90, p99, order.minimum, order.maximum)
        return order, mom

    def _window_table(self) -> LayerTable:
        if not self.names or self._window.filled == 0:
            return LayerTable.empty()
        order, mom = self._order_stats(self._window, self._window_rows, moments=True)
        return self._table(order.count, order, order.minimum, order.maximum, mom.mean, mom.std, mom.total)

    def _total_table(self) -> LayerTable:
        if not self.names or self._reservoir.filled == 0:
            return LayerTable.empty()
        version = self._reservoir.version
        if self._reservoir_stats is None or self._reservoir_stats[0] != version:
            order, _ = self._order_stats(self._reservoir, self._reservoir_rows, moments=False)
            self._reservoir_stats = (version, order)
        order = self._reservoir_stats[1]
        since = self._since
        count = since.count.copy()
        seen = count > 0
        with np.errstate(invalid="ignore"):
            mean = np.where(seen, since.mean, np.nan)
            std = np.where(seen, np.sqrt(since.m2 / np.maximum(count, 1)), np.nan)
            mn = np.where(seen, since.min, np.nan)
            mx = np.where(seen, since.max, np.nan)
        return self._table(count, order, mn, mx, mean, std, since.total.copy())

    def _recent_table_rows(self) -> FloatArray:
        """The newest `recent` iterations, shared by the window and total tables of an iteration."""
        if self._recent_rows is None or self._recent_rows[0] != self.iterations:
            self._recent_rows = (self.iterations, _sealed(self._recent.ordered()))
        return self._recent_rows[1]

    def _table(
        self,
        count: IntArray,
        order: OrderStats,
        mn: FloatArray,
        mx: FloatArray,
        mean: FloatArray,
        std: FloatArray,
        total: FloatArray,
    ) -> LayerTable:
        n = len(self.names)
        grand = float(np.nansum(total))
        share = total / grand * 100.0 if grand > 0 else np.zeros(n)
        return LayerTable(
            names=tuple(self.names),
            count=_sealed(count),
            last_ms=frozen_array(self._since.last),
            mean_ms=_sealed(mean),
            median_ms=_sealed(order.median),
            p90_ms=_sealed(order.p90),
            p99_ms=_sealed(order.p99),
            min_ms=_sealed(mn),
            max_ms=_sealed(mx),
            std_ms=_sealed(std),
            total_ms=_sealed(total),
            share_pct=_sealed(share),
            iterations=self.iterations,
            recent_ms=self._recent_table_rows(),
        )

    def _summary_table(self) -> LayerTable:
        s = self._summary
        assert s is not None
        n = len(s.names)
        nan = np.full(n, np.nan)
        grand = float(np.nansum(s.total_ms))
        share = s.total_ms / grand * 100.0 if grand > 0 else np.zeros(n)
        return LayerTable(
            names=s.names,
            count=frozen_array(s.count, np.int64),
            last_ms=frozen_array(nan),
            mean_ms=frozen_array(s.mean_ms),
            median_ms=frozen_array(s.median_ms),
            p90_ms=frozen_array(s.extra.get("p90_ms", nan)),
            p99_ms=frozen_array(s.extra.get("p99_ms", nan)),
            min_ms=frozen_array(s.extra.get("min_ms", nan)),
            max_ms=frozen_array(s.extra.get("max_ms", nan)),
            std_ms=frozen_array(s.extra.get("std_ms", nan)),
            total_ms=frozen_array(s.total_ms),
            share_pct=frozen_array(share),
            iterations=s.iterations,
            recent_ms=frozen_array(np.empty((0, n))),
        )
