"""NvmlDevice against the fake NVML: v2 memory, old/new reason names, error classes, our PID."""

from __future__ import annotations

import os
from typing import Any

import pytest
import telemetry_fake_nvml as fake

from trtui.common.not_supported import NotSupported
from trtui.core.clock_reasons import decode_reasons, slowdown_reasons
from trtui.gpu import nvml as nvml_mod
from trtui.gpu.nvml import NvmlDevice


def test_no_driver() -> None:
    dev = NvmlDevice(fake.no_driver())
    assert not dev.init()
    assert dev.reason is not None and "no NVIDIA driver" in dev.reason
    with pytest.raises(NotSupported):
        dev.name()
    with pytest.raises(NotSupported):
        dev.memory_mib()


def test_pynvml_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> Any:
        raise ImportError("No module named 'pynvml'")

    monkeypatch.setattr(nvml_mod, "load_pynvml", missing)
    dev = NvmlDevice()
    assert not dev.init()
    assert dev.reason is not None and "no NVIDIA driver" in dev.reason and "nvidia-ml-py" in dev.reason


def test_memory_prefers_v2() -> None:
    nv = fake.h100()
    dev = NvmlDevice(nv)
    used, total, free = dev.memory_mib()  # type: ignore[misc]
    assert (used, total, free) == (1024.0, 81559.0, 81559.0 - 1551.0)
    assert dev.memory_version == "v2"
    assert nv.calls["nvmlDeviceGetMemoryInfo_v2"] == 1 and nv.calls["nvmlDeviceGetMemoryInfo"] == 0


def test_memory_v1_when_the_binding_has_no_v2() -> None:
    dev = NvmlDevice(fake.h100(binding_v2=False))
    used, _total, _free = dev.memory_mib()  # type: ignore[misc]
    assert used == 1551.0  # v1 "used" includes the reserved memory
    assert dev.memory_version == "v1"


def test_memory_v1_when_the_driver_has_no_v2_and_v2_is_not_retried() -> None:
    nv = fake.h100(driver_v2=False)
    dev = NvmlDevice(nv)
    assert dev.memory_mib() is not None and dev.memory_version == "v1"
    assert dev.memory_mib() is not None
    assert nv.calls["nvmlDeviceGetMemoryInfo_v2"] == 1
    assert nv.calls["nvmlDeviceGetMemoryInfo"] == 2


def test_reasons_with_new_and_old_names() -> None:
    new = fake.h100()
    assert NvmlDevice(new).clock_event_reasons() == ("SwPowerCap", "HwThermalSlowdown")
    assert new.calls["nvmlDeviceGetCurrentClocksEventReasons"] == 1
    old = fake.h100(new_names=False)
    assert NvmlDevice(old).clock_event_reasons() == ("SwPowerCap", "HwThermalSlowdown")
    assert old.calls["nvmlDeviceGetCurrentClocksThrottleReasons"] == 1
    assert old.calls["nvmlDeviceGetCurrentClocksEventReasons"] == 0


def test_reasons_fall_back_to_documented_bits_without_constants() -> None:
    nv = fake.h100(values={"nvmlDeviceGetCurrentClocksEventReasons": 0x1 | 0x8 | 0x200})
    for prefix in ("nvmlClocksEventReason", "nvmlClocksThrottleReason"):
        for name in [n for n in vars(nv) if n.startswith(prefix)]:
            delattr(nv, name)
    assert NvmlDevice(nv).clock_event_reasons() == ("GpuIdle", "HwSlowdown", "0x200")


def test_decode_and_slowdown() -> None:
    assert decode_reasons(0) == ()
    assert decode_reasons(0x1 | 0x20 | 0x80) == ("GpuIdle", "SwThermalSlowdown", "HwPowerBrakeSlowdown")
    assert slowdown_reasons(("GpuIdle", "ApplicationsClocksSetting", "SwPowerCap")) == ("SwPowerCap",)
    assert slowdown_reasons(None) == ()


@pytest.mark.parametrize(
    "code", [fake.NVML_ERROR_TIMEOUT, fake.NVML_ERROR_GPU_IS_LOST, fake.NVML_ERROR_UNKNOWN]
)
def test_transient_errors_are_none(code: int) -> None:
    dev = NvmlDevice(fake.h100(errors={"nvmlDeviceGetTemperature": code}))
    assert dev.temperature_c() is None


