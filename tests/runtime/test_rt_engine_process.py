"""The engine in its own GPU process: the real child (`python -m trtui.sources.engine_child`) over the
fakes of `rt_fakes` (loaded in the child by `rt_child_preload`), behind the unchanged CLI.

What only a real engine shows is tested here on CPU: the engine's layers are known only after the
child loaded it, and nothing but frames crosses from the GPU process to the screen's process."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rt_fakes as fk
from hypothesis import given, settings
from hypothesis import strategies as st

from trtui.common.errors import UserError
from trtui.core.model import (
    DeviceSpec,
    EngineFacts,
    EngineIo,
    LayerInfo,
    ProfiledIteration,
    RunFacts,
    SourceBatch,
    SourceInfo,
    StartupStep,
    TensorInfo,
    frozen_array,
)
from trtui.core.options import RunOptions
from trtui.sources import batch_codec as codec
from trtui.sources.engine import check_engine_request
from trtui.sources.engine_process import EngineProcessSource

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

DETAILED = {
    "Layers": [
        {
            "Name": "conv1 + relu",
            "LayerType": "CaskConvolution",
            "TacticName": "sm90_xmma_fprop",
            "Inputs": [
                {"Name": "input", "Dimensions": [1, 3, 8, 8], "Format/Datatype": "Row major linear FP32"}
            ],
            "Outputs": [
                {
                    "Name": "t0",
                    "Dimensions": [1, 8, 8, 8],
                    "Format/Datatype": "Channel major FP16 format where channel % 8 == 0",
                }
            ],
            "Metadata": "[ONNX Layer: /conv1/Conv]\x1e[ONNX Layer: /relu/Relu]",
        },
        {
            "Name": "pool",
            "LayerType": "CudaPooling",
            "Outputs": [
                {"Name": "t1", "Dimensions": [1, 8, 1, 1], "Format/Datatype": "Row major linear FP16"}
            ],
        },
        {
            "Name": "fc",
            "LayerType": "CaskGemm",
            "Outputs": [
                {"Name": "output", "Dimensions": [1, 10], "Format/Datatype": "Row major linear FP32"}
            ],
        },
    ],
    "Bindings": ["input", "output"],
}


def child_env(full: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(ROOT), env.get("PYTHONPATH", "")])
    env["TRTUI_CHILD_PRELOAD"] = "rt_child_preload"
    env["TRTUI_FAKE_FULL"] = "1" if full else "0"
    return env


@pytest.fixture
def in_child(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in child_env().items():
        monkeypatch.setenv(key, value)


def engine(tmp_path: Path, **spec: Any) -> Path:
    p = tmp_path / "m.engine"
    p.write_bytes(fk.plan(**spec))
    return p


def detailed(tmp_path: Path, **spec: Any) -> Path:
    return engine(tmp_path, inspector=DETAILED, verbosity="DETAILED", **spec)


def collect(src: EngineProcessSource, until: float = 5.0, latencies: int = 30) -> list[SourceBatch]:
    got: list[SourceBatch] = []
    deadline = time.time() + until
    while time.time() < deadline and (
        sum(b.latencies_ms.size for b in got) < latencies or not any(b.profiled for b in got)
    ):
        got.append(src.read(0.05))
    return got


def test_the_child_runs_the_engine_and_its_layers_arrive_at_start(tmp_path: Path, in_child: None) -> None:
    src = EngineProcessSource(
        check_engine_request(detailed(tmp_path), RunOptions()), RunOptions(profile_every=2)
    )
    assert src.info.layers == () and src.info.device is None  # unknown before the child loaded it
    src.start()
    try:
        assert src.pid is not None and src.pid != os.getpid()
        info = src.info
        assert info.device == "Fake H100" and info.trt_module == "tensorrt"
        # precision: what the layer computes in (its FP32 input), the output type beside it
        assert [(x.name, x.type, x.precision, x.output_precision) for x in info.layers] == [
            ("conv1 + relu", "CaskConvolution", "FP32", "FP16"),
            ("pool", "CudaPooling", "FP16", "FP16"),
            ("fc", "CaskGemm", "FP32", "FP32"),
        ]
        got = collect(src)
        assert sum(b.latencies_ms.size for b in got) >= 30
        profiled = [it for b in got for it in b.profiled]
        assert profiled and profiled[0].names == ("conv1 + relu", "pool", "fc")
        assert all(it.names is profiled[0].names for it in profiled)  # one tuple object: cheap to key
        np.testing.assert_allclose(profiled[0].times_ms, [0.3, 0.1, 0.2])
        src.set_paused(True)
        time.sleep(0.3)
        src.read(0.0)
        time.sleep(0.2)
        assert src.read(0.0).latencies_ms.size == 0
        src.set_paused(False)
        assert any(src.read(0.1).latencies_ms.size for _ in range(50))
    finally:
        t0 = time.monotonic()
        src.stop()
        assert time.monotonic() - t0 < 2.0
    last = src.read(0.5)
    assert last.finished and last.error is None
    assert src._proc is not None and src._proc.returncode == 0


def test_a_load_failure_is_one_line_from_start(tmp_path: Path, in_child: None) -> None:
    path = engine(tmp_path, fail=True, log=[[1, "expecting compute 8.9 got compute 9.0"]])
    src = EngineProcessSource(check_engine_request(path, RunOptions()), RunOptions())
    with pytest.raises(UserError, match=r"built for another GPU \(built for compute 8.9"):
        src.start()
    src.stop()
    assert src._proc is not None and src._proc.poll() is not None


def test_a_child_that_dies_is_reported_with_its_signal(tmp_path: Path, in_child: None) -> None:
    src = EngineProcessSource(check_engine_request(engine(tmp_path), RunOptions()), RunOptions())
    src.start()
    try:
        collect(src, latencies=5)
        assert src.pid is not None
        os.kill(src.pid, signal.SIGKILL)
        deadline = time.time() + 5
        batch = src.read(0.1)
        while not batch.finished and time.time() < deadline:
            batch = src.read(0.1)
        assert batch.finished and batch.error is not None
        assert "the GPU process died (signal 9)" in batch.error
    finally:
        src.stop()


PARENT = """
import os, sys, time
from pathlib import Path
from trtui.core.options import RunOptions
from trtui.sources.engine import check_engine_request
from trtui.sources.engine_process import EngineProcessSource
src = EngineProcessSource(check_engine_request(Path(sys.argv[1]), RunOptions()), RunOptions())
src.start()
print(src.pid, flush=True)
src.read(0.2)
os._exit(0)  # dies without stopping its child
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_the_child_ends_within_a_second_when_its_parent_dies(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PARENT, str(engine(tmp_path))],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    pid = int(out.stdout.split()[0])
    deadline = time.time() + 2.0
    while _alive(pid) and time.time() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trtui", *args],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def test_profile_json_csv_and_export_show_the_engine_layers(tmp_path: Path) -> None:
    """`trtui profile ENGINE` through the GPU process: types and precisions that only the loaded
    engine knows reach the JSON summary, the CSV and the recording export."""
    path = detailed(tmp_path)
    out = tmp_path / "out.json"
    csv_path = tmp_path / "layers.csv"
    export = tmp_path / "rec"
    res = run_cli(
        "profile",
        str(path),
        "--duration",
        "1.5",
        "--profile-every",
        "2",
        "--json",
        str(out),
        "--csv",
        str(csv_path),
        "--export-dir",
        str(export),
    )
    assert res.returncode == 0, res.stderr
    summary = json.loads(out.read_text())
    layers = {x["name"]: x for x in summary["layers"]}
    conv = layers["conv1 + relu"]
    assert (conv["type"], conv["precision"], conv["output_precision"]) == ("CaskConvolution", "FP32", "FP16")
    assert layers["fc"]["type"] == "CaskGemm"
    assert summary["source"]["kind"] == "engine" and summary["source"]["trt_module"] == "tensorrt"
    # the facts crossed the process boundary; the mode line is their one wording
    assert (summary["source"]["profile_every"], summary["source"]["profile_time_cap"]) == (2, 0.2)
    assert summary["source"]["mode"].startswith("timing + profiling 1 in 2 (max 20% of time), CUDA graph ")
    assert summary["device"] == "Fake H100" and summary["iterations"] > 0
    assert "CaskConvolution" in csv_path.read_text()
    info = json.loads(next(export.glob("*.graph.json")).read_text())
    assert any(x.get("LayerType") == "CaskConvolution" for x in info["Layers"])


