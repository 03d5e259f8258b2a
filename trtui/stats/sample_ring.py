"""The bounded store behind the layer statistics: a ring of profiled iterations, kept layer-major
(each layer's samples contiguous, float32, NaN where a layer had no sample), and the rule that
sizes it.

Sizing rule (`ring_rows`), for a ring that should hold `wanted` iterations of `layers` layers:

- it holds `wanted` iterations while that is at most `max_cells` values (default 2,000,000, 8 MB);
- beyond, fewer, but never fewer than `MIN_ROWS` (128) iterations, or than `wanted` when fewer
  were asked for: by trtexec's nearest rank a p99 over 100 or fewer samples is the maximum, and
  a p99 over 20 iterations is not a p99. From 15,625 layers on, memory grows with the layer count,
  4 B x 128 per layer and ring: 10 MB at 20,000 layers, 51 MB at 100,000;
- the floor gives way only to a hard ceiling of `hard_max_cells` values (default 16,000,000,
  64 MB, reached at 125,000 layers): beyond it the ring holds `hard_max_cells // layers`
  iterations (at least 1), and the aggregator reports the tail percentiles that so few samples
  cannot give (`percentiles.min_samples_for`) as unknown (NaN) instead of a maximum in disguise.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from trtui.core.model import FloatArray

MIN_ROWS = 128
MAX_CELLS = 2_000_000
HARD_MAX_CELLS = 16_000_000

F32Array = npt.NDArray[np.float32]


def ring_rows(
    wanted: int, layers: int, max_cells: int = MAX_CELLS, hard_max_cells: int = HARD_MAX_CELLS
) -> int:
    """How many iterations a ring of `layers` layers holds (the rule in the module docstring)."""
    wanted = max(1, wanted)
    layers = max(1, layers)
    rows = min(wanted, max(min(wanted, MIN_ROWS), max_cells // layers))
    if rows * layers > hard_max_cells:
        rows = hard_max_cells // layers
    return max(1, rows)


class SampleRing:
    """`rows` slots (iterations) x `cols` layers, stored as `data[layer, slot]`.

    Slots fill in order; `push` then overwrites the oldest, and `write` replaces a given slot
    (reservoir sampling). `version` changes with every write, for caches of derived statistics.
    """

    def __init__(self, rows: int, cols: int) -> None:
        self.rows = max(1, rows)
        self.data: F32Array = np.full((cols, self.rows), np.nan, dtype=np.float32)
        self.filled = 0
        self.head = 0  # next slot `push` writes
        self.version = 0
        self._complete = np.ones(self.rows, dtype=bool)  # per slot: every layer had a sample

    @property
    def cols(self) -> int:
        return int(self.data.shape[0])

    @property
    def has_gaps(self) -> bool:
        """Whether some filled slot lacks a sample of some layer (NaN in `samples()`)."""
        return not bool(self._complete[: self.filled].all())

    def grow(self, cols: int) -> None:
        """Add layers (no samples in the slots already filled)."""
        extra = cols - self.cols
        if extra > 0:
            pad = np.full((extra, self.rows), np.nan, dtype=np.float32)
            self.data = np.concatenate([self.data, pad], axis=0)
            self._complete[: self.filled] = False
            self.version += 1

    def write(self, slot: int, row: FloatArray, complete: bool) -> None:
        """Put one iteration (one value per layer, NaN for none) in `slot`."""
        self.data[:, slot] = row
        self._complete[slot] = complete
        self.version += 1

    def write_slots(self, slots: npt.NDArray[np.int64], rows: FloatArray, complete: bool) -> None:
        """`write` `rows[i]` in `slots[i]` for each i (the slots distinct)."""
        self.data[:, slots] = rows.T
        self._complete[slots] = complete
        self.version += 1

    def push(self, row: FloatArray, complete: bool) -> None:
        """Put one iteration (one value per layer, NaN for none) in place of the oldest;
        `complete`: it has a sample of every layer."""
        self.write(self.head, row, complete)
        self.head = (self.head + 1) % self.rows
        self.filled = min(self.filled + 1, self.rows)

    def push_block(self, block: FloatArray, complete: bool) -> None:
        """`push` each row of `block` (iterations x layers), oldest first, in at most two copies."""
        k = len(block)
        if k == 0:
            return
        for start, stop, first in _segments(self.head, k, self.rows):
            part = block[first : first + stop - start]
            self.data[:, start:stop] = part.T
            self._complete[start:stop] = complete
        self.head = (self.head + k) % self.rows
        self.filled = min(self.filled + k, self.rows)
        self.version += 1

    def samples(self) -> F32Array:
        """The filled slots, layer-major (a view; slot order, not time order)."""
        return self.data if self.filled == self.rows else self.data[:, : self.filled]

    def newest_slots(self, last: int | None = None) -> npt.NDArray[np.int64]:
        """The filled slots in the order they were pushed, oldest first; only the newest `last`."""
        k = self.filled if last is None else min(last, self.filled)
        return (np.arange(self.head - k, self.head, dtype=np.int64)) % self.rows

    def resized(self, rows: int, cols: int) -> SampleRing:
        """A ring of `rows` slots and `cols` layers holding this one's newest iterations."""
        fresh = SampleRing(rows, cols)
        slots = self.newest_slots(fresh.rows)
        k = len(slots)
        fresh.data[: self.cols, :k] = self.data[:, slots]
        fresh._complete[:k] = self._complete[slots] & (cols == self.cols)
        fresh.filled = k
        fresh.head = k % fresh.rows
        fresh.version = self.version + 1
        return fresh


