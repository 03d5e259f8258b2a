"""A module-like fake of pynvml (nvidia-ml-py) for telemetry tests and the benchmark.

It mimics what trtui uses: NVMLError objects with a `.value` code, the v1/v2 memory structs,
both the new (`...ClocksEventReasons`) and old (`...ClocksThrottleReasons`) call and constant
names, and per-call NOT_SUPPORTED answers. Every call is counted in `calls`.
"""

from __future__ import annotations

import os
from collections import Counter
from types import SimpleNamespace
from typing import Any

MIB = 1024 * 1024

NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_TIMEOUT = 10
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_UNKNOWN = 999

_TEXT = {
    1: "Uninitialized",
    3: "Not Supported",
    4: "Insufficient Permissions",
    9: "Driver Not Loaded",
    10: "Timeout",
    12: "NVML Shared Library Not Found",
    13: "Function Not Found",
    15: "GPU is lost",
    999: "Unknown Error",
}

_REASONS = {
    "GpuIdle": 0x1,
    "ApplicationsClocksSetting": 0x2,
    "SwPowerCap": 0x4,
    "HwSlowdown": 0x8,
    "SyncBoost": 0x10,
    "SwThermalSlowdown": 0x20,
    "HwThermalSlowdown": 0x40,
    "HwPowerBrakeSlowdown": 0x80,
    "DisplayClockSetting": 0x100,
}


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return _TEXT.get(self.value, f"NVML Error with code {self.value}")


class FakeNvml:
    """values: what each call returns; errors: call name -> NVML error code it raises.

    new_names: the binding has the `ClocksEvent` names (else only `ClocksThrottle`).
    binding_v2: the binding has `nvmlMemory_v2`; driver_v2: the "driver" has the _v2 entry point.
    """

    NVML_CLOCK_GRAPHICS = 0
    NVML_CLOCK_SM = 1
    NVML_CLOCK_MEM = 2
    NVML_TEMPERATURE_GPU = 0
    NVML_ERROR_NOT_SUPPORTED = NVML_ERROR_NOT_SUPPORTED
    NVMLError = NVMLError

    def __init__(
        self,
        values: dict[str, Any] | None = None,
        errors: dict[str, int] | None = None,
        *,
        init_error: int | None = None,
        count: int = 1,
        new_names: bool = True,
        binding_v2: bool = True,
        driver_v2: bool = True,
    ) -> None:
        self.values = dict(values or {})
        self.errors = dict(errors or {})
        self.init_error = init_error
        self.count = count
        self.driver_v2 = driver_v2
        self.calls: Counter[str] = Counter()
        self.initialised = False
        self.shutdowns = 0
        if binding_v2:
            self.nvmlMemory_v2 = 0x02000028
        prefixes = ["nvmlClocksThrottleReason"] + (["nvmlClocksEventReason"] if new_names else [])
        for prefix in prefixes:
            for word, bit in _REASONS.items():
                setattr(self, prefix + word, bit)
        if not new_names:
            self.nvmlDeviceGetCurrentClocksEventReasons = None

    # ---- lifecycle ----
    def nvmlInit(self) -> None:
        self.calls["nvmlInit"] += 1
        if self.init_error is not None:
            raise NVMLError(self.init_error)
        self.initialised = True

    def nvmlShutdown(self) -> None:
        self.shutdowns += 1
        self.initialised = False

    def nvmlDeviceGetCount(self) -> int:
        return self.count

    def nvmlDeviceGetHandleByIndex(self, index: int) -> Any:
        return SimpleNamespace(index=index)

    # ---- per-device calls ----
    def _answer(self, fname: str, key: str | None = None) -> Any:
        """Count the call `fname`; answer from values[key] (key defaults to fname)."""
        self.calls[fname] += 1
        key = key or fname
        if not self.initialised:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)
        code = self.errors.get(key)
        if code is not None:
            raise NVMLError(code)
        if key not in self.values:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return self.values[key]

    def nvmlDeviceGetName(self, handle: Any) -> Any:
        return self._answer("nvmlDeviceGetName")

    def nvmlDeviceGetMemoryInfo(self, handle: Any, version: int | None = None) -> Any:
        if version:
            if not self.driver_v2:
                self.calls["nvmlDeviceGetMemoryInfo_v2"] += 1
                raise NVMLError(NVML_ERROR_FUNCTION_NOT_FOUND)
            v1 = self._answer("nvmlDeviceGetMemoryInfo_v2", "nvmlDeviceGetMemoryInfo")
            reserved = self.values.get("reserved_bytes", 0)
            return SimpleNamespace(
                version=version, total=v1.total, reserved=reserved, free=v1.free, used=v1.used - reserved
            )
        return self._answer("nvmlDeviceGetMemoryInfo")

    def nvmlDeviceGetUtilizationRates(self, handle: Any) -> Any:
        gpu, mem = self._answer("nvmlDeviceGetUtilizationRates")
        return SimpleNamespace(gpu=gpu, memory=mem)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: Any) -> Any:
        return [
            SimpleNamespace(pid=p, usedGpuMemory=m)
            for p, m in self._answer("nvmlDeviceGetComputeRunningProcesses")
        ]

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle: Any) -> Any:
        return [
            SimpleNamespace(pid=p, usedGpuMemory=m)
            for p, m in self._answer("nvmlDeviceGetGraphicsRunningProcesses")
        ]

    def nvmlDeviceGetClockInfo(self, handle: Any, kind: int) -> Any:
        return self._answer("nvmlDeviceGetClockInfo")[kind]

    def nvmlDeviceGetMaxClockInfo(self, handle: Any, kind: int) -> Any:
        return self._answer("nvmlDeviceGetMaxClockInfo")[kind]

    def nvmlDeviceGetPowerUsage(self, handle: Any) -> Any:
        return self._answer("nvmlDeviceGetPowerUsage")

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: Any) -> Any:
        """mJ since "driver load": a number, or a callable (for a counter that advances)."""
        value = self._answer("nvmlDeviceGetTotalEnergyConsumption")
        return value() if callable(value) else value

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: Any) -> Any:
        return self._answer("nvmlDeviceGetEnforcedPowerLimit")

    def nvmlDeviceGetTemperature(self, handle: Any, sensor: int) -> Any:
        return self._answer("nvmlDeviceGetTemperature")

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle: Any) -> Any:
        return self._answer("nvmlDeviceGetCurrentClocksEventReasons")

    def nvmlDeviceGetCurrentClocksThrottleReasons(self, handle: Any) -> Any:
        return self._answer(
            "nvmlDeviceGetCurrentClocksThrottleReasons", "nvmlDeviceGetCurrentClocksEventReasons"
        )

    def nvmlDeviceGetCurrPcieLinkGeneration(self, handle: Any) -> Any:
        return self._answer("nvmlDeviceGetCurrPcieLinkGeneration")

    def nvmlDeviceGetCurrPcieLinkWidth(self, handle: Any) -> Any:
        return self._answer("nvmlDeviceGetCurrPcieLinkWidth")


