"""A GPU-backed stand-in for the `tensorrt` module: the unchanged trtui CLI runs it on a real GPU.

No TensorRT builder can be installed where trtui is developed, so no real engine can be made. This
module has the same names as the real API (the contract test holds it to the real lean bindings,
plus the full module's EngineInspector) and its "engine" does real GPU work: every layer launches
one or more real CUDA kernels (compiled with NVRTC, launched with cuda-python's driver API on the
stream it is given, so CUDA graph capture records them); its profiled context reports per-layer
times measured with CUDA events between the layers; its inspector returns detailed layer JSON.

A plan is b"ftrt" + JSON (the format of `tests/runtime/rt_fakes.py`), with, per layer:
    "layer_ms": [...]          how long each layer's kernels spin in total (ms, one wave)
    "kernels": {"name": k}     k kernels for that layer (default 1), splitting its time
    "fill": 0.25               fraction of the GPU's resident blocks one batch-1 inference occupies;
                               the grid grows with the first input dimension (the batch), so work is
                               proportional to the batch and waves add up once the GPU is full
Put this folder first on PYTHONPATH (and tests/runtime beside it): `import tensorrt` finds it.
"""

from __future__ import annotations

import ctypes
import json
import math
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "runtime"))

import rt_fakes as _fk
from cuda.bindings import driver as cu
from cuda.bindings import nvrtc

__version__ = "10.13.0.35"  # reported as TensorRT's version; the header says stand-in via the label

SRC = rb"""
extern "C" __global__ void spin(unsigned long long ns, float *sink) {
    unsigned long long t0, t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    float acc = threadIdx.x;
    do {
        acc = acc * 1.0001f + 1.0f;
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    } while (t - t0 < ns);
    if (acc == -1.0f) sink[0] = acc;  /* never true: keeps the loop */
}
"""
THREADS = 1024

ILogger = _fk.ILogger
IProfiler = _fk.IProfiler
IOutputAllocator = _fk.IOutputAllocator
IPluginRegistry = _fk.IPluginRegistry
TensorIOMode = _fk.TensorIOMode
TensorLocation = _fk.TensorLocation
DataType = _fk.DataType
LayerInformationFormat = _fk.LayerInformationFormat
ProfilingVerbosity = _fk.ProfilingVerbosity
_Severity = _fk.Severity


def _ok(result: Any) -> Any:
    err, *rest = result
    if int(err) != 0:
        raise RuntimeError(f"CUDA stand-in call failed: {err}")
    return rest[0] if len(rest) == 1 else (tuple(rest) if rest else None)


def _elapsed(start: Any, end: Any) -> float:
    fn = getattr(cu, "cuEventElapsedTime", None) or cu.cuEventElapsedTime_v2
    return float(_ok(fn(start, end)))


