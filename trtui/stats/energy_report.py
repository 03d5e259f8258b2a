"""Energy figures as JSON (the summary's and the export's "energy" block) and as text lines
(the GPU panel, `trtui profile`). Pure."""

from __future__ import annotations

import math
from typing import Any

from trtui.common.json_kind import json_number
from trtui.stats.energy import EnergyFigure, EnergySnapshot

ENERGY_SCHEMA = "trtui.energy/1"



def figure_dict(f: EnergyFigure) -> dict[str, Any]:
    return {
        "scope": f.scope,
        "rail": f.rail,
        "method": f.method,
        "window": f.window,
        "window_s": json_number(f.window_s),
        "energy_j": json_number(f.energy_j),
        "inferences": f.inferences,
        "mean_w": json_number(f.mean_w),
        "j_per_inference": json_number(f.j_per_inference),
        "inferences_per_j": json_number(f.inferences_per_j),
        "idle_w": json_number(f.idle_w),
        "net_j_per_inference": json_number(f.net_j_per_inference),
        "simulated": f.simulated,
    }


def energy_dict(e: EnergySnapshot | None) -> dict[str, Any] | None:
    """The "energy" block: whole-run figures per scope ("gpu", "module"), the last window's,
    the idle baseline, and the rails; None when nothing measured energy."""
    if e is None or (not e.total and not e.window and e.gpu_rail is None):
        return None
    idle = None
    if e.idle is not None:
        idle = {
            "gpu_w": json_number(e.idle.gpu_w),
            "module_w": json_number(e.idle.module_w),
            "seconds": json_number(e.idle.seconds),
            "how": e.idle.how,
        }
    return {
        "schema": ENERGY_SCHEMA,
        "simulated": e.simulated,
        "gpu_rail": e.gpu_rail,
        "module_rail": e.module_rail,
        "whole_run": {f.scope: figure_dict(f) for f in e.total},
        "last_window": {f.scope: figure_dict(f) for f in e.window},
        "idle_baseline": idle,
        "notes": list(e.notes),
    }


def j_text(j: float | None) -> str:
    """Joules with a unit that keeps 3 significant digits: 1.23 J, 45.6 mJ, 789 uJ."""
    if j is None or not math.isfinite(j):
        return "n/a"
    a = abs(j)
    if a >= 1.0:
        return f"{j:.3g} J"
    if a >= 1e-3:
        return f"{j * 1e3:.3g} mJ"
    return f"{j * 1e6:.3g} uJ"


def per_j_text(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:,.0f} inf/J" if x >= 100 else f"{x:.3g} inf/J"


def figure_line(f: EnergyFigure) -> str:
    scope = "GPU" if f.scope == "gpu" else "module"
    net = ""
    if f.net_j_per_inference is not None:
        net = f", net of idle {j_text(f.net_j_per_inference)}/inf"
    return (
        f"{scope} {j_text(f.j_per_inference)}/inf  {per_j_text(f.inferences_per_j)}{net}"
        f"  ({f.rail}; {f.method}; {f.window})"
    )


def energy_lines(e: EnergySnapshot | None, whole_run: bool = False) -> list[str]:
    """Text lines: one per scope, saying rail, method and window; idle baseline; notes."""
    if e is None:
        return []
    figs = e.total if whole_run else e.window
    lines = [figure_line(f) for f in figs]
    if e.idle is not None and figs:
        parts = [f"GPU {e.idle.gpu_w:.1f} W" if e.idle.gpu_w is not None else ""]
        parts.append(f"module {e.idle.module_w:.1f} W" if e.idle.module_w is not None else "")
        lines.append(f"idle baseline: {', '.join(p for p in parts if p)} ({e.idle.how})")
    lines.extend(e.notes)
    if e.simulated and lines:
        lines.append("energy is SIMULATED (not measured)")
    return lines


def panel_energy_lines(e: EnergySnapshot | None) -> list[tuple[str, str]]:
    """(text, style) lines for the GPU panel: per scope W now (module), J/inference and
    inferences/J, then the rail, method and window in dim text (simulated said there)."""
    if e is None or (e.gpu_rail is None and e.module_rail is None):
        return []
    out: list[tuple[str, str]] = []
    for scope, now in (("gpu", e.gpu_now_w), ("module", e.module_now_w)):
        f = e.figure(scope)
        if f is None and scope == "module" and e.module_rail is None:
            continue
        name = "energy GPU" if scope == "gpu" else "energy module"
        watts = f"{now:.1f} W  " if now is not None and scope == "module" else ""
        rail = f.rail if f is not None else (e.gpu_rail if scope == "gpu" else e.module_rail) or ""
        sim = "SIMULATED " if e.simulated and "simulated" not in rail.lower() else ""
        if f is None:
            out.append((f"{name} {watts}collecting…", "dim"))
            out.append((f"      {sim}{rail}", "dim"))
            continue
        figures = f"{j_text(f.j_per_inference)}/inf  {per_j_text(f.inferences_per_j)}"
        out.append((f"{name} {watts}{figures}", "bold"))
        out.append((f"      {sim}{f.rail}; {f.method}; {f.window}", "dim"))
        if f.net_j_per_inference is not None and e.idle is not None:
            out.append(
                (
                    f"      net of idle {j_text(f.net_j_per_inference)}/inf "
                    f"(idle {f.idle_w:.1f} W, {e.idle.how})",
                    "dim",
                )
            )
    return out
