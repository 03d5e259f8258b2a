"""EngineSource end to end with fakes behind the real start() sequence: GPU check, module detection,
worker, read/merge, pause, stop."""

from __future__ import annotations

import ctypes
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rt_fakes as fk

import trtui.gpu.runtime.cuda_check as cuda_check
import trtui.gpu.runtime.cuda_graphs as cuda_graphs
import trtui.gpu.runtime.trt_module as trt_module
import trtui.gpu.runtime.worker as worker_mod
from trtui.common.errors import MissingDependency, NoGpu, UserError
from trtui.core.model import SourceBatch
from trtui.core.options import RunOptions
from trtui.gpu.runtime.cuda_check import DeviceFacts
from trtui.sources.engine import open_engine_source
from trtui.sources.merge import merge_batches


@pytest.fixture(autouse=True)
def _reset() -> None:
    fk.reset()


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = DeviceFacts(0, "Fake H100", (9, 0), 80 << 30, "13.0")
    monkeypatch.setattr(cuda_check, "check_cuda_device", lambda index=0: facts)
    lean = trt_module.TrtModule("tensorrt_lean_bindings", fk.FakeTrt, "11.4.0.106")  # type: ignore[arg-type]
    monkeypatch.setattr(trt_module, "load_trt_module", lambda names=(): lean)
    monkeypatch.setattr(worker_mod, "PycudaPlatform", lambda device=0: fk.FakePlatform())
    monkeypatch.setattr(cuda_graphs, "CudaGraphs", fk.FakeGraphs)


def engine(tmp_path: Path, **spec: Any) -> Path:
    p = tmp_path / "m.engine"
    p.write_bytes(fk.plan(**spec))
    return p


def test_start_read_pause_stop(tmp_path: Path, fake_gpu: None) -> None:
    src = open_engine_source(engine(tmp_path), RunOptions(profile_every=2))
    assert src.info.device is None  # known only after start
    src.start()
    try:
        assert src.info.device == "Fake H100" and src.info.trt_module == "tensorrt_lean"
        assert "CUDA graph on" in (src.info.mode or "")
        got: list[SourceBatch] = []
        deadline = time.time() + 5
        while time.time() < deadline and (sum(b.latencies_ms.size for b in got) < 50 or
                                           not any(b.profiled for b in got)):
            got.append(src.read(0.05))
        assert sum(b.latencies_ms.size for b in got) >= 50 and any(b.profiled for b in got)
        assert sum(b.timing_wall_s for b in got) > 0
        src.set_paused(True)
        src.read(0.1)
        time.sleep(0.05)
        quiet = src.read(0.0)
        time.sleep(0.1)
        assert src.read(0.0).latencies_ms.size == 0, quiet
        src.set_paused(False)
        deadline = time.time() + 5
        n = 0
        while n == 0 and time.time() < deadline:
            n = src.read(0.05).latencies_ms.size
        assert n > 0
    finally:
        src.stop()
        src.stop()
    last = src.read(0.1)
    assert last.finished and last.error is None
    assert src.read(0.0).finished  # stays finished
    assert fk.JOURNAL[-1] == "pop"


def test_load_failure_is_raised_by_start(tmp_path: Path, fake_gpu: None) -> None:
    src = open_engine_source(engine(tmp_path, fail=True, log=[[1, "expecting compute 8.9 got compute 9.0"]]),
                             RunOptions())
    with pytest.raises(UserError) as info:  # UserError
        src.start()
    assert "built for another GPU (built for compute 8.9, this GPU is compute 9.0)" in str(info.value)
    src.stop()
    assert fk.JOURNAL[-1] == "pop"


def test_no_driver_is_reported_before_tensorrt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_lib(name: str, *a: Any, **k: Any) -> Any:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(cuda_check.ctypes, "CDLL", no_lib)
    monkeypatch.setattr(trt_module, "load_trt_module", lambda names=(): pytest.fail("TensorRT touched first"))
    src = open_engine_source(engine(tmp_path), RunOptions())
    with pytest.raises(NoGpu, match="no NVIDIA driver found"):
        src.start()
    src.stop()