class Kernels:
    """The spin kernel, compiled for the current context's device."""

    def __init__(self) -> None:
        dev = _ok(cu.cuCtxGetDevice())
        attr = cu.CUdevice_attribute
        major = _ok(cu.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev))
        minor = _ok(cu.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev))
        self.sms = int(_ok(cu.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev)))
        per_sm = int(
            _ok(cu.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, dev))
        )
        self.resident_blocks = self.sms * max(1, per_sm // THREADS)
        prog = _ok(nvrtc.nvrtcCreateProgram(SRC, b"standin.cu", 0, [], []))
        opts = [f"--gpu-architecture=compute_{major}{minor}".encode()]
        (err,) = nvrtc.nvrtcCompileProgram(prog, len(opts), opts)
        if int(err) != 0:
            size = _ok(nvrtc.nvrtcGetProgramLogSize(prog))
            log = b" " * size
            nvrtc.nvrtcGetProgramLog(prog, log)
            raise RuntimeError(f"NVRTC: {log.decode(errors='replace')}")
        size = _ok(nvrtc.nvrtcGetPTXSize(prog))
        ptx = b" " * size
        _ok(nvrtc.nvrtcGetPTX(prog, ptx))
        nvrtc.nvrtcDestroyProgram(prog)
        self.module = _ok(cu.cuModuleLoadData(ptx))
        self.spin = _ok(cu.cuModuleGetFunction(self.module, b"spin"))
        self.sink = _ok(cu.cuMemAlloc(64))

    def launch(self, stream: int, ns: int, blocks: int) -> None:
        args = ((ns, int(self.sink)), (ctypes.c_uint64, ctypes.c_void_p))
        _ok(cu.cuLaunchKernel(self.spin, blocks, 1, 1, THREADS, 1, 1, 0, cu.CUstream(stream), args, 0))

    def close(self) -> None:
        cu.cuMemFree(self.sink)
        cu.cuModuleUnload(self.module)


def layer_plan(spec: dict[str, Any]) -> list[tuple[str, list[int]]]:
    """(layer name, [ns of each of its kernels]) in engine order."""
    layers = list(spec.get("layers", []))
    times = [float(x) for x in spec.get("layer_ms", [0.1] * len(layers))]
    counts = spec.get("kernels", {})
    out = []
    for name, ms in zip(layers, times, strict=True):
        k = int(counts.get(name, 1))
        out.append((name, [int(ms * 1e6 / k)] * k))
    return out


def inspector_doc(spec: dict[str, Any]) -> dict[str, Any]:
    """Detailed layer information (TensorRT 10's JSON form) for the spec's layers."""
    types = spec.get("types", {})
    precisions = spec.get("precisions", {})
    fmt = {
        "FP16": "Channel major FP16 format where channel % 8 == 0",
        "FP32": "Row major linear FP32",
        "INT8": "Channel major INT8 format where channel % 32 == 0",
    }
    layers = []
    for i, name in enumerate(spec.get("layers", [])):
        p = precisions.get(name, "FP16")
        layer_type = types.get(name, "CaskConvolution")
        layer: dict[str, Any] = {
            "Name": name,
            "LayerType": layer_type,
            "Outputs": [
                {"Name": f"{name}:out", "Dimensions": [1, 64, 56, 56], "Format/Datatype": fmt.get(p, p)}
            ],
            "Metadata": f"[ONNX Layer: /{name.split()[0]}]",
            "TacticValue": f"0x{i + 1:016x}",
        }
        # As the real TensorRT 8.5.3 writes them (seen on an H100): every layer has a TacticValue;
        # reformats (and fused convolution + pooling layers) have no TacticName.
        if layer_type not in ("Reformat", "CaskConvActPool"):
            layer["TacticName"] = f"standin_spin_{name.split()[0]}"
        layers.append(layer)
    return {
        "Layers": layers,
        "Bindings": [t["name"] for t in spec.get("inputs", []) + spec.get("outputs", [])],
    }


class Runtime(_fk.Runtime):
    __slots__ = ()

    def deserialize_cuda_engine(self, plan: bytes) -> ICudaEngine | None:
        if plan[:4] != b"ftrt":
            self._logger.log(
                _Severity.ERROR,
                "Error Code 1: Serialization (Serialization assertion "
                "header.magicTag == kEXPECTED_MAGIC_TAG failed.)",
            )
            return None
        spec = json.loads(plan[4:].decode())
        spec.setdefault("inspector", inspector_doc(spec))
        spec.setdefault("verbosity", "DETAILED")
        return ICudaEngine(spec)


class ICudaEngine(_fk.ICudaEngine):
    __slots__ = ("_kernels",)

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self._kernels = Kernels()  # in the GPU thread, with the context current

    def create_execution_context(self) -> IExecutionContext | None:
        self._contexts += 1
        return IExecutionContext(self, self._contexts - 1)

    def create_engine_inspector(self) -> EngineInspector:
        return EngineInspector(self._spec["inspector"])

    def __del__(self) -> None:
        kernels = getattr(self, "_kernels", None)
        if kernels is not None:
            kernels.close()
            self._kernels = None  # type: ignore[assignment]


class IExecutionContext(_fk.IExecutionContext):
    __slots__ = ("_events", "_plan", "_report")

    def __init__(self, engine: ICudaEngine, ident: int) -> None:
        super().__init__(engine, ident)
        self._plan = layer_plan(engine._spec)
        self._events: list[Any] = []
        self._report = False

    def _blocks(self) -> int:
        """Blocks per kernel: `fill` of the GPU per batch-1 inference, times the current batch."""
        spec = self._engine._spec
        first = spec["inputs"][0]
        base = int(first["opt"][0]) if first["shape"][0] == -1 else int(first["shape"][0])
        batch = int(self._shapes[first["name"]][0]) if first["name"] in self._shapes else base
        fill = float(spec.get("fill", 0.25))
        return max(1, math.ceil(fill * self._engine._kernels.resident_blocks * max(1, batch) / max(1, base)))

    def execute_async_v3(self, stream_handle: int) -> bool:
        kernels = self._engine._kernels
        blocks = self._blocks()
        profiled = self.profiler is not None
        if profiled and not self._events:
            flags = cu.CUevent_flags.CU_EVENT_DEFAULT
            self._events = [_ok(cu.cuEventCreate(flags)) for _ in range(len(self._plan) + 1)]
        stream = cu.CUstream(stream_handle)
        nv = _nvtx() if self.nvtx_verbosity != ProfilingVerbosity.NONE else None
        if nv is not None:
            nv.outer_push("ExecutionContext::enqueueV3")
        if profiled:
            _ok(cu.cuEventRecord(self._events[0], stream))
        for i, (name, kernel_ns) in enumerate(self._plan):
            if nv is not None:  # one range per layer around its launches, as TensorRT does
                nv.push(name)
            for ns in kernel_ns:
                kernels.launch(stream_handle, ns, blocks)
            if nv is not None:
                nv.pop()
            if profiled:
                _ok(cu.cuEventRecord(self._events[i + 1], stream))
        if nv is not None:
            nv.outer_pop()
        self._report = profiled
        if profiled and self.enqueue_emits_profile:
            _ok(cu.cuStreamSynchronize(stream))
            self.report_to_profiler()
        return True

    def report_to_profiler(self) -> bool:
        if self.profiler is None or not self._report:
            return False
        self._report = False
        for i, (name, _k) in enumerate(self._plan):
            self.profiler.report_layer_time(name, _elapsed(self._events[i], self._events[i + 1]))
        return True

    def __del__(self) -> None:
        for ev in getattr(self, "_events", ()):
            cu.cuEventDestroy(ev)
        self._events = []


class EngineInspector:
    """The full module's inspector: detailed JSON of every layer."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.execution_context: Any = None
        self._doc = doc

    def get_engine_information(self, fmt: LayerInformationFormat) -> str:
        return json.dumps(self._doc)


_NVTX: list[Any] = []


def _nvtx() -> Any:
    """TensorRT's NVTX ranges (`nvtx_ranges.Nvtx`, made on first use: the shim or the `nvtx` package;
    None without either). Loaded from this folder by path: the folder need not be on sys.path."""
    if not _NVTX:
        import importlib.util

        here = Path(__file__).with_name("nvtx_ranges.py")
        spec = importlib.util.spec_from_file_location("trtui_standin_nvtx", here)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _NVTX.append(mod.any_nvtx())
    return _NVTX[0]


def plan(**spec: Any) -> bytes:
    return _fk.plan(**spec)
