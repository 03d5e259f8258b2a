"""Resident memory after a simulated soak: a `Session` over the simulated engine at 20k layers,
driven by its own loop in real time (as `trtui profile demo` does), profiling every 2nd inference.

A 20k-layer inference takes ~0.3 s (simulated), so the rolling windows would take minutes to fill
in real time: the session is first fast-forwarded (simulated batches ingested directly) until its
windows and reservoirs are full, then runs in real time for `TRTUI_SOAK_S` seconds (default 60).
RSS (resident set size, /proc/self/status) is read before, after a warm-up (a third of the run,
at most 10 s) and at the end; the growth between the last two is what matters.
"""

from __future__ import annotations

import os
import time
from typing import Any

from trtui.options import RunOptions
from trtui.session import Session
from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry

COMMAND = "python -m bench soak"
LAYERS = 20_000
WARMUP_MAX_S = 10.0
FAST_FORWARD_ITERATIONS = 300  # more than the window and the reservoir hold at any size


def rss_mib() -> float:
    """This process's resident set size in MiB (Linux /proc; ru_maxrss as a fallback)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource  # peak, not current: only where /proc is missing

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def soak(seconds: float, layers: int | None = LAYERS, profile_every: int = 2) -> dict[str, float]:
    """Run a session for `seconds`; RSS (MiB) before, after warm-up and at the end, and the peak."""
    rss_before = rss_mib()
    options = RunOptions(layers=layers, profile_every=profile_every, seed=4)
    source = SimulatedSource(options)
    session = Session(source, SimulatedTelemetry(source), options, refresh_s=0.5)
    while session.layers.iterations < FAST_FORWARD_ITERATIONS:  # fill the windows
        session.ingest(source.simulate(0.5))
    session.build_update()
    start = time.monotonic()
    end = start + seconds
    warm_until = start + min(WARMUP_MAX_S, seconds / 3)
    session.open()
    rss_warm = peak = rss_mib()
    warmed = False
    try:
        while (now := time.monotonic()) < end:
            session.loop(until=min(now + 2.0, end))
            rss = rss_mib()
            peak = max(peak, rss)
            if not warmed and time.monotonic() >= warm_until:
                warmed, rss_warm = True, rss
        update = session.build_update()
    finally:
        session.close()
    rss_after = rss_mib()
    return {
        "rss_before": rss_before,
        "rss_warm": rss_warm,
        "rss_after": rss_after,
        "rss_peak": max(peak, rss_after),
        "growth": rss_after - rss_warm,
        "iterations": float(update.profile.layers_total.iterations),
        "inferences": float(update.profile.latency_total.count),
        "seconds": time.monotonic() - start,
    }


def run() -> list[dict[str, Any]]:
    seconds = float(os.environ.get("TRTUI_SOAK_S", "60"))
    r = soak(seconds)
    what = (
        f"{r['seconds']:.0f} s real-time soak at {LAYERS} simulated layers after a fast-forward "
        f"({r['iterations']:.0f} profiled iterations, {r['inferences']:.0f} timed inferences in all); "
        "duration: TRTUI_SOAK_S"
    )

    def row(name: str, value: float, note: str) -> dict[str, Any]:
        return {"name": name, "value": value, "unit": "MiB", "command": COMMAND, "note": note}

    return [
        row("soak RSS before the session", r["rss_before"], "Python + numpy + trtui imported, no session"),
        row("soak RSS after warm-up", r["rss_warm"], what),
        row("soak RSS at the end", r["rss_after"], what),
        row("soak RSS peak", r["rss_peak"], "largest RSS read between loop chunks"),
        row(
            "soak RSS growth after warm-up",
            r["growth"],
            "end minus after warm-up; target < 5 MB over 30 minutes (tests/reliability, -m slow)",
        ),
    ]
