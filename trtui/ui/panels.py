"""The header, the latency panel and the GPU panel. Each renders the latest immutable `Update`
at its own current size (so a resize re-lays the text out without waiting for the next update).
The text builders are plain functions of (update, width), tested without a running app."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from trtui.common import format as fmt
from trtui.stats.snapshot import ProfileSnapshot, TrendPoint
from trtui.stats.update import Update
from trtui.telemetry.history import TelemetryEvent
from trtui.telemetry.sample import TelemetrySample
from trtui.ui.live_text import RowDiff

SPIKE_MARK = "▲"


def header_text(
    p: ProfileSnapshot,
    own_cpu_pct: float | None,
    refresh_s: float,
    cpu_budget_pct: float | None = None,
    shown_per_s: float | None = None,
    lean_note: str | None = None,
) -> Text:
    """The two header lines: source, state, elapsed time, trtui's CPU share, the refresh period
    (and the refreshes actually shown per second, when measured); then device, TensorRT and mode,
    or, while the run has a problem it goes on through (`error` set, not in the error state: a
    lost connection), that problem."""
    info = p.info
    t = Text(no_wrap=True, overflow="ellipsis")
    if info.simulated:
        t.append(" SIMULATED ", style="bold black on yellow")
        t.append(" ")
    elif info.kind == "recording":
        t.append(" RECORDING ", style="bold black on cyan")
        t.append(" ")
    t.append(fmt.safe(info.label), style="bold")
    state_style = {
        "running": "bold green",
        "paused": "bold yellow",
        "error": "bold red",
        "finished": "bold cyan",
        "starting": "dim",
    }.get(p.state, "bold")
    t.append("  ")
    replay = info.kind == "recording" and p.state != "error"
    t.append("REPLAY" if replay else p.state.upper(), style="bold cyan" if replay else state_style)
    t.append(f"  {fmt.duration(p.elapsed_s)}")
    if own_cpu_pct is not None:
        over = cpu_budget_pct is not None and own_cpu_pct > cpu_budget_pct
        t.append(f"  trtui CPU {own_cpu_pct:.1f}%", style="bold red" if over else "dim")
    t.append(f"  refresh {refresh_s:.1f}s", style="dim")
    if shown_per_s is not None:
        t.append(f", {shown_per_s:.1f}/s", style="dim")
    if lean_note is not None:  # the low-bandwidth mode, and why it is on
        t.append(f"  {lean_note}", style="yellow")
    step = p.startup_running
    if step is not None and p.state in ("starting", "running", "paused"):  # a start-up step runs
        t.append(f"  loading: {step.name} {step.duration_s or 0.0:.1f} s…", style="yellow")
    t.append("\n")
    if p.error and p.state != "error":  # a problem the run goes on through (a lost connection): why
        t.append(f"⚠ {p.error}", style="bold red")
        return t
    trt = f"{info.trt_module} {info.trt_version or ''}".strip() if info.trt_module else "TensorRT n/a"
    facts = [
        info.device or "device unknown",
        trt,
        info.precision or "",
        " ".join(f"{name} {'x'.join(map(str, shape))}" for name, shape in info.shapes),
        info.mode or "",
    ]
    if info.streams > 1:
        facts.append(f"{info.streams} streams")
    if info.aux_streams:
        facts.append(f"{info.aux_streams} aux streams")
    t.append(fmt.safe(" · ".join(f for f in facts if f)), style="dim")
    return t


def loading_header_text() -> Text:
    """The header before the first update: the screen is up, the source is being opened."""
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("trtui", style="bold")
    t.append("  ")
    t.append("STARTING", style="dim")
    t.append("  loading engine…", style="yellow")
    t.append("\n")
    return t


class HeaderBar(Static):
    """The live screen's top line (`header_text`); its own type so that CSS and queries find it."""


