"""Benchmarks of the GPU runtime path.

- Profiler ingestion (CPU, no GPU needed): trtui's IProfiler callback (a real `IProfiler` subclass of
  the installed TensorRT module when there is one, called from Python: TensorRT's C++ trampoline is
  not in the measurement) + turning one iteration's reports into a `ProfiledIteration` + the layer
  aggregator (fed a tick's batch of 50 iterations, as the session does), per reported layer time,
  against a bare Python callback that only appends `(name, ms)` to a list cleared per iteration.
  Also layer samples per second.
- The synthetic inference loop (GPU + pycuda only; skipped elsewhere): iterations per second, GPU
  busy (the inferences' event time over wall time), the kernels' own share of the wall time and the
  host CPU per inference, for "engines" of 20 kernels x 5 us
  (0.1 ms) and x 25 us (0.5 ms): without CUDA graphs, with graphs of one inference per launch, and
  with graphs of several inferences per launch (timing events between them: trtui's default); each
  bare and with the live screen running beside it (`trtui demo` at 20,000 layers, profiling every
  inference, details open, under tmux), as a user runs trtui. The loop runs in this process as it
  runs in trtui's GPU process; the screen is another process. `TRTUI_BENCH_LOOP_S` (default 3 s)
  per figure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from typing import Any

import numpy as np

from bench._timing import median_seconds
from trtui.core.model import ProfiledIteration, frozen_array
from trtui.gpu.runtime.profiler import LayerSamples, make_profiler
from trtui.stats.layers import LayerAggregator

COMMAND = "python -m bench runtime"
LAYERS = 300
ITERATIONS = 400
REPEATS = 5


def _row(name: str, value: float, unit: str, note: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": float(value), "unit": unit, "command": COMMAND, "note": note, **extra}


def _trt_module() -> tuple[Any, str]:
    for name in ("tensorrt", "tensorrt_lean", "tensorrt_lean_bindings"):
        try:
            return __import__(name), name
        except ImportError:
            continue

    class _Base:
        def __init__(self) -> None:
            pass

    class _Fake:
        IProfiler = _Base

    return _Fake, "a plain Python base class (no TensorRT installed)"




def _profiler_rows(layers: int) -> list[dict[str, Any]]:
    trt, base = _trt_module()
    per_batch = 50  # profiled iterations in one SourceBatch, which the session ingests at once
    names = [f"layer{i} + relu{i}" for i in range(layers)]
    times = [float(t) for t in np.random.default_rng(0).random(layers) * 0.05]
    samples = LayerSamples()
    prof = make_profiler(trt, samples)
    report = prof.report_layer_time

    agg = LayerAggregator()  # a session's: made once; the warm-up run and the timed ones continue it

    def trtui_path() -> None:  # as trtui runs it: the aggregator takes a tick's batch at a time
        batch: list[ProfiledIteration] = []
        for _ in range(ITERATIONS):
            samples.clear()
            for n, t in zip(names, times, strict=True):
                report(n, t)
            got_names, got = samples.take()
            batch.append(ProfiledIteration(names=got_names, times_ms=frozen_array(got)))  # type: ignore[arg-type]
            if len(batch) == per_batch:
                agg.add_many(batch)
                batch = []
        agg.add_many(batch)

    class BareProfiler(trt.IProfiler):  # type: ignore[misc, name-defined]
        """The least a profiler callback can be: TensorRT calls a Python method of an IProfiler
        subclass (pybind accepts no C-level callable as an override), which keeps (name, ms)."""

        def __init__(self) -> None:
            trt.IProfiler.__init__(self)
            self.out: list[tuple[str, float]] = []

        def report_layer_time(self, layer_name: str, ms: float) -> None:
            self.out.append((layer_name, ms))

    bare_prof = BareProfiler()
    bare_report = bare_prof.report_layer_time

    def bare() -> None:  # the bare callback, its list cleared per iteration
        for _ in range(ITERATIONS):
            bare_prof.out.clear()
            for n, t in zip(names, times, strict=True):
                bare_report(n, t)

    def bare_append() -> None:  # for scale: no callback at all, a C-level append per layer
        out: list[tuple[str, float]] = []
        add = out.append
        for _ in range(ITERATIONS):
            out.clear()
            for n, t in zip(names, times, strict=True):
                add((n, t))

    t_trtui = median_seconds(trtui_path, REPEATS)
    t_bare = median_seconds(bare, REPEATS)
    t_append = median_seconds(bare_append, REPEATS)
    per = layers * ITERATIONS
    ns_trtui = t_trtui / per * 1e9
    ns_bare = t_bare / per * 1e9
    ratio = ns_trtui / ns_bare
    note = (
        f"{layers} layers x {ITERATIONS} iterations; IProfiler base: {base}; "
        "ratio = trtui's cost (callback per layer, take + ProfiledIteration per iteration, the layer "
        f"aggregator fed {per_batch} iterations at a time, as the session ingests one tick's batch: "
        "about 0.5 s of a fast engine profiled 1 in 10; one aggregator through the warm-up and timed "
        "runs, as in a session, so its one-time set-up for new layers is not in the figure) / the cost "
        "of a bare callback (a Python report_layer_time of an IProfiler subclass, as TensorRT calls it) "
        "appending (name, ms) to a list cleared per iteration; "
        f"a C-level list.append per layer with no callback costs {t_append / per * 1e9:.0f} ns "
        f"(trtui's path is x{t_trtui / t_append:.2f} that)"
    )
    name = f"profiler ingestion per layer sample, {layers} layers"
    if layers == 59:
        name += f" (target <= 2x: {'met' if ratio <= 2 else 'NOT met'})"
    return [
        _row(name, ns_trtui, "ns", note, ratio=ratio, baseline=f"bare callback {ns_bare:.0f} ns"),
        _row(f"bare profiler callback per layer sample, {layers} layers (baseline)", ns_bare, "ns", note),
        _row(f"profiler ingestion rate, {layers} layers", per / t_trtui, "layer samples/s", note),
    ]


class _Screen:
    """The live screen running beside the loop, as a user has it: `trtui demo` at 20,000 layers,
    profiling every inference, with the layer details open (Enter), in tmux at 120x40. The screen
    is a process of its own, as trtui's UI is apart from its GPU process."""

    def __init__(self) -> None:
        self.name = ""
        if shutil.which("tmux") is None:
            return
        self.name = f"trtui-bench-rt-{uuid.uuid4().hex[:8]}"
        cmd = f"exec {sys.executable} -m trtui demo --layers 20000 --profile-every 1"
        env = {**os.environ, "TERM": "xterm-256color"}
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "120", "-y", "40", cmd], check=True, env=env
        )
        end = time.monotonic() + 30
        while time.monotonic() < end:
            shown = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True,
                                   text=True).stdout
            if "layer" in shown and "%" in shown:
                break
            time.sleep(0.2)
        time.sleep(1.0)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=False)

    def close(self) -> None:
        if self.name:
            subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


