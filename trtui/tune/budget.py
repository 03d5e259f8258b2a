"""How much device memory the tuned engine may use: `--budget`, or free memory minus a safety margin.

Free memory comes from trtui's telemetry (NVML on a discrete GPU; on Jetson the unified memory that
/proc/meminfo reports available), else from the build child's probe (NVML or cudaMemGetInfo). The
margin leaves room for what else starts on the device: 10% of free memory, at least 256 MiB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trtui.telemetry.sample import TelemetrySample, TelemetrySource
from trtui.tune.sizes import MIB, format_size

MARGIN_FRACTION = 0.10
MIN_MARGIN = 256 * MIB


@dataclass(frozen=True, slots=True)
class Budget:
    """The device memory the tuned engine may need at run time, and where that figure came from."""

    bytes: int
    source: str  # for the user: "--budget", or "free 7.20 GiB − margin 737 MiB, from nvml"


def from_free(free_bytes: int, where: str) -> Budget:
    """Free memory minus the safety margin (never below 0)."""
    margin = max(MIN_MARGIN, int(free_bytes * MARGIN_FRACTION))
    return Budget(max(0, free_bytes - margin),
                  f"free {format_size(free_bytes)} − margin {format_size(margin)}, from {where}")


def free_from_sample(sample: TelemetrySample) -> tuple[int, str] | None:
    """Free device memory in bytes from a telemetry sample, and where it came from; None when the
    sample does not say."""
    free = sample.mem_free_mib
    if free is None and sample.mem_total_mib is not None and sample.mem_used_mib is not None:
        free = sample.mem_total_mib - sample.mem_used_mib
    if free is None or free < 0:
        return None
    sources = dict(sample.sources)
    where = sources.get("mem_free_mib") or sources.get("memory") or sources.get("mem_used_mib") or "telemetry"
    if sample.unified_memory:
        where += ", unified memory"
    return int(free * MIB), where


def read_free_from_telemetry(open_telemetry: Callable[[], TelemetrySource]) -> tuple[int, str] | None:
    """One sample of the telemetry that `open_telemetry` makes (the command passes the GPU's,
    without tegrastats or a CUDA context). None when it cannot say."""
    try:
        sampler = open_telemetry()
        try:
            return free_from_sample(sampler.sample())
        finally:
            sampler.close()
    except Exception:  # telemetry is best effort here: the probe is the fallback
        return None