class RecentRows:
    """The newest `rows` iterations, iteration-major (float32), for the per-layer sparklines:
    kept apart from the layer-major window so that handing them out is one contiguous copy."""

    def __init__(self, rows: int, cols: int) -> None:
        self.rows = max(1, rows)
        self.data: F32Array = np.full((self.rows, cols), np.nan, dtype=np.float32)
        self.filled = 0
        self.head = 0

    def grow(self, cols: int) -> None:
        """Add layers (NaN in the rows already held); fewer `cols` than held changes nothing."""
        extra = cols - int(self.data.shape[1])
        if extra > 0:
            pad = np.full((self.rows, extra), np.nan, dtype=np.float32)
            self.data = np.concatenate([self.data, pad], axis=1)

    def resized(self, rows: int, cols: int) -> RecentRows:
        """A `RecentRows` of `rows` x `cols` holding this one's newest rows."""
        fresh = RecentRows(rows, cols)
        kept = self.ordered()[-fresh.rows :] if self.filled else np.empty((0, self.data.shape[1]))
        k = len(kept)
        fresh.data[:k, : self.data.shape[1]] = kept
        fresh.filled = k
        fresh.head = k % fresh.rows
        return fresh

    def push(self, row: FloatArray) -> None:
        """Put one iteration (one value per layer, NaN for none) in place of the oldest."""
        self.data[self.head] = row
        self.head = (self.head + 1) % self.rows
        self.filled = min(self.filled + 1, self.rows)

    def push_block(self, block: FloatArray) -> None:
        """`push` each row of `block` (iterations x layers), oldest first."""
        k = len(block)
        for start, stop, first in _segments(self.head, k, self.rows):
            self.data[start:stop] = block[first : first + stop - start]
        self.head = (self.head + k) % self.rows
        self.filled = min(self.filled + k, self.rows)

    def ordered(self) -> FloatArray:
        """The rows held, oldest first, as a new float64 array."""
        out = np.empty((self.filled, self.data.shape[1]))
        if self.filled < self.rows:
            out[:] = self.data[: self.filled]
        else:
            k = self.rows - self.head
            out[:k] = self.data[self.head :]
            out[k:] = self.data[: self.head]
        return out


def _segments(head: int, k: int, rows: int) -> list[tuple[int, int, int]]:
    """Where `k` rows pushed one by one at `head` of a ring of `rows` slots end up: the slots
    `[start, stop)` and the index in the block of the row that lands in `start`. Rows that later
    rows of the same block overwrite are skipped."""
    first = max(0, k - rows)  # the rows that survive
    start = (head + first) % rows
    m = k - first
    seg = min(m, rows - start)
    out = [(start, start + seg, first)]
    if m > seg:
        out.append((0, m - seg, first + seg))
    return out
