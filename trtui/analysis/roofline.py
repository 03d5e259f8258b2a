"""Every layer against the GPU's roofline at the clocks it ran at.

For a layer with work W (FLOPs), bytes moved B, held against peak P (FLOP/s, `trtui.analysis.peaks`)
and memory bandwidth BW (bytes/s):

- arithmetic intensity = W / B (FLOPs per byte);
- attainable time = max(W / P, B / BW): the fastest the layer could run at these clocks;
- bound = "compute" when W / P is the larger term, else "memory";
- efficiency = attainable / measured (the layer's mean time per inference), in percent;
- headroom = measured - attainable (ms): the time the layer could give back at most.

Efficiency cannot exceed 100%: a layer measured faster than its attainable time means a wrong peak,
a wrong work count, or data served from cache rather than DRAM; such a layer is flagged
(`faster_than_bound`), its efficiency and headroom are None, and it is shown as such. Layers whose
work or bytes are unknown get None everywhere the unknown enters.

Pure: no GPU access.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trtui.analysis.peaks import DevicePeaks, Peak, layer_peak
from trtui.analysis.work import LayerWork, layer_work
from trtui.core.model import LayerInfo
from trtui.core.precision import tactic_accumulation, tactic_precision


@dataclass(frozen=True, slots=True)
class RooflineRow:
    """One layer against the roofline. None: unknown (see `work.why`) or not applicable."""

    name: str
    kind: str
    precision: str | None
    measured_ms: float | None
    flops: float | None
    bytes: float | None
    macs: float | None
    intensity: float | None  # FLOPs per byte
    math: str | None  # the peak it is held against, e.g. "FP16 tensor"
    attainable_ms: float | None
    bound: str | None  # "compute" or "memory"
    efficiency_pct: float | None  # attainable / measured, never above 100
    headroom_ms: float | None  # measured - attainable, >= 0
    faster_than_bound: bool = False  # measured below attainable: a wrong peak or work count
    why: str | None = None

    def __post_init__(self) -> None:
        if self.efficiency_pct is not None and not 0 <= self.efficiency_pct <= 100:
            raise ValueError(f"{self.name}: efficiency {self.efficiency_pct}% is outside 0..100")


@dataclass(frozen=True, slots=True)
class Roofline:
    """All layers against one device's roofline."""

    rows: tuple[RooflineRow, ...]
    device: str | None
    sm_clock_mhz: float
    mem_clock_mhz: float | None
    clocks_from: str  # "recording", "NVML now", "rated"
    peak_fp32_tflops: float
    peak_tensor_tflops: float  # the fastest tensor math
    bandwidth_gbps: float | None

    @property
    def total_headroom_ms(self) -> float:
        """The sum of the layers' known headroom (ms per inference)."""
        return sum(r.headroom_ms for r in self.rows if r.headroom_ms is not None)

    @property
    def flagged(self) -> tuple[RooflineRow, ...]:
        """Layers measured faster than their bound."""
        return tuple(r for r in self.rows if r.faster_than_bound)

    def by_headroom(self) -> list[RooflineRow]:
        """Rows, most headroom first (unknown headroom last)."""
        return sorted(self.rows, key=lambda r: (r.headroom_ms is None, -(r.headroom_ms or 0.0)))


