"""The tuner's plan: which pool, which range of limits, what must fit, and how many builds at most."""

from __future__ import annotations

import math
from dataclasses import dataclass

from trtui.common.errors import UserError
from trtui.tune.sizes import MIB, Pool, format_size

DEFAULT_TOLERANCE = 0.03  # within 3% of the best latency seen
DEFAULT_RESOLUTION = 0.10  # stop when the smallest good limit is known to within 10%
COARSE_RATIO = 2.0  # bisection until the window is within a factor 2, refinement after
DEFAULT_OVERHEAD = 256 * MIB  # CUDA context + libraries beside the engine (an estimate; see README)
DEFAULT_TIMEOUT_S = 1800.0
SLACK_BUILDS = 3  # room for builds that crash or hang, and for looking up after a failed first build


@dataclass(frozen=True, slots=True)
class TunePlan:
    """What one tuning run searches (`make_plan` checks it): the pool, the range of limits, the
    budget the engine must fit, and how many builds it may take. Sizes in bytes."""

    pool: Pool
    lo_bytes: int  # the search never goes below (exclusive: it is not built itself)
    hi_bytes: int  # the first build; never above
    budget_bytes: int  # device memory the engine may use when it runs
    budget_source: str  # how the budget was found, for the user
    max_builds: int  # the search stops after this many builds
    tolerance: float = DEFAULT_TOLERANCE  # fraction, 0.03 = 3%
    timeout_s: float = DEFAULT_TIMEOUT_S
    overhead_bytes: int = DEFAULT_OVERHEAD  # CUDA context and libraries, counted against the budget
    resolution: float = DEFAULT_RESOLUTION  # stop when the answer is known to within this fraction
    coarse_ratio: float = COARSE_RATIO

    def describe(self) -> str:
        """One line for the top of the screen and the headless output."""
        return (
            f"pool {self.pool.name}, limits {format_size(self.lo_bytes)} … {format_size(self.hi_bytes)}, "
            f"budget {format_size(self.budget_bytes)} ({self.budget_source}), "
            f"within {self.tolerance * 100:g}% of the best latency; at most {self.max_builds} builds"
        )


def estimate_builds(lo_bytes: int, hi_bytes: int, resolution: float = DEFAULT_RESOLUTION) -> int:
    """Builds a log-scale bisection from `hi` down to a window of `1 + resolution` needs: the first
    build, the halvings of log(hi/lo), and `SLACK_BUILDS` for builds that crash or hang."""
    if hi_bytes <= lo_bytes:
        return 1
    halvings = math.ceil(math.log2(max(1.0, math.log(hi_bytes / lo_bytes) / math.log1p(resolution))))
    return 1 + halvings + SLACK_BUILDS


def make_plan(
    pool: Pool,
    budget_bytes: int,
    budget_source: str,
    *,
    limit_range: tuple[int, int] | None = None,
    max_builds: int | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    overhead_bytes: int = DEFAULT_OVERHEAD,
    resolution: float = DEFAULT_RESOLUTION,
) -> TunePlan:
    """A plan, checked. Raises `UserError` when the numbers leave nothing to search."""
    if budget_bytes <= 0:
        raise UserError(f"the memory budget ({format_size(budget_bytes)}) leaves nothing to build with; "
                        "free device memory or pass --budget")
    if limit_range is not None:
        lo, hi = limit_range
    else:
        lo = pool.min_bytes
        hi = pool.max_bytes if pool.max_bytes is not None else budget_bytes
        hi = hi // pool.granularity * pool.granularity
    if hi <= lo:
        raise UserError(
            f"the {pool.name} search range is empty: the top ({format_size(hi)}, from the budget) is not "
            f"above the bottom ({format_size(lo)}); pass a larger --budget or a --range LO:HI"
        )
    if not 0 <= tolerance < 10:
        raise UserError(f"tolerance {tolerance * 100:g}% is out of range: use 0 to 1000 (percent)")
    if timeout_s <= 0:
        raise UserError("--timeout must be above 0 seconds")
    if max_builds is None:
        max_builds = estimate_builds(lo, hi, resolution)
    elif max_builds < 1:
        raise UserError("--max-builds must be at least 1")
    return TunePlan(
        pool=pool,
        lo_bytes=lo,
        hi_bytes=hi,
        budget_bytes=budget_bytes,
        budget_source=budget_source,
        max_builds=max_builds,
        tolerance=tolerance,
        timeout_s=timeout_s,
        overhead_bytes=overhead_bytes,
        resolution=resolution,
    )
