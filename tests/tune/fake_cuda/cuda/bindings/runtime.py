"""Fake `cuda.bindings.runtime` (cuda-python) for the tuner's build child: stream capture, graph
instantiate, launch and destroy on the streams of the fake pycuda driver (`rt_fakes`' virtual GPU
clock), with the same semantics as `rt_fakes.FakeGraphs`: capturing records the enqueued cost, a
launch enqueues it again. Only the calls `trtui.gpu.runtime.cuda_graphs` makes."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "runtime"))
import rt_fakes as fk

LIVE: dict[str, int] = {"graphs": 0, "execs": 0, "launches": 0}


class cudaError_t(enum.IntEnum):
    cudaSuccess = 0
    cudaErrorStreamCaptureInvalidated = 901


class cudaStreamCaptureMode(enum.IntEnum):
    cudaStreamCaptureModeGlobal = 0
    cudaStreamCaptureModeThreadLocal = 1


class _Graph:
    def __init__(self, cost: float) -> None:
        self.cost = cost


def cudaGetErrorString(err: Any) -> tuple[cudaError_t, bytes]:
    return cudaError_t.cudaSuccess, str(cudaError_t(err).name).encode()


def cudaGetLastError() -> tuple[cudaError_t]:
    return (cudaError_t.cudaSuccess,)


def cudaStreamBeginCapture(stream: int, mode: Any) -> tuple[cudaError_t]:
    s = fk.STREAMS[int(stream)]
    assert s.capturing is None, "capture started twice"
    s.capturing = []
    return (cudaError_t.cudaSuccess,)


def cudaStreamEndCapture(stream: int) -> tuple[cudaError_t, _Graph | None]:
    s = fk.STREAMS[int(stream)]
    captured, s.capturing = s.capturing, None
    assert captured is not None, "capture ended without a start"
    LIVE["graphs"] += 1
    return cudaError_t.cudaSuccess, _Graph(sum(captured))


def cudaGraphInstantiate(graph: _Graph, flags: int) -> tuple[cudaError_t, _Graph]:
    LIVE["execs"] += 1
    return cudaError_t.cudaSuccess, _Graph(graph.cost)


def cudaGraphLaunch(gexec: _Graph, stream: int) -> tuple[cudaError_t]:
    LIVE["launches"] += 1
    fk.STREAMS[int(stream)].enqueue(gexec.cost)
    return (cudaError_t.cudaSuccess,)


def cudaGraphExecDestroy(gexec: _Graph) -> tuple[cudaError_t]:
    LIVE["execs"] -= 1
    return (cudaError_t.cudaSuccess,)


def cudaGraphDestroy(graph: _Graph) -> tuple[cudaError_t]:
    LIVE["graphs"] -= 1
    return (cudaError_t.cudaSuccess,)
