"""Fakes for the runtime tests: a pycuda-like driver with a virtual GPU clock, a CUDA-graph backend,
a platform (context push/pop), and a fake TensorRT module.

The fake TensorRT module defines only names that exist in the real lean bindings (the contract test
`tests/runtime/test_trt_contract.py` checks every public name of `FakeTrt` against `tensorrt_lean_bindings`),
so an adapter that passes these tests uses nothing the real module lacks. Classes use __slots__
so that setting a misspelt attribute fails.

A fake plan is b"ftrt" + JSON describing the engine:
    {"inputs": [{"name", "dtype", "shape", "min", "opt", "max", "host": bool}],
     "outputs": [{"name", "dtype", "shape", "max_bytes"}],
     "layers": ["a", "b", ...], "layer_ms": [..], "skip_every": {"b": 2},
     "index_names": bool, "aux_streams": int, "fail_after": int, "no_graph": bool,
     "log": [[severity, "text"], ...]  (with "fail": true -> deserialization returns None),
     "verbosity": "NONE"|"LAYER_NAMES_ONLY"|"DETAILED", "ctx_memory": bytes, "profiles": int,
     "exclusive_profiles": bool (TensorRT 8.x: a profile serves one context at a time; a new context
         of a dynamic-shape engine gets profile 0 if no other context holds it, else none
         (active_optimization_profile -1, and its enqueue fails); asking for a profile another context
         holds fails and logs "Profile N has been chosen by another IExecutionContext"; a destroyed
         context frees its profile: all as the real 8.5.3 does on an H100),
     "per_sample": bool (an inference costs layer_ms x the first input's batch)}
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Callable
from enum import IntEnum
from types import SimpleNamespace
from typing import Any

import numpy as np

# ------------------------------------------------------------------ lifecycle journal

JOURNAL: list[str] = []
_lock = threading.Lock()


def note(event: str) -> None:
    with _lock:
        JOURNAL.append(event)


# ------------------------------------------------------------------ pycuda-like driver


class FakeStream:
    _n = 0

    def __init__(self) -> None:
        FakeStream._n += 1
        self.handle = 0x1000 + FakeStream._n
        self.tail = 0.0  # GPU time (ms) when the queued work ends
        self.synced = 0.0  # GPU time up to which the host has waited
        self.capturing: list[float] | None = None
        self.captured_profiles: list[Any] = []  # profiled enqueues in the capture under way
        self.waits = 0
        STREAMS[self.handle] = self
        note(f"stream+{self.handle}")

    def enqueue(self, ms: float) -> None:
        if self.capturing is not None:
            self.capturing.append(ms)
        else:
            self.tail += ms

    def synchronize(self) -> None:
        self.synced = max(self.synced, self.tail)

    def wait_for_event(self, event: FakeEvent) -> None:
        assert event.t is not None, "wait on an event never recorded"
        self.waits += 1
        if self.capturing is None:
            self.tail = max(self.tail, event.t)

    def __del__(self) -> None:
        note(f"stream-{self.handle}")


STREAMS: weakref.WeakValueDictionary[int, FakeStream] = weakref.WeakValueDictionary()


class FakeEvent:
    def __init__(self, flags: int = 0) -> None:
        self.flags = flags
        self.t: float | None = None
        self.stream: FakeStream | None = None

    def record(self, stream: FakeStream) -> FakeEvent:
        self.t = stream.tail
        self.stream = stream
        return self

    def synchronize(self) -> FakeEvent:
        assert self.t is not None and self.stream is not None, "synchronize on an event never recorded"
        self.stream.synced = max(self.stream.synced, self.t)
        return self

    def query(self) -> bool:
        return True

    def time_till(self, end: FakeEvent) -> float:
        assert self.t is not None and end.t is not None
        assert end.stream is not None and end.stream.synced >= end.t, "time_till before the end completed"
        return end.t - self.t


class FakeAllocation:
    _next = 0x7F0000000000

    def __init__(self, nbytes: int) -> None:
        FakeAllocation._next += max(nbytes, 256)
        self.ptr = FakeAllocation._next
        self.nbytes = nbytes
        self.freed = False
        ALLOCATIONS.append(self)
        note(f"alloc {nbytes}")

    def __int__(self) -> int:
        return self.ptr

    def free(self) -> None:
        if not self.freed:
            self.freed = True
            note(f"free {self.nbytes}")


ALLOCATIONS: list[FakeAllocation] = []


class FakeDriver:
    """The subset of pycuda.driver trtui uses."""

    event_flags = SimpleNamespace(BLOCKING_SYNC=1)

    def __init__(self, free_bytes: int = 8 << 30, fail_alloc_over: int | None = None) -> None:
        self.free_bytes = free_bytes
        self.fail_alloc_over = fail_alloc_over
        self.copies: list[tuple[str, int]] = []

    def Stream(self) -> FakeStream:
        return FakeStream()

    def Event(self, flags: int = 0) -> FakeEvent:
        return FakeEvent(flags)

    def mem_get_info(self) -> tuple[int, int]:
        used = sum(a.nbytes for a in ALLOCATIONS if not a.freed)
        return self.free_bytes - used, 16 << 30

    def mem_alloc(self, nbytes: int) -> FakeAllocation:
        if self.fail_alloc_over is not None and nbytes > self.fail_alloc_over:
            raise MemoryError("cuMemAlloc failed: out of memory")
        return FakeAllocation(nbytes)

    def pagelocked_empty(self, n: int, dtype: Any) -> np.ndarray:
        return np.zeros(n, dtype=dtype)

    def memcpy_htod(self, dest: FakeAllocation, src: np.ndarray) -> None:
        assert not dest.freed
        assert src.nbytes <= dest.nbytes, (src.nbytes, dest.nbytes)

    def memcpy_htod_async(self, dest: FakeAllocation, src: np.ndarray, stream: FakeStream) -> None:
        self.copies.append(("h2d", src.nbytes))
        stream.enqueue(0.001)

    def memcpy_dtoh_async(self, dest: np.ndarray, src: FakeAllocation, stream: FakeStream) -> None:
        self.copies.append(("d2h", dest.nbytes))
        stream.enqueue(0.001)


class FakePlatform:
    def __init__(self, driver: FakeDriver | None = None) -> None:
        self.driver = driver or FakeDriver()

    def enter(self) -> FakeDriver:
        note("push")
        return self.driver

    def exit(self) -> None:
        note("pop")


class FakeGraphs:
    """Capture runs the work once with the stream capturing; launch replays the captured cost."""

    def __init__(self) -> None:
        self.captures = 0
        self.launches = 0
        self.live = 0

    @staticmethod
    def _cost_of(stream: int, work: Callable[[int], bool], profiled: list[Any] | None = None) -> float:
        """Run `work` with the stream capturing; the GPU time it enqueued. Profiled enqueues captured
        (TensorRT's per-layer events inside the graph) go to `profiled`."""
        s = STREAMS[stream]
        s.capturing = []
        s.captured_profiles = []
        try:
            ok = work(stream)
        finally:
            captured, s.capturing = s.capturing, None
            if profiled is not None:
                profiled += s.captured_profiles
            s.captured_profiles = []
        if not ok:
            raise RuntimeError("the work cannot run inside a CUDA graph (enqueue returned False)")
        return sum(captured)

    def capture(self, stream: int, work: Callable[[int], bool]) -> Any:
        profiled: list[Any] = []
        cost = self._cost_of(stream, work, profiled)
        self.captures += 1
        self.live += 1
        return {"cost": cost, "profiled": profiled}

    def launch(self, g: Any, stream: int) -> None:
        self.launches += 1
        s = STREAMS[stream]
        s.enqueue(g["cost"])
        for ctx, reported in g.get("profiled", ()):  # its events ran: report_to_profiler reads them
            ctx._pending = (s, s.tail, reported)

    def destroy(self, g: Any) -> None:
        self.live -= 1
        note("graph-")


class FakeBatchGraphs(FakeGraphs):
    """Also graphs of several inferences with timing events between them (`CudaGraphs.capture_batch`):
    each inference's captured GPU time is what `batch_times` reads. A graph is never launched again
    before the times of its last launch were read, nor read before that launch completed."""

    def __init__(self, fail_batches: bool = False, fail_launch_after: int | None = None) -> None:
        super().__init__()
        self.fail_batches = fail_batches
        self.fail_launch_after = fail_launch_after
        self.batch_launches = 0
        self.reads: list[list[float]] = []  # what each batch_times call read, in order

    def capture_batch(self, stream: int, work: Callable[[int], bool], inferences: int) -> Any:
        if self.fail_batches:
            raise RuntimeError("event record nodes are not supported here")
        s = STREAMS[stream]
        each = [self._cost_of(stream, work) for _ in range(inferences)]
        self.captures += 1
        self.live += 1
        return {"cost": sum(each), "each": each, "launches": 0, "reads": 0, "end": 0.0, "stream": s}

    def launch(self, g: Any, stream: int) -> None:
        if self.fail_launch_after is not None and self.launches >= self.fail_launch_after:
            raise RuntimeError("cudaErrorLaunchFailure")
        if "each" in g:
            assert g["reads"] == g["launches"], "a graph launched again before its times were read"
            g["launches"] += 1
            self.batch_launches += 1
        super().launch(g, stream)
        g["end"] = STREAMS[stream].tail

    def batch_times(self, g: Any) -> list[float]:
        assert g["stream"].synced >= g["end"], "times read before the graph completed"
        g["reads"] += 1
        self.reads.append(list(g["each"]))
        return list(g["each"])


# ------------------------------------------------------------------ fake TensorRT


class _Enum(IntEnum):
    pass


class Severity(IntEnum):
    INTERNAL_ERROR = 0
    ERROR = 1
    WARNING = 2
    INFO = 3
    VERBOSE = 4


class TensorIOMode(IntEnum):
    NONE = 0
    INPUT = 1
    OUTPUT = 2


class TensorLocation(IntEnum):
    DEVICE = 0
    HOST = 1


class DataType(IntEnum):
    FLOAT = 0
    HALF = 1
    INT8 = 2
    INT32 = 3
    BOOL = 4
    UINT8 = 5
    FP8 = 6
    BF16 = 7
    INT64 = 8
    INT4 = 9
    FP4 = 10
    E8M0 = 11


class LayerInformationFormat(IntEnum):
    ONELINE = 0
    JSON = 1


class ProfilingVerbosity(IntEnum):
    LAYER_NAMES_ONLY = 0
    NONE = 1
    DETAILED = 2


class ILogger:
    Severity = Severity

    def __init__(self) -> None:
        pass

    def log(self, severity: Severity, msg: str) -> None:
        raise NotImplementedError


class IProfiler:
    def __init__(self) -> None:
        pass

    def report_layer_time(self, layer_name: str, ms: float) -> None:
        raise NotImplementedError


class IOutputAllocator:
    def __init__(self) -> None:
        pass


class IPluginRegistry:
    __slots__ = ("_loaded",)

    def __init__(self) -> None:
        self._loaded: list[str] = []

    def load_library(self, path: str) -> Any:
        self._loaded.append(path)
        return None if "missing" in path else object()


class Runtime:
    __slots__ = ("_logger", "_registry", "engine_host_code_allowed")

    def __init__(self, logger: ILogger) -> None:
        self._logger = logger
        self.engine_host_code_allowed = False
        self._registry = IPluginRegistry()
        note("runtime+")

    def get_plugin_registry(self) -> IPluginRegistry:
        return self._registry

    def deserialize_cuda_engine(self, plan: bytes) -> ICudaEngine | None:
        if not plan:
            self._logger.log(Severity.ERROR, "IRuntime::deserializeCudaEngine: Error Code 3: API Usage Error "
                            "(Cannot deserialize with an empty memory buffer.)")
            return None
        if plan[:4] != b"ftrt":
            self._logger.log(Severity.ERROR, "Error Code 1: Serialization (Serialization assertion "
                            "header.magicTag == kEXPECTED_MAGIC_TAG failed.)")
            return None
        spec = json.loads(plan[4:].decode())
        if spec.get("deserialize_s"):  # a large engine: deserializing takes a while
            time.sleep(float(spec["deserialize_s"]))
        for sev, text in spec.get("log", []):
            self._logger.log(Severity(sev), text)
        if spec.get("fail"):
            return None
        if spec.get("host_code") and not self.engine_host_code_allowed:
            self._logger.log(Severity.ERROR, "Cannot deserialize engine with lean runtime since "
                            "IRuntime::getEngineHostCodeAllowed() is false.")
            return None
        return ICudaEngine(spec, self._logger)

    def __del__(self) -> None:
        note("runtime-")


class ICudaEngine:
    __slots__ = ("_contexts", "_io", "_log", "_profiles_taken", "_spec")

    def __init__(self, spec: dict[str, Any], logger: ILogger | None = None) -> None:
        self._spec = spec
        self._log = logger
        self._io = [dict(t, mode=TensorIOMode.INPUT) for t in spec.get("inputs", [])] + [
            dict(t, mode=TensorIOMode.OUTPUT) for t in spec.get("outputs", [])
        ]
        self._contexts = 0
        self._profiles_taken: dict[int, int] = {}  # profile -> the context holding it (exclusive)
        note("engine+")

    def _t(self, name: str) -> dict[str, Any]:
        for t in self._io:
            if t["name"] == name:
                return t
        raise KeyError(name)

    @property
    def num_io_tensors(self) -> int:
        return len(self._io)

    @property
    def num_layers(self) -> int:
        return len(self._spec.get("layers", []))

    @property
    def num_optimization_profiles(self) -> int:
        return int(self._spec.get("profiles", 1))

    @property
    def num_aux_streams(self) -> int:
        return int(self._spec.get("aux_streams", 0))

    @property
    def device_memory_size_v2(self) -> int:
        return int(self._spec.get("ctx_memory", 1 << 20))

    @property
    def profiling_verbosity(self) -> ProfilingVerbosity:
        return ProfilingVerbosity[self._spec.get("verbosity", "LAYER_NAMES_ONLY")]

    def get_tensor_name(self, i: int) -> str:
        return str(self._io[i]["name"])

    def get_tensor_mode(self, name: str) -> TensorIOMode:
        return TensorIOMode(self._t(name)["mode"])

    def get_tensor_dtype(self, name: str) -> DataType:
        return DataType[self._t(name).get("dtype", "FLOAT")]

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._t(name)["shape"])

    def get_tensor_location(self, name: str) -> TensorLocation:
        return TensorLocation.HOST if self._t(name).get("host") else TensorLocation.DEVICE

    def is_shape_inference_io(self, name: str) -> bool:
        return bool(self._t(name).get("host"))

    def get_tensor_vectorized_dim(self, name: str) -> int:
        return int(self._t(name).get("vdim", -1))

    def get_tensor_components_per_element(self, name: str) -> int:
        return int(self._t(name).get("components", 1))

    def get_tensor_profile_shape(self, name: str, profile_index: int) -> list[tuple[int, ...]]:
        t = self._t(name)
        return [tuple(t["min"]), tuple(t["opt"]), tuple(t["max"])]

    def get_tensor_profile_values(self, profile_index: int, name: str) -> list[list[int]]:
        t = self._t(name)
        return [list(t["values"])] * 3

    def create_execution_context(self) -> IExecutionContext | None:
        limit = self._spec.get("max_contexts")
        if limit is not None and self._contexts >= limit:
            return None
        self._contexts += 1
        return IExecutionContext(self, self._contexts - 1)

    def create_engine_inspector(self) -> Any:
        if "inspector" not in self._spec:  # the lean module: the return type is not registered
            raise TypeError("Unable to convert function return value to a Python type (lean module)")
        return _FakeInspector(self._spec["inspector"])

    def __del__(self) -> None:
        note("engine-")


