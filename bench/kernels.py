"""Benchmarks of kernel-level profiling's host cost (pure Python; no GPU, no CUPTI).

Per profiled inference with `--kernels`, the session attributes the kernels to layers and adds
them to the rolling statistics; per refresh tick it builds a `KernelSnapshot`. Both are measured on
the simulated engine's captures (one to two kernels per layer, NVTX ranges) at the demo size
(ResNet-50, 59 layers), 1k and 5k layers; also the Chrome trace export of 100 inferences.

The CUPTI side (enable/disable around the enqueue, flush) is measured on a GPU only: it is in each
capture's `cost_s` and shown as "kernel tracing ... ms/profiled inference".
"""

from __future__ import annotations

import json
from typing import Any

from bench._timing import median_seconds
from trtui.core.model import ProfiledIteration
from trtui.core.options import RunOptions
from trtui.kernels.aggregate import KernelAggregator
from trtui.kernels.attribute import attribute
from trtui.kernels.trace import trace_events
from trtui.sources.simulated import SimulatedSource

COMMAND = "python -m bench kernels"


def _row(name: str, value: float, unit: str, note: str) -> dict[str, Any]:
    return {"name": name, "value": float(value), "unit": unit, "command": COMMAND, "note": note}


def _profiled(layers: int | None, count: int) -> list[ProfiledIteration]:
    src = SimulatedSource(RunOptions(kernels=True, layers=layers, profile_every=1))
    return list(src.generate(count).profiled)


def _size(layers: int | None, label: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    its = _profiled(layers, 64)
    n_kernels = len(its[0].kernels.kernels) if its[0].kernels else 0

    def attribute_all() -> None:
        for it in its:
            assert it.kernels is not None
            attribute(it.kernels, it.names, it.times_ms.tolist())

    t_att = median_seconds(attribute_all, 3) / len(its)
    rows.append(_row(f"attribute one inference, {label}", 1e3 * t_att, "ms",
                     f"{n_kernels} kernels, NVTX ranges"))

    def add_all() -> KernelAggregator:
        agg = KernelAggregator()
        for it in its:
            agg.add_iteration(it)
        return agg

    t_add = median_seconds(add_all, 3) / len(its)
    rows.append(_row(f"attribute + aggregate one inference, {label}", 1e3 * t_add, "ms",
                     "per profiled inference, in the session thread"))
    agg = add_all()

    def snap() -> None:
        agg._cached = agg._stale = None  # force a rebuild (the session rebuilds only after new captures)
        agg.snapshot()

    rows.append(_row(f"kernel snapshot, {label}", 1e3 * median_seconds(snap, 3), "ms",
                     "window of 64 inferences; per refresh tick with new captures"))
    return rows


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for layers, label in ((None, "demo (59 layers)"), (1000, "1k layers"), (5000, "5k layers")):
        rows += _size(layers, label)
    its = _profiled(None, 100)
    atts = [attribute(it.kernels, it.names, it.times_ms.tolist()) for it in its if it.kernels]

    def export() -> None:
        json.dumps(trace_events(atts, simulated=True))

    rows.append(_row("trace export, 100 inferences (demo)", 1e3 * median_seconds(export, 3), "ms",
                     "build + serialize the Chrome trace events"))
    return rows
