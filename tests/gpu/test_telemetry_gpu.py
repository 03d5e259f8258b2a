"""Telemetry on a real NVIDIA GPU: `trtui telemetry --json` returns numbers for the NVML metrics,
memory total matches NVML's own answer, and utilization rises under a synthetic busy kernel.

Skips without pynvml or a driver; the load test also skips without cuda-python and pycuda.
Run with: pytest -m gpu tests/gpu/test_telemetry_gpu.py -s (the -s shows what was measured)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gpu_support import nvml_or_skip, telemetry_json

pytestmark = pytest.mark.gpu

MIB = 1024 * 1024
CYCLES = 200_000_000  # about 0.1 s per launch at boost clocks
KERNEL = (
    'extern "C" __global__ void trtui_spin() {\n'
    "    long long start = clock64();\n"
    f"    while (clock64() - start < {CYCLES}LL) {{ }}\n"
    "}\n"
)


def _report(key: str, value: Any) -> None:
    print(f"TELEMETRY-GPU {key}: {json.dumps(value, default=str)}")


def test_cli_json_reports_nvml_numbers() -> None:
    nv = nvml_or_skip()
    handle = nv.nvmlDeviceGetHandleByIndex(0)
    total_mib = nv.nvmlDeviceGetMemoryInfo(handle).total / MIB
    data = telemetry_json()
    _report("cli_json", data)
    assert data["notice"] is None
    assert data["device_name"] and data["sources"]["device_name"] == "nvml"
    assert data["mem_total_mib"] == pytest.approx(total_mib, abs=1.0)
    # v2 "used" excludes the driver's reservation: an idle H100 reads 0 MiB used (as nvidia-smi).
    assert 0 <= data["mem_used_mib"] < data["mem_total_mib"]
    reserved = float(data["extra"].get("nvml_reserved_mib", 0.0))
    assert data["mem_used_mib"] + data["mem_free_mib"] + reserved == pytest.approx(
        data["mem_total_mib"], abs=2.0
    )
    for field in ("gpu_util_pct", "mem_util_pct"):
        assert 0.0 <= data[field] <= 100.0, field
    assert 100 < data["sm_clock_mhz"] <= data["sm_clock_max_mhz"] < 5000
    assert 100 < data["mem_clock_mhz"] < 20000
    assert 0 < data["power_w"] <= data["power_limit_w"] * 1.2
    assert 10 < data["temperature_c"] < 110
    assert isinstance(data["throttle_reasons"], list)
    if data["pcie_gen"] is not None:
        assert 1 <= data["pcie_gen"] <= 6 and data["pcie_width"] in (1, 2, 4, 8, 16, 32)
    for field in ("mem_total_mib", "gpu_util_pct", "sm_clock_mhz", "power_w", "temperature_c"):
        assert data["sources"][field].startswith("nvml"), field
    assert data["unified_memory"] is False


# ---- a busy kernel, through cuda-python or pycuda -------------------------------------------------
def _cuda_python_busy() -> Callable[[float, threading.Event], None] | None:
    try:
        from cuda.bindings import driver as cu
        from cuda.bindings import nvrtc
    except ImportError:
        return None
    import numpy as np

    def check(result: Any) -> Any:
        err = result[0]
        if int(err) != 0:
            raise RuntimeError(f"CUDA call failed: {err}")
        return result[1] if len(result) == 2 else result[1:]

    def run(seconds: float, started: threading.Event) -> None:
        check(cu.cuInit(0))
        dev = check(cu.cuDeviceGet(0))
        ctx = check(cu.cuDevicePrimaryCtxRetain(dev))
        check(cu.cuCtxSetCurrent(ctx))
        major = check(
            cu.cuDeviceGetAttribute(cu.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev)
        )
        minor = check(
            cu.cuDeviceGetAttribute(cu.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev)
        )
        sms = check(
            cu.cuDeviceGetAttribute(cu.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev)
        )
        prog = check(nvrtc.nvrtcCreateProgram(KERNEL.encode(), b"spin.cu", 0, [], []))
        opts = [f"--gpu-architecture=compute_{major}{minor}".encode()]
        err = nvrtc.nvrtcCompileProgram(prog, len(opts), opts)[0]
        if int(err) != 0:
            size = check(nvrtc.nvrtcGetProgramLogSize(prog))
            log = b" " * size
            nvrtc.nvrtcGetProgramLog(prog, log)
            raise RuntimeError(f"nvrtc: {log.decode(errors='replace')}")
        size = check(nvrtc.nvrtcGetPTXSize(prog))
        ptx = b" " * size
        check(nvrtc.nvrtcGetPTX(prog, ptx))
        ptx_arr = np.frombuffer(ptx, dtype=np.uint8)  # NUL-terminated: the size includes the NUL
        module = check(cu.cuModuleLoadData(ptx_arr.ctypes.data))
        func = check(cu.cuModuleGetFunction(module, b"trtui_spin"))
        ptr = check(cu.cuMemAlloc(256 * MIB))  # so that this process shows up with memory
        started.set()
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                check(cu.cuLaunchKernel(func, sms * 2, 1, 1, 128, 1, 1, 0, 0, 0, 0))
                check(cu.cuCtxSynchronize())
        finally:
            cu.cuMemFree(ptr)
            cu.cuModuleUnload(module)
            cu.cuDevicePrimaryCtxRelease(dev)

    return run


def _pycuda_busy() -> Callable[[float, threading.Event], None] | None:
    try:
        import pycuda.driver as drv
        from pycuda.compiler import SourceModule
    except ImportError:
        return None

    def run(seconds: float, started: threading.Event) -> None:
        drv.init()
        dev = drv.Device(0)
        ctx = dev.retain_primary_context()
        ctx.push()
        try:
            module = SourceModule(KERNEL, no_extern_c=True)
            func = module.get_function("trtui_spin")
            buf = drv.mem_alloc(256 * MIB)
            sms = dev.get_attribute(drv.device_attribute.MULTIPROCESSOR_COUNT)
            started.set()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                func(block=(128, 1, 1), grid=(sms * 2, 1))
                drv.Context.synchronize()
            buf.free()
            del func, module
        finally:
            drv.Context.pop()

    return run


@contextlib.contextmanager
def _busy(seconds: float) -> Iterator[threading.Event]:
    runner = _cuda_python_busy() or _pycuda_busy()
    if runner is None:
        pytest.skip("neither cuda-python nor pycuda is installed: no way to run a busy kernel")
    started = threading.Event()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            runner(seconds, started)
        except BaseException as err:  # reported in the test's thread
            errors.append(err)
            started.set()

    thread = threading.Thread(target=target, name="busy-kernel")
    thread.start()
    try:
        yield started
    finally:
        thread.join(seconds + 60)
    if errors:
        raise errors[0]


def test_utilization_rises_under_load_and_own_process_memory() -> None:
    nvml_or_skip()
    from trtui.sources.factory import gpu_telemetry

    with gpu_telemetry(tegrastats=None) as sampler:
        idle = []
        for _ in range(4):
            idle.append(sampler.sample().gpu_util_pct)
            time.sleep(0.25)
        busy: list[float | None] = []
        clocks: list[float | None] = []
        process_mem: list[float | None] = []
        costs_ms: list[float] = []
        with _busy(4.0) as started:
            assert started.wait(60)
            time.sleep(1.0)  # NVML averages utilization over its last period
            for _ in range(10):
                c0 = time.thread_time()
                s = sampler.sample()
                costs_ms.append((time.thread_time() - c0) * 1000)
                busy.append(s.gpu_util_pct)
                clocks.append(s.sm_clock_mhz)
                process_mem.append(s.process_mem_mib)
                time.sleep(0.25)
    _report("util_idle", idle)
    _report("util_busy", busy)
    _report("sm_clock_busy", clocks)
    _report("process_mem_mib_busy", process_mem)
    _report("sample_cpu_ms", costs_ms)
    assert all(v is not None for v in idle + busy)
    assert max(v for v in busy if v is not None) >= 50.0
    assert max(v for v in busy if v is not None) > min(v for v in idle if v is not None)
    # Our PID is in the driver's list only where PIDs are not namespaced (no container, or
    # --pid=host); otherwise the sampler must say None rather than report another process.
    seen = [m for m in process_mem if m is not None]
    _report("own_pid_visible", bool(seen))
    for m in seen:
        assert m >= 256.0