def spike_marks(trend: Sequence[TrendPoint], events: Sequence[TelemetryEvent], width: int) -> str:
    """A line under the p99 sparkline (same last `width` points): SPIKE_MARK where a p99 jump
    coincided with a clock, thermal or throttle event (the session's correlation says so)."""
    points = list(trend)[-width:] if width > 0 else []
    hot = {e.t for e in events if e.suspicious}
    if not hot:
        return " " * len(points)
    return "".join(SPIKE_MARK if pt.t in hot else " " for pt in points)


def latency_text(update: Update, width: int, hist_rows: int = 4) -> Text:
    p = update.profile
    replay = p.info.kind == "recording"
    w = p.latency_total if replay else p.latency_window  # a recording: every recorded inference
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("Latency", style="bold")
    t.append(" recorded trace, all inferences\n" if replay else " unprofiled, rolling\n", style="dim")
    t.append(f"p50 {fmt.ms(w.median)}  p90 {fmt.ms(w.p90)}\n")
    t.append(f"p99 {fmt.ms(w.p99)}  max {fmt.ms(w.max)} ms\n")
    tput = w.throughput_per_s
    t.append("throughput ")
    t.append(fmt.num(tput, " inf/s", 1 if tput is not None and tput < 100 else 0), style="bold")
    t.append(f"  n={p.latency_total.count:,}\n", style="dim")
    spark_w = max(width - 4, 8)
    p99s = [pt.p99 if pt.p99 is not None else math.nan for pt in p.trend]
    t.append("p99 ", style="dim")
    t.append(fmt.sparkline(p99s, spark_w) + "\n", style="magenta")
    marks = spike_marks(p.trend, update.events, spark_w)
    if marks.strip():
        t.append("    " + marks + "\n", style="bold red")
    for line in histogram_lines(p.recent_latencies_ms, spark_w, rows=hist_rows):
        t.append("    " + line + "\n", style="green")
    if p.layer_sum_ms is not None:
        label = "sum of layer times" if p.sum_is_latency else "sum of layer times*"
        t.append(f"{label} {fmt.ms(p.layer_sum_ms)} ms\n")
        if p.profiler_tax_pct is not None and p.profiler_tax_ms is not None:
            t.append("profiler tax ")
            t.append(f"{p.profiler_tax_pct:+.1f}% ({p.profiler_tax_ms:+.3f} ms)\n", style="yellow")
        if p.kernels is not None:  # --kernels: its own cost, beside the profiler's
            t.append("kernel tracing ")
            t.append(f"{p.kernels.cost_ms:.3f} ms/prof.", style="yellow")
            t.append(" sim\n" if p.kernels.simulated else "\n", style="dim")
        if not p.sum_is_latency:
            t.append("*aux streams: layers overlap, not a latency\n", style="dim")
    for k, s in enumerate(p.per_stream):
        t.append(f"stream {k}: p50 {fmt.ms(s.median)} p99 {fmt.ms(s.p99)}\n", style="dim")
    return t


