"""Helpers for the sweep tests: hand-made points (no source needed)."""

from __future__ import annotations

from trtui.sweep.plan import SweepPoint
from trtui.sweep.point import PointResult


def point(batch: int, streams: int, p99: float, sps: float, **kw: object) -> PointResult:
    """A measured point with the given p99 (ms) and samples/s."""
    return PointResult(SweepPoint(batch, streams), "ok", batch=batch, streams=streams, inferences=1000,
                       timing_s=1.0, median_ms=p99 * 0.8, p90_ms=p99 * 0.9, p99_ms=p99,
                       inferences_per_s=sps / batch, samples_per_s=sps, **kw)  # type: ignore[arg-type]
