"""The telemetry value that crosses from samplers to aggregators and the UI, and the protocol of
what produces it (`TelemetrySource`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TelemetrySample:
    """One reading of every metric. `None`: the device does not report it (or it failed)."""

    t: float  # time.monotonic() of the read
    simulated: bool = False
    device_name: str | None = None
    # memory (MiB); on Jetson, unified memory from /proc/meminfo
    mem_used_mib: float | None = None
    mem_total_mib: float | None = None
    mem_free_mib: float | None = None
    process_mem_mib: float | None = None  # trtui's own process, where the driver reports processes
    unified_memory: bool = False
    nvmap_used_mib: float | None = None  # Jetson nvgpu stack: memory shared with the GPU
    # load
    gpu_util_pct: float | None = None
    mem_util_pct: float | None = None  # memory-controller utilization (EMC on Jetson)
    # clocks (MHz)
    sm_clock_mhz: float | None = None
    sm_clock_min_mhz: float | None = None
    sm_clock_max_mhz: float | None = None
    mem_clock_mhz: float | None = None  # EMC frequency on Jetson
    governor: str | None = None
    # power (W) and temperature (degrees C)
    power_w: float | None = None
    power_limit_w: float | None = None
    energy_mj: float | None = None  # NVML total energy counter (mJ since the driver loaded)
    rails_w: tuple[tuple[str, float], ...] | None = None  # Jetson INA3221/hwmon rails
    temperature_c: float | None = None
    thermal_c: tuple[tuple[str, float], ...] | None = None  # thermal zones by type
    throttle_reasons: tuple[str, ...] | None = None  # decoded words; () = none active
    # bus
    pcie_gen: int | None = None
    pcie_width: int | None = None
    nvpmodel: str | None = None  # Jetson power mode name
    sources: tuple[tuple[str, str], ...] = ()  # metric -> where it came from ("nvml", "sysfs"...)
    notice: str | None = None  # e.g. "no NVIDIA driver"
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)


class TelemetrySource(Protocol):
    """Something that can be sampled. `sample()` may block briefly (NVML calls); it is called
    from a worker thread, never from the UI thread."""

    def sample(self) -> TelemetrySample:
        """Read every metric now. A metric that cannot be read leaves its field None (`notice` may
        say why); reading must not raise."""

    def close(self) -> None:
        """Release what the source holds (NVML, subprocesses); safe to call twice."""
