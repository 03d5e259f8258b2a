"""A sort order that noise does not reshuffle (pure; numpy only).

A live table sorted by share or time reorders every refresh when layers differ by less than the
noise of their estimates (ResNet's top 20 layers lie within 0.1 percentage point). Here two
neighbouring rows swap only when the lower one is *clearly* ahead: by more than the sum of their
noises (`NOISE_SE` standard errors of the figure; std / sqrt(count) for a mean, scaled by share /
mean for a share). Starting from the previous order, odd-even passes swap such neighbours until none
is left, so real changes move a row at once and noise moves nothing. The first order (or a new sort
key, new rows, a big change) is a plain sort. Rows without a spread (a recording) sort exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.stats.snapshot import LayerTable

NOISE_SE = 2.0  # standard errors
MAX_PASSES = 64  # beyond this many odd-even passes, a plain sort is cheaper
_SCALE = {"share": 1.0, "mean": 1.0, "median": 1.25, "p99": 3.0}  # standard error of each figure


def noise(table: LayerTable, key: str) -> npt.NDArray[Any]:
    """The noise of column `key` of each row (0 where unknown)."""
    n = len(table)
    if key not in _SCALE or n == 0:
        return np.zeros(n)
    with np.errstate(all="ignore"):
        count = np.asarray(table.count, dtype=np.float64)
        se = np.asarray(table.std_ms, dtype=np.float64) / np.sqrt(np.maximum(count, 1.0))
        if key == "share":
            se = se * np.asarray(table.share_pct) / np.asarray(table.mean_ms)
        out = NOISE_SE * _SCALE[key] * se
    return np.where(np.isfinite(out) & (out > 0), out, 0.0)


def settle(order: npt.NDArray[Any], keys: npt.NDArray[Any], tol: npt.NDArray[Any]) -> npt.NDArray[Any] | None:
    """`order` (row indices, best first by `keys`, larger first) after swapping neighbours whose
    keys are clearly inverted (by more than the sum of their `tol`); None after MAX_PASSES.

    Odd-even passes, but each looks only at the pairs that can have changed: all of them at first,
    then the neighbours of the pairs just swapped (a pair found in order stays in order until one of
    its rows moves). The same swaps as full passes, at a cost that follows the swaps, not the rows."""
    order = order.copy()
    n = len(order)
    pending = np.ones(max(n - 1, 0), dtype=bool)  # pair i: rows at positions i and i + 1
    parity = np.arange(len(pending)) % 2
    for _ in range(MAX_PASSES):
        if not pending.any():
            return order
        swapped = False
        for start in (0, 1):
            pos = np.flatnonzero(pending & (parity == start))
            if not len(pos):
                continue
            pending[pos] = False
            a, b = order[pos], order[pos + 1]
            with np.errstate(invalid="ignore"):
                clear = keys[b] - keys[a] > tol[a] + tol[b]
            if clear.any():
                swapped = True
                ia = pos[clear]
                order[ia], order[ia + 1] = b[clear], a[clear]
                pending[ia[ia > 0] - 1] = True
                pending[ia[ia < n - 2] + 1] = True
        if not swapped:
            return order
    return None


class StickyOrder:
    """The display order of one table's rows for one sort key, kept across refreshes."""

    def __init__(self) -> None:
        self._names: tuple[str, ...] | None = None
        self._sort: tuple[str, bool] | None = None
        self._order: npt.NDArray[Any] | None = None

    def update(
        self, names: tuple[str, ...], key: str, reverse: bool, values: npt.NDArray[Any], tol: npt.NDArray[Any]
    ) -> npt.NDArray[Any]:
        """The settled display order: row indices, the first shown first (for `order_for`)."""
        vals = np.asarray(values, dtype=np.float64)
        keys = np.where(np.isfinite(vals), vals if not reverse else -vals, -np.inf)  # unknown last
        same = (key, reverse) == self._sort and (names is self._names or names == self._names)
        order = None
        if same and self._order is not None and len(self._order) == len(vals):
            order = settle(self._order, keys, np.asarray(tol, dtype=np.float64))
        if order is None:
            order = np.argsort(-keys, kind="stable")
        self._names, self._sort, self._order = names, (key, reverse), order
        return order
