"""What trtui's exports carry beyond trtexec's formats, so that an exported run reads back with the
figures its summary showed.

trtexec's files cannot hold: per-layer p90/p99/min/max/std (its profile has the mean and the
median), the profiled iteration's own GPU time (hence the profiler tax), the run's duration, and
the since-start latency figures when the run was longer than the rolling window the times file is
written from. trtui writes them in the "trtui" section of `<name>.profile.metadata.json` (trtexec's
readers and TREx ignore unknown keys) and says there which they are (`not_in_trtexec_files`).

Pure: `export_section(update)` makes the section; `read_back(summary, section)` applies it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from trtui.core.model import LayerSummaryTable, frozen_array

if TYPE_CHECKING:
    from trtui.stats.update import Update

LAYER_COLUMNS = ("p90_ms", "p99_ms", "min_ms", "max_ms", "std_ms")
NOT_IN_TRTEXEC_FILES = (
    "per-layer p90_ms, p99_ms, min_ms, max_ms, std_ms (trtexec's profile has averageMs and medianMs)",
    "profiled_gpu_ms and the profiler tax (trtexec's files have no profiled-iteration time)",
    "duration_s (the run's length; the times file spans the rolling window only)",
    "latency_since_start (the times file holds the last inferences of the rolling window)",
)


def _num(x: object) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def export_section(update: Update) -> dict[str, Any]:
    """The extra keys of the "trtui" section of `.profile.metadata.json`."""
    p = update.profile
    table = p.layers_total
    lat = p.latency_total
    return {
        "duration_s": _num(p.elapsed_s),
        "profiled_gpu_ms": _num(p.profiled_gpu_ms),
        "profiler_tax_pct": _num(p.profiler_tax_pct),
        "latency_since_start": {
            k: _num(getattr(lat, k))
            for k in ("count", "mean", "median", "p90", "p95", "p99", "min", "max", "std")
        },
        "layer_stats": {
            "names": list(table.names),
            **{c: [_num(v) for v in getattr(table, c).tolist()] for c in LAYER_COLUMNS},
        },
        "not_in_trtexec_files": list(NOT_IN_TRTEXEC_FILES),
    }


def layer_extra(summary: LayerSummaryTable, section: Mapping[str, Any]) -> dict[str, Any]:
    """Per-layer columns from the section, aligned with `summary.names` (NaN where absent). A
    malformed section is ignored: the trtexec files stay the reference."""
    stats = section.get("layer_stats")
    if not isinstance(stats, Mapping):
        return {}
    names = stats.get("names")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return {}
    index = {n: i for i, n in enumerate(names)}
    rows = [index.get(n) for n in summary.names]
    out: dict[str, Any] = {}
    for col in LAYER_COLUMNS:
        values = stats.get(col)
        if not isinstance(values, list) or len(values) != len(names):
            continue
        nums = [_num(v) for v in values]
        if any(v is not None and (v < 0 or v > 1e12) for v in nums):
            continue
        arr = np.array([np.nan if r is None or nums[r] is None else nums[r] for r in rows], dtype=np.float64)
        out[col] = frozen_array(arr)
    return out


def recorded_latency(section: Mapping[str, Any]) -> dict[str, float] | None:
    """The run's since-start latency figures from the section, when whole and sane."""
    lat = section.get("latency_since_start")
    if not isinstance(lat, Mapping):
        return None
    keys = ("count", "mean", "median", "p90", "p95", "p99", "min", "max", "std")
    values = {k: _num(lat.get(k)) for k in keys}
    if any(v is None or v < 0 or v > 1e12 for v in values.values()):
        return None
    return {k: float(v) for k, v in values.items() if v is not None}


def read_back(
    summary: LayerSummaryTable | None, section: Mapping[str, Any]
) -> tuple[LayerSummaryTable | None, float | None, float | None]:
    """(the summary with trtui's per-layer columns, profiled_gpu_ms, duration_s) from a "trtui"
    metadata section; the summary unchanged and Nones when the section does not carry them."""
    if summary is not None:
        extra = layer_extra(summary, section)
        if extra:
            summary = LayerSummaryTable(
                summary.names, summary.count, summary.total_ms, summary.mean_ms, summary.median_ms,
                summary.iterations, extra,
            )
    gpu = _num(section.get("profiled_gpu_ms"))
    duration = _num(section.get("duration_s"))
    gpu = gpu if gpu is not None and 0 <= gpu <= 1e12 else None
    duration = duration if duration is not None and 0 <= duration <= 1e12 else None
    return summary, gpu, duration
