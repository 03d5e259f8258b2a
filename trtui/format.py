"""Pure text formatting shared by the UI and the text reports (numbers, bars, sparklines)."""

from __future__ import annotations

import math
from collections.abc import Sequence

SPARK = "▁▂▃▄▅▆▇█"
BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"


def ms(x: float | None, width: int = 0) -> str:
    """A time in ms with 3-4 significant digits; 'n/a' when unknown."""
    if x is None or not math.isfinite(x):
        s = "n/a"
    elif x >= 100:
        s = f"{x:.1f}"
    elif x >= 10:
        s = f"{x:.2f}"
    elif x >= 0.01:
        s = f"{x:.3f}"
    else:
        s = f"{x:.4f}"
    return s.rjust(width)


def pct(x: float | None, width: int = 0, digits: int = 1) -> str:
    s = "n/a" if x is None or not math.isfinite(x) else f"{x:.{digits}f}%"
    return s.rjust(width)


def share(x: float | None) -> str:
    """A share of the layer time that stays readable with thousands of layers: "12.3%", "0.35%",
    "<0.01%" (never "0.0%" for a layer that took time); "0%" for none, "n/a" when unknown."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x >= 1.0:
        return f"{x:.1f}%"
    if x >= 0.01:
        return f"{x:.2f}%"
    return "<0.01%" if x > 0 else "0%"


def num(x: float | None, unit: str = "", digits: int = 0) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:,.{digits}f}{unit}"


def mib(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x / 1024:.1f} GiB" if x >= 1024 else f"{x:.0f} MiB"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar of `width` cells filled to `fraction` (0..1), in eighths."""
    if width <= 0:
        return ""
    if not math.isfinite(fraction):
        fraction = 0.0
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    out = "█" * full + (BAR_EIGHTHS[part] if part and full < width else "")
    return out.ljust(width)


def sparkline(values: Sequence[float], width: int, lo: float | None = None, hi: float | None = None) -> str:
    """The last `width` values as block characters (NaN/None as a space)."""
    vals = list(values)[-width:] if width > 0 else []
    finite = [v for v in vals if v is not None and math.isfinite(v)]
    if not finite:
        return " " * len(vals)
    lo = min(finite) if lo is None else lo
    hi = max(finite) if hi is None else hi
    span = hi - lo
    out = []
    for v in vals:
        if v is None or not math.isfinite(v):
            out.append(" ")
        elif span <= 0:
            out.append(SPARK[len(SPARK) // 2])
        else:
            k = int((v - lo) / span * (len(SPARK) - 1) + 0.5)
            out.append(SPARK[min(max(k, 0), len(SPARK) - 1)])
    return "".join(out)


def duration(seconds: float) -> str:
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def change(x: float | None) -> str:
    """A relative change in percent with its sign ("+12%", "-3.4%"); "-" when unknown."""
    if x is None or not math.isfinite(x):
        return "-"
    if abs(x) >= 99.5:
        return f"{x:+.0f}%"
    if abs(x) < 0.05:
        return "0.0%"
    return f"{x:+.1f}%"
