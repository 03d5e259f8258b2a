"""CUDA graph capture through cuda-python (pycuda has no graph API), on a pycuda stream's raw
handle (``int(stream.handle)``). Used by the inference loop; call from the GPU worker thread with
the context pushed.

Recipe (trtexec's): run the work once before capturing; capture on a non-default stream in
thread-local mode; if the captured work fails (TensorRT returns False for operations that cannot
be captured), end the capture, clear the CUDA error, and report why, so the caller falls back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trtui.errors import MissingDependency


class GraphCaptureError(Exception):
    """Capturing or instantiating a graph failed; the message says why (shown as a notice)."""


@dataclass
class CapturedGraph:
    graph: Any
    exec: Any


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
        rt = self._rt
        mode = rt.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal
        (err,) = rt.cudaStreamBeginCapture(stream, mode)
        if not self._ok(err):
            self._clear_error()
            raise GraphCaptureError(f"cannot start capture: {self._text(err)}")
        failure: str | None = None
        try:
            if not work(stream):
                failure = "the work cannot run inside a CUDA graph (enqueue returned False)"
        except Exception as exc:  # the enqueue raised while capturing
            failure = f"the work raised {type(exc).__name__}: {exc}"
        err, graph = rt.cudaStreamEndCapture(stream)
        if failure is not None or not self._ok(err):
            if graph is not None and self._ok(err):
                rt.cudaGraphDestroy(graph)
            self._clear_error()
            raise GraphCaptureError(failure or f"capture failed: {self._text(err)}")
        err, gexec = rt.cudaGraphInstantiate(graph, 0)
        if not self._ok(err):
            rt.cudaGraphDestroy(graph)
            self._clear_error()
            raise GraphCaptureError(f"cannot instantiate the graph: {self._text(err)}")
        return CapturedGraph(graph=graph, exec=gexec)

    def launch(self, g: CapturedGraph, stream: int) -> None:
        (err,) = self._rt.cudaGraphLaunch(g.exec, stream)
        if not self._ok(err):
            self._clear_error()
            raise RuntimeError(f"CUDA graph launch failed: {self._text(err)}")

    def destroy(self, g: CapturedGraph) -> None:
        if g.exec is not None:
            self._rt.cudaGraphExecDestroy(g.exec)
            g.exec = None
        if g.graph is not None:
            self._rt.cudaGraphDestroy(g.graph)
            g.graph = None