def _ok(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x >= 0


def layer_row(
    name: str, info: LayerInfo | None, measured_ms: float | None, peaks: DevicePeaks
) -> RooflineRow:
    """One layer's roofline figures."""
    if info is None:
        return RooflineRow(name, "unknown", None, measured_ms, None, None, None, None, None, None, None,
                           None, None, why="no layer information")
    work: LayerWork = layer_work(info)
    prec = info.precision
    peak: Peak = layer_peak(
        peaks, prec, work.tensor, tactic_accumulation(info.tactic),
        explicit_fp32=tactic_precision(info.tactic) == "FP32",
    )

    def row(attainable: float | None = None, bound: str | None = None, eff: float | None = None,
            headroom: float | None = None, flagged: bool = False, why: str | None = None) -> RooflineRow:
        return RooflineRow(name, work.kind, prec, measured_ms, work.flops, work.bytes, work.macs,
                           work.intensity, peak.math, attainable, bound, eff, headroom, flagged, why)

    if work.skipped:
        return row(why=f"{work.kind}: no work")
    if work.flops is None or work.bytes is None or peaks.bandwidth_bytes_per_s is None:
        return row(why=work.why or "memory bandwidth unknown")
    t_compute = work.flops / peak.flops_per_s * 1e3
    t_memory = work.bytes / peaks.bandwidth_bytes_per_s * 1e3
    attainable = max(t_compute, t_memory)
    bound = "compute" if t_compute >= t_memory else "memory"
    if measured_ms is None or not _ok(measured_ms) or not measured_ms:
        return row(attainable, bound, why="no measured time")
    if measured_ms < attainable:
        return row(attainable, bound, flagged=True,
                   why="measured faster than the roofline: a wrong peak or work count, or cached data")
    return row(attainable, bound, 100.0 * attainable / measured_ms, measured_ms - attainable)


def roofline(
    names: Sequence[str],
    measured_ms: Sequence[float | None],
    infos: Mapping[str, LayerInfo],
    peaks: DevicePeaks,
    clocks_from: str,
    mem_clock_mhz: float | None = None,
) -> Roofline:
    """Every layer (`names`, aligned with `measured_ms`, mean per inference) against `peaks`."""
    pairs = zip(names, measured_ms, strict=True)
    rows = tuple(layer_row(n, infos.get(n), m, peaks) for n, m in pairs)
    fp32 = peaks.rate("fp32") or 0.0
    return Roofline(
        rows=rows,
        device=peaks.device,
        sm_clock_mhz=peaks.sm_clock_hz / 1e6,
        mem_clock_mhz=mem_clock_mhz,
        clocks_from=clocks_from,
        peak_fp32_tflops=fp32 / 1e12,
        peak_tensor_tflops=peaks.tensor_max().flops_per_s / 1e12,
        bandwidth_gbps=None if peaks.bandwidth_bytes_per_s is None else peaks.bandwidth_bytes_per_s / 1e9,
    )


def _num(x: float | None, digits: int = 6) -> float | None:
    return None if x is None or not math.isfinite(x) else float(f"{x:.{digits}g}")


def roofline_dict(r: Roofline) -> dict[str, object]:
    """JSON-ready roofline: the device's peaks and clocks, total headroom, one entry per layer."""
    return {
        "device": r.device,
        "sm_clock_mhz": _num(r.sm_clock_mhz),
        "mem_clock_mhz": _num(r.mem_clock_mhz),
        "clocks_from": r.clocks_from,
        "peak_fp32_tflops": _num(r.peak_fp32_tflops),
        "peak_tensor_tflops": _num(r.peak_tensor_tflops),
        "bandwidth_gbps": _num(r.bandwidth_gbps),
        "total_headroom_ms": _num(r.total_headroom_ms),
        "faster_than_bound": [row.name for row in r.flagged],
        "layers": [
            {
                "name": row.name,
                "kind": row.kind,
                "precision": row.precision,
                "measured_ms": _num(row.measured_ms),
                "flops": _num(row.flops, 15),
                "macs": _num(row.macs, 15),
                "bytes": _num(row.bytes, 15),
                "intensity": _num(row.intensity),
                "peak": row.math,
                "attainable_ms": _num(row.attainable_ms),
                "bound": row.bound,
                "efficiency_pct": _num(row.efficiency_pct, 4),
                "headroom_ms": _num(row.headroom_ms),
                "faster_than_bound": row.faster_than_bound,
                "why": row.why,
            }
            for row in r.rows
        ],
    }
