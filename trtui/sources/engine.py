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
from dataclasses import replace
from pathlib import Path
from typing import Any

from trtui.common.errors import UserError
from trtui.core.model import SourceBatch, SourceInfo, StartupStep
from trtui.core.options import RunOptions
from trtui.core.reconfig import DoesNotFit, Reconfigured
from trtui.core.run_facts import worded
from trtui.core.startup_steps import StepTimer
from trtui.sources.engine_file import EngineFile, inspect_engine_file, read_plan
from trtui.sources.merge import merge_batches
from trtui.sources.protocol import ProfileSource, StartupListener

MAX_STREAMS = 64


def info_before_start(engine_file: EngineFile, options: RunOptions) -> SourceInfo:
    """What is known of an engine before it is loaded (its layers, device and mode come later)."""
    return SourceInfo(
        kind="engine",
        label=engine_file.path.name,
        simulated=False,
        path=str(engine_file.path),
        shapes=options.shapes,
        streams=options.streams,
    )


class EngineSource:
    """Runs a TensorRT engine on the GPU (see the module docstring)."""

    def __init__(self, engine_file: EngineFile, options: RunOptions) -> None:
        self._file = engine_file
        self._options = options
        self._info = info_before_start(engine_file, options)
        self._worker: Any = None
        self._finished: SourceBatch | None = None
        self._started = False
        self._stopped = False
        self._listener: StartupListener | None = None

    @property
    def info(self) -> SourceInfo:
        """Static facts; complete (device, TensorRT version, layers, mode) once `start()` returned."""
        return self._info

    def set_startup_listener(self, listener: StartupListener) -> None:
        """Called from inside `start()`, on its thread, with the start-up steps (`ReportsStartup`)."""
        self._listener = listener

    def _steps_here(self, step: StartupStep) -> None:
        if self._listener is not None:
            self._listener((step,))

    @property
    def worker(self) -> Any:
        """The GPU worker (for tests and benchmarks), None before start."""
        return self._worker

    def start(self) -> None:
        """Check the CUDA device, load TensorRT and start the GPU worker; returns once the engine runs (its
        `info` complete). Raises `UserError` with one line; `RuntimeError` when called twice."""
        if self._started:
            raise RuntimeError("EngineSource.start() called twice")
        self._started = True
        here = StepTimer(self._steps_here)  # the steps timed on this thread, before the worker's
        with here.step("CUDA driver"):
            from trtui.gpu.runtime.cuda_check import check_cuda_device

            facts = check_cuda_device(self._options.device)
        kernel_tracer: Any = None
        kernel_notes: list[str] = []
        if self._options.kernels:  # before TensorRT loads: NVTX must reach CUPTI from its first call
            from trtui.gpu.runtime.cupti_tracer import open_kernel_tracer

            kernel_tracer, kernel_notes = open_kernel_tracer()
        with here.step("TensorRT"):
            from trtui.gpu.runtime.trt_module import load_trt_module

            # TensorRT before pycuda (the worker imports it): with the real TensorRT 8.5.3 a script that
            # imported pycuda first crashed in deserialize_cuda_engine (seen on an H100); this order works.
            trt = load_trt_module()
        from trtui.gpu.runtime.engine_session import EngineRequest, build_engine_session
        from trtui.gpu.runtime.worker import GpuWorker, PycudaPlatform

        graphs_factory = None
        if self._options.cuda_graph:
            from trtui.gpu.runtime.cuda_graphs import CudaGraphs

            graphs_factory = CudaGraphs
        with here.step("read plan"):
            plan = read_plan(self._file)
        req = EngineRequest(
            plan=plan,
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
        self._worker.on_steps = self._listener
        req.steps = self._worker.steps
        self._info = worded(self._worker.start())  # the adapter gives facts; the wording is made here

    def read(self, timeout: float) -> SourceBatch:
        """Everything the worker queued since the last read, merged; waits up to `timeout` s for the first
        piece. After the final batch every read returns `finished` again, with the same error."""
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

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
        """Another batch (within the optimization profile) and/or number of contexts, with the same
        engine (see `trtui.gpu.runtime.reshape`). Raises DoesNotFit (the previous configuration goes on)."""
        if streams is not None and not 1 <= streams <= MAX_STREAMS:
            raise DoesNotFit(f"{streams} streams: between 1 and {MAX_STREAMS}", "other")
        if self._worker is None or self._finished is not None:
            raise UserError("the engine is not running")
        reshaper = self._worker.reshaper
        if reshaper is None:
            raise UserError("this engine session cannot be reconfigured")
        worker = self._worker
        done: Reconfigured = reshaper.request(batch, streams, alive=lambda: bool(worker.alive))
        self._drop_queued()
        self._info = replace(self._info, shapes=done.shapes, streams=done.streams)
        return done

    def _drop_queued(self) -> None:
        """Forget what ran before a reconfiguration (an end of the run is kept)."""
        q: queue.Queue[SourceBatch] = self._worker.out
        try:
            while True:
                piece = q.get_nowait()
                if piece.finished:
                    self._finished = piece
        except queue.Empty:
            pass

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the worker's inferences; a no-op before `start()`."""
        if self._worker is not None:
            self._worker.set_paused(paused)

    def stop(self) -> None:
        """Stop the worker, which frees the GPU objects. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._worker is not None:
            self._worker.stop()


def check_engine_request(path: Path, options: RunOptions) -> EngineFile:
    """File and option checks (no GPU imports); raises UserError."""
    if not 1 <= options.streams <= MAX_STREAMS:
        raise UserError(f"--streams must be between 1 and {MAX_STREAMS}, not {options.streams}")
    if options.profile_every < 0:
        raise UserError(f"the profiling interval must be 0 (off) or more, not {options.profile_every}")
    return inspect_engine_file(Path(path))


def open_engine_source(path: Path, options: RunOptions) -> ProfileSource:
    """The engine in this process (the GPU process itself runs this; so do the adapter's tests).
    The returned source starts the GPU work."""
    return EngineSource(check_engine_request(path, options), options)