@pytest.mark.parametrize(
    "code", [fake.NVML_ERROR_NOT_SUPPORTED, fake.NVML_ERROR_NO_PERMISSION, fake.NVML_ERROR_FUNCTION_NOT_FOUND]
)
def test_permanent_errors_are_not_supported(code: int) -> None:
    dev = NvmlDevice(fake.h100(errors={"nvmlDeviceGetPowerUsage": code}))
    with pytest.raises(NotSupported):
        dev.power_w()


def test_missing_call_in_binding_is_not_supported() -> None:
    nv = fake.h100()
    nv.nvmlDeviceGetCurrPcieLinkWidth = None  # type: ignore[assignment,method-assign]
    with pytest.raises(NotSupported):
        NvmlDevice(nv).pcie_width()


def test_own_process_memory() -> None:
    assert NvmlDevice(fake.h100()).process_memory_mib() == 312.0


def test_own_pid_not_listed_is_none_not_someone_elses_memory() -> None:
    """In a container without --pid=host the driver's (host) PIDs do not include ours."""
    dev = NvmlDevice(fake.h100(pid=os.getpid() + 100_000))
    assert dev.process_memory_mib() is None


def test_process_memory_unavailable_and_double_listing() -> None:
    own = os.getpid()
    nv = fake.h100(
        values={
            "nvmlDeviceGetComputeRunningProcesses": [(own, 200 * fake.MIB)],
            "nvmlDeviceGetGraphicsRunningProcesses": [(own, 200 * fake.MIB)],
        }
    )
    assert NvmlDevice(nv).process_memory_mib() == 200.0
    nv2 = fake.h100(values={"nvmlDeviceGetComputeRunningProcesses": [(own, None)]})
    assert NvmlDevice(nv2).process_memory_mib() is None


def test_nvgpu_stack_is_not_trusted_and_not_even_asked() -> None:
    nv = fake.orin_nvgpu()
    dev = NvmlDevice(nv)
    assert dev.name() == "Orin (nvgpu)"
    with pytest.raises(NotSupported):
        dev.utilization_pct()
    with pytest.raises(NotSupported):
        dev.memory_mib()
    assert nv.calls["nvmlDeviceGetUtilizationRates"] == 0


def test_zero_clock_and_power_are_no_reading() -> None:
    nv = fake.h100(values={"nvmlDeviceGetClockInfo": {0: 0, 1: 0, 2: 0}, "nvmlDeviceGetPowerUsage": 0})
    dev = NvmlDevice(nv)
    assert dev.clock_mhz("sm") is None
    assert dev.power_w() is None


def test_bytes_name_and_values() -> None:
    nv = fake.h100(values={"nvmlDeviceGetName": b"NVIDIA A100-SXM4-40GB"})
    dev = NvmlDevice(nv)
    assert dev.name() == "NVIDIA A100-SXM4-40GB"
    assert dev.power_limit_w() == 700.0
    assert dev.max_clock_mhz("sm") == 1980.0
    assert (dev.pcie_gen(), dev.pcie_width()) == (5, 16)
    assert dev.utilization_pct() == (87.0, 41.0)


def test_bad_index_and_shutdown() -> None:
    nv = fake.h100()
    dev = NvmlDevice(nv, index=3)
    assert not dev.init()
    assert dev.bad_index and dev.device_count == 1
    ok = NvmlDevice(nv)
    assert ok.init() and not ok.bad_index
    ok.close()
    assert nv.shutdowns >= 1


def test_max_clock_is_read_once_a_minute() -> None:
    """nvmlDeviceGetMaxClockInfo cost 1.5 ms of a 2.1 ms sample on an H100: it is cached."""
    now = [0.0]
    nv = fake.h100()
    dev = NvmlDevice(nv, clock=lambda: now[0])
    assert dev.max_clock_mhz("sm") == 1980.0
    now[0] = 30.0
    assert dev.max_clock_mhz("sm") == 1980.0
    assert nv.calls["nvmlDeviceGetMaxClockInfo"] == 1
    now[0] = 61.0
    nv.values["nvmlDeviceGetMaxClockInfo"] = {0: 1755, 1: 1755, 2: 2619}
    assert dev.max_clock_mhz("sm") == 1755.0
    assert nv.calls["nvmlDeviceGetMaxClockInfo"] == 2