def test_profile_reports_a_bad_engine_in_one_line(tmp_path: Path) -> None:
    path = engine(tmp_path, fail=True, log=[[1, "expecting compute 8.9 got compute 9.0"]])
    res = run_cli("profile", str(path), "--duration", "1")
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "built for another GPU" in res.stderr


# ------------------------------------------------------------------------------ the codec

names_st = st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=6, unique=True).map(tuple)
floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=60, deadline=None)
@given(
    names=names_st,
    lat=st.lists(floats, max_size=20),
    iters=st.integers(0, 3),
    gpu=st.one_of(st.none(), st.floats(0, 10)),
    notices=st.lists(st.text(max_size=20), max_size=3),
    finished=st.booleans(),
    error=st.one_of(st.none(), st.text(max_size=20)),
)
def test_batches_round_trip(
    names: tuple[str, ...],
    lat: list[float],
    iters: int,
    gpu: float | None,
    notices: list[str],
    finished: bool,
    error: str | None,
) -> None:
    profiled = tuple(
        ProfiledIteration(names, frozen_array(np.arange(len(names)) + i), gpu) for i in range(iters)
    )
    batch = SourceBatch(
        t=1.5,
        latencies_ms=frozen_array(lat),
        latency_streams=frozen_array([0] * len(lat), np.int64),
        timing_wall_s=0.25,
        profiled=profiled,
        notices=tuple(notices),
        finished=finished,
        error=error,
    )
    enc, dec = codec.BatchEncoder(), codec.BatchDecoder()
    first, second = dec.decode(enc.encode(batch)), dec.decode(enc.encode(batch))
    for got in (first, second):
        np.testing.assert_array_equal(got.latencies_ms, batch.latencies_ms)
        assert got.latency_streams is not None and list(got.latency_streams) == [0] * len(lat)
        assert (got.t, got.timing_wall_s, got.notices, got.finished, got.error) == (
            1.5,
            0.25,
            tuple(notices),
            finished,
            error,
        )
        assert [list(it.times_ms) for it in got.profiled] == [list(it.times_ms) for it in profiled]
        assert all(it.gpu_ms == gpu and it.names == names for it in got.profiled)
    if iters:
        assert second.profiled[0].names is first.profiled[0].names  # names sent once, shared after


