"""End-to-end latency and throughput of unprofiled inferences, with bounded memory."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import numpy as np

from trtui.core.model import FloatArray, SourceBatch, frozen_array
from trtui.stats.percentiles import summary_percentiles
from trtui.stats.snapshot import LatencyStats

EXACT_LIMIT = 2_000_000  # latencies kept for exact percentiles once a finite source has finished


class _Ring:
    """A fixed-size ring of floats."""

    def __init__(self, size: int) -> None:
        self.buf = np.zeros(size)
        self.size = size
        self.filled = 0
        self.head = 0

    def extend(self, x: FloatArray) -> None:
        x = x[-self.size :]
        n = len(x)
        end = self.head + n
        if end <= self.size:
            self.buf[self.head : end] = x
        else:
            k = self.size - self.head
            self.buf[self.head :] = x[:k]
            self.buf[: n - k] = x[k:]
        self.head = end % self.size
        self.filled = min(self.filled + n, self.size)

    def ordered(self) -> FloatArray:
        out: FloatArray
        if self.filled < self.size:
            out = self.buf[: self.filled].copy()
            return out
        out = np.concatenate([self.buf[self.head :], self.buf[: self.head]])
        return out


def latency_stats(values: FloatArray, throughput: float | None, count: int | None = None) -> LatencyStats:
    """Statistics of `values` (ms), exact. Median and percentiles by trtexec's definitions
    (trtui/stats/percentiles.py)."""
    if len(values) == 0:
        return LatencyStats(count or 0, throughput_per_s=throughput)
    p50, p90, p95, p99 = summary_percentiles(values)
    return LatencyStats(
        count=len(values) if count is None else count,
        last=float(values[-1]),
        mean=float(values.mean()),
        median=float(p50),
        p90=float(p90),
        p95=float(p95),
        p99=float(p99),
        min=float(values.min()),
        max=float(values.max()),
        std=float(values.std()),
        throughput_per_s=throughput,
    )


class LatencyAggregator:
    """Rolling-window and since-start latency statistics, throughput, and per-stream windows.

    Since start: count, mean, std, min and max are exact (Welford); while the source runs,
    percentiles come from a uniform reservoir sample of `reservoir` latencies. Once the source has
    finished (a recording, delivered whole, or a run that ended) and it produced at most
    `EXACT_LIMIT` latencies, they are exact over every latency. Percentiles use trtexec's
    definitions either way. Throughput = inferences / wall time spent in timing mode, over the last
    `throughput_window_s` seconds and since start.
    """

    def __init__(
        self, window: int = 4096, reservoir: int = 8192, throughput_window_s: float = 5.0, seed: int = 0
    ) -> None:
        self._window_size = window
        self._reservoir_size = reservoir
        self._tput_window_s = throughput_window_s
        self._rng = np.random.default_rng(seed)
        self.reset()

    def reset(self) -> None:
        """Forget every latency, throughput batch, stream and recorded figure (a statistics reset)."""
        self.count = 0
        self._mean = 0.0
        self._m2 = 0.0
        self._min = np.inf
        self._max = -np.inf
        self._last: float | None = None
        self._window = _Ring(self._window_size)
        self._reservoir = np.zeros(self._reservoir_size)
        self._reservoir_filled = 0
        self._batches: deque[tuple[float, int, float]] = deque()  # (t, count, wall_s)
        self._wall_total = 0.0
        self._streams: dict[int, _Ring] = {}
        self._stream_counts: dict[int, int] = {}
        self._recorded: dict[str, float] | None = None
        self._all: list[FloatArray] | None = []  # every latency, until EXACT_LIMIT
        self._finished = False
        self._exact: tuple[float, float, float, float] | None = None

    def add(self, batch: SourceBatch) -> None:
        """Count the batch's latencies (ms) and its timing wall time; per stream when it says which
        stream ran each. A batch marked finished makes later percentiles exact (see the class)."""
        x = np.asarray(batch.latencies_ms, dtype=np.float64)
        n = len(x)
        self._finished = self._finished or batch.finished
        if n and self._all is not None:
            self._all.append(x)
            self._exact = None
            if self.count + n > EXACT_LIMIT:
                self._all = None
        self._wall_total += batch.timing_wall_s
        if n or batch.timing_wall_s:
            self._batches.append((batch.t, n, batch.timing_wall_s))
            while self._batches and self._batches[0][0] < batch.t - self._tput_window_s:
                self._batches.popleft()
        if n == 0:
            return
        # Chan et al.'s parallel combination of (count, mean, M2) with the batch's own.
        bmean = float(x.mean())
        bm2 = float(((x - bmean) ** 2).sum())
        total = self.count + n
        delta = bmean - self._mean
        self._mean += delta * n / total
        self._m2 += bm2 + delta * delta * self.count * n / total
        self.count = total
        self._min = min(self._min, float(x.min()))
        self._max = max(self._max, float(x.max()))
        self._last = float(x[-1])
        self._window.extend(x)
        self._reservoir_add(x, total - n)
        if batch.latency_streams is not None:
            streams = np.asarray(batch.latency_streams)
            for s in np.unique(streams):
                ring = self._streams.setdefault(int(s), _Ring(self._window_size))
                sel = x[streams == s]
                ring.extend(sel)
                self._stream_counts[int(s)] = self._stream_counts.get(int(s), 0) + len(sel)

    def _reservoir_add(self, x: FloatArray, seen_before: int) -> None:
        r = self._reservoir_size
        free = r - self._reservoir_filled
        if free > 0:
            take = x[:free]
            self._reservoir[self._reservoir_filled : self._reservoir_filled + len(take)] = take
            self._reservoir_filled += len(take)
            x = x[free:]
            seen_before += len(take)
        if len(x) == 0:
            return
        # Algorithm R, vectorised: item k (0-based overall) replaces slot j ~ U[0, k] when j < r.
        ks = np.arange(seen_before, seen_before + len(x)) + 1
        js = (self._rng.random(len(x)) * ks).astype(np.int64)
        keep = js < r
        self._reservoir[js[keep]] = x[keep]

    # -- snapshots -------------------------------------------------------------------------------

    def throughput_window(self) -> float | None:
        """Inferences per second of timing wall time over the last `throughput_window_s` seconds
        (source clock); None before any wall time."""
        wall = sum(b[2] for b in self._batches)
        n = sum(b[1] for b in self._batches)
        return n / wall if wall > 0 else None

    def throughput_total(self) -> float | None:
        """Inferences per second of timing wall time since start; None before any wall time."""
        return self.count / self._wall_total if self._wall_total > 0 else None

    def recent(self) -> FloatArray:
        """The rolling window's latencies (ms), oldest first, read-only."""
        return frozen_array(self._window.ordered())

    def window(self) -> LatencyStats:
        """Exact statistics of the rolling window, with the windowed throughput."""
        return latency_stats(self._window.ordered(), self.throughput_window())

    def set_recorded(self, figures: Mapping[str, float]) -> None:
        """Since-start figures a recording carries for more inferences than its times file holds
        (trtui's exports): `total()` reports them, with the measured throughput."""
        self._recorded = dict(figures)

    def total(self) -> LatencyStats:
        """Since-start statistics (see the class for when percentiles are exact), or the recorded
        figures when a recording carries more inferences than were read."""
        recorded = self._recorded
        if recorded is not None and int(recorded.get("count", 0)) > self.count:
            return LatencyStats(
                count=int(recorded["count"]),
                last=self._last,
                **{k: recorded.get(k) for k in ("mean", "median", "p90", "p95", "p99", "min", "max", "std")},
                throughput_per_s=self.throughput_total(),
            )
        if self.count == 0:
            return LatencyStats(0, throughput_per_s=self.throughput_total())
        if self._finished and self._all is not None:
            if self._exact is None:
                self._exact = summary_percentiles(np.concatenate(self._all))
            p50, p90, p95, p99 = self._exact
        else:
            p50, p90, p95, p99 = summary_percentiles(self._reservoir[: self._reservoir_filled])
        return LatencyStats(
            count=self.count,
            last=self._last,
            mean=self._mean,
            median=float(p50),
            p90=float(p90),
            p95=float(p95),
            p99=float(p99),
            min=float(self._min),
            max=float(self._max),
            std=float(np.sqrt(self._m2 / self.count)),
            throughput_per_s=self.throughput_total(),
        )

    def per_stream(self) -> tuple[LatencyStats, ...]:
        """Each stream's window statistics, by stream number; () with fewer than two streams."""
        if len(self._streams) < 2:
            return ()
        return tuple(
            latency_stats(self._streams[s].ordered(), None, self._stream_counts[s])
            for s in sorted(self._streams)
        )
