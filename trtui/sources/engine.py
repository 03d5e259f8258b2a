"""A TensorRT engine file as a ProfileSource.

`open_engine_source(path, options)` checks the file first (exists, readable, not empty, a plan
header; reads only the header) without importing anything GPU-related, so a wrong file is reported
before a missing GPU. `start()` then checks for a usable CUDA device (before any TensorRT Runtime
exists), finds the TensorRT module, and starts the GPU worker thread, which deserializes the engine
(explaining failures from TensorRT's log), sets up the contexts and buffers, and runs the loop.
Every failure is a one-line `UserError`, raised by `open_engine_source` or `start()`; errors after
the start arrive as a final batch with `finished=True` and `error` set.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trtui.errors import UserError
from trtui.model import ProfiledIteration, SourceBatch, SourceInfo, frozen_array
from trtui.options import RunOptions
from trtui.sources.engine_file import EngineFile, inspect_engine_file, read_plan
from trtui.sources.protocol import ProfileSource

MAX_STREAMS = 64


def merge_batches(pieces: Sequence[SourceBatch], t: float) -> SourceBatch:
    """One batch from the pieces the worker produced since the last read."""
    if not pieces:
        return SourceBatch(t=t)
    if len(pieces) == 1:
        return pieces[0]
    lat = [p.latencies_ms for p in pieces if p.latencies_ms.size]
    streams = [p.latency_streams for p in pieces if p.latency_streams is not None and p.latency_streams.size]
    profiled: list[ProfiledIteration] = []
    notices: list[str] = []
    for p in pieces:
        profiled.extend(p.profiled)
        notices.extend(p.notices)
    error = next((p.error for p in pieces if p.error), None)
    return SourceBatch(
        t=max(p.t for p in pieces),
        latencies_ms=frozen_array(np.concatenate(lat) if lat else ()),  # type: ignore[arg-type]
        latency_streams=frozen_array(np.concatenate(streams), np.int64) if streams else None,  # type: ignore[arg-type]
        timing_wall_s=sum(p.timing_wall_s for p in pieces),
        profiled=tuple(profiled),
        notices=tuple(notices),
        finished=any(p.finished for p in pieces),
        error=error,
    )


class EngineSource:
    """Runs a TensorRT engine on the GPU (see the module docstring)."""

    def __init__(self, engine_file: EngineFile, options: RunOptions) -> None:
        self._file = engine_file
        self._options = options
        self._info = SourceInfo(
            kind="engine",
            label=engine_file.path.name,
            simulated=False,
            path=str(engine_file.path),
            shapes=options.shapes,
            streams=options.streams,
        )
        self._worker: Any = None
        self._finished: SourceBatch | None = None
        self._started = False
        self._stopped = False

    @property
    def info(self) -> SourceInfo:
        """Static facts; complete (device, TensorRT version, layers, mode) once `start()` returned."""
        return self._info

    @property
    def worker(self) -> Any:
        """The GPU worker (for tests and benchmarks), None before start."""
        return self._worker

    def start(self) -> None:
        if self._started:
            raise RuntimeError("EngineSource.start() called twice")
        self._started = True
        from trtui.gpu.cuda_check import check_cuda_device

        facts = check_cuda_device(self._options.device)
        kernel_tracer: Any = None
        kernel_notes: list[str] = []
        if self._options.kernels:  # before TensorRT loads: NVTX must reach CUPTI from its first call
            from trtui.gpu.cupti_tracer import open_kernel_tracer

            kernel_tracer, kernel_notes = open_kernel_tracer()
        from trtui.gpu.trt_module import load_trt_module

        trt = load_trt_module()
        from trtui.gpu.engine_session import EngineRequest, build_engine_session
        from trtui.gpu.worker import GpuWorker, PycudaPlatform

        graphs_factory = None
        if self._options.cuda_graph:
            from trtui.gpu.cuda_graphs import CudaGraphs

            graphs_factory = CudaGraphs
        req = EngineRequest(
            plan=read_plan(self._file),
            path=self._file.path,
            options=self._options,
            trt=trt,
            device=facts,
            metadata=dict(self._file.metadata) if self._file.metadata else None,
            graphs_factory=graphs_factory,
            notices=kernel_notes,
            kernel_tracer=kernel_tracer,
        )
        self._worker = GpuWorker(
            PycudaPlatform(self._options.device),
            lambda driver, res, emit: build_engine_session(req, driver, res, emit),
        )
        self._info = self._worker.start()

    def read(self, timeout: float) -> SourceBatch:
        if self._finished is not None:
            return SourceBatch(t=time.monotonic(), finished=True, error=self._finished.error)
        if self._worker is None:
            if timeout > 0:
                time.sleep(min(timeout, 0.05))
            return SourceBatch(t=time.monotonic())
        q: queue.Queue[SourceBatch] = self._worker.out
        pieces: list[SourceBatch] = []
        try:
            pieces.append(q.get(timeout=max(timeout, 0.0)) if timeout > 0 else q.get_nowait())
            while True:
                pieces.append(q.get_nowait())
        except queue.Empty:
            pass
        batch = merge_batches(pieces, time.monotonic())
        if batch.finished:
            self._finished = batch
        return batch

    def set_paused(self, paused: bool) -> None:
        if self._worker is not None:
            self._worker.set_paused(paused)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._worker is not None:
            self._worker.stop()


def open_engine_source(path: Path, options: RunOptions) -> ProfileSource:
    """File checks (no GPU imports); raises UserError. The returned source starts the GPU work."""
    if not 1 <= options.streams <= MAX_STREAMS:
        raise UserError(f"--streams must be between 1 and {MAX_STREAMS}, not {options.streams}")
    if options.profile_every < 0:
        raise UserError(f"the profiling interval must be 0 (off) or more, not {options.profile_every}")
    return EngineSource(inspect_engine_file(Path(path)), options)
