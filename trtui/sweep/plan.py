"""What a sweep measures: the batch sizes and stream counts the user asked for, as points.

`1,2,4,8` lists values; `1..32` means the powers of two from 1 to 32 (1, 2, 4, 8, 16, 32); both
forms mix (`1..8,12`). The points are every batch with every stream count, batch first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from trtui.common.errors import UserError

MAX_VALUE = 1 << 20  # a batch (or stream count) beyond this is a typo
MAX_POINTS = 256


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """One configuration: `batch` None keeps the engine's shapes; `streams` is the number of
    execution contexts running at once."""

    batch: int | None
    streams: int

    @property
    def label(self) -> str:
        """Short name for tables and messages: "b8×s2" ("b-" when the batch is kept)."""
        b = "-" if self.batch is None else str(self.batch)
        return f"b{b}×s{self.streams}"


_RANGE = re.compile(r"^(\d+)\s*\.\.\s*(\d+)$")


def _powers_of_two(lo: int, hi: int, what: str, text: str) -> list[int]:
    if lo > hi:
        raise UserError(f"{what} {text!r}: the range runs backwards ({lo} > {hi})")
    first = 1 << max(0, math.ceil(math.log2(lo))) if lo > 0 else 1
    out = []
    v = first
    while v <= hi:
        out.append(v)
        v <<= 1
    if not out:
        raise UserError(f"{what} {text!r}: no power of two lies between {lo} and {hi}")
    return out


def parse_axis(text: str, what: str, limit: int = MAX_VALUE) -> tuple[int, ...]:
    """`1,2,4` or `1..32` (powers of two) or a mix; sorted, without repeats. Raises UserError."""
    if not text or not text.strip():
        raise UserError(f"{what} is empty: give values like 1,2,4,8 or a range like 1..32")
    values: set[int] = set()
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            raise UserError(f"{what} {text!r}: an empty entry (two commas?)")
        m = _RANGE.match(item)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo < 1:
                raise UserError(f"{what} {text!r}: values start at 1")
            if hi > limit:
                raise UserError(f"{what} {text!r}: {hi} is outside 1..{limit}")
            values.update(_powers_of_two(lo, hi, what, text))
            continue
        if not item.isdigit():
            raise UserError(
                f"{what} {text!r}: {item!r} is not a whole number or a range like 1..32 (powers of two)"
            )
        values.add(int(item))
    bad = sorted(v for v in values if not 1 <= v <= limit)
    if bad:
        raise UserError(f"{what} {text!r}: {bad[0]} is outside 1..{limit}")
    return tuple(sorted(values))


def plan_points(batches: tuple[int, ...] | None, streams: tuple[int, ...] | None) -> tuple[SweepPoint, ...]:
    """Every batch with every stream count (batch-major). None for an axis: not swept (the
    engine's own batch; one stream)."""
    if not batches and not streams:
        raise UserError("nothing to sweep: give --batch and/or --streams (e.g. --batch 1..32)")
    bs: tuple[int | None, ...] = batches if batches else (None,)
    ss = streams if streams else (1,)
    points = tuple(SweepPoint(b, s) for b in bs for s in ss)
    if len(points) > MAX_POINTS:
        raise UserError(f"{len(points)} points is too many for one sweep (at most {MAX_POINTS})")
    return points


_BUDGET = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|us|µs|s)?\s*$", re.IGNORECASE)


def parse_budget_ms(text: str) -> float:
    """`10ms`, `10` (ms), `500us`, `0.01s` -> milliseconds. Raises UserError."""
    m = _BUDGET.match(text or "")
    if not m:
        raise UserError(f"--p99-budget {text!r}: give a latency like 10ms, 500us or 0.01s")
    value = float(m.group(1))
    unit = (m.group(2) or "ms").lower()
    ms = value * {"ms": 1.0, "us": 1e-3, "µs": 1e-3, "s": 1e3}[unit]
    if not ms > 0:
        raise UserError(f"--p99-budget {text!r}: the budget must be above 0")
    return ms
