"""A fake full `tensorrt` module for running `python -m trtui.gpu.build.builder` where no TensorRT builder can
be installed. It defines exactly the names listed in `trtui.gpu.build.builder.TRT_NAMES_USED` (a test checks
that), so the adapter cannot use a name that the contract test does not check against the real
bindings.

The "ONNX model" it parses is the byte 0x08 followed by JSON:
    {"inputs": [{"name": "x", "shape": [-1, 3, 8, 8]}], "essential": BYTES, "tactics": [BYTES, ...],
     "parse_error": "text" (optional), "weights": BYTES, "activations": BYTES}
A build at a limit below "essential" fails with TensorRT's "no implementation" lines; tactics above
the limit are skipped with TensorRT's skip lines. Calls are appended as JSON lines to $FAKE_TRT_CALLS.

The built engine runs on the runtime tests' fakes (`tests/runtime/rt_fakes.py`: the engine, its
contexts, and with `fake_cuda` on the path a pycuda driver with a virtual GPU clock), because the
builder times it with the live run's adapter and loop.
"""

from __future__ import annotations

import enum
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "runtime"))
import rt_fakes as fk

__version__ = os.environ.get("FAKE_TRT_VERSION", "10.13.0.35")
_MAJOR = int(__version__.split(".")[0])


