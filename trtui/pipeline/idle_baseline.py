"""Measure the idle power before a run (`--idle-baseline S`): sample the telemetry for S seconds
while nothing runs, and average the GPU and module power the energy tracker sees."""

from __future__ import annotations

import time
from collections.abc import Callable

from trtui.stats.energy import EnergyTracker, IdleBaseline, point_from_sample
from trtui.telemetry.sample import TelemetrySource


def measure_idle_baseline(
    source: TelemetrySource,
    seconds: float,
    interval_s: float = 0.25,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> IdleBaseline | None:
    """Idle power over `seconds` (None when the telemetry reports no power at all)."""
    tracker = EnergyTracker()
    end = clock() + seconds
    while True:
        tracker.add(point_from_sample(source.sample(), 0, paused=True))
        now = clock()
        if now >= end:
            break
        sleep(min(interval_s, max(0.0, end - now)))
    idle = tracker.idle_baseline()
    if idle is None:
        return None
    return IdleBaseline(
        idle.gpu_w,
        idle.module_w,
        idle.seconds,
        f"measured for {seconds:g} s before the run (--idle-baseline)",
    )


def apply_idle_baseline(source: TelemetrySource, seconds: float, energy: EnergyTracker) -> str | None:
    """`--idle-baseline S`: measure idle power before the run and give it to `energy` (energy net of
    idle); a notice when the telemetry reports no power."""
    idle = measure_idle_baseline(source, seconds)
    if idle is None:
        return "--idle-baseline: the telemetry reports no power; no idle baseline"
    energy.set_idle_baseline(idle.gpu_w, idle.module_w, idle.seconds, idle.how)
    return None

