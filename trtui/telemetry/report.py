"""A telemetry sample as a human-readable table or a JSON-ready dict, and the energy the NVML
counter shows between two samples (pure): what `trtui telemetry` prints."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trtui.telemetry.sample import TelemetrySample

NA = "n/a"


def _num(fmt: str, unit: str) -> Callable[[Any], str]:
    return lambda v: f"{format(v, fmt)} {unit}".rstrip()


def _reasons(v: tuple[str, ...]) -> str:
    return ", ".join(v) if v else "none"


# (field, label, formatter) in display order; rails and thermal zones are expanded separately.
ROWS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("device_name", "device", str),
    ("mem_used_mib", "memory used", _num(".0f", "MiB")),
    ("mem_total_mib", "memory total", _num(".0f", "MiB")),
    ("mem_free_mib", "memory free", _num(".0f", "MiB")),
    ("process_mem_mib", "trtui process memory", _num(".0f", "MiB")),
    ("nvmap_used_mib", "NvMap (GPU-shared) memory", _num(".0f", "MiB")),
    ("gpu_util_pct", "GPU utilization", _num(".1f", "%")),
    ("mem_util_pct", "memory-controller utilization", _num(".1f", "%")),
    ("sm_clock_mhz", "SM clock", _num(".0f", "MHz")),
    ("sm_clock_min_mhz", "SM clock min", _num(".0f", "MHz")),
    ("sm_clock_max_mhz", "SM clock max", _num(".0f", "MHz")),
    ("mem_clock_mhz", "memory clock", _num(".0f", "MHz")),
    ("governor", "GPU governor", str),
    ("power_w", "power", _num(".1f", "W")),
    ("power_limit_w", "power limit", _num(".1f", "W")),
    ("energy_mj", "energy counter (since driver load)", lambda v: f"{v / 1000.0:,.1f} J"),
    ("temperature_c", "temperature", _num(".1f", "C")),
    ("throttle_reasons", "clock-event reasons", _reasons),
    ("pcie_gen", "PCIe generation", str),
    ("pcie_width", "PCIe width", lambda v: f"x{v}"),
    ("nvpmodel", "nvpmodel mode", str),
)


def sample_to_dict(
    sample: TelemetrySample, unsupported: Mapping[str, Mapping[str, str]] | None = None
) -> dict[str, Any]:
    """JSON-ready: every metric present, null where not reported; pairs become objects."""
    out: dict[str, Any] = {
        "t": sample.t,
        "simulated": sample.simulated,
        "unified_memory": sample.unified_memory,
    }
    for field, _label, _fmt in ROWS:
        value = getattr(sample, field)
        out[field] = list(value) if isinstance(value, tuple) else value
    out["rails_w"] = None if sample.rails_w is None else dict(sample.rails_w)
    out["rail_roles"] = _roles_dict(sample)
    out["thermal_c"] = None if sample.thermal_c is None else dict(sample.thermal_c)
    out["sources"] = dict(sample.sources)
    out["notice"] = sample.notice
    out["extra"] = dict(sample.extra)
    if unsupported is not None:
        out["unsupported"] = {k: dict(v) for k, v in unsupported.items()}
    return out


def _roles_dict(sample: TelemetrySample) -> dict[str, Any] | None:
    """Which rails trtui uses for GPU and module energy (Jetson); None without rails."""
    if not sample.rails_w:
        return None
    from trtui.telemetry.power_rails import rail_roles

    roles = rail_roles(name for name, _ in sample.rails_w)
    return {
        "board": roles.board,
        "gpu": list(roles.gpu),
        "gpu_label": roles.gpu_label,
        "module": list(roles.module),
        "module_label": roles.module_label,
        "not_added": list(roles.not_added),
        "gpu_w": roles.gpu_w(sample.rails_w),
        "module_w": roles.module_w(sample.rails_w),
    }


def _role_rows(sample: TelemetrySample) -> list[tuple[str, str, str]]:
    roles = _roles_dict(sample)
    if roles is None:
        return []
    rows = []
    if roles["gpu_label"]:
        rows.append(("GPU energy rail", f"{roles['gpu_w']:.2f} W", roles["gpu_label"]))
    if roles["module_label"] and roles["module_w"] is not None:
        nested = ", ".join(roles["not_added"])
        note = f"; {nested} inside VIN_SYS_5V0, not added" if nested else ""
        rows.append(("module power", f"{roles['module_w']:.2f} W", roles["module_label"] + note))
    else:
        rows.append(("module power", NA, f"not known for this board ({roles['board']}): rails by label"))
    return rows


def table_rows(sample: TelemetrySample) -> list[tuple[str, str, str]]:
    """(metric, value, source) rows; value "n/a" where not reported."""
    sources = dict(sample.sources)
    rows: list[tuple[str, str, str]] = []
    for field, label, fmt in ROWS:
        value = getattr(sample, field)
        rows.append((label, NA if value is None else fmt(value), sources.get(field, "")))
    rail_src = sources.get("rails_w", "")
    if sample.rails_w:
        rows.extend((f"rail {name}", f"{watts:.2f} W", rail_src) for name, watts in sample.rails_w)
    else:
        rows.append(("rails", NA, ""))
    rows.extend(_role_rows(sample))
    zone_src = sources.get("thermal_c", "")
    if sample.thermal_c:
        rows.extend((f"thermal {name}", f"{c:.1f} C", zone_src) for name, c in sample.thermal_c)
    else:
        rows.append(("thermal zones", NA, ""))
    return rows


def format_table(sample: TelemetrySample) -> str:
    """The sample as an aligned table (metric, value, source), every metric on a row and "n/a" where
    there is no reading; the sample's notice first."""
    rows = table_rows(sample)
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    lines = []
    if sample.notice:
        lines.append(f"note: {sample.notice}")
    lines.append(f"{'metric':<{w0}}  {'value':<{w1}}  source")
    lines.extend(f"{a:<{w0}}  {b:<{w1}}  {c}".rstrip() for a, b, c in rows)
    return "\n".join(lines)


def counter_delta(prev: TelemetrySample | None, cur: TelemetrySample) -> dict[str, float] | None:
    """Energy between two samples from NVML's counter: joules, seconds and average watts; None
    without a counter on both, or when it went back (driver reload) or no time passed."""
    if prev is None or prev.energy_mj is None or cur.energy_mj is None:
        return None
    dt = cur.t - prev.t
    dj = (cur.energy_mj - prev.energy_mj) / 1000.0
    if dt <= 0 or dj < 0:
        return None
    return {"energy_j": dj, "seconds": dt, "mean_w": dj / dt}


def counter_line(delta: dict[str, float] | None) -> str | None:
    """The `counter_delta` in words; None without one."""
    if delta is None:
        return None
    return (
        f"energy since the last sample: {delta['energy_j']:,.2f} J over {delta['seconds']:.2f} s "
        f"= {delta['mean_w']:.1f} W average (NVML energy counter)"
    )
