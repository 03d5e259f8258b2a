"""Pure helpers behind the hotspot table: per-layer-type aggregates and per-name look-ups.

No Textual here: these take a `LayerTable` and return plain values, so they are tested directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.model import LayerInfo, frozen_array
from trtui.stats.snapshot import LayerTable

UNKNOWN_TYPE = "(unknown type)"


def layer_type(info: LayerInfo | None) -> str:
    return (info.type if info is not None else None) or UNKNOWN_TYPE


@dataclass(frozen=True, slots=True)
class TypeGroups:
    """Per-type aggregate rows: a `LayerTable` whose names are layer types, plus group facts.

    mean/median/p99/total are sums over the group's layers (the time the type costs per
    iteration); share is the sum of the members' shares; `recent_ms` sums the members' recent
    samples so the sparkline shows the whole type's time.
    """

    table: LayerTable
    sizes: tuple[int, ...]  # layers in each group
    precisions: tuple[str, ...]  # "FP16", or "mixed" when the members differ


def group_by_type(
    table: LayerTable,
    infos: Mapping[str, LayerInfo],
    types: Sequence[str] | None = None,
    precisions: Sequence[str] | None = None,
) -> TypeGroups:
    """Aggregate `table` by layer type (types in order of first appearance). `types` and
    `precisions` (aligned with the names) may be passed when the caller already has them."""
    n = len(table)
    if n == 0:
        return TypeGroups(LayerTable.empty(), (), ())
    if types is None or len(types) != n:
        types = [layer_type(infos.get(name)) for name in table.names]
    if precisions is None or len(precisions) != n:
        precisions = [(infos.get(name) or LayerInfo(name="")).precision or "" for name in table.names]
    order: dict[str, int] = {}
    gid = np.fromiter((order.setdefault(t, len(order)) for t in types), dtype=np.int64, count=n)
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
    return TypeGroups(grouped, tuple(int(s) for s in sizes), group_precisions)


def change_pct(current: npt.NDArray[Any], baseline: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """(current / baseline - 1) * 100 element-wise; NaN where either is unknown or baseline <= 0."""
    cur = np.asarray(current, dtype=np.float64)
    base = np.asarray(baseline, dtype=np.float64)
    with np.errstate(all="ignore"):
        out = (cur / base - 1.0) * 100.0
    out[~(np.isfinite(cur) & np.isfinite(base) & (base > 0))] = np.nan
    return out


def baseline_array(names: tuple[str, ...], baseline: Mapping[str, float]) -> npt.NDArray[Any]:
    """The pinned baseline mean of each name (NaN where the layer was not in the baseline)."""
    return np.fromiter((baseline.get(n, np.nan) for n in names), dtype=np.float64, count=len(names))


def placeholder_table(layers: tuple[LayerInfo, ...]) -> LayerTable:
    """The engine's layers with no statistics yet (all NaN): drawn before the first profiled
    iteration arrives, so the table shows what the engine holds from the first frame."""
    n = len(layers)
    nan = np.full(n, np.nan)
    return LayerTable(
        names=tuple(layer.name for layer in layers),
        count=frozen_array(np.zeros(n), np.int64),
        last_ms=frozen_array(nan),
        mean_ms=frozen_array(nan),
        median_ms=frozen_array(nan),
        p90_ms=frozen_array(nan),
        p99_ms=frozen_array(nan),
        min_ms=frozen_array(nan),
        max_ms=frozen_array(nan),
        std_ms=frozen_array(nan),
        total_ms=frozen_array(nan),
        share_pct=frozen_array(nan),
        iterations=0,
        recent_ms=frozen_array(np.empty((0, n))),
    )
