"""Kernel tracing on a real GPU with CUPTI (cupti-python), self-contained: no engine, no TensorRT.

Kernels that spin for a known time (compiled with NVRTC, launched with cuda.bindings' driver API)
are launched inside NVTX ranges, one range per "layer" as TensorRT emits them, from a small C shim
built here against the CUDA toolkit's header-only NVTX v3 (as TensorRT uses it); the `nvtx` package
is used instead when the shim cannot be built. Checked: NVTX marker records arrive (the injection
points at cupti-python's own libcupti), each kernel lands in its range, the kernel sum is within a
few percent of the range's GPU time (CUDA events), kernels launched outside begin()/end() are not
recorded, the stream-order fallback agrees with NVTX, and the Chrome trace file loads and is valid.

Needs: a GPU, cuda-python (cuda.bindings with nvrtc), cupti-python + nvidia-cuda-cupti (+ their
pyelftools, cuda-pathfinder), and a C compiler with the CUDA headers or the `nvtx` package.
Run with: pytest -m gpu tests/gpu/test_gpu_kernels.py -s (prints what was measured).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trtui.core.kernel_records import KernelCapture
from trtui.kernels.attribute import attribute
from trtui.kernels.trace import check_trace, trace_events, write_trace

# The stand-in's NVTX helper, loaded by path: putting tests/gpu/standin on sys.path would make its
# `tensorrt.py` shadow the real TensorRT (or the lean runtime) for every later test in the process.
_NVTX_RANGES = Path(__file__).resolve().parent / "standin" / "nvtx_ranges.py"
_spec = importlib.util.spec_from_file_location("trtui_nvtx_ranges", _NVTX_RANGES)
assert _spec is not None and _spec.loader is not None
_nvtx_ranges = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_nvtx_ranges)
any_nvtx = _nvtx_ranges.any_nvtx

pytestmark = pytest.mark.gpu

SOURCE = r"""
namespace trtui_test {
__global__ void spin_ns(unsigned long long ns) {
    unsigned long long t0, t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    do { asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t)); } while (t - t0 < ns);
}
}
extern "C" __global__ void trtui_spin_c(unsigned long long ns) {
    unsigned long long t0, t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    do { asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t)); } while (t - t0 < ns);
}
"""
# layer -> spin times (us) of its kernels; "layer_b" launches three, as a fused block would
LAYERS: dict[str, tuple[int, ...]] = {
    "layer_a": (300,),
    "layer_b": (200, 100, 250),
    "layer_c": (150, 150),
    "{ForeignNode[/m/Mul.../m/Add]}": (120, 80, 60, 40),
}
HEAD_US = 4000  # launched first, outside the layers: keeps the GPU busy while the rest is queued


def _check(result: Any) -> Any:
    err, *rest = result
    if int(err) != 0:
        raise RuntimeError(f"CUDA call failed: {err}")
    return rest[0] if len(rest) == 1 else (tuple(rest) if rest else None)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    drv = pytest.importorskip("cuda.bindings.driver", reason="cuda-python is not installed")
    nvrtc = pytest.importorskip("cuda.bindings.nvrtc", reason="cuda-python lacks nvrtc")
    pytest.importorskip("cupti", reason="cupti-python is not installed")
    if int(drv.cuInit(0)[0]) != 0 or _check(drv.cuDeviceGetCount()) < 1:
        pytest.skip("no usable CUDA device")
    from trtui.gpu.runtime.cupti_tracer import (
        CuptiKernelTracer,
        import_cupti,
        loaded_libcupti,
        prepare_nvtx_injection,
    )

    cupti = import_cupti()
    # Before the first NVTX call of this process: NVTX must inject cupti-python's own libcupti.
    path, notices = prepare_nvtx_injection(cupti)
    print(f"\nNVTX_INJECTION64_PATH={path}; loaded libcupti: {loaded_libcupti()}; notices: {notices}")
    tracer = CuptiKernelTracer(cupti)
    nv = any_nvtx(tmp_path_factory.mktemp("nvtx"))
    if nv is None:
        pytest.skip("no way to emit NVTX ranges: neither a C compiler with CUDA's nvtx3 headers nor `nvtx`")
    print(f"NVTX via {nv.how}")
    dev = _check(drv.cuDeviceGet(0))
    ctx = _check(drv.cuDevicePrimaryCtxRetain(dev))
    _check(drv.cuCtxSetCurrent(ctx))
    major = _check(
        drv.cuDeviceGetAttribute(drv.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev)
    )
    minor = _check(
        drv.cuDeviceGetAttribute(drv.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev)
    )
    prog = _check(nvrtc.nvrtcCreateProgram(SOURCE.encode(), b"spin.cu", 0, [], []))
    _check(nvrtc.nvrtcAddNameExpression(prog, b"trtui_test::spin_ns"))
    # a cubin for this GPU (no PTX JIT: the driver may be older than NVRTC within the CUDA major)
    opts = [f"--gpu-architecture=sm_{major}{minor}".encode()]
    if int(nvrtc.nvrtcCompileProgram(prog, len(opts), opts)[0]) != 0:
        size = _check(nvrtc.nvrtcGetProgramLogSize(prog))
        log = b" " * size
        nvrtc.nvrtcGetProgramLog(prog, log)
        raise RuntimeError(log.decode(errors="replace"))
    lowered = _check(nvrtc.nvrtcGetLoweredName(prog, b"trtui_test::spin_ns"))
    cubin = b" " * _check(nvrtc.nvrtcGetCUBINSize(prog))
    _check(nvrtc.nvrtcGetCUBIN(prog, cubin))
    image = np.frombuffer(cubin, dtype=np.uint8).copy()
    module = _check(drv.cuModuleLoadData(image.ctypes.data))
    cpp = _check(drv.cuModuleGetFunction(module, lowered))
    c_fn = _check(drv.cuModuleGetFunction(module, b"trtui_spin_c"))
    stream = _check(drv.cuStreamCreate(0))
    yield {
        "drv": drv,
        "tracer": tracer,
        "nvtx": nv,
        "cpp": cpp,
        "c": c_fn,
        "stream": stream,
        "mangled": lowered.decode() if isinstance(lowered, bytes) else str(lowered),
    }
    tracer.close()
    drv.cuStreamDestroy(stream)
    drv.cuModuleUnload(module)
    drv.cuDevicePrimaryCtxRelease(dev)


def _launch(env: dict[str, Any], fn: Any, us: int) -> None:
    drv = env["drv"]
    arg = np.array([us * 1000], dtype=np.uint64)
    args = np.array([arg.ctypes.data], dtype=np.uint64)
    _check(drv.cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, env["stream"], args.ctypes.data, 0))


def _run_layers(
    env: dict[str, Any], traced: bool
) -> tuple[KernelCapture | None, dict[str, float], list[str]]:
    """One "inference": the head kernel, then each layer's kernels inside its NVTX range, with CUDA
    events at the layer boundaries (as TensorRT's profiler has). Returns the capture, each layer's
    event time (ms) and the expected layer of each kernel in launch order ("" for the head)."""
    drv, nv, tracer, stream = env["drv"], env["nvtx"], env["tracer"], env["stream"]
    events = [_check(drv.cuEventCreate(0)) for _ in range(len(LAYERS) + 1)]
    expected: list[str] = []
    if traced:
        tracer.begin()
    nv.outer_push("ExecutionContext::enqueue")
    _launch(env, env["c"], HEAD_US)
    expected.append("")
    _check(drv.cuEventRecord(events[0], stream))
    for i, (name, spins) in enumerate(LAYERS.items()):
        nv.push(name)
        for j, us in enumerate(spins):
            _launch(env, env["cpp"] if j % 2 == 0 else env["c"], us)
            expected.append(name)
        nv.pop()
        _check(drv.cuEventRecord(events[i + 1], stream))
    nv.outer_pop()
    if traced:
        tracer.end()
    _launch(env, env["c"], 50)  # after end(): must not be recorded
    _check(drv.cuStreamSynchronize(stream))
    layer_ms = {
        name: float(_check(drv.cuEventElapsedTime(events[i], events[i + 1]))) for i, name in enumerate(LAYERS)
    }
    for ev in events:
        drv.cuEventDestroy(ev)
    return (tracer.collect() if traced else None), layer_ms, expected


def test_kernels_land_in_their_nvtx_ranges(env: dict[str, Any], tmp_path: Path) -> None:
    _run_layers(env, traced=False)  # warm-up: module load, first launches
    env["tracer"].collect()  # drop anything left over
    cap, layer_ms, expected = _run_layers(env, traced=True)
    assert cap is not None, "CUPTI recorded no kernels"
    print(
        f"kernels {len(cap.kernels)}, launch calls {len(cap.launches)}, NVTX ranges {len(cap.ranges)}, "
        f"host cost {cap.cost_s * 1e3:.3f} ms"
    )
    for r in cap.ranges:
        print(
            f"  range {r.name!r} domain={r.domain} thread={r.thread} {(r.end_ns - r.start_ns) / 1e3:.1f} us"
        )
    print(
        f"  launch threads {sorted({c.thread for c in cap.launches})}, "
        f"range threads {sorted({r.thread for r in cap.ranges})}, "
        f"kernel names {sorted({k.name for k in cap.kernels})}"
    )
    assert len(cap.kernels) == len(expected), (
        "kernels launched after end() were recorded, or some are missing"
    )
    assert {r.name for r in cap.ranges} >= set(LAYERS), "NVTX marker records did not arrive"
    names = list(LAYERS)
    att = attribute(cap, names, [layer_ms[n] for n in names])
    assert att.method == "nvtx"
    by_corr = sorted(range(len(att.kernels)), key=lambda i: att.kernels[i].correlation_id)
    got = [names[att.kernel_layer[i]] if att.kernel_layer[i] >= 0 else "" for i in by_corr]
    assert got == expected
    assert any(k.name == env["mangled"] for k in cap.kernels)
    for li, name in enumerate(names):
        ksum = sum(k.duration_ns for k, j in zip(att.kernels, att.kernel_layer, strict=True) if j == li) / 1e6
        print(
            f"  {name}: events {layer_ms[name]:.4f} ms, kernel sum {ksum:.4f} ms, "
            f"gap {layer_ms[name] - ksum:+.4f} ms"
        )
        assert ksum == pytest.approx(layer_ms[name], rel=0.05)
        assert ksum == pytest.approx(sum(LAYERS[name]) / 1000, rel=0.05)
    # the fallback, on the same kernels without ranges, agrees for the layer kernels
    bare = KernelCapture(tuple(k for k in cap.kernels if k.duration_ns < HEAD_US * 500))
    fb = attribute(bare, names, [layer_ms[n] for n in names])
    assert fb.method == "stream order"
    fb_got = [
        names[fb.kernel_layer[i]]
        for i in sorted(range(len(fb.kernels)), key=lambda i: fb.kernels[i].correlation_id)
    ]
    assert fb_got == [e for e in expected if e]
    # the trace file
    out = tmp_path / "kernels.trace.json"
    write_trace(out, trace_events([att], device="GPU 0"))
    obj = json.loads(out.read_text())
    assert check_trace(obj) == []
    xs = [e for e in obj["traceEvents"] if e["ph"] == "X"]
    assert sum(e["cat"] == "kernel" for e in xs) == len(expected)
    assert {e["name"] for e in xs if e["cat"] == "layer"} == set(LAYERS)
    assert sum(e["cat"] == "nvtx" for e in xs) >= len(LAYERS)


def test_nothing_is_recorded_outside_begin_end(env: dict[str, Any]) -> None:
    env["tracer"].collect()
    _run_layers(env, traced=False)
    assert env["tracer"].collect() is None