class IExecutionContext:
    __slots__ = (
        "_addresses", "_allocators", "_engine", "_enqueues", "_id", "_nvtx", "_pending", "_profile",
        "_profiled_enqueues", "_shapes", "enqueue_emits_profile", "profiler",
    )  # fmt: skip

    def __init__(self, engine: ICudaEngine, ident: int) -> None:
        self._engine = engine
        self._id = ident
        self._shapes: dict[str, tuple[int, ...]] = {}
        self._addresses: dict[str, int] = {}
        self._allocators: dict[str, Any] = {}
        self._enqueues = 0
        self._profiled_enqueues = 0
        self._pending: tuple[FakeStream, float, list[tuple[str, float]]] | None = None
        self.enqueue_emits_profile = True
        self.profiler: IProfiler | None = None
        self._nvtx = engine.profiling_verbosity
        self._profile = 0
        dynamic = any(-1 in t["shape"] for t in engine._io if t["mode"] == TensorIOMode.INPUT)
        if engine._spec.get("exclusive_profiles") and dynamic:
            free = 0 not in engine._profiles_taken
            self._profile = 0 if free else -1  # -1: "Could not set default profile 0 for execution context"
            if free:
                engine._profiles_taken[0] = ident
        note(f"context+{ident}")
        ENQUEUES[ident] = 0

    @property
    def active_optimization_profile(self) -> int:
        return self._profile

    @property
    def nvtx_verbosity(self) -> ProfilingVerbosity:
        return self._nvtx

    @nvtx_verbosity.setter
    def nvtx_verbosity(self, value: ProfilingVerbosity) -> None:
        self._nvtx = value
        note(f"nvtx{self._id}={value.name}")

    def set_optimization_profile_async(self, index: int, stream: int) -> bool:
        engine = self._engine
        if not 0 <= index < engine.num_optimization_profiles:
            return False
        holder = engine._profiles_taken.get(index)
        if engine._spec.get("exclusive_profiles") and holder not in (None, self._id):
            if engine._log is not None:
                text = f"Profile {index} has been chosen by another IExecutionContext"
                engine._log.log(Severity.ERROR, text)
            note(f"profile-refused{self._id}:{index}")
            return False
        if engine._spec.get("exclusive_profiles"):
            engine._profiles_taken.pop(self._profile, None)
            engine._profiles_taken[index] = self._id
        self._profile = index
        note(f"profile{self._id}={index}")
        return True

    def set_input_shape(self, name: str, shape: tuple[int, ...]) -> bool:
        t = self._engine._t(name)
        if "min" in t and not all(lo <= s <= hi for s, lo, hi in zip(shape, t["min"], t["max"], strict=True)):
            return False
        self._shapes[name] = tuple(shape)
        return True

    def infer_shapes(self) -> list[str]:
        return [t["name"] for t in self._engine._io
                if t["mode"] == TensorIOMode.INPUT and -1 in t["shape"] and t["name"] not in self._shapes]

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        t = self._engine._t(name)
        if name in self._shapes:
            return self._shapes[name]
        if t["mode"] == TensorIOMode.OUTPUT and "follow" in t:  # output dims follow an input's batch
            src = self._shapes.get(t["follow"], tuple(self._engine._t(t["follow"])["shape"]))
            return (src[0], *t["shape"][1:])
        return tuple(t["shape"])

    def get_max_output_size(self, name: str) -> int:
        return int(self._engine._t(name).get("max_bytes", -1))

    def set_tensor_address(self, name: str, address: int) -> bool:
        self._addresses[name] = int(address)
        return True

    def set_output_allocator(self, name: str, allocator: Any) -> bool:
        self._allocators[name] = allocator
        return True

    def execute_async_v3(self, stream_handle: int) -> bool:
        spec = self._engine._spec
        stream = STREAMS[stream_handle]
        missing = [t["name"] for t in self._engine._io if t["name"] not in self._addresses]
        assert not missing, f"enqueue with unset addresses {missing}"
        if stream.capturing is not None and spec.get("no_graph"):
            return False
        if self._profile < 0:  # "Assertion mOptimizationProfile >= 0 failed" (the real 8.5 crashes later)
            return False
        self._enqueues += 1
        ENQUEUES[self._id] = self._enqueues
        fail_after = spec.get("fail_after")
        if fail_after is not None and self._enqueues > fail_after and (
            spec.get("fail_once") is None or self._enqueues == fail_after + 1
        ):
            return False
        layers = self._layer_names()
        times = [float(x) for x in spec.get("layer_ms", [0.1] * len(layers))]
        skip = spec.get("skip_every", {})
        reported = [(n, t) for n, t in zip(layers, times, strict=True)
                    if not (n in skip and self._enqueues % skip[n] == 0)]
        cost = sum(times)
        if spec.get("per_sample"):  # work proportional to the batch (the first input's first dimension)
            first = next(t["name"] for t in self._engine._io if t["mode"] == TensorIOMode.INPUT)
            cost *= self.get_tensor_shape(first)[0]
        for name, alloc in self._allocators.items():
            alloc.reallocate_output(name, self._addresses[name], 64, 256)
            alloc.notify_shape(name, (1, 4))
        if self.profiler is not None:
            self._profiled_enqueues += 1
            PROFILED_ENQUEUES.append(self._id)
            if self.enqueue_emits_profile:
                SYNC_PROFILED_ENQUEUES.append(self._id)  # would make enqueue synchronous
                for n, t in reported:
                    self.profiler.report_layer_time(n, t)
                stream.enqueue(cost)
                stream.synchronize()
                return True
            start = stream.tail
            stream.enqueue(cost * 1.2)  # per-layer events make a profiled run slower
            if stream.capturing is not None:  # the events are in the graph: read after its launch
                stream.captured_profiles.append((self, reported))
                self._pending = None
            else:
                self._pending = (stream, start + cost * 1.2, reported)
            return True
        stream.enqueue(cost)
        return True

    def _layer_names(self) -> list[str]:
        layers = list(self._engine._spec.get("layers", []))
        if self._engine._spec.get("index_names"):
            return [str(i) for i in range(len(layers))]
        return layers

    def report_to_profiler(self) -> bool:
        if self.profiler is None or self._pending is None:
            return False
        stream, end, reported = self._pending
        assert stream.synced >= end, "report_to_profiler before the profiled inference completed"
        self._pending = None
        for n, t in reported:
            self.profiler.report_layer_time(n, t)
        return True

    def __del__(self) -> None:
        taken = self._engine._profiles_taken
        if taken.get(self._profile) == self._id:
            del taken[self._profile]
        note(f"context-{self._id}")


