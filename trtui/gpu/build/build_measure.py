"""The tuner's measurement of a built engine, in the build child (`trtui.gpu.build.builder`): its sizes as
TensorRT reports them, and its latency timed by the live run's own code -- the GPU worker with the
device's primary context (`PycudaPlatform`), the engine adapter (`build_engine_session`: buffers,
contexts, CUDA graphs) and the inference loop, with profiling off and one stream, as
`trtui profile ENGINE --profile-every 0` runs it. So the tuner's latencies and the live screen's come
from one loop. tensorrt, pycuda and cuda-python are imported inside functions.
"""

from __future__ import annotations

import contextlib
import queue
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MEASURE_ENV = "TRTUI_BUILD_MEASURE_S"
MEASURE_S = 1.0  # about this long of timed inferences per built engine, after the warm-up
WARMUP_S = 0.2  # the loop's warm-up: inferences in this time are not measured
MIN_SAMPLES = 10  # at least this many latencies, for slow engines
START_TIMEOUT_S = 300.0  # loading the engine and capturing its graph
SLOW_ENGINE_S = 30.0  # stop waiting for MIN_SAMPLES this long after the planned end


def measure(
    trt: Any, logger: Any, plan: bytes, shapes: dict[str, tuple[int, ...]], device: int,
    seconds: float | None = None,
) -> dict[str, Any]:
    """Device memory, weights, I/O bytes and median latency of the built engine. The latency is
    measured by the live run's code (see `time_like_a_live_run`), so the tuner's figures and
    `trtui profile`'s come from one loop. What cannot be measured is None, with a note; a failed
    measurement never loses the built engine (it is already written)."""
    notes: list[str] = []
    out: dict[str, Any] = {"device_memory_bytes": None, "weights_bytes": None, "io_bytes": None,
                           "latency_ms": None}
    loaded = False

    def read_engine(engine: Any) -> None:
        nonlocal loaded
        loaded = True
        out.update(engine_sizes(trt, engine))

    try:
        io_bytes, latency, note = time_like_a_live_run(
            trt, plan, shapes, device, MEASURE_S if seconds is None else seconds, on_engine=read_engine
        )
    except Exception as err:  # the engine is built; a failed measurement must not lose it
        io_bytes, latency, note = None, None, f"latency not measured: {' '.join(str(err).split())}"
    out["io_bytes"], out["latency_ms"] = io_bytes, latency
    if note:
        notes.append(note)
    if not loaded:  # no CUDA for the live loop (no pycuda, no device): ask TensorRT alone
        try:
            runtime = trt.Runtime(logger)
            engine = runtime.deserialize_cuda_engine(plan)
            if engine is None:
                notes.append("the built engine did not load")
            else:
                out.update(engine_sizes(trt, engine))
            del engine, runtime
        except Exception as err:
            notes.append(f"the built engine did not load: {' '.join(str(err).split())}")
    if notes:
        out["note"] = "; ".join(notes)
    return out


def engine_sizes(trt: Any, engine: Any) -> dict[str, int | None]:
    """Activation memory per execution context and the weights' size, as TensorRT reports them."""
    sizes: dict[str, int | None] = {"device_memory_bytes": None, "weights_bytes": None}
    if hasattr(engine, "device_memory_size_v2"):
        sizes["device_memory_bytes"] = int(engine.device_memory_size_v2)
    elif hasattr(engine, "device_memory_size"):
        sizes["device_memory_bytes"] = int(engine.device_memory_size)
    if hasattr(engine, "get_engine_stat") and hasattr(trt, "EngineStat"):
        with contextlib.suppress(RuntimeError, TypeError, AttributeError):
            sizes["weights_bytes"] = int(engine.get_engine_stat(trt.EngineStat.TOTAL_WEIGHTS_SIZE))
    return sizes


def time_like_a_live_run(
    trt: Any, plan: bytes, shapes: dict[str, tuple[int, ...]], device: int, seconds: float,
    on_engine: Callable[[Any], None] | None = None,
) -> tuple[int | None, float | None, str]:
    """(I/O bytes, median latency in ms, note) of the engine, timed by the live run's own code: the
    GPU worker with the device's primary context (`PycudaPlatform`), the engine adapter
    (`build_engine_session`: its buffers, contexts and CUDA graphs) and the inference loop, with
    profiling off and one stream, as `trtui profile ENGINE --profile-every 0` runs it. After the
    loop's warm-up, about `seconds` of timed inferences (at least MIN_SAMPLES); the median of their
    CUDA-event latencies. Raises UserError (pycuda missing, no usable device, a setup failure)."""
    from trtui.core.options import RunOptions
    from trtui.gpu.runtime.cuda_check import DeviceFacts
    from trtui.gpu.runtime.cuda_graphs import CudaGraphs
    from trtui.gpu.runtime.engine_session import EngineRequest, build_engine_session
    from trtui.gpu.runtime.loop_types import LoopConfig
    from trtui.gpu.runtime.trt_module import TrtModule
    from trtui.gpu.runtime.worker import GpuWorker, PycudaPlatform

    options = RunOptions(shapes=tuple(shapes.items()), streams=1, transfers=False, cuda_graph=True,
                         profile_every=0, device=device)
    version = str(getattr(trt, "__version__", "?"))
    req = EngineRequest(
        plan=plan, path=Path("built.engine"), options=options,
        trt=TrtModule(name=getattr(trt, "__name__", "tensorrt"), module=trt, version=version),
        device=DeviceFacts(device, "the build device", (0, 0), 0, "?"),  # only worded in notes
        graphs_factory=CudaGraphs,
        loop_config=LoopConfig(use_graphs=True, profile_every=0, warmup_s=WARMUP_S),
        on_engine=on_engine,
    )
    worker = GpuWorker(PycudaPlatform(device),
                       lambda driver, res, emit: build_engine_session(req, driver, res, emit),
                       name="trtui-measure")
    info = worker.start(timeout=START_TIMEOUT_S)
    latencies: list[float] = []
    timing_s = 0.0
    error: str | None = None
    give_up = time.monotonic() + WARMUP_S + seconds + SLOW_ENGINE_S
    try:
        while (timing_s < seconds or len(latencies) < MIN_SAMPLES) and time.monotonic() < give_up:
            try:
                batch = worker.out.get(timeout=0.1)
            except queue.Empty:
                continue
            latencies.extend(float(x) for x in batch.latencies_ms)
            timing_s += batch.timing_wall_s
            if batch.finished:
                error = batch.error or "the inference loop stopped"
                break
    finally:
        worker.stop()
    facts = info.facts
    io_bytes = facts.io_bytes if facts is not None else None
    if error is not None and not latencies:
        return io_bytes, None, f"latency not measured: {error}"
    if not latencies:
        return io_bytes, None, "latency not measured: no inference completed in time"
    note = ""
    if facts is not None and not facts.cuda_graphs:
        note = f"latency without CUDA graphs ({facts.graphs_off or 'unavailable'})"
    return io_bytes, round(statistics.median(latencies), 4), note
