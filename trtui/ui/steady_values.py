"""Figures that hold still under noise, and sparklines that scroll one cell per refresh (pure; numpy).

Over SSH every changed cell costs bytes, and a digit that flickers with the noise of its estimate
tells the reader nothing. `HeldColumns` keeps the value shown for each row and column until the new
value differs from it by more than its noise (the same noise as the sticky sort: standard errors of
the figure), so a steady layer's numbers stay put and a real change shows at once.

`SparkTrail` is the table's "Recent" column: one point per refresh for each row (the median of its
newest profiled iterations), the last points as block characters on a per-row scale that is kept
while the points stay inside it. A steady layer's trail is a still line that scrolls without
changing its cells; a slower or faster refresh period shows as a step, a spike as a peak.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.common import format as fmt
from trtui.stats.snapshot import LayerTable
from trtui.ui.sticky_sort import noise

HELD = ("mean", "median", "p99", "share")
TRAIL = 32  # points kept per row (the widest sparkline shown)
BAND_FLOOR = 0.15  # a row's scale spans at least +-15% of its level (a block is ~5%): noise is flat
COLD_SHARE_PCT = 1.0  # the lean mode: rows below this share of the time are "cold"...
COLD_NOISE = 4.0  # ...and their figures move only beyond this many times their noise
BAND_SLACK = 4.0  # a scale this many times wider than the points' spread is narrowed again


class HeldColumns:
    """The mean, median, p99 and share shown for each row, changed only beyond their noise."""

    def __init__(self) -> None:
        self._names: Sequence[str] | None = None
        self.values: dict[str, npt.NDArray[np.float64]] = {}
        self.lean = False  # cold rows (lean mode) are redrawn less often: wider tolerance

    def update(self, table: LayerTable) -> None:
        """Take a new table: each value moves to the new figure only when that is beyond its noise."""
        fresh = {
            "mean": np.asarray(table.mean_ms, dtype=np.float64),
            "median": np.asarray(table.median_ms, dtype=np.float64),
            "p99": np.asarray(table.p99_ms, dtype=np.float64),
            "share": np.asarray(table.share_pct, dtype=np.float64),
        }
        if self._names is None or list(self._names) != list(table.names):
            self._names = list(table.names)
            self.values = fresh
            return
        scale: npt.NDArray[Any] = np.ones(len(table))
        if self.lean:
            with np.errstate(invalid="ignore"):
                scale = np.where(fresh["share"] < COLD_SHARE_PCT, COLD_NOISE, 1.0)
        for key, new in fresh.items():
            old = self.values[key]
            with np.errstate(invalid="ignore"):
                moved = ~(np.abs(new - old) <= noise(table, key) * scale)  # NaN on either side: take the new
            self.values[key] = np.where(moved, new, old)

    def get(self, key: str, i: int) -> float:
        """The value shown for row `i` of column `key` (NaN if unknown)."""
        col = self.values.get(key)
        return float(col[i]) if col is not None and i < len(col) else float("nan")


class SparkTrail:
    """Per row, one point per refresh and a scale that holds still; `text(i, width)` draws a row."""

    def __init__(self) -> None:
        self._names: list[str] | None = None
        self._last: npt.NDArray[Any] | None = None  # the newest iteration seen (no new data: no point)
        self.points: npt.NDArray[Any] = np.empty((0, 0))
        self.lo: npt.NDArray[Any] = np.empty(0)
        self.hi: npt.NDArray[Any] = np.empty(0)

    def update(self, names: Sequence[str], recent_ms: npt.NDArray[Any]) -> None:
        """Add one point per row (the median of `recent_ms`, K iterations x rows) if it holds new data."""
        recent = np.asarray(recent_ms, dtype=np.float64)
        n = len(names)
        if self._names is None or self._names != list(names):
            self._names = list(names)
            self.points = np.full((TRAIL, n), np.nan)
            self.lo = np.full(n, np.nan)
            self.hi = np.full(n, np.nan)
            self._last = None
        if recent.ndim != 2 or recent.shape[1] != n or recent.shape[0] == 0:
            return
        newest = recent[-1]
        if self._last is not None and np.array_equal(newest, self._last, equal_nan=True):
            return  # the same iterations again (paused, a recording): the trail does not move
        self._last = newest.copy()
        with np.errstate(all="ignore"), _quiet():
            point = np.nanmedian(recent, axis=0)
        self.points = np.roll(self.points, -1, axis=0)
        self.points[-1] = point
        self._rescale()

    def _rescale(self) -> None:
        pts = self.points
        with np.errstate(all="ignore"), _quiet():
            mn, mx = np.nanmin(pts, axis=0), np.nanmax(pts, axis=0)
            level = np.nanmedian(pts, axis=0)
        floor = BAND_FLOOR * np.abs(level)
        spread = np.maximum(mx - mn, 2 * floor)
        with np.errstate(invalid="ignore"):
            stale = ~((mn >= self.lo) & (mx <= self.hi) & (self.hi - self.lo <= BAND_SLACK * spread))
        # The middle of the points sits in the middle of a block (not on the edge between two),
        # so that a steady row's noise stays within one block.
        mid, step = (mx + mn) / 2, spread * 1.25 / 7
        self.lo = np.where(stale, mid - 3 * step, self.lo)
        self.hi = np.where(stale, mid + 4 * step, self.hi)

    def text(self, i: int, width: int) -> str:
        """Row `i`'s last `width` points as block characters (blank before the first point)."""
        if i >= self.points.shape[1] or width <= 0:
            return " " * max(width, 0)
        vals = [float(v) for v in self.points[-width:, i]]
        lo, hi = float(self.lo[i]), float(self.hi[i])
        if not np.isfinite(lo) or not np.isfinite(hi):
            return fmt.sparkline(vals, width)
        return fmt.sparkline(vals, width, lo, hi)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silences numpy's all-NaN-slice warnings (a row without samples yet is NaN, by design)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
