"""A text plot of throughput (samples/s) against p99 latency, each point labelled by its batch and
streams (`8×2` = batch 8 on 2 streams); the knee is ◆ and the best point under the budget ★.

Pure: points in, lines of text out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from trtui.format import ms
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
    """Lines of text (y labels + `width` plot columns). [] until a point was measured."""
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
    pad = max(len(top), len(bottom))
    lines = ["samples/s"]
    for r in range(height):
        label = top if r == 0 else bottom if r == height - 1 else ""
        lines.append(f"{label.rjust(pad)} ┤{''.join(grid[r])}".rstrip())
    lines.append(" " * pad + " └" + "─" * width)
    left, right = f"{ms(min(xs))} ms", f"{ms(max(xs))} ms"
    gap = max(1, width - len(left) - len(right))
    lines.append(" " * (pad + 2) + left + " " * gap + right)
    lines.append(" " * (pad + 2) + ("p99 latency (log scale)" if log_x else "p99 latency"))
    legend = f"{DOT} batch×streams"
    if v is not None and v.knee is not None:
        legend += f"  {KNEE} knee"
    if v is not None and v.best is not None:
        legend += f"  {BEST} best under budget"
    lines.append(" " * (pad + 2) + legend)
    return lines
