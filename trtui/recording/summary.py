"""The JSON summary `trtui profile ... --json PATH` writes (schema "trtui.summary/1").

Times are in milliseconds; `null` where a value is unknown. Layer statistics are since start;
latency is from unprofiled inferences only.
"""

from __future__ import annotations

from typing import Any

from trtui.common.json_kind import json_number
from trtui.common.version import __version__
from trtui.core.run_facts import summary_fields
from trtui.stats.energy_report import energy_dict
from trtui.stats.snapshot import LatencyStats, LayerTable
from trtui.stats.update import Update

SCHEMA = "trtui.summary/1"



def latency_dict(s: LatencyStats) -> dict[str, Any]:
    return {
        "count": s.count,
        "last": json_number(s.last),
        "mean": json_number(s.mean),
        "median": json_number(s.median),
        "p90": json_number(s.p90),
        "p95": json_number(s.p95),
        "p99": json_number(s.p99),
        "min": json_number(s.min),
        "max": json_number(s.max),
        "std": json_number(s.std),
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
                "last_ms": json_number(table.last_ms[i]),
                "mean_ms": json_number(table.mean_ms[i]),
                "median_ms": json_number(table.median_ms[i]),
                "p90_ms": json_number(table.p90_ms[i]),
                "p99_ms": json_number(table.p99_ms[i]),
                "min_ms": json_number(table.min_ms[i]),
                "max_ms": json_number(table.max_ms[i]),
                "std_ms": json_number(table.std_ms[i]),
                "total_ms": json_number(table.total_ms[i]),
                "share_pct": json_number(table.share_pct[i]),
            }
        )
    return out


def engine_section(update: Update) -> dict[str, Any]:
    """The engine card and the roofline (`trtui.analysis.engine_view`): "engine", "roofline",
    "roofline_unavailable"."""
    from trtui.analysis.compare import json_clean
    from trtui.analysis.engine_view import engine_view, engine_view_dict
    from trtui.analysis.run import run_from_update

    cleaned = json_clean(engine_view_dict(engine_view(run_from_update(update))))
    assert isinstance(cleaned, dict)
    return cleaned


def summary_dict(update: Update) -> dict[str, Any]:
    """The whole summary of `update` as a JSON-ready dict (schema `SCHEMA`); numbers that are
    not finite become null. The caller writes it."""
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
        "duration_s": json_number(p.elapsed_s),
        "iterations": p.latency_total.count,
        "profiled_iterations": p.layers_total.iterations,
        "latency_ms": latency_dict(p.latency_total),
        "latency_window_ms": latency_dict(p.latency_window),
        "throughput_per_s": json_number(p.latency_total.throughput_per_s),
        "streams": [dict(latency_dict(s), stream=i) for i, s in enumerate(p.per_stream)],
        "profiler": {
            "layer_sum_ms": json_number(p.layer_sum_ms),
            "profiled_gpu_ms": json_number(p.profiled_gpu_ms),
            "tax_ms": json_number(p.profiler_tax_ms),
            "tax_pct": json_number(p.profiler_tax_pct),
            "layer_sum_is_latency": p.sum_is_latency,
            # profiled inferences replayed a CUDA graph (the tax is TensorRT's own timing events);
            # null where unknown (simulated, recordings)
            "profiled_as_graph": info.facts.profiled_graph if info.facts is not None else None,
        },
        "layers": layers_list(p.layers_total, {layer.name: layer for layer in info.layers}),
        "notices": list(p.notices),
        # the source's start-up steps in the order they ended, each with its duration in seconds
        "startup": [
            {"step": s.name, "s": json_number(s.duration_s), "simulated": s.simulated} for s in p.startup
        ],
        "energy": energy_dict(update.energy),  # energy per inference; null without power readings
        # the rolling window's per-inference latencies (trtui check bootstraps from them)
        "latency_samples_ms": [float(f"{x:.6g}") for x in p.recent_latencies_ms.tolist()],
    }
    out.update(engine_section(update))
    if p.kernels is not None:  # --kernels
        from trtui.kernels.report import kernels_dict

        out["kernels"] = kernels_dict(p.kernels, {layer.name: layer for layer in info.layers})
    return out
