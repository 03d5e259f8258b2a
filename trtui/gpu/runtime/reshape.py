"""Changing a running engine's batch and number of contexts (`trtui sweep`, the live picker).

One engine load serves every configuration: a change drains the inference loop, releases the old
contexts, buffers and streams, builds the new ones (shapes within the optimization profile), and
the loop runs them once, captures CUDA graphs again and warms up. A configuration that does not
fit (out of memory, a shape TensorRT refuses) is undone: the previous one is built again and the
caller gets `DoesNotFit`; the run goes on.

`request()` is called from the consumer thread and waits; the change itself runs on the GPU
worker thread (through `InferenceLoop.reconfigure`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from trtui.common.errors import UserError
from trtui.core.reconfig import DoesNotFit, Reconfigured
from trtui.engine_info.batch_shapes import BatchDoesNotFit, batch_of, shapes_for_batch
from trtui.engine_info.shapes import InputProfile, ShapeList
from trtui.gpu.runtime.io_buffers import IoBuffers, TensorSpec, tensor_bytes
from trtui.gpu.runtime.loop import InferenceLoop
from trtui.gpu.runtime.loop_types import Lane
from trtui.gpu.runtime.worker import Holder

WAIT_S = 120.0  # the longest a change may take (context creation, first runs, graph capture)


@dataclass
class LaneParts:
    """One execution context with its stream and buffers, as the loop's lane."""

    lane: Lane
    context: Holder
    buffers: IoBuffers
    stream: Holder
    specs: list[TensorSpec]

    def release(self) -> None:
        """The context first, then its buffers, then its stream (the loop has drained it)."""
        self.context.release()
        self.buffers.free()
        self.stream.release()


BuildLane = Callable[[int, ShapeList], LaneParts]


class EngineReshaper:
    """Changes the batch and number of contexts of a running engine (see the module docstring). Owns the
    lanes' parts; `request` serializes callers.
    """

    def __init__(
        self,
        loop: InferenceLoop,
        build_lane: BuildLane,
        profiles: Sequence[InputProfile],
        shapes: ShapeList,
        parts: Sequence[LaneParts],
        *,
        mem_per_ctx: int,
        free_bytes: Callable[[], int],
        rebind_profiled: Callable[[LaneParts, ShapeList], None] | None = None,
    ) -> None:
        self._loop = loop
        self._build = build_lane
        self.profiles = tuple(profiles)
        self.shapes = tuple(shapes)
        self._parts = list(parts)
        self._mem_per_ctx = mem_per_ctx
        self._free = free_bytes
        self._rebind = rebind_profiled
        self._lock = threading.Lock()  # one request at a time

    @property
    def streams(self) -> int:
        """Execution contexts (one per stream) running now."""
        return len(self._parts)

    @property
    def batch(self) -> int | None:
        """The batch the current shapes run (see `batch_of`); None when no input tells one."""
        return batch_of(self.profiles, self.shapes)

    def memory_per_context_mib(self) -> float | None:
        """Device memory (MiB) one context uses at the current shapes: activation memory plus its I/O buffers.
        None when no context runs."""
        if not self._parts:
            return None
        io = sum(tensor_bytes(s) for s in self._parts[0].specs)
        return (self._mem_per_ctx + io) / 2**20

    def request(self, batch: int | None, streams: int | None, alive: Callable[[], bool]) -> Reconfigured:
        """Switch and wait until the new configuration runs. Raises DoesNotFit (the previous
        configuration runs again), or UserError when the worker stops meanwhile."""
        with self._lock:
            try:
                shapes = self.shapes if batch is None else shapes_for_batch(self.profiles, self.shapes, batch)
            except BatchDoesNotFit as err:
                raise DoesNotFit(str(err), "profile") from None
            n = self.streams if streams is None else int(streams)
            if n < 1:
                raise DoesNotFit(f"{n} streams: at least 1", "other")
            if tuple(shapes) == self.shapes and n == self.streams:  # already running it
                return Reconfigured(self.batch, self.streams, self.shapes, self.memory_per_context_mib())
            done = threading.Event()
            outcome: list[BaseException | None] = []

            def change() -> None:
                try:
                    outcome.append(self._apply(shapes, n))
                finally:
                    done.set()

            self._loop.reconfigure(change)
            waited = 0.0
            while not done.wait(0.1):
                waited += 0.1
                if not alive():
                    raise UserError("the engine stopped while it was being reconfigured")
                if waited >= WAIT_S:
                    raise UserError(f"reconfiguring the engine took more than {WAIT_S:.0f} s")
            if outcome and outcome[0] is not None:
                raise outcome[0]
            return Reconfigured(self.batch, self.streams, self.shapes, self.memory_per_context_mib())

    # ---------------------------------------------------------------- loop thread

    def _apply(self, shapes: ShapeList, streams: int) -> DoesNotFit | None:
        """Runs on the loop thread with every lane drained and its graphs destroyed."""
        old_shapes, old_streams = self.shapes, len(self._parts)
        for part in reversed(self._parts):
            part.release()
        self._parts = []
        gc.collect()  # the old contexts' activation memory goes back to the device before new ones
        try:
            self._build_all(shapes, streams)
        except UserError as err:
            for part in reversed(self._parts):
                part.release()
            self._parts = []
            self._build_all(old_shapes, old_streams)  # it ran before: it fits again
            memory = "memory" in str(err).lower()
            return DoesNotFit(str(err), "memory" if memory else "other")
        return None

    def _build_all(self, shapes: ShapeList, streams: int) -> None:
        profiling = self._rebind is not None
        need = self._mem_per_ctx * (streams + (1 if profiling else 0))
        free = self._free()
        if self._mem_per_ctx and need > free:
            raise UserError(
                f"out of memory: {streams} execution context(s) need {need / 2**20:.0f} MiB of activation "
                f"memory, {free / 2**20:.0f} MiB is free"
            )
        for i in range(streams):
            self._parts.append(self._build(i, shapes))
        self.shapes = tuple(shapes)
        self._loop.set_lanes([p.lane for p in self._parts])
        if self._rebind is not None:
            self._rebind(self._parts[0], self.shapes)
