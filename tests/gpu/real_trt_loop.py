"""An independent latency loop for one engine, with nothing of trtui: TensorRT, pycuda and cuda-python
as a user would write it. It loads the engine, binds zeroed buffers at the engine's shapes (each
dynamic input at its profile's opt shape), and times N inferences two ways, each inference between
two CUDA events with the queue kept full (the events of inference i+1 are recorded behind i):

- plain: `execute_async_v3` per inference;
- graph: one inference captured as a CUDA graph, replayed per inference.

Prints one JSON line: {"plain_ms": median, "graph_ms": median, "n": N}. Used by
tests/gpu/test_real_trt.py to check trtui's latencies like for like.

    python tests/gpu/real_trt_loop.py ENGINE [N]
"""

from __future__ import annotations

import faulthandler
import functools
import json
import statistics
import sys
from typing import Any


def main(argv: list[str]) -> int:
    # tensorrt before pycuda: imported after it, TensorRT 8.5 crashed in deserialize_cuda_engine (H100)
    import tensorrt  # noqa: F401

    faulthandler.enable()
    import pycuda.driver as cuda

    path, n = argv[1], int(argv[2]) if len(argv) > 2 else 2000
    cuda.init()
    dev_ctx = cuda.Device(0).retain_primary_context()
    dev_ctx.push()
    try:
        out = measure(path, n)  # everything it made is freed when it returns, before the pop
    finally:
        dev_ctx.pop()
    print(json.dumps(out))
    return 0


def measure(path: str, n: int) -> dict[str, float]:
    import numpy as np
    import pycuda.driver as cuda
    import tensorrt as trt

    out: dict[str, float] = {}
    logger = trt.Logger(trt.Logger.WARNING)
    runtime = trt.Runtime(logger)
    with open(path, "rb") as f:
        engine = runtime.deserialize_cuda_engine(f.read())
    ctx = engine.create_execution_context()
    stream = cuda.Stream()
    buffers = []
    for i in range(engine.num_io_tensors):
        name = engine.get_tensor_name(i)
        shape = tuple(engine.get_tensor_shape(name))
        if engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT and min(shape) < 0:
            shape = tuple(engine.get_tensor_profile_shape(name, 0)[1])
            ctx.set_input_shape(name, shape)
    for i in range(engine.num_io_tensors):
        name = engine.get_tensor_name(i)
        shape = tuple(ctx.get_tensor_shape(name))
        size = int(np.prod(shape)) * np.dtype(trt.nptype(engine.get_tensor_dtype(name))).itemsize
        buf = cuda.mem_alloc(max(size, 1))
        cuda.memset_d8(buf, 0, max(size, 1))
        buffers.append(buf)
        ctx.set_tensor_address(name, int(buf))
    h = stream.handle
    events = [(cuda.Event(), cuda.Event()) for _ in range(n)]
    plain = functools.partial(ctx.execute_async_v3, h)
    out["plain_ms"] = timed(plain, stream, events)
    # imported after TensorRT 8.5 deserialized (imported before, deserialize_cuda_engine crashed on the H100)
    from cuda.bindings import runtime as cudart

    mode = cudart.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal
    (err,) = cudart.cudaStreamBeginCapture(h, mode)
    assert int(err) == 0, err
    ctx.execute_async_v3(h)
    err, graph = cudart.cudaStreamEndCapture(h)
    assert int(err) == 0, err
    err, gexec = cudart.cudaGraphInstantiate(graph, 0)
    assert int(err) == 0, err
    out["graph_ms"] = timed(lambda: cudart.cudaGraphLaunch(gexec, h), stream, events)
    out["n"] = n
    cudart.cudaGraphExecDestroy(gexec)
    cudart.cudaGraphDestroy(graph)
    # TensorRT 8.5 crashes when an engine goes before its contexts: free in order, before the pop
    del plain, events, buffers, ctx
    del engine
    del runtime, stream
    return out


def timed(launch: Any, stream: Any, events: list[tuple[Any, Any]]) -> float:
    """Median event time of `launch` over `events` (queue kept full), after 50 untimed ones."""
    for _ in range(50):
        launch()
    stream.synchronize()
    for a, b in events:
        a.record(stream)
        launch()
        b.record(stream)
    stream.synchronize()
    return statistics.median(b.time_since(a) for a, b in events)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