def _default(f: dataclasses.Field[Any]) -> object:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def test_info_round_trips_with_layer_details() -> None:
    info = SourceInfo(
        kind="engine",
        label="m.engine",
        simulated=False,
        path="/x/m.engine",
        device="H200",
        trt_module="tensorrt",
        trt_version="10.13",
        precision="FP16 67%, FP32 33%",
        shapes=(("input", (1, 3, 224, 224)),),
        mode="timing",
        streams=2,
        aux_streams=1,
        layers=(
            LayerInfo(
                "conv",
                "CaskConvolution",
                "FP16",
                "sm90",
                (TensorInfo("in", (1, 3), "FP32"),),
                (TensorInfo("t0", (1, -1), "FP16", "Channel major", "Device"),),
                "QDQ",
                ("/conv/Conv",),
                1,
                {"Kernel": [3, 3]},
                "FP32",
            ),
        ),
        extra={"aux streams": "1"},
        duration_s=12.5,
        facts=RunFacts(
            profile_every=10,
            profile_time_cap=0.2,
            cuda_graphs=False,
            graphs_asked=True,
            graphs_off="capture failed",
            transfers=True,
            streams=2,
            aux_streams=1,
            io_bytes=4096,
            ultralytics=(("task", "detect"), ("imgsz", "[640, 640]")),
        ),
        hardware=DeviceSpec("GPU", (9, 0), 132, 1980.0, 2619.0, 5120, True, "the CUDA driver"),
        engine=EngineFacts(
            "10.3", "GPU", (EngineIo("in", "input", "FP32", (-1, 3), "Row major linear FP32",
                                     (((1, 3), (4, 3), (8, 3)),)),),
            1, 1 << 20, 3 << 20, (("Precision", "FP16"),), "the engine",
        ),
    )
    # every field is set to something other than its default: a field added later and forgotten
    # by the codec (it happened: the output precision) fails here
    assert info.engine is not None
    objs = (info, info.layers[0], info.layers[0].outputs[0], info.hardware, info.engine, info.engine.io[0])
    for obj in objs:
        unset = [f.name for f in dataclasses.fields(obj) if getattr(obj, f.name) == _default(f)]
        assert unset == [] or unset == ["simulated"], f"{type(obj).__name__}: {unset} left at default"
    assert codec.decode_info(codec.encode_info(info)) == info
    for facts in (
        None,
        RunFacts(),
        RunFacts(
            recorded_by="trtexec",
            separate_profiling=True,
            spin_wait=False,
            profiling_off="no room",
            simulated=True,
            ultralytics=(),
        ),
    ):
        other = dataclasses.replace(info, facts=facts)
        assert codec.decode_info(codec.encode_info(other)) == other


