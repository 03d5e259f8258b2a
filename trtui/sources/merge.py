"""Merging the batches a source produced between two reads."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trtui.core.model import ProfiledIteration, SourceBatch, StartupStep, frozen_array


def merge_batches(pieces: Sequence[SourceBatch], t: float) -> SourceBatch:
    """One batch from the pieces the worker produced since the last read."""
    if not pieces:
        return SourceBatch(t=t)
    if len(pieces) == 1:
        return pieces[0]
    lat = [p.latencies_ms for p in pieces if p.latencies_ms.size]
    streams = [p.latency_streams for p in pieces if p.latency_streams is not None and p.latency_streams.size]
    profiled: list[ProfiledIteration] = []
    notices: list[str] = []
    startup: list[StartupStep] = []
    for p in pieces:
        profiled.extend(p.profiled)
        notices.extend(p.notices)
        startup.extend(p.startup)
    error = next((p.error for p in pieces if p.error), None)
    return SourceBatch(
        t=max(p.t for p in pieces),
        latencies_ms=frozen_array(np.concatenate(lat) if lat else ()),  # type: ignore[arg-type]
        latency_streams=frozen_array(np.concatenate(streams), np.int64) if streams else None,  # type: ignore[arg-type]
        timing_wall_s=sum(p.timing_wall_s for p in pieces),
        profiled=tuple(profiled),
        notices=tuple(notices),
        finished=any(p.finished for p in pieces),
        error=error,
        startup=tuple(startup),
    )
