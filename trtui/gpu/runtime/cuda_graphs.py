"""CUDA graph capture through cuda-python (pycuda has no graph API), on a pycuda stream's raw
handle (``int(stream.handle)``). Used by the inference loop; call from the GPU worker thread with
the context pushed.

Recipe (trtexec's): run the work once before capturing; capture on a non-default stream in
thread-local mode; if the captured work fails (TensorRT returns False for operations that cannot
be captured), end the capture, clear the CUDA error, and report why, so the caller falls back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trtui.common.errors import MissingDependency


class GraphCaptureError(Exception):
    """Capturing or instantiating a graph failed; the message says why (shown as a notice)."""


@dataclass
class CapturedGraph:
    """An instantiated CUDA graph and its timing events; owned by the `CudaGraphs` that made it, which
    alone destroys it."""

    graph: Any
    exec: Any
    # a graph of several inferences: the timing events recorded before, between and after them
    events: list[Any] = field(default_factory=list)

    @property
    def inferences(self) -> int:
        """Inferences one launch runs: 1, or `capture_batch`'s count."""
        return max(1, len(self.events) - 1)


def _import_cudart() -> Any:
    try:
        from cuda.bindings import runtime as cudart
    except ImportError:
        try:
            from cuda import cudart  # cuda-python < 12.6
        except ImportError:
            raise MissingDependency(
                "CUDA graphs need cuda-python: pip install \"trtui[gpu]\" (or run with --no-cuda-graph)"
            ) from None
    return cudart


class CudaGraphs:
    """Capture / launch / destroy graphs on raw stream handles."""

    def __init__(self, cudart: Any | None = None) -> None:
        self._rt = cudart if cudart is not None else _import_cudart()

    def _ok(self, err: Any) -> bool:
        return bool(err == self._rt.cudaError_t.cudaSuccess)

    def _text(self, err: Any) -> str:
        try:
            res = self._rt.cudaGetErrorString(err)
            s = res[1] if isinstance(res, tuple) else res
            return s.decode() if isinstance(s, bytes) else str(s)
        except Exception:  # pragma: no cover - best effort message
            return str(err)

    def _clear_error(self) -> None:
        self._rt.cudaGetLastError()

    def capture(self, stream: int, work: Callable[[int], bool]) -> CapturedGraph:
        """Capture `work(stream)` into an instantiated graph. Raises GraphCaptureError."""
        return self._capture(stream, work, 1, timed=False)

    def capture_batch(self, stream: int, work: Callable[[int], bool], inferences: int) -> CapturedGraph:
        """Capture `inferences` runs of `work` into one graph, with an event-record node before,
        between and after them (CUDA events with timing): one launch runs them all, and
        `batch_times` reads each one's GPU time once the graph completed. Raises GraphCaptureError."""
        return self._capture(stream, work, max(1, int(inferences)), timed=True)

    def batch_times(self, g: CapturedGraph) -> list[float]:
        """Each inference's GPU time (ms) of the last completed launch of a `capture_batch` graph."""
        rt = self._rt
        out: list[float] = []
        for a, b in zip(g.events, g.events[1:], strict=False):
            err, ms = rt.cudaEventElapsedTime(a, b)
            if not self._ok(err):
                self._clear_error()
                raise RuntimeError(f"reading a CUDA graph's event times failed: {self._text(err)}")
            out.append(float(ms))
        return out

    def _new_events(self, n: int) -> list[Any]:
        events: list[Any] = []
        for _ in range(n):
            err, ev = self._rt.cudaEventCreate()
            if not self._ok(err):
                self._destroy_events(events)
                self._clear_error()
                raise GraphCaptureError(f"cannot create timing events: {self._text(err)}")
            events.append(ev)
        return events

    def _destroy_events(self, events: list[Any]) -> None:
        for ev in events:
            self._rt.cudaEventDestroy(ev)
        events.clear()

    def _capture(self, stream: int, work: Callable[[int], bool], n: int, timed: bool) -> CapturedGraph:
        rt = self._rt
        events = self._new_events(n + 1) if timed else []
        external = getattr(rt, "cudaEventRecordExternal", 1)  # an event-record node, not a dependency
        mode = rt.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal
        (err,) = rt.cudaStreamBeginCapture(stream, mode)
        if not self._ok(err):
            self._destroy_events(events)
            self._clear_error()
            raise GraphCaptureError(f"cannot start capture: {self._text(err)}")
        failure: str | None = None
        try:
            for i in range(n):
                if timed:
                    failure = self._record(events[i], stream, external)
                if failure is None and not work(stream):
                    failure = "the work cannot run inside a CUDA graph (enqueue returned False)"
                if failure is not None:
                    break
            if timed and failure is None:
                failure = self._record(events[n], stream, external)
        except Exception as exc:  # the enqueue raised while capturing
            failure = f"the work raised {type(exc).__name__}: {exc}"
        err, graph = rt.cudaStreamEndCapture(stream)
        if failure is not None or not self._ok(err):
            if graph is not None and self._ok(err):
                rt.cudaGraphDestroy(graph)
            self._destroy_events(events)
            self._clear_error()
            raise GraphCaptureError(failure or f"capture failed: {self._text(err)}")
        err, gexec = rt.cudaGraphInstantiate(graph, 0)
        if not self._ok(err):
            rt.cudaGraphDestroy(graph)
            self._destroy_events(events)
            self._clear_error()
            raise GraphCaptureError(f"cannot instantiate the graph: {self._text(err)}")
        return CapturedGraph(graph=graph, exec=gexec, events=events)

    def _record(self, event: Any, stream: int, flags: int) -> str | None:
        (err,) = self._rt.cudaEventRecordWithFlags(event, stream, flags)
        return None if self._ok(err) else f"cannot record a timing event in the graph: {self._text(err)}"

    def launch(self, g: CapturedGraph, stream: int) -> None:
        """Launch `g` on `stream` (asynchronous). Raises RuntimeError with CUDA's reason (the CUDA error
        is cleared)."""
        (err,) = self._rt.cudaGraphLaunch(g.exec, stream)
        if not self._ok(err):
            self._clear_error()
            raise RuntimeError(f"CUDA graph launch failed: {self._text(err)}")

    def destroy(self, g: CapturedGraph) -> None:
        """Free the graph, its executable and its events (its launches must have completed). Idempotent."""
        if g.exec is not None:
            self._rt.cudaGraphExecDestroy(g.exec)
            g.exec = None
        if g.graph is not None:
            self._rt.cudaGraphDestroy(g.graph)
            g.graph = None
        self._destroy_events(g.events)
