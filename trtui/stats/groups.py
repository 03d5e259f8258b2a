"""Per-group aggregates of a layer table: the one grouping behind the live screen's "group by
type" rows and `trtui analyze`'s time by type, precision and tactic family (pure, no I/O).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.core.model import LayerInfo, frozen_array
from trtui.stats.snapshot import LayerTable

UNKNOWN_TYPE = "(unknown type)"


def layer_type(info: LayerInfo | None) -> str:
    """The layer's type as TensorRT names it, or `UNKNOWN_TYPE` when there is no info or no type."""
    return (info.type if info is not None else None) or UNKNOWN_TYPE


@dataclass(frozen=True, slots=True)
class Groups:
    """Per-key aggregate rows: a `LayerTable` whose names are the group keys (layer types, for
    example), plus group facts.

    mean/median/p99/total are sums over the group's layers (the time the group costs per
    iteration; NaN when no member has a value); share is the sum of the members' shares;
    `recent_ms` sums the members' recent samples so the sparkline shows the whole group's time.
    """

    table: LayerTable
    sizes: tuple[int, ...]  # layers in each group
    precisions: tuple[str, ...]  # "FP16", or "mixed" when the members differ


def group_by_type(
    table: LayerTable,
    infos: Mapping[str, LayerInfo],
    types: Sequence[str] | None = None,
    precisions: Sequence[str] | None = None,
) -> Groups:
    """Aggregate `table` by layer type (`layer_type`). `types` and `precisions` (aligned with
    the names) may be passed when the caller already has them."""
    n = len(table)
    if types is None or len(types) != n:
        types = [layer_type(infos.get(name)) for name in table.names]
    if precisions is None or len(precisions) != n:
        precisions = [(infos.get(name) or LayerInfo(name="")).precision or "" for name in table.names]
    return group_table(table, types, precisions)


def group_table(table: LayerTable, keys: Sequence[str], precisions: Sequence[str] | None = None) -> Groups:
    """Aggregate `table` by `keys` (one per name; groups in order of first appearance).
    `precisions` (aligned with the names) give each group's precision ("mixed" when they differ)."""
    n = len(table)
    if n == 0:
        return Groups(LayerTable.empty(), (), ())
    if precisions is None or len(precisions) != n:
        precisions = [""] * n
    order: dict[str, int] = {}
    gid = np.fromiter((order.setdefault(k, len(order)) for k in keys), dtype=np.int64, count=n)
    g = len(order)
    names = tuple(order)

    def gsum(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        v = np.asarray(values, dtype=np.float64)
        out = np.bincount(gid, weights=np.nan_to_num(v, nan=0.0), minlength=g)
        seen = np.bincount(gid, weights=np.isfinite(v).astype(np.float64), minlength=g)
        return np.where(seen > 0, out, np.nan)

    sizes = np.bincount(gid, minlength=g)
    precs: list[set[str]] = [set() for _ in range(g)]
    for k, prec in zip(gid.tolist(), precisions, strict=True):
        if prec:
            precs[k].add(prec)
    group_precisions = tuple(next(iter(p)) if len(p) == 1 else ("mixed" if p else "") for p in precs)
    recent = np.asarray(table.recent_ms)
    if recent.ndim == 2 and recent.shape[1] == n and recent.shape[0]:
        grouped_recent = np.zeros((recent.shape[0], g))
        clean = np.nan_to_num(recent, nan=0.0)
        for r in range(recent.shape[0]):
            grouped_recent[r] = np.bincount(gid, weights=clean[r], minlength=g)
    else:
        grouped_recent = np.empty((0, g))
    count = np.bincount(gid, weights=np.asarray(table.count, dtype=np.float64), minlength=g)
    grouped = LayerTable(
        names=names,
        count=frozen_array(count, np.int64),
        last_ms=frozen_array(gsum(table.last_ms)),
        mean_ms=frozen_array(gsum(table.mean_ms)),
        median_ms=frozen_array(gsum(table.median_ms)),
        p90_ms=frozen_array(gsum(table.p90_ms)),
        p99_ms=frozen_array(gsum(table.p99_ms)),
        min_ms=frozen_array(gsum(table.min_ms)),
        max_ms=frozen_array(gsum(table.max_ms)),
        std_ms=frozen_array(np.full(g, np.nan)),
        total_ms=frozen_array(gsum(table.total_ms)),
        share_pct=frozen_array(gsum(table.share_pct)),
        iterations=table.iterations,
        recent_ms=frozen_array(grouped_recent),
    )
    return Groups(grouped, tuple(int(s) for s in sizes), group_precisions)
