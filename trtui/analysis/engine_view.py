"""One run's engine card and roofline together (what `trtui analyze`, `trtui profile` and the
engine screen show), from a `RunData`.

Clocks: a live engine's roofline uses NVML's current SM and memory clocks (`RunData.clocks`), so a
throttled GPU's roofline drops with it; a recording uses its recorded clocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from trtui.analysis.engine_card import EngineCard, card_dict, card_lines, engine_card
from trtui.analysis.peaks import device_peaks, rates_for
from trtui.analysis.roofline import Roofline, RooflineRow, roofline, roofline_dict
from trtui.analysis.run import RunData
from trtui.analysis.views import layer_times


@dataclass(frozen=True, slots=True)
class EngineView:
    """The card, and the roofline when the device is known well enough (else `why_not`)."""

    card: EngineCard
    roofline: Roofline | None
    why_not: str | None = None

    @property
    def headroom_ms(self) -> float | None:
        """Time per inference the roofline says the layers could save at their bounds; None without a
        roofline."""
        return None if self.roofline is None else self.roofline.total_headroom_ms


def engine_view(run: RunData) -> EngineView:
    """The engine card and roofline of a run."""
    layers = run.layer_order or tuple(run.infos.values())
    card = engine_card(layers, run.engine, run.hardware)
    sm_now, mem_now = run.clocks
    peaks = device_peaks(run.hardware, sm_now, mem_now)
    if peaks is None:
        h = run.hardware
        if h is None:
            why = "no device facts (compute capability, SMs, clocks)"
        elif rates_for(h.compute_capability, h.name) is None:
            cc = "unknown" if h.compute_capability is None else ".".join(map(str, h.compute_capability))
            why = f"compute capability {cc} is not in the peak table"
        else:
            why = "SM count or SM clock unknown"
        return EngineView(card, None, why)
    names = run.layers.names
    times = layer_times(run.layers).tolist()
    measured = [None if t != t else float(t) for t in times]  # NaN -> None
    if sm_now:
        clocks_from = "NVML now"
    elif run.simulated:
        clocks_from = "simulated"
    else:
        clocks_from = "recording" if run.origin != "live" else "rated (no NVML clocks)"
    mem = mem_now or (run.hardware.mem_clock_mhz if run.hardware else None)
    return EngineView(card, roofline(names, measured, run.infos, peaks, clocks_from, mem))


def engine_view_dict(view: EngineView) -> dict[str, object]:
    """JSON-ready: {"engine": card, "roofline": roofline or null, "roofline_unavailable": why}."""
    return {
        "engine": card_dict(view.card, view.headroom_ms),
        "roofline": None if view.roofline is None else roofline_dict(view.roofline),
        "roofline_unavailable": view.why_not,
    }


def _f(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def row_cells(r: RooflineRow) -> tuple[str, ...]:
    """One row's cells: headroom, measured, attainable, efficiency, bound, intensity, GFLOP, MB, peak."""
    if r.faster_than_bound:
        eff, bound = "below!", "faster than bound"
    else:
        eff, bound = _f(r.efficiency_pct, ".1f"), r.bound or "-"
    return (
        _f(r.headroom_ms, ".4f"), _f(r.measured_ms, ".4f"), _f(r.attainable_ms, ".4f"), eff, bound,
        _f(r.intensity, ".1f"), _f(None if r.flops is None else r.flops / 1e9, ".3f"),
        _f(None if r.bytes is None else r.bytes / 2**20, ".2f"), r.math or "-",
    )


def _clip(text: str, width: int | None) -> str:
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


ROW_HEADERS = ("headroom", "ms", "attain", "eff %", "bound", "FLOP/B", "GFLOP", "MB", "peak")


def roofline_lines(rf: Roofline, top: int, width: int | None = None) -> list[str]:
    """The roofline's header line and its `top` rows by headroom, as text."""
    bw = "unknown bandwidth" if rf.bandwidth_gbps is None else f"{rf.bandwidth_gbps:.0f} GB/s"
    mem = "" if rf.mem_clock_mhz is None else f", memory {rf.mem_clock_mhz:.0f} MHz"
    lines = [
        f"roofline ({rf.clocks_from}: SM {rf.sm_clock_mhz:.0f} MHz{mem}): "
        f"FP32 {rf.peak_fp32_tflops:.1f} TFLOPS, tensor up to {rf.peak_tensor_tflops:.1f} TFLOPS, {bw}; "
        f"total headroom {rf.total_headroom_ms:.4f} ms",
    ]
    if rf.flagged:
        lines.append(f"  {len(rf.flagged)} layer(s) measured faster than their bound (a wrong peak or work "
                     "count, or cached data): " + ", ".join(r.name for r in rf.flagged[:5]))
    rows = [r for r in rf.by_headroom() if r.kind not in ("noop", "constant")][:top]
    if not rows:
        return lines
    cells = [(*row_cells(r), _clip(r.name, width)) for r in rows]
    headers = (*ROW_HEADERS, "layer")
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(cs: tuple[str, ...]) -> str:
        last = len(cs) - 1
        padded = (c.rjust(w) if i < last else c for i, (c, w) in enumerate(zip(cs, widths, strict=True)))
        return "  " + "  ".join(padded).rstrip()

    lines.append(f"top {len(rows)} layers by headroom:")
    lines.append(line(headers))
    lines.extend(line(c) for c in cells)
    return lines


def engine_view_lines(view: EngineView, top: int) -> list[str]:
    """The card and the roofline as text (the `analyze` / `profile` reports)."""
    lines = ["Engine card:"]
    lines.extend("  " + x for x in card_lines(view.card, view.headroom_ms))
    if view.roofline is None:
        lines.append(f"roofline: unavailable ({view.why_not})")
    else:
        lines.extend(roofline_lines(view.roofline, top))
    return lines
