"""The hotspot table's pure part: its columns, sort keys, and the row order (sort and filter)
over a `LayerTable`, with the facts that depend only on the layer names cached (no Textual here,
so it is tested directly; `layer_view` draws it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.core.model import LayerInfo
from trtui.core.precision import layer_label
from trtui.stats.groups import layer_type
from trtui.stats.snapshot import LayerTable

# Every sortable column: key -> (label, numeric column of LayerTable or None for text keys).
SORT_KEYS: dict[str, str] = {
    "share": "share of the layer time",
    "mean": "mean time",
    "median": "median time",
    "p99": "p99 time",
    "delta": "change vs baseline",
    "name": "name",
    "type": "layer type",
    "precision": "precision",
    "order": "engine order",
}
NUMERIC_SORTS = ("share", "mean", "median", "p99", "delta")
TEXT_SORTS = ("name", "type", "precision")
STICKY_SORTS = ("share", "mean", "median", "p99")
SIGNIFICANT_CHANGE = 5.0  # percent: coloured in the change column


@dataclass(frozen=True)
class Column:
    """One column of the hotspot table."""

    key: str
    title: str
    width: int  # 0: flexible (takes the rest)
    align: str = ">"
    sort: str | None = None  # the sort key this column shows


COLUMNS = (
    Column("rank", "#", 4),
    Column("name", "Layer", 0, "<", "name"),
    Column("type", "Type", 15, "<", "type"),
    Column("precision", "Prec", 5, "<", "precision"),
    Column("mean", "Mean ms", 8, ">", "mean"),
    Column("median", "Median", 8, ">", "median"),
    Column("p99", "P99", 8, ">", "p99"),
    Column("share", "Share", 6, ">", "share"),
    Column("bar", "", 8, "<"),
    Column("delta", "Δ base", 7, ">", "delta"),
    Column("spark", "Recent", 10, "<"),
)

# Columns dropped first when the table is too narrow for the layer name to get MIN_NAME cells.
DROP_ORDER = ("spark", "median", "bar", "precision", "type", "delta", "rank")
MIN_NAME = 24
PREC_WIDTH, PREC_WIDTH_MAX = 5, 9  # "FP16" .. "INT8→FP32"

NO_INFO = LayerInfo(name="")


class NameCache:
    """Facts that depend only on the layer names (and infos): rebuilt when the names change."""

    def __init__(self, names: tuple[str, ...], infos: dict[str, LayerInfo]) -> None:
        self.names = names
        self.types = [layer_type(infos.get(n)) for n in names]
        self.precisions = [layer_label(infos.get(n)) or "" for n in names]
        self.index = {n: i for i, n in enumerate(names)}
        self._lower: list[str] | None = None
        self._orders: dict[str, npt.NDArray[Any]] = {}
        self._masks: dict[str, npt.NDArray[Any]] = {}

    def matches(self, names: tuple[str, ...]) -> bool:
        """The cache was built for these names (the same tuple, or an equal one)."""
        return names is self.names or (len(names) == len(self.names) and names == self.names)

    def text_order(self, key: str) -> npt.NDArray[Any]:
        """Indices sorted by a text column (ascending, case-insensitive), cached."""
        if key not in self._orders:
            labels = {"name": self.names, "type": self.types, "precision": self.precisions}[key]
            lowered = [s.lower() for s in labels]
            self._orders[key] = np.array(sorted(range(len(lowered)), key=lowered.__getitem__), dtype=np.int64)
        return self._orders[key]

    def mask(self, text: str) -> npt.NDArray[Any]:
        """Boolean mask of rows whose name or type contains `text` (case-insensitive)."""
        f = text.lower()
        if f not in self._masks:
            if self._lower is None:
                self._lower = [f"{n}\0{t}".lower() for n, t in zip(self.names, self.types, strict=True)]
            self._masks = {f: np.fromiter((f in s for s in self._lower), dtype=bool, count=len(self._lower))}
        return self._masks[f]


def order_for(
    table: LayerTable,
    infos: dict[str, LayerInfo],
    key: str,
    reverse: bool,
    filter_text: str,
    delta: npt.NDArray[Any] | None = None,
    cache: NameCache | None = None,
    ordered: npt.NDArray[Any] | None = None,
) -> npt.NDArray[Any]:
    """Row indices of `table` sorted by `key` (descending for numbers, ascending for text, unless
    `reverse`), keeping only layers whose name or type contains `filter_text` (case-insensitive).
    NaN (unknown) values always sort last. `ordered`: every row already in the order to show for
    a numeric key (the view's sticky order, see sticky_sort.py): only filtered, not sorted again."""
    cache = cache if cache is not None and cache.matches(table.names) else NameCache(table.names, infos)
    n = len(table)
    if ordered is not None and len(ordered) == n and key not in TEXT_SORTS and key != "order":
        return ordered[cache.mask(filter_text)[ordered]] if filter_text else ordered
    if key in TEXT_SORTS:
        idx = cache.text_order(key)
    else:
        idx = np.arange(n)
    if filter_text:
        idx = idx[cache.mask(filter_text)[idx]]
    if key == "order" or key in TEXT_SORTS or len(idx) == 0:
        return idx[::-1] if reverse else idx
    if key == "delta":
        col = delta if delta is not None and len(delta) == n else np.full(n, np.nan)
    else:
        col = {
            "share": table.share_pct,
            "mean": table.mean_ms,
            "median": table.median_ms,
            "p99": table.p99_ms,
        }[key]
    vals = np.asarray(col, dtype=np.float64)[idx]
    known = np.isfinite(vals)
    sign = 1.0 if reverse else -1.0  # descending by default
    o = np.argsort(np.where(known, sign * vals, np.inf), kind="stable")
    return idx[o]
