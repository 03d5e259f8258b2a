"""Latency spike detection over the per-tick trend (pure)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trtui.stats.snapshot import TrendPoint

JUMP_FACTOR = 1.08  # a tick's p99 at least this much above the recent typical p99...
MIN_JUMP_MS = 0.005  # ...and at least this much in absolute terms
LOOKBACK = 8  # ticks that define "recent typical"


def is_spike(trend: Sequence[TrendPoint], factor: float = JUMP_FACTOR, lookback: int = LOOKBACK) -> bool:
    """True if the newest point's p99 jumped above the median p99 of the `lookback` points before
    it (and the point before it was not already a spike: one event per jump)."""
    if len(trend) < lookback + 1:
        return False
    recent = list(trend)[-lookback - 1 :]  # a deque cannot be sliced
    newest = recent[-1].p99
    prev = [p.p99 for p in recent[:-1] if p.p99 is not None]
    if newest is None or len(prev) < lookback // 2:
        return False
    typical = float(np.median(prev))

    def jumped(v: float | None) -> bool:
        return v is not None and v > typical * factor and v - typical >= MIN_JUMP_MS

    return jumped(newest) and not jumped(recent[-2].p99)
