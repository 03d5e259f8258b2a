"""--kernels through EngineSource (fake GPU, fake TensorRT): the tracer opens before TensorRT
loads, profiled inferences carry its captures, it is closed at stop; without cupti-python one
notice says so and the run goes on."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
import rt_fakes as fk

import trtui.gpu.runtime.cuda_check as cuda_check
import trtui.gpu.runtime.cuda_graphs as cuda_graphs
import trtui.gpu.runtime.cupti_tracer as cupti_tracer
import trtui.gpu.runtime.trt_module as trt_module
import trtui.gpu.runtime.worker as worker_mod
from trtui.core.kernel_records import KernelCapture, KernelRecord
from trtui.core.model import SourceBatch
from trtui.core.options import RunOptions
from trtui.gpu.runtime.cuda_check import DeviceFacts
from trtui.sources.engine import open_engine_source

ORDER: list[str] = []


class Tracer:
    def __init__(self) -> None:
        self.n = 0
        self.closed = False

    def begin(self) -> None:
        ORDER.append("begin")

    def end(self) -> None:
        ORDER.append("end")

    def collect(self) -> KernelCapture | None:
        self.n += 1
        return KernelCapture((KernelRecord("k", 0, 5, 1, self.n),))

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    fk.reset()
    ORDER.clear()
    facts = DeviceFacts(0, "Fake H100", (9, 0), 80 << 30, "13.0")
    monkeypatch.setattr(cuda_check, "check_cuda_device", lambda index=0: facts)
    lean = trt_module.TrtModule("tensorrt_lean_bindings", fk.FakeTrt, "11.4.0.106")  # type: ignore[arg-type]

    def load(names: Any = ()) -> Any:
        ORDER.append("tensorrt")
        return lean

    monkeypatch.setattr(trt_module, "load_trt_module", load)
    monkeypatch.setattr(worker_mod, "PycudaPlatform", lambda device=0: fk.FakePlatform())
    monkeypatch.setattr(cuda_graphs, "CudaGraphs", fk.FakeGraphs)


def run_until_profiled(src: Any, count: int = 3) -> list[SourceBatch]:
    got: list[SourceBatch] = []
    deadline = time.time() + 5
    while time.time() < deadline and sum(len(b.profiled) for b in got) < count:
        got.append(src.read(0.05))
    return got


def test_profiled_inferences_carry_kernel_captures(
    tmp_path: Path, fake_gpu: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracer = Tracer()

    def opened() -> tuple[Tracer, list[str]]:
        ORDER.append("tracer")
        return tracer, []

    monkeypatch.setattr(cupti_tracer, "open_kernel_tracer", opened)
    path = tmp_path / "m.engine"
    path.write_bytes(fk.plan())
    src = open_engine_source(path, RunOptions(profile_every=2, kernels=True))
    src.start()
    try:
        assert "kernels (CUPTI)" in (src.info.mode or "")
        got = run_until_profiled(src)
    finally:
        src.stop()
    its = [p for b in got for p in b.profiled]
    assert len(its) >= 3 and all(it.kernels is not None for it in its)
    assert ORDER.index("tracer") < ORDER.index("tensorrt")  # NVTX injection before TensorRT
    # the timed context emits no NVTX ranges (nothing for CUPTI to do there); the profiled one does
    assert [e for e in fk.JOURNAL if e.startswith("nvtx")] == ["nvtx0=NONE"]
    assert tracer.closed


def test_without_cupti_python_one_notice_and_the_run_goes_on(
    tmp_path: Path, fake_gpu: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cupti", None)
    path = tmp_path / "m.engine"
    path.write_bytes(fk.plan())
    src = open_engine_source(path, RunOptions(profile_every=2, kernels=True))
    src.start()
    try:
        got = run_until_profiled(src)
    finally:
        src.stop()
    assert "kernels" not in (src.info.mode or "")
    assert not [e for e in fk.JOURNAL if e.startswith("nvtx")]
    notes = [n for b in got for n in b.notices if "kernels are off" in n]
    assert len(notes) == 1 and "cupti-python" in notes[0]
    its = [p for b in got for p in b.profiled]
    assert len(its) >= 3 and all(it.kernels is None for it in its)
    assert sum(b.latencies_ms.size for b in got) > 0
