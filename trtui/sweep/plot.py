"""A text plot of throughput (samples/s) against p99 latency, each point labelled by its batch and
streams (`8×2` = batch 8 on 2 streams); the knee is ◆ and the best point under the budget ★.

Pure: points in, lines of text out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from trtui.common.format import ms
from trtui.sweep.analysis import Verdict
from trtui.sweep.point import PointResult

DOT = "●"
KNEE = "◆"
BEST = "★"
LOG_RATIO = 4.0  # p99s spanning more than this factor are plotted on a log scale


def short_label(p: PointResult) -> str:
    b = "-" if p.batch is None else str(p.batch)
    return f"{b}×{p.streams}"


def _fmt_rate(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.1f}M/s"
    if v >= 1e4:
        return f"{v / 1e3:.0f}k/s"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k/s"
    return f"{v:.0f}/s"


def render_plot(
    points: Sequence[PointResult], v: Verdict | None = None, width: int = 60, height: int = 12
) -> list[str]:
    """Lines of text (y labels + `width` plot columns; the x labels and the legend within them).
    [] until a point was measured. Labels go right of a point, else left of it, never over the
    axis or another mark."""
    ok = [p for p in points if p.ok]
    if not ok:
        return []
    width, height = max(20, width), max(4, height)
    xs = [float(p.p99_ms or 0.0) for p in ok]
    ys = [float(p.samples_per_s or 0.0) for p in ok]
    log_x = min(xs) > 0 and max(xs) / min(xs) >= LOG_RATIO  # wide latency ranges: log scale
    fx = math.log if log_x else float
    x0, x1 = fx(min(xs)), fx(max(xs))
    y0, y1 = min(0.0, min(ys)), max(ys)
    grid = [[" "] * width for _ in range(height)]

    def col(x: float) -> int:
        return 0 if x1 == x0 else round((fx(x) - x0) / (x1 - x0) * (width - 1))

    def row(y: float) -> int:
        return 0 if y1 == y0 else round((y1 - y) / (y1 - y0) * (height - 1))

    def rank(p: PointResult) -> int:  # marks drawn later win a shared cell: best, then knee, on top
        return 2 if v is not None and v.best is p else 1 if v is not None and v.knee is p else 0

    placed = sorted(zip(ok, xs, ys, strict=True), key=lambda t: t[1])
    for p, x, y in sorted(placed, key=lambda t: rank(t[0])):
        grid[row(y)][col(x)] = (DOT, KNEE, BEST)[rank(p)]
    for p, x, y in placed:  # labels after all marks, so that a label never hides a point
        c, r = col(x), row(y)
        text = short_label(p)
        for start in (c + 1, c - len(text)):
            end = start + len(text)
            if start >= 0 and end <= width and all(ch == " " for ch in grid[r][start:end]):
                grid[r][start:end] = list(text)
                break
    top, bottom = _fmt_rate(y1), _fmt_rate(y0)
    pad = _pad(y0, y1)
    lines = ["samples/s"]
    for r in range(height):
        label = top if r == 0 else bottom if r == height - 1 else ""
        lines.append(f"{label.rjust(pad)} ┤{''.join(grid[r])}".rstrip())
    lines.append(" " * pad + " └" + "─" * width)
    left, right = f"{ms(min(xs))} ms", f"{ms(max(xs))} ms"
    gap = max(1, width - len(left) - len(right))
    lines.append(" " * (pad + 2) + left + " " * gap + right)
    lines.append(" " * (pad + 2) + ("p99 latency (log scale)" if log_x else "p99 latency"))
    items = [f"{DOT} batch×streams"]
    if v is not None and v.knee is not None:
        items.append(f"{KNEE} knee")
    if v is not None and v.best is not None:
        items.append(f"{BEST} best under budget")
    legend = " " * (pad + 2) + items[0]
    for item in items[1:]:  # the legend goes on as many lines as the plot's width needs
        if len(legend) + 2 + len(item) > pad + 2 + width:
            lines.append(legend)
            legend = " " * (pad + 2) + item
        else:
            legend += "  " + item
    lines.append(legend)
    return lines


def _pad(y0: float, y1: float) -> int:
    return max(len(_fmt_rate(y1)), len(_fmt_rate(y0)))


def fit_plot(points: Sequence[PointResult], v: Verdict | None, total_width: int, height: int) -> list[str]:
    """`render_plot` whose every line fits `total_width` columns (y labels and axis included)."""
    ok = [p for p in points if p.ok]
    if not ok:
        return []
    ys = [float(p.samples_per_s or 0.0) for p in ok]
    pad = _pad(min(0.0, min(ys)), max(ys))
    return render_plot(points, v, width=max(20, total_width - pad - 2), height=height)
