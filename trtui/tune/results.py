"""The tuner's answer: which limit to use and why, the attempts table, and the JSON document."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from trtui.common.version import __version__
from trtui.tune.attempt import OUTCOME_LABELS, BuildAttempt
from trtui.tune.plan import TunePlan
from trtui.tune.search import best_latency, window
from trtui.tune.sizes import format_size, trtexec_size

Stopped = Literal["converged", "max_builds", "cancelled", "fatal"]

STOPPED_TEXT: dict[str, str] = {
    "converged": "search finished",
    "max_builds": "stopped at the build limit",
    "cancelled": "cancelled",
    "fatal": "stopped: the model cannot build",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The chosen attempt (None: no usable engine) and the reason, in one line."""

    attempt: BuildAttempt | None
    reason: str
    fits: bool = False  # the chosen engine fits the budget (or its memory use is not known)
    within_tolerance: bool = False  # and its latency is within the plan's tolerance of the best

    @property
    def limit_bytes(self) -> int | None:
        """The chosen attempt's pool limit; None when nothing was chosen."""
        return self.attempt.limit_bytes if self.attempt is not None else None


@dataclass(frozen=True, slots=True)
class TuneResult:
    """A tuning run: its plan, every attempt in build order, the choice and how the search stopped.
    `simulated`: the attempts were modelled, not built."""

    plan: TunePlan
    attempts: tuple[BuildAttempt, ...]
    verdict: Verdict
    stopped: Stopped
    simulated: bool
    source: str  # the ONNX path, or "demo"
    builder_info: tuple[tuple[str, str], ...] = ()  # e.g. ("tensorrt", "10.13.0"), shown as-is


def fits(attempt: BuildAttempt, plan: TunePlan) -> bool | None:
    """Whether the engine fits the budget; None when its memory is not known."""
    needed = attempt.memory_needed(plan.overhead_bytes)
    if needed is None:
        return None
    return needed <= plan.budget_bytes


def _lat(ms: float | None) -> str:
    return "?" if ms is None else f"{ms:.3f} ms"


def choose(plan: TunePlan, attempts: Sequence[BuildAttempt], stopped: Stopped = "converged") -> Verdict:
    """The smallest limit whose engine built, fits the budget and is within tolerance of the best
    latency seen; failing that, the fastest engine that fits; failing that, no engine (with why)."""
    pool = plan.pool.name
    tol_pct = f"{plan.tolerance * 100:g}%"
    prefix = "" if stopped == "converged" else f"{STOPPED_TEXT[stopped]} after {len(attempts)} builds; "
    built = [a for a in attempts if a.ok]
    best = best_latency(attempts)
    fastest = min((a for a in built if a.latency_ms is not None), key=lambda a: (a.latency_ms, a.limit_bytes),
                  default=None)
    fitting = [a for a in built if fits(a, plan) is not False]
    good = [
        a for a in fitting
        if best is None or (a.latency_ms is not None and a.latency_ms <= best * (1.0 + plan.tolerance))
    ]
    if good:
        pick = min(good, key=lambda a: a.limit_bytes)
        needed = pick.memory_needed(plan.overhead_bytes)
        fit_text = (f"fits the {format_size(plan.budget_bytes)} budget (needs {format_size(needed)})"
                    if needed is not None else "memory use not measured")
        if best is None:
            speed = "no latency was measured"
        elif fastest is not None and fastest.limit_bytes != pick.limit_bytes:
            speed = (f"runs within {tol_pct} of the best latency "
                     f"({_lat(pick.latency_ms)} vs {_lat(best)} at {format_size(fastest.limit_bytes)})")
        else:
            speed = f"has the best latency ({_lat(pick.latency_ms)})"
        reason = f"smallest {pool} limit that built, {fit_text} and {speed}"
        win = window(plan, attempts)
        if win is not None and win[1] == pick.limit_bytes and win[0] != plan.lo_bytes:
            reason += f"; {format_size(win[0])} was not enough"
        return Verdict(pick, prefix + reason, fits=True, within_tolerance=True)
    if fitting:
        pick = min(fitting, key=lambda a: (math.inf if a.latency_ms is None else a.latency_ms, a.limit_bytes))
        where = f" at {format_size(fastest.limit_bytes)}" if fastest is not None else ""
        reason = (f"no engine that fits was within {tol_pct} of the best latency ({_lat(best)}{where}, "
                  f"which does not fit the {format_size(plan.budget_bytes)} budget); this is the fastest "
                  f"that fits ({_lat(pick.latency_ms)})")
        return Verdict(pick, prefix + reason, fits=True, within_tolerance=False)
    if built:
        smallest = min(built, key=lambda a: a.memory_needed(plan.overhead_bytes) or 0)
        least = format_size(smallest.memory_needed(plan.overhead_bytes))
        reason = (f"no engine fits the {format_size(plan.budget_bytes)} budget: the smallest needs "
                  f"{least} (at {format_size(smallest.limit_bytes)}); free device memory or raise --budget")
        return Verdict(None, prefix + reason)
    return Verdict(None, prefix + _why_nothing_built(plan, attempts))


def _why_nothing_built(plan: TunePlan, attempts: Sequence[BuildAttempt]) -> str:
    if not attempts:
        return "no build ran"
    fatal = next((a for a in attempts if a.outcome == "fatal"), None)
    if fatal is not None:
        return f"the model cannot build: {fatal.message}"
    counts = Counter(OUTCOME_LABELS[a.outcome] for a in attempts)
    summary = ", ".join(f"{n} {label}" for label, n in counts.most_common())
    text = f"no build succeeded ({summary})"
    asked = max((a.log.max_requested_bytes or 0 for a in attempts), default=0)
    top = max(attempts, key=lambda a: a.limit_bytes)
    if top.outcome == "no_implementation":
        text += f"; even {format_size(top.limit_bytes)} was too small"
        if asked:
            text += f" (tactics asked for up to {format_size(asked)})"
        text += ": raise --budget or --range"
    elif asked:
        text += f"; tactics asked for up to {format_size(asked)}"
    return text


