"""What the telemetry sampler needs from an NVML reader (`trtui.gpu.nvml.NvmlDevice` implements it).

The sampler gets its reader injected by the composition root (`trtui.sources.factory`), so that
telemetry never imports the GPU package. Each metric method follows `trtui.common.not_supported`: a
value, `None` for a transient failure, or `NotSupported` when this GPU will never answer.
"""

from __future__ import annotations

from typing import Protocol


class NvmlReader(Protocol):
    """One GPU's NVML readings, called from the sampler's thread. A metric method returns its value,
    `None` when there is no reading now (asked again next sample), or raises `NotSupported` when
    this GPU never answers it (not asked again); any other exception counts as a transient failure.
    NVML starts on the first call."""

    available: bool  # NVML started and the GPU was found (after the first call)
    reason: str | None  # why not, in words ("no NVIDIA driver: ...")
    memory_version: str | None  # "v2" or "v1", once memory has been read
    memory_reserved_mib: float | None  # v2 only: the driver's reservation

    def name(self) -> str | None:
        """The GPU's product name ("NVIDIA H100 80GB HBM3")."""

    def memory_mib(self) -> tuple[float, float, float] | None:
        """Device memory (used, total, free) in MiB."""

    def utilization_pct(self) -> tuple[float, float] | None:
        """(GPU, memory controller) utilization in percent over NVML's last sample period."""

    def process_memory_mib(self) -> float | None:
        """Device memory of this process in MiB; None when the driver does not list our PID."""

    def clock_mhz(self, which: str) -> float | None:
        """The current clock in MHz; `which`: "sm", "mem" or "graphics"."""

    def max_clock_mhz(self, which: str) -> float | None:
        """The highest clock in MHz for `which` ("sm", "mem" or "graphics"); cheap to call often."""

    def power_w(self) -> float | None:
        """Board power draw in W."""

    def power_limit_w(self) -> float | None:
        """The enforced power limit in W."""

    def total_energy_mj(self) -> float | None:
        """The total energy counter: mJ since the driver loaded (it only grows; take differences)."""

    def temperature_c(self) -> float | None:
        """GPU core temperature in degrees C."""

    def clock_event_reasons(self) -> tuple[str, ...] | None:
        """Active clock-lowering (throttle) reasons as words; () when none is active."""

    def pcie_gen(self) -> int | None:
        """The PCIe link's current generation."""

    def pcie_width(self) -> int | None:
        """The PCIe link's current width (lanes)."""

    def close(self) -> None:
        """Shut NVML down if this reader started it; safe to call twice."""
