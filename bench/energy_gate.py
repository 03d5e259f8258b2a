"""Benchmarks of the energy tracker and the regression gate (pure Python + numpy; no GPU).

- the energy tracker's cost per telemetry sample (`point_from_sample` + `EnergyTracker.add`) and
  per `snapshot()` (one per refresh tick), on NVML-like samples with the energy counter;
- `trtui check`'s decision (`gate`) with its seeded bootstrap (2000 resamples) on 4,000
  per-inference latencies a side (a trtexec run of a few seconds; trtui's exports hold up to
  4,096) and on 100,000 (thinned to 20,000 for the bootstrap): what a CI job waits for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench._timing import median_seconds
from trtui.analysis.gate import GateRun, GateSettings, gate
from trtui.analysis.run import RunData
from trtui.stats.energy import EnergyTracker, point_from_sample
from trtui.stats.latency import latency_stats
from trtui.stats.snapshot import LayerTable
from trtui.telemetry.sample import TelemetrySample

COMMAND = "python -m bench energy_gate"


def _row(name: str, value: float, unit: str, note: str) -> dict[str, Any]:
    return {"name": name, "value": float(value), "unit": unit, "command": COMMAND, "note": note}


def tracker_costs(samples: int = 2000) -> list[dict[str, Any]]:
    pts = [
        TelemetrySample(t=0.5 * i, power_w=300.0, energy_mj=150_000.0 * i, sources=(("power_w", "nvml"),))
        for i in range(samples)
    ]

    def feed() -> EnergyTracker:
        tr = EnergyTracker()
        for i, s in enumerate(pts):
            tr.add(point_from_sample(s, 500 * i))
        return tr

    per_sample = median_seconds(feed, 3) / samples
    tr = feed()
    per_snapshot = median_seconds(tr.snapshot, 20)
    return [
        _row(
            "energy tracker per telemetry sample",
            per_sample * 1e6,
            "us",
            "point_from_sample + EnergyTracker.add, NVML counter samples",
        ),
        _row(
            "energy snapshot per refresh",
            per_snapshot * 1e6,
            "us",
            "EnergyTracker.snapshot() with a full 5 s window at 0.5 s sampling",
        ),
    ]


def _side(seed: int, n: int) -> GateRun:
    lat = np.random.default_rng(seed).lognormal(np.log(0.9), 0.05, n)
    return GateRun(RunData(f"run{seed}", LayerTable.empty(), latency=latency_stats(lat, 1100.0)), lat, 1100.0)


def gate_costs() -> list[dict[str, Any]]:
    rows = []
    for n in (4_000, 100_000):
        a, b = _side(1, n), _side(2, n)
        secs = median_seconds(lambda a=a, b=b: gate(a, b, GateSettings()), 3)  # type: ignore[misc]
        rows.append(
            _row(
                f"check decision, {n:,} latencies a side",
                secs,
                "s",
                "gate() with 2000 seeded bootstrap resamples per side (thinned to 20,000)",
            )
        )
    return rows


def run() -> list[dict[str, Any]]:
    return tracker_costs() + gate_costs()
