"""Side panels: the header, end-to-end latency, and the GPU. Each renders an immutable snapshot."""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.widgets import Static

from trtui import format as fmt
from trtui.session import Update
from trtui.stats.snapshot import ProfileSnapshot


def header_text(p: ProfileSnapshot, own_cpu_pct: float | None, refresh_s: float) -> Text:
    info = p.info
    t = Text(no_wrap=True, overflow="ellipsis")
    if info.simulated:
        t.append(" SIMULATED ", style="bold black on yellow")
        t.append(" ")
    elif info.kind == "recording":
        t.append(" RECORDING ", style="bold black on cyan")
        t.append(" ")
    t.append(info.label, style="bold")
    state_style = {
        "running": "bold green",
        "paused": "bold yellow",
        "error": "bold red",
        "finished": "bold cyan",
        "starting": "dim",
    }[p.state]
    t.append("  ")
    t.append(p.state.upper(), style=state_style)
    t.append(f"  {fmt.duration(p.elapsed_s)}", style="dim")
    if own_cpu_pct is not None:
        t.append(f"  trtui CPU {own_cpu_pct:.1f}%", style="dim")
    t.append(f"  refresh {refresh_s:.1f}s", style="dim")
    t.append("\n")
    trt = f"{info.trt_module} {info.trt_version}" if info.trt_module else "TensorRT: n/a"
    facts = [
        info.device or "device: unknown",
        trt,
        info.precision or "",
        " ".join(f"{name}:{'x'.join(map(str, shape))}" for name, shape in info.shapes),
        info.mode or "",
    ]
    if info.streams > 1:
        facts.append(f"{info.streams} streams")
    t.append("  ·  ".join(f for f in facts if f), style="dim")
    return t


class HeaderBar(Static):
    pass


def latency_text(p: ProfileSnapshot, width: int) -> Text:
    w = p.latency_window
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("Latency", style="bold")
    t.append(" (unprofiled, rolling)\n", style="dim")
    t.append(f" p50 {fmt.ms(w.median)}  p90 {fmt.ms(w.p90)}\n")
    t.append(f" p99 {fmt.ms(w.p99)}  max {fmt.ms(w.max)} ms\n")
    tput = w.throughput_per_s
    t.append(" throughput ")
    t.append(fmt.num(tput, " inf/s", 1 if tput is not None and tput < 100 else 0), style="bold")
    t.append("\n")
    spark_w = max(width - 6, 8)
    p99s = [pt.p99 if pt.p99 is not None else math.nan for pt in p.trend]
    t.append(" p99 ", style="dim")
    t.append(fmt.sparkline(p99s, spark_w) + "\n", style="magenta")
    hist = histogram_lines(p.recent_latencies_ms, spark_w, rows=4)
    for line in hist:
        t.append("     " + line + "\n", style="green")
    if p.layer_sum_ms is not None:
        label = "layer sum" if p.sum_is_latency else "layer sum*"
        t.append(f" {label} {fmt.ms(p.layer_sum_ms)} ms")
        if p.profiler_tax_pct is not None:
            t.append(f"  tax {p.profiler_tax_pct:+.1f}%", style="yellow")
        t.append("\n")
        if not p.sum_is_latency:
            t.append(" *aux streams: layers overlap\n", style="dim")
    if p.per_stream:
        for k, s in enumerate(p.per_stream):
            t.append(f" stream {k}: p50 {fmt.ms(s.median)} p99 {fmt.ms(s.p99)}\n", style="dim")
    return t


def histogram_lines(values: np.ndarray, width: int, rows: int) -> list[str]:
    """A small vertical-bar histogram of `values` (block characters), `rows` lines high."""
    if len(values) < 2 or width < 4:
        return []
    lo, hi = np.percentile(values, (0.5, 99.5))
    if not hi > lo:
        hi = lo + 1e-9
    counts, _ = np.histogram(np.clip(values, lo, hi), bins=width, range=(lo, hi))
    top = counts.max() or 1
    levels = counts / top * rows * 8
    lines = []
    for r in range(rows - 1, -1, -1):
        line = []
        for lv in levels:
            cell = lv - r * 8
            line.append("█" if cell >= 8 else (fmt.SPARK[int(cell) - 1] if cell >= 1 else " "))
        lines.append("".join(line))
    lines.append(f"{fmt.ms(lo)}".ljust(width // 2) + f"{fmt.ms(hi)} ms".rjust(width - width // 2))
    return lines


def gpu_text(update: Update, width: int) -> Text:
    s = update.telemetry
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("GPU", style="bold")
    if s is None:
        t.append("\n no live telemetry", style="dim")
        if update.profile.info.kind == "recording":
            t.append(f"\n recorded on {update.profile.info.device or 'unknown'}", style="dim")
        return t
    if s.simulated:
        t.append(" (simulated)", style="yellow")
    t.append(f" {s.device_name or ''}\n", style="dim")
    if s.notice:
        t.append(f" {s.notice}\n", style="red")
    hist = update.telemetry_history
    spark_w = max(width - 24, 6)

    def series(attr: str) -> list[float]:
        return [getattr(h, attr) if getattr(h, attr) is not None else math.nan for h in hist]

    used, total = s.mem_used_mib, s.mem_total_mib
    t.append(" mem  ")
    if used is not None and total:
        t.append(fmt.bar(used / total, 8), style="cyan")
        t.append(f" {fmt.mib(used)}/{fmt.mib(total)}\n")
    else:
        t.append("n/a\n", style="dim")
    if s.process_mem_mib is not None:
        t.append(f" trtui process {fmt.mib(s.process_mem_mib)}\n", style="dim")
    t.append(f" util {fmt.pct(s.gpu_util_pct, 6, 0)} ")
    t.append(fmt.sparkline(series("gpu_util_pct"), spark_w, 0, 100) + "\n", style="green")
    t.append(f" SM   {fmt.num(s.sm_clock_mhz, ' MHz'):>9} ")
    t.append(fmt.sparkline(series("sm_clock_mhz"), spark_w) + "\n", style="blue")
    t.append(f" mem clock {fmt.num(s.mem_clock_mhz, ' MHz')}\n", style="dim")
    power = fmt.num(s.power_w, " W")
    if s.power_limit_w is not None:
        power += f" / {fmt.num(s.power_limit_w, ' W')}"
    t.append(f" power {power}\n")
    t.append(f" temp {fmt.num(s.temperature_c, ' °C')} ")
    t.append(fmt.sparkline(series("temperature_c"), spark_w) + "\n", style="red")
    reasons = s.throttle_reasons
    if reasons is None:
        t.append(" throttle n/a\n", style="dim")
    elif reasons:
        t.append(" throttle " + ", ".join(reasons) + "\n", style="bold red")
    else:
        t.append(" throttle none\n", style="dim")
    return t
