"""NVML reads (nvidia-ml-py, module `pynvml`): the only place trtui imports pynvml.

`NvmlDevice` answers one metric per method, in the telemetry probe convention
(`trtui.common.not_supported`): a value, `None` for a transient failure (retry next sample), or
`NotSupported` when NVML says so (NOT_SUPPORTED, FUNCTION_NOT_FOUND, NO_PERMISSION, a binding
without the call), which the sampler caches per metric.

- pynvml missing, or `nvmlInit` failing (no driver, library not found): `available` is False,
  `reason` says why ("no NVIDIA driver: ..."), and every metric raises NotSupported.
- Memory uses the v2 struct (`nvmlDeviceGetMemoryInfo(h, version=nvmlMemory_v2)`, where "used"
  excludes reserved memory) when the binding and the driver have it, else v1.
- Clock-event reasons: the call is `nvmlDeviceGetCurrentClocksEventReasons` in newer bindings
  and `...ClocksThrottleReasons` in older ones; constants likewise (`nvmlClocksEventReason*` /
  `nvmlClocksThrottleReason*`): both are looked up with getattr, with the documented bit values
  as a last resort.
- Jetson Orin (nvgpu stack, NVML name "Orin (nvgpu)") enumerates the GPU but answers
  NOT_SUPPORTED or zeros; for that stack the numeric metrics are reported as NotSupported so that
  the sampler falls back to sysfs instead of showing zeros.
- Process memory: the driver lists processes by *host* PID. Inside a container without
  `--pid=host` our `os.getpid()` is not in the list, and we then report None rather than
  guessing from another entry.
- `nvmlInit` does not survive fork(): create the NvmlDevice in the process that samples.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from trtui.common.not_supported import NotSupported
from trtui.core.clock_reasons import CLOCK_EVENT_REASONS, decode_reasons

# NVML error codes (nvml.h), used when the module object does not carry the constants.
_ERR_NOT_SUPPORTED = 3
_ERR_NO_PERMISSION = 4
_ERR_FUNCTION_NOT_FOUND = 13
_ERR_ARGUMENT_VERSION_MISMATCH = 25
_PERMANENT_CODES = frozenset(
    {_ERR_NOT_SUPPORTED, _ERR_NO_PERMISSION, _ERR_FUNCTION_NOT_FOUND, _ERR_ARGUMENT_VERSION_MISMATCH}
)
_MIB = 1024.0 * 1024.0
STATIC_TTL_S = 60.0  # how long a value that does not change (max clocks) is kept
_CLOCKS = {"sm": ("NVML_CLOCK_SM", 1), "mem": ("NVML_CLOCK_MEM", 2), "graphics": ("NVML_CLOCK_GRAPHICS", 0)}


def load_pynvml() -> Any:
    """Import pynvml (nvidia-ml-py). Tests replace this function to inject a fake module."""
    import pynvml

    return pynvml


def _error_code(err: BaseException) -> int | None:
    value = getattr(err, "value", None)
    return value if isinstance(value, int) else None


class NvmlDevice:
    """One GPU through NVML. `nvml` is a module-like object (pynvml, or a fake in tests); when
    None, pynvml is imported on first use. Initialisation is lazy and happens once."""

    def __init__(
        self,
        nvml: Any | None = None,
        index: int = 0,
        pid: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._nvml = nvml
        self._clock = clock
        self._static: dict[str, tuple[float, float]] = {}  # key -> (read at, value)
        self.index = index
        self.pid = os.getpid() if pid is None else pid
        self._handle: Any = None
        self._initialised = False
        self._owns_init = False
        self._lock = threading.Lock()
        self.available = False
        self.reason: str | None = None
        self.device_count: int | None = None  # what NVML enumerates, once initialised
        self.memory_version: str | None = None  # "v2" or "v1", once memory has been read
        self.memory_reserved_mib: float | None = None  # v2 only: driver/firmware reservation
        self._v2_works: bool | None = None
        self._name: str | None = None
        self._reason_bits: tuple[tuple[str, int], ...] | None = None

    # ---- lifecycle ------------------------------------------------------------------------
    def init(self) -> bool:
        """Initialise NVML once; True when a device handle is available."""
        with self._lock:
            if self._initialised:
                return self.available
            self._initialised = True
            try:
                if self._nvml is None:
                    self._nvml = load_pynvml()
            except ImportError as err:
                self.reason = f"no NVIDIA driver bindings: pynvml (nvidia-ml-py) is not installed ({err})"
                return False
            nv = self._nvml
            try:
                nv.nvmlInit()
                self._owns_init = True
            except Exception as err:
                self.reason = f"no NVIDIA driver: NVML could not start ({err})"
                return False
            try:
                count = int(nv.nvmlDeviceGetCount())
                self.device_count = count
                if not 0 <= self.index < count:
                    self.reason = f"no GPU {self.index}: NVML sees {count} device(s)"
                    return False
                self._handle = nv.nvmlDeviceGetHandleByIndex(self.index)
            except Exception as err:
                self.reason = f"NVML found no usable GPU {self.index} ({err})"
                return False
            self.available = True
            return True

    def close(self) -> None:
        """Shut NVML down if this device started it. Final: every later metric raises NotSupported."""
        with self._lock:
            if self._owns_init and self._nvml is not None:
                with contextlib.suppress(Exception):
                    self._nvml.nvmlShutdown()
            self._owns_init = False
            self._handle = None
            self.available = False

    # ---- helpers --------------------------------------------------------------------------
    def _call(self, fname: str, *args: Any, **kwargs: Any) -> Any:
        """Call an NVML function on our handle; classify its failure."""
        if not self.init():
            raise NotSupported(self.reason or "NVML unavailable")
        fn: Callable[..., Any] | None = getattr(self._nvml, fname, None)
        if fn is None:
            raise NotSupported(f"this pynvml has no {fname}")
        try:
            return fn(self._handle, *args, **kwargs)
        except Exception as err:
            code = _error_code(err)
            if code in _PERMANENT_CODES:
                raise NotSupported(f"{fname}: {err}") from err
            return None  # transient (timeout, GPU busy, unknown): retry on the next sample

    def _const(self, name: str, default: int) -> int:
        value = getattr(self._nvml, name, default)
        return value if isinstance(value, int) else default

    def _nvgpu_guard(self) -> None:
        """On Jetson's nvgpu stack NVML returns NOT_SUPPORTED or zeros: do not trust it."""
        name = self._name if self._name is not None else self.name()
        if name is not None and "nvgpu" in name.lower():
            raise NotSupported("Jetson nvgpu stack: NVML numbers are not meaningful")

    # ---- metrics --------------------------------------------------------------------------
    def name(self) -> str | None:
        """The GPU's name, read once and then cached (None until a read succeeds)."""
        if self._name is not None:
            return self._name
        raw = self._call("nvmlDeviceGetName")
        if raw is None:
            return None
        name = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        self._name = name.strip() or None
        return self._name

    @property
    def bad_index(self) -> bool:
        """NVML works but has no GPU with our index (a user's --device out of range)."""
        return self.device_count is not None and not 0 <= self.index < self.device_count

    @property
    def is_nvgpu(self) -> bool:
        return self._name is not None and "nvgpu" in self._name.lower()

    def memory_mib(self) -> tuple[float, float, float] | None:
        """(used, total, free) in MiB; v2 struct where available."""
        self._nvgpu_guard()
        info: Any = None
        v2 = getattr(self._nvml, "nvmlMemory_v2", None)
        if v2 is not None and self._v2_works is not False:
            try:
                info = self._call("nvmlDeviceGetMemoryInfo", version=v2)
                if info is not None:
                    self._v2_works = True
                    self.memory_version = "v2"
            except (NotSupported, TypeError):
                # Old driver (no nvmlDeviceGetMemoryInfo_v2) or a binding without `version`.
                self._v2_works = False
        if info is None:
            info = self._call("nvmlDeviceGetMemoryInfo")
            if info is None:
                return None
            self.memory_version = "v1"
        total = float(info.total) / _MIB
        reserved = getattr(info, "reserved", None) if self.memory_version == "v2" else None
        self.memory_reserved_mib = None if reserved is None else float(reserved) / _MIB
        if total <= 0:
            raise NotSupported("NVML reports zero memory")
        return (float(info.used) / _MIB, total, float(info.free) / _MIB)

    def utilization_pct(self) -> tuple[float, float] | None:
        """(gpu, memory controller) in %, averaged over NVML's last sample period."""
        self._nvgpu_guard()
        rates = self._call("nvmlDeviceGetUtilizationRates")
        if rates is None:
            return None
        return (float(rates.gpu), float(rates.memory))

    def process_memory_mib(self) -> float | None:
        """GPU memory of our own process (by PID). None when our PID is not listed: no CUDA
        context yet, or a PID namespace (container) that hides host PIDs from us."""
        self._nvgpu_guard()
        seen = False
        total = 0.0
        for fname in ("nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses"):
            try:
                procs = self._call(fname)
            except NotSupported:
                if fname.endswith("ComputeRunningProcesses"):
                    raise
                continue
            for proc in procs or ():
                if getattr(proc, "pid", None) == self.pid:
                    used = getattr(proc, "usedGpuMemory", None)
                    if used is None:
                        continue
                    seen = True
                    total = max(total, float(used) / _MIB)  # a process in both lists counts once
        return total if seen else None

    def clock_mhz(self, which: str) -> float | None:
        """Current clock: which = "sm", "mem" or "graphics"."""
        self._nvgpu_guard()
        cname, default = _CLOCKS[which]
        value = self._call("nvmlDeviceGetClockInfo", self._const(cname, default))
        return float(value) if value else None  # 0 MHz is "no reading", not a clock

    def max_clock_mhz(self, which: str) -> float | None:
        """Maximum clock. It does not change while we run, and on an H100 this one call cost
        1.5 ms of a 2.1 ms sample (measured on the device), so it is re-read once a minute."""
        self._nvgpu_guard()
        key = f"max_clock.{which}"
        cached = self._static.get(key)
        now = self._clock()
        if cached is not None and now - cached[0] < STATIC_TTL_S:
            return cached[1]
        cname, default = _CLOCKS[which]
        value = self._call("nvmlDeviceGetMaxClockInfo", self._const(cname, default))
        if not value:
            return None
        self._static[key] = (now, float(value))
        return float(value)

    def power_w(self) -> float | None:
        """Board power draw in watts (None for no reading, 0 mW included)."""
        self._nvgpu_guard()
        mw = self._call("nvmlDeviceGetPowerUsage")
        return float(mw) / 1000.0 if mw else None

    def total_energy_mj(self) -> float | None:
        """NVML's total energy counter: millijoules since the driver loaded (Volta and newer;
        it updates every ~20-100 ms, so energy is taken as a difference over >= ~1 s)."""
        self._nvgpu_guard()
        mj = self._call("nvmlDeviceGetTotalEnergyConsumption")
        return None if mj is None else float(mj)

    def power_limit_w(self) -> float | None:
        """The enforced power limit in watts (None for no reading)."""
        self._nvgpu_guard()
        mw = self._call("nvmlDeviceGetEnforcedPowerLimit")
        return float(mw) / 1000.0 if mw else None

    def temperature_c(self) -> float | None:
        """GPU core temperature in °C."""
        self._nvgpu_guard()
        value = self._call("nvmlDeviceGetTemperature", self._const("NVML_TEMPERATURE_GPU", 0))
        return None if value is None else float(value)

    def reason_bits(self) -> tuple[tuple[str, int], ...]:
        """Word -> bit, from the binding's constants (new name, then old), else documented bits."""
        if self._reason_bits is None:
            table: list[tuple[str, int]] = []
            for word, bit in CLOCK_EVENT_REASONS:
                value: Any = None
                for prefix in ("nvmlClocksEventReason", "nvmlClocksThrottleReason"):
                    value = getattr(self._nvml, prefix + word, None)
                    if isinstance(value, int):
                        break
                table.append((word, value if isinstance(value, int) and value else bit))
            self._reason_bits = tuple(table)
        return self._reason_bits

    def clock_event_reasons(self) -> tuple[str, ...] | None:
        """Active clock-event (throttle) reasons as words; () when none."""
        self._nvgpu_guard()
        if not self.init():
            raise NotSupported(self.reason or "NVML unavailable")
        for fname in ("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"):
            if getattr(self._nvml, fname, None) is None:
                continue
            mask = self._call(fname)
            if mask is None:
                return None
            return decode_reasons(int(mask), self.reason_bits())
        raise NotSupported("this pynvml has no clock-event-reasons call")

    def pcie_gen(self) -> int | None:
        """Current PCIe link generation (None for no reading)."""
        self._nvgpu_guard()
        value = self._call("nvmlDeviceGetCurrPcieLinkGeneration")
        return int(value) if value else None

    def pcie_width(self) -> int | None:
        """Current PCIe link width in lanes (None for no reading)."""
        self._nvgpu_guard()
        value = self._call("nvmlDeviceGetCurrPcieLinkWidth")
        return int(value) if value else None