ENGINES = ((5.0, "0.1 ms", 0.95), (25.0, "0.5 ms", 0.99))  # 20 kernels x this many us; busy target
MODES = (("no graphs", False, 1), ("graphs, 1 per launch", True, 1), ("graphs, several per launch", True, 16))


def _measure(kernel_us: float, graphs: bool, per_graph: int, seconds: float) -> dict[str, Any] | None:
    from bench._synthetic import build_synthetic_session
    from trtui.gpu.runtime.loop_types import LoopConfig
    from trtui.gpu.runtime.worker import GpuWorker, PycudaPlatform
    from trtui.sources.merge import merge_batches

    g: Any = None
    if graphs:
        try:
            from trtui.gpu.runtime.cuda_graphs import CudaGraphs

            g = CudaGraphs()
        except Exception:
            return None
    res: dict[str, Any] = {}
    cfg = LoopConfig(use_graphs=graphs, profile_every=0, warmup_s=0.3, max_per_graph=per_graph)

    def setup(driver: Any, r: Any, emit: Any) -> Any:
        return build_synthetic_session(driver, r, emit, graphs=g, config=cfg, results=res, kernels=20,
                                       kernel_us=kernel_us)

    worker = GpuWorker(PycudaPlatform(0), setup)
    worker.start(timeout=120)
    cpu0 = time.process_time()  # this process: the loop's thread (the main thread sleeps)
    time.sleep(seconds)
    cpu = time.process_time() - cpu0
    worker.stop()
    out = []
    while not worker.out.empty():
        out.append(worker.out.get_nowait())
    batch = merge_batches(out, 0.0)
    if batch.error or not batch.timing_wall_s:
        return None
    own_ns, count = res["own"]
    per_inference_s = 20 * own_ns / count / 1e9
    stats = res["stats"]
    n = batch.latencies_ms.size
    return {
        "its": n / batch.timing_wall_s,
        "busy": float(batch.latencies_ms.sum()) / 1000 / batch.timing_wall_s,
        "kernel": n * per_inference_s / batch.timing_wall_s,
        "cpu_us": 1e6 * cpu / max(1, n),  # over the run, warm-up and captures included
        "per_launch": stats.per_launch,
        "depth": res.get("depth"),
        "idle": stats.idle_fraction,
        "graphs_on": res.get("graphs_on"),
    }