def memory(total_mib: float, used_mib: float) -> SimpleNamespace:
    total, used = int(total_mib * MIB), int(used_mib * MIB)
    return SimpleNamespace(total=total, used=used, free=total - used)


# ---- profiles ---------------------------------------------------------------------------------
# An H100 SXM at work: v1 "used" includes 527 MiB reserved, v2 does not.
H100_PID_OTHER = 999_999


def h100(pid: int | None = None, **overrides: Any) -> FakeNvml:
    own = os.getpid() if pid is None else pid
    values: dict[str, Any] = {
        "nvmlDeviceGetName": "NVIDIA H100 80GB HBM3",
        "nvmlDeviceGetMemoryInfo": memory(81559.0, 1024.0 + 527.0),
        "reserved_bytes": 527 * MIB,
        "nvmlDeviceGetUtilizationRates": (87, 41),
        "nvmlDeviceGetComputeRunningProcesses": [(H100_PID_OTHER, 10240 * MIB), (own, 312 * MIB)],
        "nvmlDeviceGetGraphicsRunningProcesses": [],
        "nvmlDeviceGetClockInfo": {0: 1755, 1: 1755, 2: 2619},
        "nvmlDeviceGetMaxClockInfo": {0: 1980, 1: 1980, 2: 2619},
        "nvmlDeviceGetPowerUsage": 312456,
        "nvmlDeviceGetEnforcedPowerLimit": 700000,
        "nvmlDeviceGetTotalEnergyConsumption": 123_456_789,
        "nvmlDeviceGetTemperature": 61,
        "nvmlDeviceGetCurrentClocksEventReasons": 0x4 | 0x40,
        "nvmlDeviceGetCurrPcieLinkGeneration": 5,
        "nvmlDeviceGetCurrPcieLinkWidth": 16,
    }
    values.update(overrides.pop("values", {}))
    return FakeNvml(values, **overrides)


def orin_nvgpu() -> FakeNvml:
    """Jetson Orin (nvgpu stack, JetPack 6 and 7.2): the GPU enumerates, numbers are zeros or
    NOT_SUPPORTED."""
    return FakeNvml(
        {
            "nvmlDeviceGetName": "Orin (nvgpu)",
            "nvmlDeviceGetUtilizationRates": (0, 0),
            "nvmlDeviceGetMemoryInfo": memory(0, 0),
            "nvmlDeviceGetComputeRunningProcesses": [],
        }
    )


def thor(pid: int | None = None) -> FakeNvml:
    """Jetson Thor (nvidia.ko): utilization and processes work; memory, clocks, power,
    temperature, reasons and PCIe answer NOT_SUPPORTED."""
    own = os.getpid() if pid is None else pid
    return FakeNvml(
        {
            "nvmlDeviceGetName": "NVIDIA Thor",
            "nvmlDeviceGetUtilizationRates": (37, 12),
            "nvmlDeviceGetComputeRunningProcesses": [(own, 2048 * MIB)],
            "nvmlDeviceGetGraphicsRunningProcesses": [],
        }
    )


def no_driver() -> FakeNvml:
    return FakeNvml(init_error=NVML_ERROR_LIBRARY_NOT_FOUND)