@pytest.mark.parametrize("payload", [b"", b"\x00\x00", b"\xff\xff\xff\xff{}", b"\x02\x00\x00\x00{}"])
def test_broken_batch_frames_are_frame_errors(payload: bytes) -> None:
    with pytest.raises(codec.FrameError):
        codec.BatchDecoder().decode(payload)


@pytest.mark.parametrize("payload", [b"{", b"\xff\xfe", b"", b"[1, 2]", b'"text"'])
def test_broken_json_frames_are_frame_errors(payload: bytes) -> None:
    """A REPLY, ERROR or REQUEST frame whose JSON is broken raises the one error every frame reader
    handles (a ValueError used to end the GPU process's reader thread without a word)."""
    with pytest.raises(codec.FrameError):
        codec.decode_json(payload)


DYNAMIC = {
    "inputs": [
        {
            "name": "input",
            "dtype": "FLOAT",
            "shape": [-1, 3, 8, 8],
            "min": [1, 3, 8, 8],
            "opt": [4, 3, 8, 8],
            "max": [16, 3, 8, 8],
        }
    ],
    "outputs": [{"name": "output", "dtype": "FLOAT", "shape": [-1, 10], "follow": "input"}],
    "per_sample": True,
}


def test_reconfigure_goes_through_the_gpu_process(tmp_path: Path, in_child: None) -> None:
    """The sweep and the live picker reconfigure the engine in its own process: what ran before the
    answer is dropped, what runs after it is the new configuration, and a misfit changes nothing."""
    from trtui.sources.reconfigurable import DoesNotFit, can_reconfigure

    options = RunOptions(profile_every=0)
    src = EngineProcessSource(check_engine_request(engine(tmp_path, **DYNAMIC), options), options)
    assert can_reconfigure(src)
    src.start()
    try:
        before = np.concatenate([b.latencies_ms for b in collect(src, latencies=40)])
        done = src.reconfigure(8, 2)
        assert (done.batch, done.streams) == (8, 2) and dict(done.shapes)["input"] == (8, 3, 8, 8)
        assert src.info.streams == 2 and dict(src.info.shapes)["input"] == (8, 3, 8, 8)
        after: list[SourceBatch] = []
        deadline = time.time() + 5
        while sum(b.latencies_ms.size for b in after) < 40 and time.time() < deadline:
            after.append(src.read(0.05))
        lat = np.concatenate([b.latencies_ms for b in after])
        streams = {int(s) for b in after if b.latency_streams is not None for s in b.latency_streams}
        assert streams == {0, 1}
        assert np.median(lat) == pytest.approx(2 * np.median(before), rel=0.05)  # per-sample cost: 8 vs 4
        with pytest.raises(DoesNotFit):
            src.reconfigure(64, None)  # outside the optimization profile (max 16)
        assert src.info.streams == 2  # the previous configuration goes on
        assert any(src.read(0.1).latencies_ms.size for _ in range(30))
    finally:
        src.stop()


