"""The tuner's build child measures a built engine with the live run's code (gpu/build/build_measure.py
`measure`): the same worker, engine adapter, buffers and inference loop as `trtui profile ENGINE`, here
over the runtime fakes (virtual GPU clock). A spy on InferenceLoop shows that both go through it, and
the same fake engine gives the same median both ways."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rt_fakes as fk

import trtui.gpu.runtime.cuda_check as cuda_check
import trtui.gpu.runtime.cuda_graphs as cuda_graphs
import trtui.gpu.runtime.engine_session as engine_session
import trtui.gpu.runtime.trt_module as trt_module
import trtui.gpu.runtime.worker as worker_mod
from trtui.common.errors import MissingDependency, UserError
from trtui.core.options import RunOptions
from trtui.gpu.build import build_measure
from trtui.gpu.runtime.cuda_check import DeviceFacts
from trtui.gpu.runtime.loop import InferenceLoop
from trtui.sources.engine import open_engine_source


class Logger:
    def log(self, severity: Any, msg: str) -> None:
        pass


class SpyLoop(InferenceLoop):
    made: list[InferenceLoop] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        SpyLoop.made.append(self)


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> fk.FakeGraphs:
    fk.reset()
    SpyLoop.made = []
    graphs = fk.FakeGraphs()
    facts = DeviceFacts(0, "Fake H100", (9, 0), 80 << 30, "13.0")
    monkeypatch.setattr(cuda_check, "check_cuda_device", lambda index=0: facts)
    lean = trt_module.TrtModule("tensorrt_lean_bindings", fk.FakeTrt, "11.4.0.106")  # type: ignore[arg-type]
    monkeypatch.setattr(trt_module, "load_trt_module", lambda names=(): lean)
    monkeypatch.setattr(worker_mod, "PycudaPlatform", lambda device=0: fk.FakePlatform())
    monkeypatch.setattr(cuda_graphs, "CudaGraphs", lambda: graphs)
    monkeypatch.setattr(engine_session, "InferenceLoop", SpyLoop)
    return graphs


def live_latencies(path: Path, seconds: float) -> list[float]:
    """`trtui profile ENGINE`'s source, as the GPU process runs it."""
    src = open_engine_source(path, RunOptions())
    src.start()
    got: list[float] = []
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got.extend(src.read(0.05).latencies_ms.tolist())
    finally:
        src.stop()
    return got


def test_the_tuner_and_the_live_run_time_an_engine_with_the_same_loop(
    tmp_path: Path, fake_gpu: fk.FakeGraphs
) -> None:
    plan = fk.plan(layer_ms=[0.25, 0.125, 0.5])
    result = build_measure.measure(fk.FakeTrt, Logger(), plan, {}, 0, seconds=0.1)
    assert result["latency_ms"] == pytest.approx(0.875)
    assert result["io_bytes"] == 1 * 3 * 8 * 8 * 4 + 10 * 4  # the live run's buffers: FP32 1x3x8x8, 1x10
    assert result["device_memory_bytes"] == 1 << 20
    assert result["weights_bytes"] is None and "note" not in result  # the lean fake has no engine stats
    (tuner_loop,) = SpyLoop.made
    assert tuner_loop.config.profile_every == 0 and tuner_loop.config.use_graphs
    assert tuner_loop.stats.graph_captures == 1 and tuner_loop.stats.iterations >= build_measure.MIN_SAMPLES
    assert fake_gpu.launches >= tuner_loop.stats.iterations  # the timed inferences replayed the graph
    # the live run of the same engine: the same loop class, the same median
    path = tmp_path / "m.engine"
    path.write_bytes(plan)
    live = live_latencies(path, 0.3)
    assert len(SpyLoop.made) == 2 and SpyLoop.made[1] is not tuner_loop
    assert len(live) > 10
    assert float(np.median(live)) == pytest.approx(result["latency_ms"], abs=1e-4)


