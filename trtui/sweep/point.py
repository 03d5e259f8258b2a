"""One measured sweep point: latency percentiles, throughput, utilization, memory and energy.

Pure: latencies and telemetry readings in, a frozen `PointResult` out. The p99's confidence
interval is distribution-free (order statistics of a binomial count), so `--until-stable` needs no
assumption about the latency distribution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from trtui.sweep.plan import SweepPoint
from trtui.telemetry.sample import TelemetrySample

Status = Literal["ok", "does_not_fit", "failed"]
STATUS_TEXT: dict[str, str] = {"ok": "measured", "does_not_fit": "does not fit", "failed": "failed"}

Z95 = 1.959964  # two-sided 95%
STABLE_REL_WIDTH = 0.05  # --until-stable: the p99's 95% interval spans at most 5% of the p99
MIN_STABLE_SAMPLES = 300  # and at least this many inferences were measured


@dataclass(frozen=True, slots=True)
class PointResult:
    """What one configuration gave. Times in ms; None: not measured (a point that does not fit
    or failed has only its `reason`), or no reading (no telemetry, no power)."""

    point: SweepPoint
    status: Status
    reason: str | None = None  # why the point does not fit or failed
    batch: int | None = None  # the batch that ran (None: the engine has no batch dimension to set)
    streams: int = 1
    inferences: int = 0
    timing_s: float = 0.0  # wall time the inferences were measured over
    median_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    p99_ci_ms: tuple[float, float] | None = None  # 95% interval; None: too few inferences for one
    inferences_per_s: float | None = None
    samples_per_s: float | None = None  # inferences/s x batch
    gpu_util_pct: float | None = None
    memory_per_context_mib: float | None = None
    energy_per_sample_j: float | None = None
    stable: bool | None = None  # None: not asked (--until-stable off)
    simulated: bool = False

    @property
    def ok(self) -> bool:
        """Measured, with a p99 and a throughput: the point can be compared and chosen."""
        return self.status == "ok" and self.p99_ms is not None and self.samples_per_s is not None


def quantile_ci(sorted_ms: npt.NDArray[Any], q: float, z: float = Z95) -> tuple[float, float] | None:
    """A distribution-free confidence interval for the q-quantile (order statistics whose ranks
    bound the binomial count n*q +- z*sd); None when there are too few samples for one."""
    n = int(sorted_ms.size)
    if n < 20:
        return None
    sd = math.sqrt(n * q * (1 - q))
    lo = math.floor(n * q - z * sd)
    hi = math.ceil(n * q + z * sd)
    if lo < 0 or hi >= n:
        return None
    return float(sorted_ms[lo]), float(sorted_ms[hi])


def is_stable(latencies_ms: npt.NDArray[Any], rel_width: float = STABLE_REL_WIDTH) -> bool:
    """True once the p99's 95% interval is narrow relative to the p99 itself."""
    if latencies_ms.size < MIN_STABLE_SAMPLES:
        return False
    x = np.sort(latencies_ms)
    ci = quantile_ci(x, 0.99)
    if ci is None:
        return False
    p99 = float(np.percentile(x, 99))
    return p99 > 0 and (ci[1] - ci[0]) <= rel_width * p99


def _mean(values: Sequence[float | None]) -> float | None:
    got = [v for v in values if v is not None and math.isfinite(v)]
    return float(sum(got) / len(got)) if got else None


def summarize(
    point: SweepPoint,
    *,
    batch: int | None,
    streams: int,
    latencies_ms: npt.NDArray[Any],
    timing_s: float,
    telemetry: Sequence[TelemetrySample] = (),
    memory_per_context_mib: float | None = None,
    stable: bool | None = None,
    simulated: bool = False,
) -> PointResult:
    """The statistics of one point. A point without latencies is a failure (nothing ran)."""
    lat = np.asarray(latencies_ms, dtype=np.float64)
    if lat.size == 0 or not timing_s > 0:
        return PointResult(point, "failed", "no inference completed in the measuring time", batch=batch,
                           streams=streams, simulated=simulated,
                           memory_per_context_mib=memory_per_context_mib)
    x = np.sort(lat)
    p50, p90, p99 = (float(v) for v in np.percentile(x, (50, 90, 99)))
    ips = float(lat.size) / timing_s
    sps = ips * (batch or 1)
    util = _mean([s.gpu_util_pct for s in telemetry])
    power = _mean([s.power_w for s in telemetry])
    energy = power / sps if power is not None and sps > 0 else None
    return PointResult(
        point,
        "ok",
        batch=batch,
        streams=streams,
        inferences=int(lat.size),
        timing_s=timing_s,
        median_ms=p50,
        p90_ms=p90,
        p99_ms=p99,
        p99_ci_ms=quantile_ci(x, 0.99),
        inferences_per_s=ips,
        samples_per_s=sps,
        gpu_util_pct=util,
        memory_per_context_mib=memory_per_context_mib,
        energy_per_sample_j=energy,
        stable=stable,
        simulated=simulated,
    )


def does_not_fit(point: SweepPoint, reason: str, simulated: bool = False) -> PointResult:
    """The result of a point the source cannot run (out of memory, a shape outside the profile)."""
    return PointResult(point, "does_not_fit", reason, batch=point.batch, streams=point.streams,
                       simulated=simulated)


def failed(point: SweepPoint, reason: str, simulated: bool = False) -> PointResult:
    """The result of a point that could not be measured, `reason` saying why."""
    return PointResult(point, "failed", reason, batch=point.batch, streams=point.streams, simulated=simulated)