def _loop_rows() -> list[dict[str, Any]]:
    try:
        import pycuda.driver as cuda

        cuda.init()
        if cuda.Device.count() < 1:
            return []
    except Exception:
        return []
    seconds = float(os.environ.get("TRTUI_BENCH_LOOP_S", "3"))
    rows: list[dict[str, Any]] = []
    for screen in (False, True):
        ui = _Screen() if screen else None
        if screen and not (ui and ui.name):
            continue  # no tmux: the bare figures only
        where = "screen running (demo, 20k layers, details open)" if screen else "no screen"
        try:
            for kernel_us, engine, target in ENGINES:
                for mode, graphs, per_graph in MODES:
                    m = _measure(kernel_us, graphs, per_graph, seconds)
                    if m is None or (graphs and not m["graphs_on"]):
                        continue
                    note = (
                        f"synthetic {engine} engine (20 kernels x {kernel_us:g} us), 1 stream, {where}; "
                        f"{m['per_launch']} inference(s) per launch, {m['depth']} launches in flight; busy = "
                        f"the inferences' GPU time (CUDA events) / wall time; the kernels' own run time "
                        f"(GPU global timer) is {100 * m['kernel']:.1f}% of wall time (the rest of an "
                        f"inference is the GPU's gaps between its 20 dependent kernels); idle between "
                        f"launches {100 * m['idle']:.2f}% of GPU time"
                    )
                    if not graphs:
                        note += ("; without graphs an inference's event time includes the GPU waiting for "
                                 "the host's kernel launches inside it: read the kernel share")
                    label = f"{engine} engine, {mode}, {where.split(' (')[0]}"
                    extra: dict[str, Any] = {}
                    busy_name = f"loop GPU busy, {label}"
                    if mode.startswith("graphs, several"):  # trtui's default: the target
                        met = m["busy"] >= target
                        extra = {"target": f">= {100 * target:.0f}%", "met": met}
                        busy_name += f" (target >= {100 * target:.0f}%: {'met' if met else 'NOT met'})"
                    rows.append(_row(busy_name, 100 * m["busy"], "%", note, **extra))
                    rows.append(_row(f"loop iterations/s, {label}", m["its"], "it/s", note))
                    rows.append(_row(f"loop kernel time share, {label}", 100 * m["kernel"], "%", note))
                    rows.append(_row(f"loop host CPU per inference, {label}", m["cpu_us"], "us", note))
        finally:
            if ui is not None:
                ui.close()
    return rows


def run() -> list[dict[str, Any]]:
    return _profiler_rows(59) + _profiler_rows(LAYERS) + _loop_rows()