def test_the_measurement_frees_everything_it_made(fake_gpu: fk.FakeGraphs) -> None:
    build_measure.measure(fk.FakeTrt, Logger(), fk.plan(), {}, 0, seconds=0.05)
    assert fk.ALLOCATIONS and all(a.freed for a in fk.ALLOCATIONS)
    assert fake_gpu.live == 0
    assert fk.JOURNAL[0] == "push" and fk.JOURNAL[-1] == "pop"


def test_shapes_of_a_dynamic_input_come_from_the_build(fake_gpu: fk.FakeGraphs) -> None:
    spec = {"inputs": [{"name": "input", "dtype": "HALF", "shape": [-1, 3, 8, 8], "min": [1, 3, 8, 8],
                        "opt": [2, 3, 8, 8], "max": [4, 3, 8, 8]}],
            "outputs": [{"name": "output", "dtype": "HALF", "shape": [-1, 10], "follow": "input"}]}
    shapes = {"input": (4, 3, 8, 8)}
    result = build_measure.measure(fk.FakeTrt, Logger(), fk.plan(**spec), shapes, 0, seconds=0.05)
    assert result["io_bytes"] == 4 * 3 * 8 * 8 * 2 + 4 * 10 * 2
    assert result["latency_ms"] == pytest.approx(0.6)


def test_an_engine_that_cannot_be_captured_is_timed_without_graphs_and_says_so(
    fake_gpu: fk.FakeGraphs,
) -> None:
    result = build_measure.measure(fk.FakeTrt, Logger(), fk.plan(no_graph=True), {}, 0, seconds=0.05)
    assert result["latency_ms"] == pytest.approx(0.6)
    assert result["note"] == "latency without CUDA graphs (capture failed)"


def test_a_failing_engine_loses_the_latency_but_not_the_sizes(fake_gpu: fk.FakeGraphs) -> None:
    result = build_measure.measure(fk.FakeTrt, Logger(), fk.plan(fail_after=0), {}, 0, seconds=0.05)
    assert result["latency_ms"] is None and result["device_memory_bytes"] == 1 << 20
    assert result["note"].startswith("latency not measured: the first inference failed on stream 0")
    assert all(a.freed for a in fk.ALLOCATIONS)


def test_a_first_inference_that_fails_is_one_line_for_the_live_run_too(
    tmp_path: Path, fake_gpu: fk.FakeGraphs
) -> None:
    path = tmp_path / "m.engine"
    path.write_bytes(fk.plan(fail_after=0))
    src = open_engine_source(path, RunOptions())
    with pytest.raises(UserError, match=r"^the first inference failed on stream 0: enqueue returned False$"):
        src.start()
    src.stop()
    assert all(a.freed for a in fk.ALLOCATIONS)


def test_without_pycuda_tensorrt_still_gives_the_sizes(
    fake_gpu: fk.FakeGraphs, monkeypatch: pytest.MonkeyPatch
) -> None:
    class NoPycuda:
        def enter(self) -> Any:
            raise MissingDependency("pycuda is not installed or does not load: pip install \"trtui[gpu]\"")

        def exit(self) -> None:
            pass

    monkeypatch.setattr(worker_mod, "PycudaPlatform", lambda device=0: NoPycuda())
    result = build_measure.measure(fk.FakeTrt, Logger(), fk.plan(ctx_memory=3 << 20), {}, 0, seconds=0.05)
    assert (result["latency_ms"], result["io_bytes"], result["device_memory_bytes"]) == (None, None, 3 << 20)
    assert result["note"].startswith("latency not measured: pycuda is not installed")
    assert SpyLoop.made == []


def test_a_plan_that_does_not_load_is_said(fake_gpu: fk.FakeGraphs) -> None:
    result = build_measure.measure(fk.FakeTrt, Logger(), b"not a plan", {}, 0, seconds=0.05)
    assert result["latency_ms"] is None and result["device_memory_bytes"] is None
    assert result["note"].startswith("latency not measured: ")
    assert result["note"].endswith("; the built engine did not load")
