"""Pure text formatting shared by the UI and the text reports (numbers, bars, sparklines), and
`safe`: the one place untrusted names become printable text."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

SPARK = "▁▂▃▄▅▆▇█"
BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"

# What a name from an engine, a recording or the network may not carry into any text output: C0
# and C1 control characters and DEL (ESC sequences drive terminals; XML 1.0 forbids most of C0),
# line and paragraph separators, the bidirectional overrides and isolates ("Trojan Source"),
# the two BMP non-characters XML forbids and lone surrogates (from undecodable bytes).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]"
)


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """`text` with every control character (ESC, \\n, \\x01, DEL, C1, bidi overrides, ...)
    replaced by its visible escape (ESC becomes the four characters \\x1b): safe to print to a
    terminal, to put in XML, CSV, Markdown or a Prometheus label. Everything else is kept."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def safe_block(text: str) -> str:
    """`safe` for text of several lines: every line break stays, everything else is escaped."""
    if not _UNSAFE.search(text):
        return text
    return "\n".join(safe(line) for line in text.split("\n"))


def one_line(text: str, max_len: int = 200) -> str:
    """`safe(text)` cut to `max_len` characters (an ellipsis ends a cut one)."""
    out = safe(text)
    return out if len(out) <= max_len else out[: max(max_len - 1, 0)] + "…"


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
    """A percentage with `digits` decimals ("12.3%"), right-aligned in `width`; "n/a" when unknown or
    not finite."""
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
    """A number with thousands separators, `digits` decimals and `unit` appended ("1,234 MHz"); "n/a"
    when unknown or not finite."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:,.{digits}f}{unit}"


def mib(x: float | None) -> str:
    """A memory size given in MiB: "512 MiB", or "1.5 GiB" from 1024 MiB up; "n/a" when unknown."""
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
    """Elapsed seconds as "MM:SS", or "H:MM:SS" from an hour up (fractions dropped)."""
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