def test_kernel_captures_cross_the_process_boundary() -> None:
    """--kernels on an engine: the tracer runs in the GPU process, its records travel in the frames."""
    from trtui.core.kernel_records import KernelCapture, KernelRecord, LaunchCall, NvtxRange

    capture = KernelCapture(
        kernels=(KernelRecord("_Z4spinPf", 100, 250, 7, 11), KernelRecord("sm90_xmma_gemm", 260, 400, 7, 12)),
        launches=(LaunchCall(11, 90, 95, 3), LaunchCall(12, 96, 99, 3)),
        ranges=(NvtxRange("conv1 + relu", 80, 100, 3, "TensorRT"), NvtxRange("fc", 95, 120, 3, None)),
        cost_s=0.002,
        simulated=False,
        dropped=1,
    )
    names = ("conv1 + relu", "fc")
    batch = SourceBatch(t=1.0, profiled=(ProfiledIteration(names, frozen_array([0.15, 0.14]), 0.3, capture),))
    got = codec.BatchDecoder().decode(codec.BatchEncoder().encode(batch))
    assert got.profiled[0].kernels == capture
    plain = SourceBatch(t=1.0, profiled=(ProfiledIteration(names, frozen_array([0.15, 0.14])),))
    assert codec.BatchDecoder().decode(codec.BatchEncoder().encode(plain)).profiled[0].kernels is None