def histogram_lines(values: npt.NDArray[Any], width: int, rows: int) -> list[str]:
    """A vertical-bar histogram of `values` (block characters) `rows` lines high, and an axis
    line with the low and high edges; every line is exactly `width` cells. Values that are not
    finite (unknown) are left out."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) < 2 or width < 8 or rows < 1:
        return []
    lo, hi = (float(v) for v in np.percentile(values, (0.5, 99.5)))
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
    left, right = fmt.ms(lo), f"{fmt.ms(hi)} ms"
    if len(left) + len(right) + 1 > width:
        right = fmt.ms(hi)
    axis = left + " " + right if len(left) + len(right) + 1 > width else left + right.rjust(width - len(left))
    lines.append(axis[:width].ljust(width))
    return lines


def _series(hist: Sequence[TelemetrySample], attr: str) -> list[float]:
    out = []
    for h in hist:
        v = getattr(h, attr)
        out.append(float(v) if v is not None else math.nan)
    return out


def gpu_text(update: Update, width: int) -> Text:
    """The GPU panel for a panel `width` columns wide: no line is cut. What has no room is left
    out where it is said elsewhere (the device name is in the header), said shorter (trtui's own
    memory), or continued on the next line, indented (energy, throttle reasons, events)."""
    s = update.telemetry
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("GPU", style="bold")
    if s is None:
        t.append("\nno live telemetry", style="dim")
        if update.profile.info.kind == "recording":
            t.append(f"\nrecorded on {update.profile.info.device or 'unknown'}", style="dim")
        return wrap_long_lines(t, width)
    if s.simulated:
        t.append(" simulated", style="yellow")
    name = fmt.safe(s.device_name or "")
    if name and t.cell_len + 1 + cell_len(name) <= width:  # else: the header's second line has it
        t.append(f" {name}", style="dim")
    t.append("\n")
    if s.notice:
        t.append(f"{fmt.one_line(s.notice, 500)}\n", style="red")
    hist = update.telemetry_history
    spark_w = max(width - 16, 4)
    used, total = s.mem_used_mib, s.mem_total_mib
    t.append("mem   ")
    if used is not None and total:
        t.append(fmt.bar(used / total, 6), style="cyan")
        amounts = f" {fmt.mib(used)} / {fmt.mib(total)}"
        t.append(amounts)
        if s.mem_free_mib is not None:
            free = f", {fmt.mib(s.mem_free_mib)} free"
            if 12 + len(amounts) + len(free) <= width:
                t.append(free, style="dim")
            elif 6 + len(free) <= width:
                t.append(f"\n      {free[2:]}", style="dim")
        t.append("\n")
    else:
        t.append("n/a\n", style="dim")
    if s.process_mem_mib is not None:
        own = fmt.mib(s.process_mem_mib)
        long = f"      trtui (engine, context, I/O) {own}"
        t.append((long if len(long) <= width else f"      trtui's own {own}") + "\n", style="dim")
    t.append(f"util  {fmt.pct(s.gpu_util_pct, 9, 0)} ")
    t.append(fmt.sparkline(_series(hist, "gpu_util_pct"), spark_w, 0, 100) + "\n", style="green")
    t.append(f"SM    {fmt.num(s.sm_clock_mhz, ' MHz'):>9} ")
    t.append(fmt.sparkline(_series(hist, "sm_clock_mhz"), spark_w) + "\n", style="blue")
    t.append(f"memclk {fmt.num(s.mem_clock_mhz, ' MHz'):>8}\n", style="dim")
    power = fmt.num(s.power_w, " W")
    t.append(f"power {power:>9} ")
    t.append(fmt.sparkline(_series(hist, "power_w"), spark_w) + "", style="yellow")
    if s.power_limit_w is not None:
        t.append(f"\n      limit {fmt.num(s.power_limit_w, ' W')}", style="dim")
    t.append("\n")
    t.append(f"temp  {fmt.num(s.temperature_c, ' °C'):>9} ")
    t.append(fmt.sparkline(_series(hist, "temperature_c"), spark_w) + "\n", style="red")
    reasons = s.throttle_reasons
    if reasons is None:
        t.append("throttle n/a\n", style="dim")
    elif reasons:
        t.append("throttle " + ", ".join(reasons) + "\n", style="bold red")
    else:
        t.append("throttle none\n", style="dim")
    append_energy(t, update)
    suspicious = [e for e in update.events if e.suspicious]
    if suspicious:
        last = suspicious[-1]
        t.append(f"{SPIKE_MARK} {len(suspicious)} p99 jump(s) with clock/thermal events\n", style="bold red")
        t.append("  last: " + (", ".join(last.findings) or "?") + "\n", style="red")
    return wrap_long_lines(t, width)


def wrap_long_lines(t: Text, width: int, indent: int = 6) -> Text:
    """`t` with every line longer than `width` cells broken at its last space that fits, the rest
    continued on the next line after `indent` spaces (styles kept). A word longer than a whole
    line stays as it is (the panel then ends it with an ellipsis)."""
    lines = t.split("\n", allow_blank=True)
    if all(line.cell_len <= width for line in lines):
        return t
    out: list[Text] = []
    for line in lines:
        while line.cell_len > width:
            cut = line.plain.rfind(" ", indent + 1, width + 1)
            if cut <= indent:
                break
            head, tail = line.divide([cut])
            out.append(head)
            line = Text(" " * indent, end="") + tail[1:]
            if tail.plain.strip() == "":
                break
        out.append(line)
    joined = Text("\n", no_wrap=True, overflow="ellipsis").join(out)
    joined.no_wrap, joined.overflow = True, "ellipsis"
    return joined


def append_energy(t: Text, update: Update) -> None:
    """The GPU panel's energy lines: W now, J/inference and inferences/J per scope, each with
    its rail and window (see `trtui.stats.energy_report`)."""
    from trtui.stats.energy_report import panel_energy_lines

    for line, style in panel_energy_lines(update.energy):
        t.append(line + "\n", style=style)


class Panel(Widget):
    """A side panel: the text of the latest update, built for its current width (resize-safe),
    drawn line by line (Textual's line API: only the rows marked dirty are rendered again)."""

    def __init__(self, kind: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = kind
        self.data: Update | None = None
        self.hist_rows = 4
        self._lines = -1
        self._cached: tuple[Update | None, tuple[int, int], Text] | None = None
        self._drawn: Text | None = None
        self._diff = RowDiff()
        self._split: tuple[Text | None, list[Text], dict[int, Strip]] = (None, [], {})
        self._base = self._fill = Style()
        self._undrawn = False  # holds an update it has not drawn (it was hidden)
        self.repaints = 0  # (for tests)

    def show(self, update: Update, draw: bool = True) -> None:
        """Take `update`; draw it unless `draw` is False (the panel is hidden: it is built and
        drawn at `redraw()`). Only the lines that changed are drawn again (none for an equal
        text), and a layout pass happens only when the panel's height (its line count) changes."""
        self.data = update
        self._undrawn = not draw
        if not draw:
            return
        text = self.render()
        if text == self._drawn:
            return
        width = self.content_size.width
        rows = self._diff.rows(text, width)  # no wrapping here: a line is a row
        self._drawn = text
        self.repaints += 1
        lines = text.plain.count("\n")
        if lines != self._lines:
            self.refresh(layout=True)
        elif rows is None:
            self.refresh()
        else:
            self.refresh(*(Region(0, y, width, 1) for y in rows))
        self._lines = lines

    def redraw(self) -> None:
        """Draw the update that `show(..., draw=False)` left undrawn (the panel is shown again)."""
        if self._undrawn and self.data is not None:
            self.show(self.data)

    def render(self) -> Text:
        """The panel's text for the latest update at the current width (cached)."""
        width = max(self.content_size.width, 20)
        key = (width, self.hist_rows)
        cached = self._cached
        if cached is not None and cached[0] is self.data and cached[1] == key:
            return cached[2]
        if self.data is None:
            text = Text("waiting for data…", style="dim", no_wrap=True, overflow="ellipsis")
        elif self.kind == "latency":
            text = latency_text(self.data, width, self.hist_rows)
        else:
            text = gpu_text(self.data, width)
        self._cached = (self.data, key, text)
        return text

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many rows as the text for the latest update has (Textual's layout asks)."""
        return self.render().plain.count("\n") + 1

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        text = self.render()
        if self._split[0] is not text:
            self._split = (text, list(text.split("\n", allow_blank=True)), {})
            self._base = self.rich_style  # the panel's colours, under every line's own styles
            self._fill = Style(bgcolor=self._base.bgcolor)
        _, lines, strips = self._split
        if y >= len(lines):
            return Strip.blank(width, self._fill)
        strip = strips.get(y)
        if strip is None:
            line = lines[y].copy()
            line.truncate(width, overflow="ellipsis")
            segments: list[Segment] = []
            x, base = 0, self._base
            for seg in line.render(self.app.console):
                # Each piece carries its text offset, as in Textual's own text widgets (selection).
                style = (base + seg.style if seg.style else base) + Style.from_meta({"offset": (x, y)})
                segments.append(Segment(seg.text, style))
                x += len(seg.text)
            strip = strips[y] = Strip(segments).adjust_cell_length(width, self._fill)
        return strip
