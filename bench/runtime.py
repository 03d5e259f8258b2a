"""Benchmarks of the GPU runtime path.

- Profiler ingestion (CPU, no GPU needed): trtui's IProfiler callback (a real `IProfiler` subclass of
  the installed TensorRT module when there is one, called from Python: TensorRT's C++ trampoline is
  not in the measurement) + turning one iteration's reports into a `ProfiledIteration` + the layer
  aggregator, per reported layer time, against a bare Python callback that only appends
  `(name, ms)` to a list. Also layer samples per second.
- The synthetic inference loop (GPU + pycuda only; skipped elsewhere): iterations per second and
  GPU busy fraction (the kernels' own run time over wall time) with and without CUDA graphs, for an
  "engine" of 20 kernels x 5 us, where Python's launch cost per kernel exceeds the GPU work unless a
  graph replays it.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench._timing import median_seconds
from trtui.gpu.runtime.profiler import LayerSamples, make_profiler
from trtui.model import ProfiledIteration, frozen_array
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




def _profiler_rows() -> list[dict[str, Any]]:
    trt, base = _trt_module()
    names = [f"layer{i} + relu{i}" for i in range(LAYERS)]
    times = [float(t) for t in np.random.default_rng(0).random(LAYERS) * 0.05]
    samples = LayerSamples()
    prof = make_profiler(trt, samples)
    report = prof.report_layer_time

    def trtui_path() -> None:
        agg = LayerAggregator()
        for _ in range(ITERATIONS):
            samples.clear()
            for n, t in zip(names, times, strict=True):
                report(n, t)
            got_names, got = samples.take()
            agg.add(ProfiledIteration(names=got_names, times_ms=frozen_array(got)))  # type: ignore[arg-type]

    def bare() -> None:
        out: list[tuple[str, float]] = []
        add = out.append
        for _ in range(ITERATIONS):
            for n, t in zip(names, times, strict=True):
                add((n, t))

    t_trtui = median_seconds(trtui_path, REPEATS)
    t_bare = median_seconds(bare, REPEATS)
    per = LAYERS * ITERATIONS
    ns_trtui = t_trtui / per * 1e9
    ns_bare = t_bare / per * 1e9
    note = (
        f"{LAYERS} layers x {ITERATIONS} iterations; IProfiler base: {base}; "
        "ratio = trtui's cost / the bare append's cost"
    )
    return [
        _row(
            "profiler ingestion per layer sample",
            ns_trtui,
            "ns",
            note,
            ratio=ns_trtui / ns_bare,
            baseline=f"bare append callback {ns_bare:.0f} ns",
        ),
        _row("profiler ingestion rate", per / t_trtui, "layer samples/s", note),
    ]


def _loop_rows() -> list[dict[str, Any]]:
    try:
        import pycuda.driver as cuda

        cuda.init()
        if cuda.Device.count() < 1:
            return []
    except Exception:
        return []
    from bench._synthetic import build_synthetic_session
    from trtui.gpu.runtime.loop import LoopConfig
    from trtui.gpu.runtime.worker import GpuWorker, PycudaPlatform
    from trtui.sources.merge import merge_batches

    rows: list[dict[str, Any]] = []
    for graphs in (False, True):
        g: Any = None
        if graphs:
            try:
                from trtui.gpu.runtime.cuda_graphs import CudaGraphs

                g = CudaGraphs()
            except Exception:
                continue
        res: dict[str, Any] = {}
        cfg = LoopConfig(use_graphs=graphs, profile_every=0, warmup_s=0.3)

        def setup(
            driver: Any, r: Any, emit: Any, g: Any = g, cfg: LoopConfig = cfg, res: dict[str, Any] = res
        ) -> Any:
            return build_synthetic_session(
                driver, r, emit, graphs=g, config=cfg, results=res, kernels=20, kernel_us=5.0
            )

        worker = GpuWorker(PycudaPlatform(0), setup)
        worker.start(timeout=120)
        time.sleep(3.0)
        worker.stop()
        out = []
        while not worker.out.empty():
            out.append(worker.out.get_nowait())
        batch = merge_batches(out, 0.0)
        if batch.error or not batch.timing_wall_s:
            continue
        label = "with CUDA graphs" if graphs else "without CUDA graphs"
        its = batch.latencies_ms.size / batch.timing_wall_s
        own_ns, count = res["own"]
        busy = batch.latencies_ms.size * 20 * own_ns / count / 1e9 / batch.timing_wall_s
        event_share = float(batch.latencies_ms.sum()) / 1000 / batch.timing_wall_s
        note = (
            f"synthetic engine: 20 kernels x 5 us per iteration, 1 stream, enqueue-ahead depth "
            f"{res.get('depth')}; busy = the kernels' own run time (GPU global timer) / wall time; "
            f"CUDA-event time covers {100 * event_share:.1f}% of wall time, idle between iterations "
            f"{100 * res['stats'].idle_fraction:.1f}% of it"
        )
        rows.append(_row(f"synthetic loop iterations/s {label}", its, "it/s", note))
        rows.append(_row(f"synthetic loop GPU busy {label}", 100 * busy, "%", note))
    return rows


def run() -> list[dict[str, Any]]:
    return _profiler_rows() + _loop_rows()
