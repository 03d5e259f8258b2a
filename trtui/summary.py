"""The JSON summary `trtui profile ... --json PATH` writes (schema "trtui.summary/1").

Times are in milliseconds; `null` where a value is unknown. Layer statistics are since start;
latency is from unprofiled inferences only.
"""

from __future__ import annotations

import math
from typing import Any

from trtui import __version__
from trtui.run_facts import summary_fields
from trtui.stats.energy_report import energy_dict
from trtui.stats.snapshot import LatencyStats, LayerTable
from trtui.stats.update import Update

SCHEMA = "trtui.summary/1"


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def latency_dict(s: LatencyStats) -> dict[str, Any]:
    return {
        "count": s.count,
        "last": _num(s.last),
        "mean": _num(s.mean),
        "median": _num(s.median),
        "p90": _num(s.p90),
        "p95": _num(s.p95),
        "p99": _num(s.p99),
        "min": _num(s.min),
        "max": _num(s.max),
        "std": _num(s.std),
    }


def layers_list(table: LayerTable, info_by_name: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for i, name in enumerate(table.names):
        info = info_by_name.get(name)
        out.append(
            {
                "name": name,
                "type": getattr(info, "type", None),
                "precision": getattr(info, "precision", None),
                "output_precision": getattr(info, "output_precision", None),
                "tactic": getattr(info, "tactic", None),
                "count": int(table.count[i]),
                "last_ms": _num(table.last_ms[i]),
                "mean_ms": _num(table.mean_ms[i]),
                "median_ms": _num(table.median_ms[i]),
                "p90_ms": _num(table.p90_ms[i]),
                "p99_ms": _num(table.p99_ms[i]),
                "min_ms": _num(table.min_ms[i]),
                "max_ms": _num(table.max_ms[i]),
                "std_ms": _num(table.std_ms[i]),
                "total_ms": _num(table.total_ms[i]),
                "share_pct": _num(table.share_pct[i]),
            }
        )
    return out


def summary_dict(update: Update) -> dict[str, Any]:
    p = update.profile
    info = p.info
    tel = update.telemetry
    device = info.device or (tel.device_name if tel else None)
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "trtui_version": __version__,
        "source": {
            "kind": info.kind,
            "label": info.label,
            "path": info.path,
            "simulated": info.simulated,
            "trt_module": info.trt_module,
            "trt_version": info.trt_version,
            "precision": info.precision,
            "mode": info.mode,
            **summary_fields(info),
            "streams": info.streams,
            "aux_streams": info.aux_streams,
            "shapes": {name: list(shape) for name, shape in info.shapes},
        },
        "device": device,
        "state": p.state,
        "error": p.error,
        "duration_s": _num(p.elapsed_s),
        "iterations": p.latency_total.count,
        "profiled_iterations": p.layers_total.iterations,
        "latency_ms": latency_dict(p.latency_total),
        "latency_window_ms": latency_dict(p.latency_window),
        "throughput_per_s": _num(p.latency_total.throughput_per_s),
        "streams": [dict(latency_dict(s), stream=i) for i, s in enumerate(p.per_stream)],
        "profiler": {
            "layer_sum_ms": _num(p.layer_sum_ms),
            "profiled_gpu_ms": _num(p.profiled_gpu_ms),
            "tax_ms": _num(p.profiler_tax_ms),
            "tax_pct": _num(p.profiler_tax_pct),
            "layer_sum_is_latency": p.sum_is_latency,
        },
        "layers": layers_list(p.layers_total, {layer.name: layer for layer in info.layers}),
        "notices": list(p.notices),
        "energy": energy_dict(update.energy),  # energy per inference; null without power readings
        # the rolling window's per-inference latencies (trtui check bootstraps from them)
        "latency_samples_ms": [float(f"{x:.6g}") for x in p.recent_latencies_ms.tolist()],
    }
    if p.kernels is not None:  # --kernels
        from trtui.kernels.report import kernels_dict

        out["kernels"] = kernels_dict(p.kernels, {layer.name: layer for layer in info.layers})
    return out
