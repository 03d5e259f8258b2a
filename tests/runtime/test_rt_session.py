"""The TensorRT adapter and the GPU worker against the fake TensorRT module and driver."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rt_fakes as fk

from trtui.common.errors import UserError
from trtui.core.model import SourceBatch
from trtui.core.options import RunOptions
from trtui.core.run_facts import worded
from trtui.gpu.runtime.cuda_check import DeviceFacts
from trtui.gpu.runtime.engine_session import EngineRequest, build_engine_session
from trtui.gpu.runtime.loop_types import LoopConfig
from trtui.gpu.runtime.trt_module import TrtModule
from trtui.gpu.runtime.worker import GpuWorker
from trtui.sources.merge import merge_batches

FACTS = DeviceFacts(index=0, name="Fake GPU", compute_capability=(9, 0), total_memory=80 << 30,
                    driver_version="13.0")
LEAN = TrtModule(name="tensorrt_lean_bindings", module=fk.FakeTrt, version="11.4.0.106")  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _reset() -> None:
    fk.reset()


def make_worker(plan: bytes, options: RunOptions | None = None, *, graphs: bool = True,
                driver: fk.FakeDriver | None = None, **cfg: Any) -> tuple[GpuWorker, fk.FakeGraphs]:
    opts = options or RunOptions()
    fake_graphs = fk.FakeGraphs()
    req = EngineRequest(
        plan=plan, path=Path("/models/m.engine"), options=opts, trt=LEAN, device=FACTS,
        graphs_factory=(lambda: fake_graphs) if graphs else None,
        loop_config=LoopConfig(**{"warmup_s": 0.0, "flush_s": 0.0, "use_graphs": opts.cuda_graph,
                                  "profile_every": opts.profile_every, "profile_budget": 1.0, **cfg}),
    )
    worker = GpuWorker(fk.FakePlatform(driver), lambda d, r, e: build_engine_session(req, d, r, e))
    return worker, fake_graphs


def run_for(worker: GpuWorker, seconds: float = 0.15) -> list[SourceBatch]:
    worker.start(timeout=10)
    time.sleep(seconds)
    worker.stop()
    out = []
    while not worker.out.empty():
        out.append(worker.out.get_nowait())
    return out


def start_error(plan: bytes, options: RunOptions | None = None, **kw: Any) -> str:
    worker, _ = make_worker(plan, options, **kw)
    with pytest.raises(UserError) as info:
        worker.start(timeout=10)
    assert not worker.alive
    return str(info.value)


def assert_clean_shutdown() -> None:
    """TensorRT objects go before CUDA memory, contexts before the engine before the runtime, and all
    of it before the context is popped."""
    j = fk.JOURNAL
    assert j[0] == "push" and j[-1] == "pop", j
    pop = len(j) - 1
    for i, ev in enumerate(j):
        if ev.startswith("context-"):
            assert i < j.index("engine-") if "engine-" in j else True
    if "engine-" in j:
        assert j.index("engine-") < j.index("runtime-")
    assert "runtime-" in j and j.index("runtime-") < pop
    created = [e for e in j if e.startswith("context+")]
    destroyed = [e for e in j if e.startswith("context-")]
    assert len(created) == len(destroyed)
    assert all(a.freed for a in fk.ALLOCATIONS)
    frees = [i for i, e in enumerate(j) if e.startswith("free")]
    assert all(i < pop for i in frees)
    streams_made = {e[len("stream+"):] for e in j if e.startswith("stream+")}
    streams_gone = [e for e in j if e.startswith("stream-") and e[len("stream-"):] in streams_made]
    assert len(streams_made) == len(streams_gone)
    assert all(j.index(e) < pop for e in streams_gone)


# ---------------------------------------------------------------- running


def test_runs_and_describes_itself() -> None:
    worker, graphs = make_worker(fk.plan(), profile_budget=0.2)
    out = run_for(worker)
    info = worker.info
    assert info is not None
    assert (info.kind, info.label, info.simulated) == ("engine", "m.engine", False)
    assert info.trt_module == "tensorrt_lean" and info.trt_version == "11.4.0.106"
    assert info.device == "Fake GPU"
    # the adapter gives facts; trtui.core.run_facts words them (the source does, in start())
    assert info.mode is None and info.facts is not None
    f = info.facts
    assert (f.profile_every, f.profile_time_cap, f.cuda_graphs, f.transfers) == (10, 0.2, True, False)
    assert f.streams == 1
    assert f.io_bytes == 1 * 3 * 8 * 8 * 4 + 10 * 4 and f.ultralytics is None
    assert worded(info).mode == "timing + profiling 1 in 10 (max 20% of time), CUDA graph on, no transfers"
    assert info.shapes == (("input", (1, 3, 8, 8)),)
    assert info.layers == ()  # the lean module has no engine inspector
    assert "input FP32 1x3x8x8" in info.extra["inputs"]
    batch = merge_batches(out, time.perf_counter())
    assert batch.finished and batch.error is None
    assert batch.latencies_ms.size > 10
    np.testing.assert_allclose(batch.latencies_ms, 0.6)  # the three layers: 0.3 + 0.1 + 0.2
    # one graph for the timed lane, one for the profiled inference (TensorRT records its per-layer
    # events inside it; report_to_profiler reads them after the launch)
    assert graphs.captures == 2 and graphs.live == 0
    assert f.profiled_graph is True and f.profiled_graph_off is None
    assert "TensorRT's own per-layer timing events" in worded(info).extra["profiler tax"]
    assert_clean_shutdown()


def test_profiled_inferences_replay_a_graph_and_still_report_every_layer() -> None:
    worker, _ = make_worker(fk.plan(), RunOptions(profile_every=2), profile_budget=1.0)
    out = run_for(worker, 0.3)
    batch = merge_batches(out, time.perf_counter())
    assert batch.error is None and len(batch.profiled) >= 5
    assert all(it.names == ("conv1 + relu", "pool", "fc") for it in batch.profiled)
    # after the cold run and the capture's check, every profiled inference was a graph launch
    assert fk.PROFILED_ENQUEUES.count(fk.PROFILED_ENQUEUES[0]) == 2
    assert worker.info is not None and worker.info.facts is not None and worker.info.facts.profiled_graph


def test_profiled_inference_falls_back_to_the_enqueue_when_a_graph_reports_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fk.FakeGraphs, "capture", lambda self, stream, work: {"cost": 0.1})  # no events
    worker, _ = make_worker(fk.plan(), RunOptions(profile_every=2), profile_budget=1.0)
    out = run_for(worker, 0.3)
    batch = merge_batches(out, time.perf_counter())
    assert batch.error is None and len(batch.profiled) >= 3
    assert any("runs without a CUDA graph: TensorRT reported no layer times" in n for n in batch.notices)
    f = worker.info.facts if worker.info is not None else None
    assert f is not None and f.profiled_graph is False
    assert "launch gaps" in worded(worker.info).extra["profiler tax"]  # type: ignore[arg-type]


def test_profiler_protocol() -> None:
    worker, _ = make_worker(fk.plan(layers=["a", "b", "c", "d"], layer_ms=[0.1, 0.2, 0.3, 0.4],
                                    skip_every={"c": 3}), RunOptions(profile_every=2),
                            graphs=False)  # enqueued each time: the fake's skipped layer varies per enqueue
    out = run_for(worker)
    its = [p for b in out for p in b.profiled]
    assert len(its) > 5
    full = [p for p in its if len(p.names) == 4]
    partial = [p for p in its if len(p.names) == 3]
    assert full and partial
    assert all(p.names == ("a", "b", "c", "d") for p in full)  # report order kept
    assert all(p.names == ("a", "b", "d") for p in partial)  # a missing layer is just absent
    np.testing.assert_allclose(full[0].times_ms, [0.1, 0.2, 0.3, 0.4])
    consecutive_full = [(x, y) for x, y in itertools.pairwise(its) if len(x.names) == len(y.names) == 4]
    assert consecutive_full and all(x.names is y.names for x, y in consecutive_full)  # same tuple object
    assert all(p.gpu_ms == pytest.approx(1.2) for p in full)  # the profiled run is slower ...
    lats = np.concatenate([b.latencies_ms for b in out])
    np.testing.assert_allclose(lats, 1.0)  # ... and never a latency
    # only the profiling context (created after the timing ones) ever had a profiler, never synchronously
    assert set(fk.PROFILED_ENQUEUES) == {1}
    assert fk.SYNC_PROFILED_ENQUEUES == []
    assert_clean_shutdown()


def test_index_names_when_built_without_layer_names() -> None:
    worker, _ = make_worker(fk.plan(index_names=True, verbosity="NONE"), RunOptions(profile_every=1))
    its = [p for b in run_for(worker) for p in b.profiled]
    assert its and its[0].names == ("0", "1", "2")


def test_profiling_off() -> None:
    worker, _ = make_worker(fk.plan(), RunOptions(profile_every=0))
    out = run_for(worker)
    assert worker.info is not None and worded(worker.info).mode == "timing only, CUDA graph on, no transfers"
    assert not any(b.profiled for b in out)
    assert fk.PROFILED_ENQUEUES == []
    assert len(fk.ENQUEUES) == 1


def test_streams_have_their_own_contexts_and_latencies() -> None:
    worker, _ = make_worker(fk.plan(), RunOptions(streams=3))
    out = run_for(worker)
    assert worker.info is not None and worker.info.streams == 3
    assert len(fk.ENQUEUES) == 4  # 3 timing + 1 profiling
    streams = np.concatenate([b.latency_streams for b in out if b.latency_streams is not None])
    assert set(streams.tolist()) == {0, 1, 2}
    assert_clean_shutdown()


def test_transfers_copy_every_inference() -> None:
    driver = fk.FakeDriver()
    worker, _ = make_worker(fk.plan(), RunOptions(transfers=True, cuda_graph=False, profile_every=0),
                            driver=driver)
    out = run_for(worker)
    n = sum(b.latencies_ms.size for b in out)
    h2d = sum(1 for k, _ in driver.copies if k == "h2d")
    d2h = sum(1 for k, _ in driver.copies if k == "d2h")
    assert h2d == d2h >= n
    assert worker.info is not None and worker.info.facts is not None and worker.info.facts.transfers
    assert "transfers included" in (worded(worker.info).mode or "")
    lats = np.concatenate([b.latencies_ms for b in out])
    np.testing.assert_allclose(lats, 0.602)  # compute + both copies


# ---------------------------------------------------------------- graphs


def test_no_cuda_graph_option() -> None:
    worker, graphs = make_worker(fk.plan(), RunOptions(cuda_graph=False))
    run_for(worker)
    assert graphs.captures == 0
    assert worker.info is not None and worker.info.facts is not None
    assert (worker.info.facts.cuda_graphs, worker.info.facts.graphs_asked) == (False, False)
    assert "CUDA graph off," in (worded(worker.info).mode or "")


def test_engine_that_cannot_be_captured_runs_without_graphs() -> None:
    worker, graphs = make_worker(fk.plan(no_graph=True))
    out = run_for(worker)
    assert worker.info is not None and worker.info.facts is not None
    assert worker.info.facts.graphs_off == "capture failed"
    assert "CUDA graph off (capture failed)" in (worded(worker.info).mode or "")
    assert any("CUDA graph capture failed" in n for b in out for n in b.notices)
    assert sum(b.latencies_ms.size for b in out) > 10
    assert graphs.live == 0


def test_cuda_python_missing_is_said() -> None:
    worker, _ = make_worker(fk.plan(), graphs=False)
    run_for(worker, 0.02)
    assert worker.info is not None
    assert "CUDA graph off (cuda-python not installed)" in (worded(worker.info).mode or "")


# ---------------------------------------------------------------- shapes and buffers


DYN = {"inputs": [{"name": "images", "dtype": "HALF", "shape": [-1, 3, -1, -1],
                   "min": [1, 3, 32, 32], "opt": [2, 3, 64, 64], "max": [8, 3, 128, 128]}],
       "outputs": [{"name": "logits", "dtype": "HALF", "shape": [-1, 10], "follow": "images"}]}


def test_dynamic_shapes_default_to_opt() -> None:
    worker, _ = make_worker(fk.plan(**DYN))
    run_for(worker, 0.02)
    assert worker.info is not None and worker.info.shapes == (("images", (2, 3, 64, 64)),)
    sizes = sorted(a.nbytes for a in fk.ALLOCATIONS)
    assert sizes == [2 * 10 * 2, 2 * 3 * 64 * 64 * 2]


def test_requested_shapes() -> None:
    worker, _ = make_worker(fk.plan(**DYN), RunOptions(shapes=(("images", (8, 3, 128, 96)),)))
    run_for(worker, 0.02)
    assert worker.info is not None and worker.info.shapes == (("images", (8, 3, 128, 96)),)
    assert "logits FP16 8x10" in worker.info.extra["outputs"]


@pytest.mark.parametrize(
    ("shapes", "fragment"),
    [
        ((("images", (16, 3, 64, 64)),), "outside the engine's profile for 'images'"),
        ((("image", (1, 3, 64, 64)),), "the engine's inputs are 'images'"),
    ],
)
def test_bad_shapes_fail_at_start_and_release_everything(shapes: Any, fragment: str) -> None:
    assert fragment in start_error(fk.plan(**DYN), RunOptions(shapes=shapes))
    assert_clean_shutdown()


def test_raw_byte_dtypes_and_data_dependent_outputs() -> None:
    spec = {
        "inputs": [{"name": "a", "dtype": "BF16", "shape": [1, 3, 5]},
                   {"name": "b", "dtype": "FP8", "shape": [7]},
                   {"name": "c", "dtype": "INT4", "shape": [3, 3]},
                   {"name": "d", "dtype": "FLOAT", "shape": [1, 3, 4, 4], "vdim": 1, "components": 4}],
        "outputs": [{"name": "boxes", "dtype": "FLOAT", "shape": [-1, 4], "max_bytes": 4000}],
    }
    worker, _ = make_worker(fk.plan(**spec))
    run_for(worker, 0.05)
    sizes = sorted(a.nbytes for a in fk.ALLOCATIONS)
    # bf16 15*2, fp8 7, int4 ceil(9/2), CHW4 pads 3 channels to 4 -> 64 floats, data-dependent: its bound
    assert sizes == sorted([30, 7, 5, 256, 4000])
    assert all(a.freed for a in fk.ALLOCATIONS)


def test_data_dependent_output_without_bound_is_an_error() -> None:
    spec = {"outputs": [{"name": "boxes", "dtype": "FLOAT", "shape": [-1, 4]}]}
    assert "no size bound for the data-dependent output 'boxes'" in start_error(fk.plan(**spec))


def test_too_many_streams_for_memory() -> None:
    msg = start_error(fk.plan(ctx_memory=3 << 30), RunOptions(streams=4),
                      driver=fk.FakeDriver(free_bytes=8 << 30))
    assert "not enough free GPU memory for 4 execution context(s)" in msg and "--streams" in msg
    assert_clean_shutdown()


def test_context_creation_failure_is_out_of_memory() -> None:
    msg = start_error(fk.plan(max_contexts=2), RunOptions(streams=3))
    assert "not enough free GPU memory for execution context 2" in msg
    assert_clean_shutdown()


def test_buffer_allocation_failure_is_out_of_memory() -> None:
    msg = start_error(fk.plan(), driver=fk.FakeDriver(fail_alloc_over=100))
    assert "not enough free GPU memory for the buffers of stream 0" in msg
    assert_clean_shutdown()


def test_profiling_context_that_does_not_fit_only_turns_profiling_off() -> None:
    worker, _ = make_worker(fk.plan(max_contexts=1))
    out = run_for(worker)
    assert any("per-layer profiling is off" in n for b in out for n in b.notices)
    assert worker.info is not None and worker.info.facts is not None and worker.info.facts.profiling_off
    assert (worded(worker.info).mode or "").startswith("timing only (per-layer profiling unavailable)")


# ---------------------------------------------------------------- load failures


@pytest.mark.parametrize(
    ("plan", "fragment"),
    [
        (b"", "is empty"),
        (b"PK\x03\x04junk", "not a TensorRT engine TensorRT can read"),
        (fk.plan(fail=True, log=[[1, "The engine plan file is not compatible with this version of TensorRT, "
                                  "expecting library version 11.4.0.106 got 10.3.0.26, please rebuild."]]),
         "built with another TensorRT version (built with 10.3.0.26)"),
        (fk.plan(fail=True, log=[[1, "Unexpected call to stub loadRunner for ReformatRunner"]]),
         "lean TensorRT runtime (tensorrt_lean 11.4.0.106) can only load version-compatible engines"),
        (fk.plan(host_code=True), "--allow-host-code"),
    ],
)
def test_load_failures(plan: bytes, fragment: str) -> None:
    msg = start_error(plan)
    assert fragment in msg and "\n" not in msg
    assert_clean_shutdown()


def test_host_code_loads_when_allowed() -> None:
    worker, _ = make_worker(fk.plan(host_code=True), RunOptions(allow_host_code=True))
    run_for(worker, 0.02)
    assert worker.info is not None


def test_missing_plugin_library() -> None:
    msg = start_error(fk.plan(), RunOptions(plugins=("/opt/missing_plugin.so",)))
    assert msg == "cannot load the plugin library /opt/missing_plugin.so"


# ---------------------------------------------------------------- failures while running


def test_enqueue_that_fails_once_is_reported_and_the_run_goes_on() -> None:
    worker, _ = make_worker(fk.plan(fail_after=40, fail_once=True),
                            RunOptions(cuda_graph=False, profile_every=0))
    out = run_for(worker)
    batch = merge_batches(out, 0.0)
    assert "inference failed on stream 0: enqueue returned False" in batch.notices
    assert batch.error is None and batch.latencies_ms.size > 60


def test_enqueue_that_keeps_failing_ends_the_run_with_an_error() -> None:
    worker, _ = make_worker(fk.plan(fail_after=30), RunOptions(cuda_graph=False, profile_every=0))
    worker.start(timeout=10)
    deadline = time.time() + 5
    while worker.alive and time.time() < deadline:
        time.sleep(0.01)
    assert not worker.alive
    out = []
    while not worker.out.empty():
        out.append(worker.out.get_nowait())
    batch = merge_batches(out, 0.0)
    assert batch.finished and batch.error == "inference keeps failing on stream 0: enqueue returned False"
    assert_clean_shutdown()


def test_stop_is_idempotent_and_pause_stops_inference() -> None:
    worker, _ = make_worker(fk.plan(), RunOptions(cuda_graph=False, profile_every=0))
    worker.start(timeout=10)
    worker.set_paused(True)
    time.sleep(0.05)
    before = sum(fk.ENQUEUES.values())
    time.sleep(0.05)
    assert sum(fk.ENQUEUES.values()) == before
    worker.set_paused(False)
    deadline = time.time() + 5
    while sum(fk.ENQUEUES.values()) == before and time.time() < deadline:
        time.sleep(0.01)
    assert sum(fk.ENQUEUES.values()) > before
    worker.stop()
    worker.stop()
    assert not worker.alive
    assert_clean_shutdown()


# ---------------------------------------------------------------- full module: engine inspector


class FullTrt(fk.FakeTrt):
    """The full `tensorrt` module: has a builder, an engine inspector and the plugin initialiser."""

    __version__ = "10.3.0.26"
    Builder = object
    EngineInspector = object
    plugins_initialised = 0

    @staticmethod
    def init_libnvinfer_plugins(logger: Any, namespace: str) -> bool:
        FullTrt.plugins_initialised += 1
        return True


FULL = TrtModule(name="tensorrt", module=FullTrt, version="10.3.0.26")  # type: ignore[arg-type]

DETAILED_10 = {"Layers": [
    {"Name": "conv1 + relu", "LayerType": "CaskConvolution", "TacticName": "sm90_xmma_fprop",
     "Inputs": [{"Name": "input", "Dimensions": [1, 3, 8, 8], "Format/Datatype": "Row major linear FP32"}],
     "Outputs": [{"Name": "t0", "Dimensions": [1, 8, 8, 8],
                  "Format/Datatype": "Channel major FP16 format where channel % 8 == 0"}],
     "Metadata": "[ONNX Layer: /conv1/Conv]\x1e[ONNX Layer: /relu/Relu]"},
    {"Name": "pool", "LayerType": "CudaPooling",
     "Outputs": [{"Name": "t1", "Dimensions": [1, 8, 1, 1], "Format/Datatype": "Row major linear FP16"}]},
    {"Name": "fc", "LayerType": "CaskGemm", "StreamId": 1,
     "Outputs": [{"Name": "output", "Dimensions": [1, 10], "Format/Datatype": "Row major linear FP32"}]},
], "Bindings": ["input", "output"]}

DETAILED_11 = {"Layers": [
    {"Name": "conv1 + relu", "LayerType": "CaskConvolution",
     "Outputs": [{"Name": "t0", "Dimensions": [1, 8, 8, 8], "Format": "Channel major", "DataType": "BF16"}]},
    {"Name": "fc", "LayerType": "CaskGemm",
     "Outputs": [{"Name": "output", "Dimensions": [1, 10], "Format": "Row major linear",
                  "DataType": "Float"}]},
], "I/O Tensors": [{"Name": "input", "IOMode": "Input", "DataType": "Float", "Dimensions": [1, 3, 8, 8]},
                   {"Name": "output", "IOMode": "Output", "DataType": "Float", "Dimensions": [1, 10]}]}


def full_worker(plan: bytes, options: RunOptions | None = None) -> GpuWorker:
    opts = options or RunOptions()
    req = EngineRequest(plan=plan, path=Path("m.engine"), options=opts, trt=FULL, device=FACTS,
                        graphs_factory=fk.FakeGraphs,
                        loop_config=LoopConfig(warmup_s=0.0, flush_s=0.0, profile_every=opts.profile_every))
    return GpuWorker(fk.FakePlatform(), lambda d, r, e: build_engine_session(req, d, r, e))


def test_inspector_details_10x_form() -> None:
    worker = full_worker(fk.plan(inspector=DETAILED_10, verbosity="DETAILED", aux_streams=1))
    run_for(worker, 0.05)
    info = worker.info
    assert info is not None and info.trt_module == "tensorrt" and info.trt_version == "10.3.0.26"
    assert [layer.name for layer in info.layers] == ["conv1 + relu", "pool", "fc"]
    conv = info.layers[0]
    # FP32 in (the tactic name states no type), FP16 out: computes in FP32 (README's rule)
    assert (conv.type, conv.precision, conv.tactic) == ("CaskConvolution", "FP32", "sm90_xmma_fprop")
    assert conv.output_precision == "FP16"
    assert conv.onnx_nodes == ("/conv1/Conv", "/relu/Relu")
    assert info.layers[2].stream_id == 1
    assert info.precision == "FP32 67%, FP16 33%"
    assert info.aux_streams == 1 and "not a latency" in worded(info).extra["aux streams"]
    assert FullTrt.plugins_initialised >= 1
    assert_clean_shutdown()


def test_inspector_details_11x_form() -> None:
    worker = full_worker(fk.plan(inspector=DETAILED_11, verbosity="DETAILED"))
    run_for(worker, 0.05)
    assert worker.info is not None
    got = [(la.name, la.precision) for la in worker.info.layers]
    assert got == [("conv1 + relu", "BF16"), ("fc", "FP32")]
    assert worker.info.precision == "BF16 50%, FP32 50%"


def test_names_only_engine_and_verbosity_none() -> None:
    worker = full_worker(fk.plan(inspector={"Layers": ["a", "b"]}))
    run_for(worker, 0.02)
    assert worker.info is not None and [la.name for la in worker.info.layers] == ["a", "b"]
    assert worker.info.precision is None
    worker = full_worker(fk.plan(inspector={"Layers": []}, verbosity="NONE"))
    out = run_for(worker, 0.02)
    assert worker.info is not None and worker.info.layers == ()
    assert any("verbosity NONE" in n for b in out for n in b.notices)


def test_broken_inspector_output_does_not_stop_the_run() -> None:
    worker = full_worker(fk.plan(inspector={"NotLayers": 1}, verbosity="DETAILED"))
    out = run_for(worker, 0.05)
    assert worker.info is not None and worker.info.layers == ()
    assert any("engine inspector failed" in n for b in out for n in b.notices)
    assert sum(b.latencies_ms.size for b in out) > 0


def test_profiled_inference_copies_too_when_transfers_are_included() -> None:
    worker, _ = make_worker(fk.plan(), RunOptions(transfers=True, profile_every=2))
    its = [p for b in run_for(worker) for p in b.profiled]
    assert its and all(p.gpu_ms == pytest.approx(0.6 * 1.2 + 0.002) for p in its)  # layers + H2D + D2H


DYNAMIC = {"inputs": [{"name": "input", "dtype": "FLOAT", "shape": [-1, 3, 8, 8], "min": [1, 3, 8, 8],
                       "opt": [1, 3, 8, 8], "max": [8, 3, 8, 8]}], "exclusive_profiles": True}


def test_tensorrt_8_gives_a_dynamic_engines_profile_to_one_context_only() -> None:
    # Seen with the real TensorRT 8.5.3 on an H100: the profiling context of a one-profile dynamic
    # engine got no profile, its enqueue failed, and a second stream crashed the GPU process.
    worker, _ = make_worker(fk.plan(**DYNAMIC), RunOptions(profile_every=2))
    out = run_for(worker)
    batch = merge_batches(out, time.perf_counter())
    assert batch.error is None and batch.latencies_ms.size > 10  # the timed context runs
    assert batch.profiled == ()
    notes = [n for n in batch.notices if "per-layer profiling is off" in n]
    assert notes and "the profiling context has no optimization profile" in notes[0], batch.notices
    assert "one execution context use a profile at a time and this engine has 1" in notes[0]
    f = worker.info.facts if worker.info is not None else None
    assert f is not None and f.profiling_off is not None


def test_tensorrt_8_refuses_a_second_stream_on_a_one_profile_dynamic_engine() -> None:
    msg = start_error(fk.plan(**DYNAMIC), RunOptions(streams=2, profile_every=0))
    assert msg.startswith("execution context 1 has no optimization profile: TensorRT 11.4.0.106 lets only")
    assert "one optimization profile per execution context" in msg  # says what to build instead


def test_tensorrt_8_gives_each_context_a_free_profile() -> None:
    # TensorRT 8.x gives a new context of a dynamic engine profile 0 only if no other context holds it
    # (else none: -1), and asking for a profile another context holds fails and logs an error. Seen on
    # the real 8.5.3 (H100): a sweep at 2 streams of a 2-profile engine; trtui must hand out profile 1.
    fk.JOURNAL.clear()
    worker, _ = make_worker(fk.plan(**DYNAMIC, profiles=3), RunOptions(streams=2, profile_every=2))
    out = run_for(worker)
    batch = merge_batches(out, time.perf_counter())
    assert batch.error is None and batch.profiled, batch.notices  # both streams and the profiled context
    assert not [n for n in batch.notices if "profiling is off" in n]
    assert not [e for e in fk.JOURNAL if e.startswith("profile-refused")], fk.JOURNAL
    f = worker.info.facts if worker.info is not None else None
    assert f is not None and f.streams == 2 and f.profiling_off is None


def test_more_contexts_than_profiles_on_tensorrt_8_are_refused_clearly() -> None:
    # 2 profiles, 3 contexts wanted on TensorRT 8.x: the third gets none, and trtui says so
    msg = start_error(fk.plan(**DYNAMIC, profiles=2), RunOptions(streams=3, profile_every=0))
    assert msg.startswith("execution context 2 has no optimization profile"), msg