def flags_for(plan: TunePlan, limit_bytes: int) -> dict[str, str | None]:
    """How to apply a limit elsewhere: trtexec (where it has the pool), Polygraphy and Python."""
    pool = plan.pool
    size = trtexec_size(limit_bytes)
    return {
        "trtexec": f"--memPoolSize={pool.trtexec}:{size}" if pool.trtexec else None,
        "polygraphy": f"--pool-limit {pool.polygraphy}:{size}",
        "python": f"config.set_memory_pool_limit(trt.MemoryPoolType.{pool.trt_enum}, {limit_bytes})",
    }


# ---- table ---------------------------------------------------------------------------------------

TABLE_COLUMNS = ("#", "limit", "result", "build", "engine", "device mem", "needs", "latency", "notes")


def attempt_row(a: BuildAttempt, plan: TunePlan) -> tuple[str, ...]:
    """One row of the attempts table (the UI and the headless output use the same cells)."""
    result = OUTCOME_LABELS[a.outcome]
    ok_fit = fits(a, plan)
    if a.ok and ok_fit is False:
        result += ", too big"
    needed = a.memory_needed(plan.overhead_bytes)
    notes = a.message
    if a.ok and a.weights_bytes is None and a.engine_bytes is not None:
        notes = (notes + "; " if notes else "") + "weights estimated from the file size"
    return (
        str(a.index),
        trtexec_size(a.limit_bytes),
        result,
        "-" if a.build_s is None else f"{a.build_s:.1f} s",
        "-" if a.engine_bytes is None else format_size(a.engine_bytes),
        "-" if a.device_memory_bytes is None else format_size(a.device_memory_bytes),
        "-" if needed is None else format_size(needed),
        "-" if a.latency_ms is None else f"{a.latency_ms:.3f} ms",
        notes,
    )


def render_table(attempts: Sequence[BuildAttempt], plan: TunePlan, notes_width: int = 60) -> list[str]:
    """The attempts table as plain text lines, sorted by limit."""
    rows = [TABLE_COLUMNS] + [attempt_row(a, plan) for a in sorted(attempts, key=lambda a: a.limit_bytes)]
    clipped = [(*r[:-1], r[-1] if len(r[-1]) <= notes_width else r[-1][:notes_width - 1] + "…") for r in rows]
    widths = [max(len(r[i]) for r in clipped) for i in range(len(TABLE_COLUMNS))]
    right = {0, 3, 4, 5, 6, 7}
    lines = []
    for r in clipped:
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(r)]
        lines.append("  ".join(cells).rstrip())
    return lines


# ---- JSON ----------------------------------------------------------------------------------------


def attempt_json(a: BuildAttempt, plan: TunePlan) -> dict[str, Any]:
    return {
        "index": a.index,
        "limit_bytes": a.limit_bytes,
        "limit": trtexec_size(a.limit_bytes),
        "phase": a.phase,
        "outcome": a.outcome,
        "message": a.message,
        "build_s": a.build_s,
        "engine_bytes": a.engine_bytes,
        "device_memory_bytes": a.device_memory_bytes,
        "weights_bytes": a.weights_bytes,
        "io_bytes": a.io_bytes,
        "memory_needed_bytes": a.memory_needed(plan.overhead_bytes),
        "fits": fits(a, plan),
        "latency_ms": a.latency_ms,
        "exit_code": a.exit_code,
        "log": {
            "skipped_tactics": a.log.skipped_tactics,
            "max_requested_bytes": a.log.max_requested_bytes,
            "requests": [
                {"requested_bytes": r.requested_bytes, "available_bytes": r.available_bytes}
                for r in a.log.requests
            ],
            "insufficient_workspace": a.log.insufficient_workspace,
            "no_implementation_node": a.log.no_implementation_node,
            "out_of_memory": a.log.out_of_memory,
            "errors": list(a.log.errors),
        },
    }


def result_json(result: TuneResult) -> dict[str, Any]:
    """The document `--json` writes: the plan, every attempt, and the verdict."""
    plan = result.plan
    v = result.verdict
    chosen: dict[str, Any] | None = None
    if v.attempt is not None:
        chosen = {
            "index": v.attempt.index,
            "limit_bytes": v.attempt.limit_bytes,
            "limit": trtexec_size(v.attempt.limit_bytes),
            "fits": v.fits,
            "within_tolerance": v.within_tolerance,
            "flags": flags_for(plan, v.attempt.limit_bytes),
        }
    return {
        "tool": "trtui tune",
        "trtui_version": __version__,
        "simulated": result.simulated,
        "source": result.source,
        "builder": dict(result.builder_info),
        "plan": {
            "pool": plan.pool.name,
            "min_bytes": plan.lo_bytes,
            "max_bytes": plan.hi_bytes,
            "budget_bytes": plan.budget_bytes,
            "budget_source": plan.budget_source,
            "tolerance_pct": plan.tolerance * 100,
            "max_builds": plan.max_builds,
            "timeout_s": plan.timeout_s,
            "overhead_bytes": plan.overhead_bytes,
            "resolution_pct": plan.resolution * 100,
        },
        "stopped": result.stopped,
        "attempts": [attempt_json(a, plan) for a in result.attempts],
        "chosen": chosen,
        "reason": v.reason,
    }
