"""The two answers a sweep gives: the knee, and the best point under a p99 budget.

Both look at the measured points as a throughput-vs-p99 curve. Only the frontier counts: a point
is on it when no point with a lower (or equal) p99 has a higher throughput, so a configuration
that costs latency and gives nothing back is never chosen.

The knee: walking the frontier from the lowest p99 up, each step costs latency; the knee is the
last point reached while every step still bought more than `min_gain` more throughput (samples/s).
p99s within `same_p99` (2%) of a step's start count as one latency: measured p99s differ by noise
(0.306 vs 0.307 ms on an H100), and a step that costs nothing measurable must not end the walk.
Of the frontier points at one latency, the one with the most throughput stands for them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from trtui.common.format import ms
from trtui.sweep.point import PointResult

DEFAULT_KNEE_GAIN = 0.10  # a step must buy more than 10% throughput to be worth its p99
SAME_P99 = 0.02  # p99s within 2% of each other are one latency (measurement noise)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A sweep's answers, each with the sentence that explains it."""

    knee: PointResult | None  # None: no point was measured
    knee_reason: str
    best: PointResult | None  # None: no budget given, or no point within it
    best_reason: str | None  # None: no budget given


def frontier(points: Sequence[PointResult]) -> list[PointResult]:
    """The measured points no other point beats on both p99 and throughput, by rising p99."""
    ok = sorted((p for p in points if p.ok), key=lambda p: (p.p99_ms, -(p.samples_per_s or 0.0)))
    out: list[PointResult] = []
    best = -1.0
    for p in ok:
        sps = p.samples_per_s or 0.0
        if sps > best:
            out.append(p)
            best = sps
    return out


def latency_steps(front: Sequence[PointResult], same_p99: float = SAME_P99) -> list[PointResult]:
    """The frontier's steps that cost latency: of the points whose p99 is within `same_p99` of the
    first of them, only the last (the most throughput) is kept."""
    out: list[PointResult] = []
    start = 0.0
    for p in front:
        p99 = p.p99_ms or 0.0
        if out and p99 <= start * (1.0 + same_p99):
            out[-1] = p  # the same latency, more throughput (a frontier rises)
        else:
            out.append(p)
            start = p99
    return out


def find_knee(
    points: Sequence[PointResult], min_gain: float = DEFAULT_KNEE_GAIN, same_p99: float = SAME_P99
) -> tuple[PointResult | None, str]:
    """The knee and a sentence about it."""
    front = latency_steps(frontier(points), same_p99)
    if not front:
        return None, "no point was measured"
    if len(front) == 1:
        return front[0], (
            "only one latency is on the throughput/latency frontier "
            f"(p99s within {100 * same_p99:.0f}% are one)"
        )
    for prev, cur in itertools.pairwise(front):
        gain = (cur.samples_per_s or 0.0) / (prev.samples_per_s or 1.0) - 1.0
        if gain <= min_gain:
            assert cur.p99_ms is not None and prev.p99_ms is not None
            return prev, (
                f"the next step ({cur.point.label}) buys {100 * gain:.1f}% more throughput "
                f"for {ms(cur.p99_ms - prev.p99_ms)} ms more p99 (threshold {100 * min_gain:.0f}%)"
            )
    return front[-1], (
        f"throughput still grew by more than {100 * min_gain:.0f}% at every step: the knee may lie "
        "beyond the largest point measured"
    )


def best_under_budget(points: Sequence[PointResult], budget_ms: float) -> tuple[PointResult | None, str]:
    """The highest throughput among the points whose p99 is within the budget."""
    inside = [p for p in points if p.ok and p.p99_ms is not None and p.p99_ms <= budget_ms]
    if not inside:
        measured = [p for p in points if p.ok]
        if not measured:
            return None, "no point was measured"
        low = min(p.p99_ms or 0.0 for p in measured)
        return None, f"no point has a p99 within {ms(budget_ms)} ms (the lowest is {ms(low)} ms)"
    best = max(inside, key=lambda p: (p.samples_per_s or 0.0, -(p.p99_ms or 0.0)))
    return best, f"the highest throughput with p99 ≤ {ms(budget_ms)} ms"


def verdict(
    points: Sequence[PointResult], budget_ms: float | None = None, min_gain: float = DEFAULT_KNEE_GAIN
) -> Verdict:
    """The knee, and the best point under `budget_ms` when a budget is given (p99, ms)."""
    knee, why = find_knee(points, min_gain)
    if budget_ms is None:
        return Verdict(knee, why, None, None)
    best, best_why = best_under_budget(points, budget_ms)
    return Verdict(knee, why, best, best_why)