class _FakeInspector:
    """The full module's EngineInspector (not part of FakeTrt: the lean module has none)."""

    def __init__(self, doc: object) -> None:
        self.execution_context: Any = None
        self._doc = doc

    def get_engine_information(self, fmt: LayerInformationFormat) -> str:
        assert fmt == LayerInformationFormat.JSON
        assert self.execution_context is not None, "shapes resolve only with a context attached"
        return json.dumps(self._doc)


ENQUEUES: dict[int, int] = {}  # context id -> enqueues (the fakes keep no reference to contexts)
PROFILED_ENQUEUES: list[int] = []
SYNC_PROFILED_ENQUEUES: list[int] = []


class FakeTrt:
    """Stands in for the `tensorrt_lean_bindings` module (attribute access like a module)."""

    __version__ = "11.4.0.106"
    ILogger = ILogger
    IProfiler = IProfiler
    IOutputAllocator = IOutputAllocator
    IPluginRegistry = IPluginRegistry
    Runtime = Runtime
    ICudaEngine = ICudaEngine
    IExecutionContext = IExecutionContext
    TensorIOMode = TensorIOMode
    TensorLocation = TensorLocation
    DataType = DataType
    LayerInformationFormat = LayerInformationFormat
    ProfilingVerbosity = ProfilingVerbosity


def reset() -> None:
    JOURNAL.clear()
    ALLOCATIONS.clear()
    ENQUEUES.clear()
    PROFILED_ENQUEUES.clear()
    SYNC_PROFILED_ENQUEUES.clear()
    STREAMS.clear()


def plan(**spec: Any) -> bytes:
    """A fake plan: b"ftrt" + JSON."""
    base: dict[str, Any] = {
        "inputs": [{"name": "input", "dtype": "FLOAT", "shape": [1, 3, 8, 8]}],
        "outputs": [{"name": "output", "dtype": "FLOAT", "shape": [1, 10]}],
        "layers": ["conv1 + relu", "pool", "fc"],
        "layer_ms": [0.3, 0.1, 0.2],
    }
    base.update(spec)
    return b"ftrt" + json.dumps(base).encode()