def _record(call: str, **fields: Any) -> None:
    path = os.environ.get("FAKE_TRT_CALLS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"call": call, **fields}) + "\n")


if _MAJOR >= 10:

    class MemoryPoolType(enum.Enum):
        WORKSPACE = 0
        TACTIC_DRAM = 4
        TACTIC_SHARED_MEMORY = 5

else:  # TensorRT 8.5, as its real bindings have it (tests/data/trt_api/tensorrt-8.5.3.1.json)

    class MemoryPoolType(enum.Enum):  # type: ignore[no-redef]
        WORKSPACE = 0
        DLA_MANAGED_SRAM = 1
        DLA_LOCAL_DRAM = 2
        DLA_GLOBAL_DRAM = 3


class TacticSource(enum.IntEnum):
    CUBLAS = 0
    CUBLAS_LT = 1
    CUDNN = 2
    EDGE_MASK_CONVOLUTIONS = 3
    JIT_CONVOLUTIONS = 4


class ProfilingVerbosity(enum.Enum):
    LAYER_NAMES_ONLY = 0
    NONE = 1
    DETAILED = 2

if _MAJOR < 11:

    class NetworkDefinitionCreationFlag(enum.IntEnum):
        EXPLICIT_BATCH = 0

if _MAJOR < 9:

    class BuilderFlag(enum.Enum):
        FP16 = 0
        INT8 = 1

elif _MAJOR < 11:

    class BuilderFlag(enum.Enum):  # type: ignore[no-redef]
        FP16 = 0
        INT8 = 1
        BF16 = 17

else:

    class BuilderFlag(enum.Enum):  # type: ignore[no-redef]
        DEBUG = 2


class EngineStat(enum.Enum):
    TOTAL_WEIGHTS_SIZE = 0


# The runtime side is the runtime tests' fake (the live run's adapter runs the built engine).
DataType = fk.DataType
TensorIOMode = fk.TensorIOMode
TensorLocation = fk.TensorLocation


class ILogger:
    class Severity(enum.Enum):
        INTERNAL_ERROR = 0
        ERROR = 1
        WARNING = 2
        INFO = 3
        VERBOSE = 4

    def __init__(self) -> None:
        pass


if _MAJOR >= 10:

    class IProgressMonitor:
        def __init__(self) -> None:
            pass


class ITimingCache:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def serialize(self) -> bytes:
        return self.data


class IOptimizationProfile:
    def __init__(self) -> None:
        self.shapes: dict[str, Any] = {}

    def set_shape(self, name: str, mn: Any, opt: Any, mx: Any) -> None:
        self.shapes[name] = (list(mn), list(opt), list(mx))


class ITensor:
    name: str = ""  # class-level so that the names test sees every attribute the adapter reads
    shape: tuple[int, ...] = ()
    is_shape_tensor: bool = False

    def __init__(self, name: str, shape: list[int]) -> None:
        self.name = name
        self.shape = tuple(shape)
        self.is_shape_tensor = False


class INetworkDefinition:
    def __init__(self) -> None:
        self.model: dict[str, Any] = {}
        self._inputs: list[ITensor] = []

    @property
    def num_inputs(self) -> int:
        return len(self._inputs)

    def get_input(self, i: int) -> ITensor:
        return self._inputs[i]


class OnnxParser:
    def __init__(self, network: INetworkDefinition, logger: ILogger) -> None:
        self.network = network
        self._errors: list[str] = []

    def parse_from_file(self, path: str) -> bool:
        with open(path, "rb") as f:
            raw = f.read()
        model = json.loads(raw[1:].decode())
        if model.get("parse_error"):
            self._errors.append(model["parse_error"])
            return False
        self.network.model = model
        self.network._inputs = [ITensor(i["name"], i["shape"]) for i in model.get("inputs", [])]
        return True

    @property
    def num_errors(self) -> int:
        return len(self._errors)

    def get_error(self, i: int) -> str:
        return self._errors[i]


class IBuilderConfig:
    if _MAJOR >= 10:
        progress_monitor: Any = None
    profiling_verbosity: ProfilingVerbosity = ProfilingVerbosity.LAYER_NAMES_ONLY

    def __init__(self) -> None:
        self.limits: dict[str, int] = {}
        self.flags: list[str] = []
        self.profiles: list[IOptimizationProfile] = []
        self._cache: ITimingCache | None = None
        self._tactics = 0b11111  # every source on, as TensorRT's default

    def get_tactic_sources(self) -> int:
        return self._tactics

    def set_tactic_sources(self, mask: int) -> bool:
        self._tactics = int(mask)
        _record("set_tactic_sources", mask=int(mask))
        return True

    def set_memory_pool_limit(self, pool: MemoryPoolType, size: int) -> None:
        assert isinstance(pool, MemoryPoolType) and isinstance(size, int)
        self.limits[pool.name] = size
        _record("set_memory_pool_limit", pool=pool.name, size=size)

    def set_flag(self, flag: Any) -> None:
        self.flags.append(flag.name)
        _record("set_flag", flag=flag.name)

    def add_optimization_profile(self, profile: IOptimizationProfile) -> int:
        self.profiles.append(profile)
        _record("add_optimization_profile", shapes=profile.shapes)
        return len(self.profiles) - 1

    def create_timing_cache(self, data: bytes) -> ITimingCache:
        _record("create_timing_cache", size=len(data))
        return ITimingCache(bytes(data))

    def set_timing_cache(self, cache: ITimingCache, ignore_mismatch: bool) -> bool:
        self._cache = cache
        return True

    def get_timing_cache(self) -> ITimingCache:
        assert self._cache is not None
        return self._cache


class Builder:
    def __init__(self, logger: ILogger) -> None:
        self.logger = logger

    def create_network(self, flags: int) -> INetworkDefinition:
        _record("create_network", flags=flags)
        return INetworkDefinition()

    def create_builder_config(self) -> IBuilderConfig:
        return IBuilderConfig()

    def create_optimization_profile(self) -> IOptimizationProfile:
        return IOptimizationProfile()

    def build_serialized_network(self, network: INetworkDefinition, config: IBuilderConfig) -> bytes | None:
        model = network.model
        (limit,) = config.limits.values()  # the tuner sets exactly one pool
        mon = getattr(config, "progress_monitor", None)
        _record("build", verbosity=config.profiling_verbosity.name)
        log = self.logger.log  # type: ignore[attr-defined]
        sev = ILogger.Severity
        if mon is not None:
            mon.phase_start("Building engine", None, 2)  # type: ignore[attr-defined]
            mon.step_complete("Building engine", 0)  # type: ignore[attr-defined]
        skipped = [t for t in model.get("tactics", []) if t > limit]
        if skipped:
            log(sev.INFO, "Some tactics do not have sufficient workspace memory to run. Increasing "
                "workspace size will enable more tactics, please check verbose output for requested sizes.")
        for k, t in enumerate(skipped):
            log(sev.WARNING, f"Tactic Device request: {t >> 20}MB Available: {limit >> 20}MB. Device memory "
                "is insufficient to use tactic.")
            log(sev.WARNING, f"UNSUPPORTED_STATE: Skipping tactic {k} due to insufficient memory on "
                f"requested size of {t} detected for tactic 0x{k:016x}.")
        config.get_timing_cache().data += b"+"
        if limit < model.get("essential", 0):
            log(sev.ERROR, "[optimizer.cpp::computeCosts::3869] Error Code 10: Internal Error (Could not "
                "find any implementation for node {ForeignNode[/model/attn/MatMul]}.)")
            return None
        if mon is not None:
            mon.step_complete("Building engine", 1)  # type: ignore[attr-defined]
            mon.phase_finish("Building engine")  # type: ignore[attr-defined]
        enabled = [t for t in model.get("tactics", []) if t <= limit]
        profiles = {n: v for p in config.profiles for n, v in p.shapes.items()}
        plan = json.dumps({"limit": limit, "scratch": max(enabled, default=0), "profiles": profiles,
                           **model}).encode()
        return b"FAKEPLAN" + plan


class IExecutionContext(fk.IExecutionContext):
    """Runs the fake engine on the fake pycuda's virtual GPU clock (rt_fakes): its one "layer" takes
    1 ms, 20% longer for every tactic the limit skipped."""

    def set_input_shape(self, name: str, shape: Any) -> bool:
        _record("set_input_shape", name=name, shape=[int(d) for d in shape])
        return bool(super().set_input_shape(name, tuple(int(d) for d in shape)))


class ICudaEngine(fk.ICudaEngine):
    """The built plan as the runtime tests' fake engine (I/O, contexts, execution), plus the sizes the
    builder reads."""

    def __init__(self, plan: bytes) -> None:
        self.meta = json.loads(plan[len(b"FAKEPLAN"):].decode())
        profiles = self.meta.get("profiles", {})
        inputs = []
        for i in self.meta.get("inputs", []):
            t: dict[str, Any] = {"name": i["name"], "dtype": "FLOAT", "shape": list(i["shape"])}
            if i["name"] in profiles:
                t["min"], t["opt"], t["max"] = profiles[i["name"]]
            inputs.append(t)
        skipped = [t for t in self.meta.get("tactics", []) if t > self.meta["limit"]]
        first = inputs[0]["name"] if inputs else None
        output: dict[str, Any] = {"name": "y", "dtype": "FLOAT", "shape": [-1 if first else 1, 10]}
        if first:
            output["follow"] = first
        super().__init__({
            "inputs": inputs,
            "outputs": [output],
            "layers": ["fake layer"],
            "layer_ms": [round(1.0 * 1.2 ** len(skipped), 4)],
            "ctx_memory": int(self.meta.get("activations", 1 << 20) + self.meta["scratch"]),
        })

    def create_execution_context(self) -> IExecutionContext:
        self._contexts += 1
        return IExecutionContext(self, self._contexts - 1)

    @property
    def device_memory_size_v2(self) -> int:
        return int(self.meta.get("activations", 1 << 20) + self.meta["scratch"])

    def get_engine_stat(self, stat: EngineStat) -> int:
        assert stat is EngineStat.TOTAL_WEIGHTS_SIZE
        return int(self.meta.get("weights", 1 << 20))


class Runtime:
    def __init__(self, logger: ILogger) -> None:
        self.logger = logger

    def deserialize_cuda_engine(self, plan: bytes) -> ICudaEngine | None:
        return ICudaEngine(bytes(plan)) if bytes(plan).startswith(b"FAKEPLAN") else None