class FakeLibcuda:
    def __init__(self, init: int = 0, count: int = 1) -> None:
        self.init, self.count = init, count

    def cuInit(self, flags: int) -> int:
        return self.init

    def cuDeviceGetCount(self, ptr: Any) -> int:
        ctypes.cast(ptr, ctypes.POINTER(ctypes.c_int))[0] = self.count
        return 0

    def cuDeviceGet(self, ptr: Any, index: int) -> int:
        return 0

    def cuDeviceGetName(self, buf: Any, n: int, dev: Any) -> int:
        buf.value = b"NVIDIA Fake"
        return 0

    def cuDeviceGetAttribute(self, ptr: Any, attr: int, dev: Any) -> int:
        ctypes.cast(ptr, ctypes.POINTER(ctypes.c_int))[0] = 9 if attr == 75 else 0
        return 0

    def cuDeviceTotalMem_v2(self, ptr: Any, dev: Any) -> int:
        ctypes.cast(ptr, ctypes.POINTER(ctypes.c_size_t))[0] = 80 << 30
        return 0

    def cuDriverGetVersion(self, ptr: Any) -> int:
        ctypes.cast(ptr, ctypes.POINTER(ctypes.c_int))[0] = 13000
        return 0


@pytest.mark.parametrize(
    ("lib", "fragment"),
    [
        (FakeLibcuda(init=100), "no CUDA-capable device is detected"),
        (FakeLibcuda(init=35), "driver is older"),
        (FakeLibcuda(count=0), "reports no CUDA device"),
    ],
)
def test_unusable_gpu(monkeypatch: pytest.MonkeyPatch, lib: FakeLibcuda, fragment: str) -> None:
    monkeypatch.setattr(cuda_check, "_load_libcuda", lambda: lib)
    with pytest.raises(NoGpu, match=fragment):
        cuda_check.check_cuda_device(0)


def test_device_facts_and_bad_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cuda_check, "_load_libcuda", lambda: FakeLibcuda(count=2))
    facts = cuda_check.check_cuda_device(1)
    assert (facts.name, facts.compute_capability, facts.total_memory, facts.driver_version) == (
        "NVIDIA Fake", (9, 0), 80 << 30, "13.0")
    with pytest.raises(UserError, match="--device 2 does not exist: this machine has 2"):
        cuda_check.check_cuda_device(2)


def test_module_detection_prefers_full_then_lean(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module
    available = {"tensorrt_lean_bindings": fk.FakeTrt}

    def fake_import(name: str, package: str | None = None) -> Any:
        if name in available:
            return available[name]
        if name in trt_module.MODULE_NAMES:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return real(name, package)

    monkeypatch.setattr(trt_module.importlib, "import_module", fake_import)
    m = trt_module.load_trt_module()
    assert (m.name, m.display_name, m.version, m.lean, m.has_inspector) == (
        "tensorrt_lean_bindings", "tensorrt_lean", "11.4.0.106", True, False)

    class Full(fk.FakeTrt):
        __version__ = "10.3.0.26"
        Builder = object
        EngineInspector = object

    available["tensorrt"] = Full
    m = trt_module.load_trt_module()
    assert (m.name, m.version, m.lean, m.has_inspector) == ("tensorrt", "10.3.0.26", False, True)

    available.clear()
    with pytest.raises(MissingDependency, match="TensorRT is not installed"):
        trt_module.load_trt_module()


def test_broken_install_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str, package: str | None = None) -> Any:
        if name == "tensorrt":
            raise ImportError("libnvinfer.so.10: cannot open shared object file")
        raise ModuleNotFoundError(f"No module named '{name}'", name=name)

    monkeypatch.setattr(trt_module.importlib, "import_module", broken)
    with pytest.raises(MissingDependency, match=r"tensorrt: libnvinfer\.so\.10: cannot open"):
        trt_module.load_trt_module()


def test_real_lean_bindings_are_detected() -> None:
    """The lean wheel in the dev venv imports without a GPU; detection must find it."""
    pytest.importorskip("tensorrt_lean_bindings")
    m = trt_module.load_trt_module(("tensorrt_lean", "tensorrt_lean_bindings"))
    assert m.name == "tensorrt_lean_bindings" and m.lean and not m.has_inspector
    assert m.version.startswith("11.")


def test_merge_batches() -> None:
    a = SourceBatch(t=1.0, latencies_ms=np.array([1.0, 2.0]), latency_streams=np.array([0, 1]),
                    timing_wall_s=0.1, notices=("x",))
    b = SourceBatch(t=2.0, latencies_ms=np.array([3.0]), latency_streams=np.array([1]), timing_wall_s=0.2,
                    finished=True, error="boom")
    m = merge_batches([a, b], 3.0)
    assert m.t == 2.0 and m.latencies_ms.tolist() == [1.0, 2.0, 3.0]
    assert m.latency_streams is not None and m.latency_streams.tolist() == [0, 1, 1]
    assert m.timing_wall_s == pytest.approx(0.3) and m.notices == ("x",)
    assert m.finished and m.error == "boom"
    assert merge_batches([], 5.0).t == 5.0
