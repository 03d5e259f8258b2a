"""Small layer tables and layer infos for the table's pure tests (grouping, order, details)."""

from __future__ import annotations

import numpy as np

from trtui.core.model import LayerInfo, frozen_array
from trtui.stats.snapshot import LayerTable


def table_of(names: list[str], means: list[float]) -> LayerTable:
    n = len(names)
    m = np.array(means, dtype=float)
    total = np.nan_to_num(m) * 10
    share = total / total.sum() * 100
    recent = np.tile(m, (3, 1))
    return LayerTable(
        names=tuple(names),
        count=frozen_array(np.full(n, 10), np.int64),
        last_ms=frozen_array(m),
        mean_ms=frozen_array(m),
        median_ms=frozen_array(m),
        p90_ms=frozen_array(m),
        p99_ms=frozen_array(m * 1.1),
        min_ms=frozen_array(m),
        max_ms=frozen_array(m),
        std_ms=frozen_array(np.zeros(n)),
        total_ms=frozen_array(total),
        share_pct=frozen_array(share),
        iterations=10,
        recent_ms=frozen_array(recent),
    )


INFOS = {
    "a": LayerInfo("a", type="Conv", precision="FP16"),
    "b": LayerInfo("b", type="Conv", precision="INT8"),
    "c": LayerInfo("c", type="Reformat", precision="FP16"),
    "d": LayerInfo("d", type=None),
}
