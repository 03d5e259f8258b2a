"""Pure helpers behind the hotspot table: baselines and per-name look-ups (the per-type
aggregates are `trtui.stats.groups`).

No Textual here: these take a `LayerTable` and return plain values, so they are tested directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.core.model import LayerInfo, frozen_array
from trtui.stats.snapshot import LayerTable


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
