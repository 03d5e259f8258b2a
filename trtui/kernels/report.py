"""The kernels block of the JSON summary, and the text lines `trtui profile` prints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trtui.common.json_kind import json_number
from trtui.core.model import LayerInfo
from trtui.kernels.names import distinct_short_names
from trtui.kernels.snapshot_values import KernelRow, KernelSnapshot, LayerKernels


def is_fused_block(name: str, info: LayerInfo | None) -> bool:
    """A Myelin-compiled block (`{ForeignNode[...]}`): one layer row, many kernels inside."""
    kind = ((info.type if info is not None else None) or "").lower()
    return "myelin" in kind or "foreignnode" in kind or "ForeignNode" in name



def _row(r: KernelRow) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": r.name,
        "short": r.short,
        "mangled": r.raw_name if r.raw_name != r.name else None,
        "family": r.family,
        "per_inference": json_number(r.per_inference),
        "mean_ms": json_number(r.mean_ms),
        "median_ms": json_number(r.median_ms),
        "total_ms": json_number(r.total_ms),
        "share_pct": json_number(r.share_pct),
    }
    if r.layer is None:
        d["layers"] = r.layers
    return d


def _layer(lk: LayerKernels, info: LayerInfo | None) -> dict[str, Any]:
    return {
        "layer": lk.layer or None,
        "fused_block": is_fused_block(lk.layer, info),
        "onnx_nodes": list(info.onnx_nodes) if info is not None else [],
        "layer_ms": json_number(lk.layer_ms),
        "kernel_sum_ms": json_number(lk.kernel_sum_ms),
        "gap_ms": json_number(lk.gap_ms),
        "launches_per_inference": json_number(lk.launches),
        "kernels": [_row(r) for r in lk.kernels],
    }


def kernels_dict(
    k: KernelSnapshot, infos: Mapping[str, LayerInfo] | None = None, top: int = 50
) -> dict[str, Any]:
    """Per-inference times in ms over the last `captures` profiled inferences; `infos` (layer
    details by name) add each layer's ONNX nodes beside its kernels."""
    by = infos or {}
    return {
        "simulated": k.simulated,
        "attribution": k.method,
        "attribution_text": k.method_text,
        "attribution_counts": dict(k.method_counts),
        "captures": k.captures,
        "total_captures": k.total_captures,
        "kernel_sum_ms": json_number(k.kernel_sum_ms),
        "tracing_cost_ms_per_profiled_inference": json_number(k.cost_ms),
        "tracing_cost_total_s": json_number(k.total_cost_s),
        "dropped_records": k.dropped,
        "layers": [_layer(lk, by.get(lk.layer)) for lk in k.layers],
        "top_kernels": [_row(r) for r in k.top[:top]],
        "families": [
            {
                "family": f.family,
                "kernels": f.kernels,
                "total_ms": json_number(f.total_ms),
                "share_pct": json_number(f.share_pct),
            }
            for f in k.families
        ],
    }


def kernel_lines(k: KernelSnapshot, top: int = 5, infos: Mapping[str, LayerInfo] | None = None) -> list[str]:
    """The kernel section of the text report: kernels per inference and their sum, the tracing cost, the
    `top` kernels engine-wide, then the `top` kernels of each fused block (`is_fused_block`: by its
    type in `infos`, else by its name)."""
    tag = " (simulated)" if k.simulated else ""
    n = sum(lk.launches for lk in k.layers)
    lines = [
        f"kernels{tag}: {n:.1f} per inference, sum {k.kernel_sum_ms:.4f} ms; attributed {k.method_text}",
        f"kernel tracing cost: {k.cost_ms:.3f} ms host time per profiled inference "
        f"({k.total_captures} traced; timed inferences are never traced)",
    ]
    if k.top:
        lines.append(f"top {min(top, len(k.top))} kernels:")
        lines.append(f"  {'share':>7} {'ms/inf':>9} {'count':>6}  kernel")
        rows = k.top[:top]
        shorts = distinct_short_names([r.name for r in rows], 100)
        lines.extend(
            f"  {r.share_pct:6.2f}% {r.total_ms:9.4f} {r.per_inference:6.1f}  {sh}"
            for r, sh in zip(rows, shorts, strict=True)
        )
    by = infos or {}
    for lk in k.layers:
        info = by.get(lk.layer)
        if not is_fused_block(lk.layer, info) or not lk.kernels:
            continue
        nodes = len(info.onnx_nodes) if info is not None else 0
        lines.append(
            f"fused block {lk.layer}: {lk.launches:.0f} kernels, sum {lk.kernel_sum_ms:.4f} ms"
            + (f", {nodes} ONNX nodes" if nodes else "")
        )
        rows = lk.kernels[:top]
        shorts = distinct_short_names([r.name for r in rows], 90)
        lines.extend(
            f"  {r.share_pct:6.2f}% {r.total_ms:9.4f}  {sh}" for r, sh in zip(rows, shorts, strict=True)
        )
    return lines