def test_the_gpu_processs_warnings_become_notices(
    tmp_path: Path, in_child: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the GPU process prints (a driver's or pycuda's warning: "context could not be cleaned
    up") is not lost in its pipe: warning lines arrive as notices (on the screen, in the JSON)."""
    warning = "PyCUDA WARNING: a clean-up operation failed (out-of-thread context could not be cleaned up)"
    monkeypatch.setenv("TRTUI_FAKE_STDERR", warning)
    options = RunOptions(profile_every=0)
    src = EngineProcessSource(check_engine_request(engine(tmp_path), options), options)
    src.start()
    try:
        notices = [n for b in collect(src, latencies=5) for n in b.notices]
    finally:
        src.stop()
    assert f"GPU process: {warning}" in notices, notices


def test_kernels_option_reaches_the_gpu_process(tmp_path: Path) -> None:
    """`--kernels` through the GPU process: the child tries to open CUPTI (absent here) and says why
    it cannot, once; the run goes on. (The option once stayed behind in the parent, and the GPU run
    on the H200 recorded no kernels.)"""
    path = detailed(tmp_path)
    out = tmp_path / "out.json"
    res = run_cli("profile", str(path), "--duration", "1", "--kernels", "--json", str(out))
    assert res.returncode == 0, res.stderr
    summary = json.loads(out.read_text())
    said = [n for n in summary["notices"] if n.startswith("kernels are off: ")]
    assert len(said) == 1, summary["notices"]  # no CUPTI can trace the fake GPU, cupti-python or not
    assert summary["iterations"] > 0


def test_every_run_fact_crosses_the_process_boundary() -> None:
    """Each RunFacts field, set to a value other than its default, survives the GPU process's codec
    (kernels and whether profiled inferences were graphs were once dropped on the way)."""
    import dataclasses

    from trtui.core.model import RunFacts, SourceInfo
    from trtui.sources.batch_codec import decode_info, encode_info

    values: dict[str, object] = {}
    for f in dataclasses.fields(RunFacts):
        default = f.default
        if f.name == "ultralytics":
            values[f.name] = (("task", "detect"),)
        elif f.name in ("streams", "aux_streams", "profile_every", "io_bytes"):
            values[f.name] = 7
        elif f.name == "profile_time_cap":
            values[f.name] = 0.25
        elif isinstance(default, bool) or f.type in ("bool | None", "bool"):
            values[f.name] = not default if isinstance(default, bool) else True
        else:
            values[f.name] = f"{f.name} text"
    facts = RunFacts(**values)  # type: ignore[arg-type]
    info = SourceInfo(kind="engine", label="m.engine", simulated=False, facts=facts)
    assert decode_info(encode_info(info)).facts == facts


# ---- start-up steps (issue 24) ------------------------------------------------------------------

ENGINE_STEPS = [
    "GPU process",
    "CUDA driver",
    "TensorRT",
    "read plan",
    "CUDA context",
    "deserialize",
    "contexts and buffers",
    "inspector",
    "first runs",
]


def test_startup_steps_arrive_in_order_while_the_gpu_process_starts(
    tmp_path: Path, in_child: None
) -> None:
    """Every step begins, then ends with its duration, in the order it ran; while the (slow) engine
    deserializes, ticks keep coming (the screen counts the running step's seconds); the warm-up and
    the wait for the first profiled inference follow in the batches."""
    path = detailed(tmp_path, deserialize_s=0.6)
    options = RunOptions(profile_every=2)
    src = EngineProcessSource(check_engine_request(path, options), options)
    calls: list[tuple[float, tuple[StartupStep, ...]]] = []
    src.set_startup_listener(lambda steps: calls.append((time.monotonic(), steps)))
    src.start()
    try:
        later = [s for b in collect(src, latencies=10) for s in b.startup]
    finally:
        src.stop()
    early = [s for _, steps in calls for s in steps]
    assert [s.name for s in early if s.duration_s is None] == ENGINE_STEPS
    assert [s.name for s in early if s.duration_s is not None] == ENGINE_STEPS
    for name in ENGINE_STEPS:  # each one begins before it ends
        assert [(s.name, s.duration_s is None) for s in early].index((name, True)) < [
            (s.name, s.duration_s is None) for s in early
        ].index((name, False))
    durations = {s.name: s.duration_s for s in early if s.duration_s is not None}
    assert durations["deserialize"] == pytest.approx(0.6, abs=0.3)
    assert all(d is not None and d >= 0 for d in durations.values())
    assert not any(s.simulated for s in early)
    # the deserialization's 0.6 s: the listener heard from the GPU process at least every ~0.25 s
    def when(began: bool) -> float:
        return next(t for t, steps in calls
                    if any(s.name == "deserialize" and (s.duration_s is None) == began for s in steps))

    began, ended = when(True), when(False)
    between = [t for t, steps in calls if began < t < ended and steps == ()]
    assert len(between) >= 1, calls
    assert [(s.name, s.duration_s is None) for s in later] == [
        ("warm-up", True), ("warm-up", False),
        ("first profiled batch", True), ("first profiled batch", False),
    ]


def test_start_up_steps_cross_the_process_boundary() -> None:
    """Every SourceBatch field, set to something other than its default, survives the batch codec
    (start-up steps included), and a STEPS frame carries its steps whole."""
    steps = (StartupStep("deserialize", None, False), StartupStep("warm-up", 0.25, True))
    batch = SourceBatch(
        t=2.0,
        latencies_ms=frozen_array([1.0, 2.0]),
        latency_streams=frozen_array([0, 1], np.int64),
        timing_wall_s=0.5,
        profiled=(ProfiledIteration(("a",), frozen_array([0.1]), 0.2),),
        notices=("n",),
        finished=True,
        error="e",
        startup=steps,
    )
    not_in_frames = {"summary", "profiled_gpu_ms", "recorded_latency"}  # recordings' own fields

    def same(a: object, b: object) -> bool:
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
        return a == b

    unset = [f.name for f in dataclasses.fields(batch)
             if f.name not in not_in_frames and same(getattr(batch, f.name), _default(f))]
    assert unset == []  # a field added later and forgotten by the codec fails below
    got = codec.BatchDecoder().decode(codec.BatchEncoder().encode(batch))
    assert got.startup == steps
    for f in dataclasses.fields(batch):
        if f.name not in not_in_frames and f.name != "profiled":
            assert same(getattr(got, f.name), getattr(batch, f.name)), f.name
    assert got.profiled[0].names == ("a",) and got.profiled[0].gpu_ms == 0.2
    assert codec.decode_steps(codec.encode_steps(steps)) == steps
    with pytest.raises(codec.FrameError):
        codec.decode_steps(b'{"steps": [["x"]]}')


def test_profile_json_and_verbose_carry_the_startup_steps(tmp_path: Path) -> None:
    """`trtui profile ENGINE --json out.json --verbose`: each step's duration in the summary's
    "startup" (what the lead reads on the GPU machine) and on stderr as it ended."""
    path = detailed(tmp_path, deserialize_s=0.3)
    out = tmp_path / "out.json"
    res = run_cli("profile", str(path), "--duration", "1", "--profile-every", "2", "--json", str(out),
                  "--verbose", "--quiet")
    assert res.returncode == 0, res.stderr
    startup = json.loads(out.read_text())["startup"]
    names = [s["step"] for s in startup]
    assert names == [*ENGINE_STEPS, "warm-up", "first profiled batch"]
    assert all(isinstance(s["s"], float) and s["s"] >= 0 and s["simulated"] is False for s in startup)
    assert next(s["s"] for s in startup if s["step"] == "deserialize") >= 0.3
    said = [line for line in res.stderr.splitlines() if line.startswith("startup: ")]
    assert [line.split(" ")[1:-2] for line in said] == [n.split(" ") for n in names]
