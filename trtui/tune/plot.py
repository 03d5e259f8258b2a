"""A text plot of latency and device memory against the pool limit (log scale), for the terminal.

Two stacked panels share the x axis: latency (●) above, device memory (■) below; failed builds are
marked × on a line under the axis. Pure: attempts in, lines of text out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from trtui.tune.attempt import BuildAttempt
from trtui.tune.sizes import format_size, trtexec_size

LAT = "●"
MEM = "■"
FAIL = "×"


def _x_of(limits: Sequence[int], width: int) -> Callable[[int], int]:
    lo, hi = math.log(min(limits)), math.log(max(limits))
    span = hi - lo

    def x(limit: int) -> int:
        if span <= 0:
            return width // 2
        return round((math.log(limit) - lo) / span * (width - 1))

    return x


def _panel(
    title: str,
    points: list[tuple[int, float]],
    mark: str,
    height: int,
    width: int,
    fmt: Callable[[float], str],
) -> tuple[str, list[tuple[str, str]]]:
    """The panel's title and rows as (y label, plot characters)."""
    values = [v for _, v in points]
    top, bottom = max(values), min(values)
    grid = [[" "] * width for _ in range(height)]
    for col, v in points:
        row = 0 if top == bottom else round((top - v) / (top - bottom) * (height - 1))
        grid[row][col] = mark
    rows = []
    for r in range(height):
        label = fmt(top) if r == 0 else fmt(bottom) if r == height - 1 and top != bottom else ""
        rows.append((label, "".join(grid[r])))
    return title, rows


def render_plot(attempts: Sequence[BuildAttempt], width: int = 60, height: int = 5) -> list[str]:
    """Lines of text, at most `width` wide plus the y labels. [] when nothing was tried yet."""
    width = max(16, width)
    height = max(2, height)
    if not attempts:
        return []
    limits = [a.limit_bytes for a in attempts]
    x = _x_of(limits, width)
    lat = [(x(a.limit_bytes), a.latency_ms) for a in attempts if a.ok and a.latency_ms is not None]
    mem = [(x(a.limit_bytes), float(a.device_memory_bytes)) for a in attempts
           if a.ok and a.device_memory_bytes is not None]
    panels = []
    if lat:
        panels.append(_panel(f"{LAT} latency", [(c, float(v)) for c, v in lat if v is not None], LAT, height,
                             width, lambda v: f"{v:.3f} ms"))
    if mem:
        panels.append(_panel(f"{MEM} device memory", mem, MEM, height, width, format_size))
    pad = max((len(label) for _, rows in panels for label, _ in rows), default=6)
    pad = max(pad, len("failed"))
    lines: list[str] = []
    for title, rows in panels:
        lines.append(title)
        lines += [f"{label.rjust(pad)} ┤{chars}".rstrip() for label, chars in rows]
    lines.append(" " * pad + " └" + "─" * width)
    ticks = [" "] * width
    for limit in sorted({min(limits), max(limits)}):
        text = trtexec_size(limit)
        start = max(0, min(x(limit) - len(text) // 2, width - len(text)))
        if all(ch == " " for ch in ticks[max(0, start - 1):start + len(text) + 1]):
            ticks[start:start + len(text)] = list(text)
    lines.append(" " * (pad + 2) + "".join(ticks).rstrip())
    fails = [" "] * width
    for a in attempts:
        if not a.ok:
            fails[x(a.limit_bytes)] = FAIL
    if FAIL in fails:
        lines.append(f"{'failed'.rjust(pad)}  {''.join(fails).rstrip()}")
    return lines
