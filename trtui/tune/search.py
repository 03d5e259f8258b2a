"""The search for the smallest good limit: pure and deterministic (attempts in, next limit out).

"Good" means: the engine built and its latency is within the plan's tolerance of the best latency
seen so far (every attempt is re-judged against the current best, so noise cannot lock in a bad
answer). Whether the engine *fits* the budget is judged by the verdict (`trtui.tune.results`):
more of a pool lets the builder pick faster tactics whose scratch memory grows the engine, so the
smallest fast limit is also the one most likely to fit.

The search, over limits in bytes on a log scale:

1. start: build at the top of the range (the budget). If it fails, and later a smaller limit builds,
   look upward from there until within a factor `CEILING_RATIO` of the failure: the largest limit
   that builds gives the best latency, the reference for the tolerance.
2. bisect: while the window between the largest limit that needs more (a build that was too slow
   or found no implementation) and the smallest good limit spans more than `coarse_ratio`, build
   at its geometric middle.
3. refine: inside a narrower window, first try the sizes that tactics skipped at the window's bottom
   asked for (read from the builder's log: one of them is where the next tactic switches on), then
   geometric middles, until the window is within `1 + resolution`.

Failures that say nothing about direction (a crash, a timeout, a generic failure) are points the
window is split at, never bounds; the widest piece is searched next. Out-of-memory and killed builds
bound the window from above while no good build is known (the limit is more than the machine can
give). A cancelled or fatal attempt ends the search.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from trtui.tune.attempt import BuildAttempt
from trtui.tune.plan import TunePlan
from trtui.tune.sizes import format_size, round_up

Judgement = Literal["good", "needs_more", "too_large", "unknown"]

CEILING_RATIO = 4.0  # after a failed top build, look upward until within this factor of the failure


@dataclass(frozen=True, slots=True)
class Step:
    """The next build: its limit, the search phase, and why this limit (for the user)."""

    limit_bytes: int
    phase: Literal["start", "bisect", "refine"]
    why: str


def best_latency(attempts: Sequence[BuildAttempt]) -> float | None:
    """The lowest measured latency among successful builds, or None when none was measured."""
    return min((a.latency_ms for a in attempts if a.ok and a.latency_ms is not None), default=None)


def judge(attempt: BuildAttempt, best: float | None, tolerance: float) -> Judgement:
    """How one attempt bounds the search, given the best latency seen."""
    if attempt.ok:
        if best is None:
            return "good"  # nothing measured anywhere: building is all we can judge
        if attempt.latency_ms is None:
            return "unknown"
        return "good" if attempt.latency_ms <= best * (1.0 + tolerance) else "needs_more"
    if attempt.outcome == "no_implementation":
        return "needs_more"
    if attempt.outcome in ("out_of_memory", "killed"):
        return "too_large"
    return "unknown"


def _ends(attempts: Sequence[BuildAttempt]) -> bool:
    return any(a.outcome in ("cancelled", "fatal") for a in attempts)


def _latest_by_limit(attempts: Sequence[BuildAttempt]) -> dict[int, BuildAttempt]:
    out: dict[int, BuildAttempt] = {}
    for a in attempts:
        out[a.limit_bytes] = a
    return out


def _midpoint(a: int, b: int, granularity: int, taken: set[int]) -> int | None:
    """A free limit strictly between a and b, as close to their geometric mean as the granularity
    allows, or None."""
    mean = math.sqrt(a * b)
    up = round_up(mean, granularity)
    down = max(granularity, int(mean // granularity) * granularity)
    for m in (up, down):
        if a < m < b and m not in taken:
            return m
    return None


def _split_search(
    lo: int,
    hi: int,
    inside: Sequence[int],
    plan: TunePlan,
    taken: set[int],
    phase: Literal["bisect", "refine"],
) -> Step | None:
    """The next limit strictly inside (lo, hi), while the window is wider than the resolution.

    Normally the geometric middle. `inside` are limits that failed without saying which way to go
    (crashed, hung): when the middle falls next to one, the search builds just beside it instead (one
    extra build per failure, and the bisection goes on); when that is not possible, the widest piece
    between the points is halved.
    """
    if hi / lo <= 1.0 + plan.resolution:
        return None
    g = plan.pool.granularity
    step = math.log1p(plan.resolution)
    m = _midpoint(lo, hi, g, taken)
    if m is not None:
        near = [u for u in inside if abs(math.log(m / u)) < step]
        if not near:
            return Step(m, phase, f"halfway (log scale) between {format_size(lo)} and {format_size(hi)}")
        u = near[0]
        for cand in (round_up(u * (1.0 + plan.resolution), g), int(u / (1.0 + plan.resolution)) // g * g):
            clear = all(abs(math.log(cand / v)) >= step / 2 for v in inside) if cand > 0 else False
            if lo < cand < hi and cand not in taken and clear:
                return Step(cand, phase, f"beside {format_size(u)}, which failed without a verdict")
    points = sorted({lo, hi, *inside})
    pieces = sorted(itertools.pairwise(points), key=lambda p: (-(p[1] / p[0]), p[0]))
    for a, b in pieces:
        if b / a <= 1.0 + plan.resolution:
            return None
        m = _midpoint(a, b, g, taken)
        if m is not None:
            return Step(m, phase, f"halfway (log scale) between {format_size(a)} and {format_size(b)}")
    return None


def next_step(plan: TunePlan, attempts: Sequence[BuildAttempt]) -> Step | None:
    """The next limit to build, or None when the search is over (converged, cancelled or fatal).

    Does not count builds: the caller stops at `plan.max_builds`.
    """
    if _ends(attempts):
        return None
    if not attempts:
        return Step(plan.hi_bytes, "start", f"start at the top of the range ({format_size(plan.hi_bytes)})")
    latest = _latest_by_limit(attempts)
    taken = set(latest)
    best = best_latency(attempts)
    judged = {limit: judge(a, best, plan.tolerance) for limit, a in latest.items()}
    good = [limit for limit, j in judged.items() if j == "good"]
    if good:
        ceiling = _ceiling_step(plan, latest, taken)
        if ceiling is not None:
            return ceiling
        top = min(good)
        below_more = [limit for limit, j in judged.items() if j == "needs_more" and limit < top]
        bottom = max(below_more) if below_more else plan.lo_bytes
        inside = [limit for limit in judged if bottom < limit < top]
        if top / bottom > plan.coarse_ratio:
            return _split_search(bottom, top, inside, plan, taken, "bisect")
        if top / bottom > 1.0 + plan.resolution:
            hint = _hint(plan, attempts, bottom, top, taken)
            if hint is not None:
                return hint
        return _split_search(bottom, top, inside, plan, taken, "refine")
    # Nothing good yet: find anything that builds, between what needs more and what is too large.
    needs_more = [limit for limit, j in judged.items() if j == "needs_more"]
    bottom = max(needs_more) if needs_more else plan.lo_bytes
    too_large = [limit for limit, j in judged.items() if j == "too_large" and limit > bottom]
    top = min(too_large) if too_large else plan.hi_bytes
    if top <= bottom:
        return None
    if top not in taken:
        return Step(top, "start", f"start at the top of the range ({format_size(top)})")
    inside = [limit for limit in judged if bottom < limit < top]
    return _split_search(bottom, top, inside, plan, taken, "bisect")


def _ceiling_step(plan: TunePlan, latest: dict[int, BuildAttempt], taken: set[int]) -> Step | None:
    """When the top of the range did not build, look upward from the largest successful build first
    (until within `CEILING_RATIO` of the lowest limit that was too large, or of the failed top): the
    latency of the largest limit that builds is the reference that "within tolerance" is measured
    against. Crashes and hangs in between are stepped over, not taken as the ceiling."""
    ok_max = max(limit for limit, a in latest.items() if a.ok)
    # Out-of-memory above a successful build is a wall; a kill there may be another process's doing
    # (the OOM killer picks a victim), so it is stepped over like a crash.
    walls = [limit for limit, a in latest.items() if limit > ok_max and a.outcome == "out_of_memory"]
    top = latest.get(plan.hi_bytes)
    if top is not None and not top.ok and plan.hi_bytes > ok_max:
        walls.append(plan.hi_bytes)
    if not walls:
        return None
    ceiling = min(walls)
    if ceiling / ok_max <= CEILING_RATIO:
        return None
    points = sorted({ok_max, ceiling, *(limit for limit in latest if ok_max < limit < ceiling)})
    for a, b in reversed(list(itertools.pairwise(points))):  # the highest piece first
        if b / a <= 1.0 + plan.resolution:
            continue
        m = _midpoint(a, b, plan.pool.granularity, taken)
        if m is not None:
            return Step(m, "start", f"look higher: the largest limit that builds sets the best latency "
                                    f"({format_size(ok_max)} built, {format_size(ceiling)} did not)")
    return None


def _hint(
    plan: TunePlan, attempts: Sequence[BuildAttempt], bottom: int, top: int, taken: set[int]
) -> Step | None:
    """A size a tactic asked for (in the log of a build at or below `bottom`) that lies inside the
    window: the median of those not yet built."""
    sizes: set[int] = set()
    for a in attempts:
        if a.limit_bytes <= bottom:
            for r in a.log.requests:
                size = round_up(r.enough_bytes, plan.pool.granularity)
                if bottom < size < top and size not in taken:
                    sizes.add(size)
    if not sizes:
        return None
    ordered = sorted(sizes)
    pick = ordered[(len(ordered) - 1) // 2]
    return Step(pick, "refine", f"a tactic skipped at {format_size(bottom)} asked for {format_size(pick)}")


def window(plan: TunePlan, attempts: Sequence[BuildAttempt]) -> tuple[int, int] | None:
    """(largest limit known to need more, smallest good limit), with the plan's bottom standing in for
    the first when none was tried; None when no good limit is known."""
    best = best_latency(attempts)
    latest = _latest_by_limit(attempts)
    judged = {limit: judge(a, best, plan.tolerance) for limit, a in latest.items()}
    good = [limit for limit, j in judged.items() if j == "good"]
    if not good:
        return None
    top = min(good)
    below = [limit for limit, j in judged.items() if j == "needs_more" and limit < top]
    return (max(below) if below else plan.lo_bytes, top)
