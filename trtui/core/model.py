"""Values that cross boundaries: what sources produce and what aggregators consume.

Everything here is a frozen dataclass (numpy arrays inside are made read-only). `None` always
means "not known / not reported by this source".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from trtui.core.kernel_records import KernelCapture

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SourceKind = Literal["simulated", "engine", "recording"]


def frozen_array(values: object, dtype: type = np.float64) -> npt.NDArray[Any]:
    """A read-only numpy copy of `values` (so a snapshot cannot be changed after it is made)."""
    arr: npt.NDArray[Any] = np.array(values, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One input or output of a layer (or of the engine)."""

    name: str
    shape: tuple[int, ...] | None = None  # -1 for a dynamic dimension
    dtype: str | None = None  # "FP16", "INT8", ... as TensorRT names it
    format: str | None = None  # e.g. "Channel major FP16 format where channel % 8 == 0"
    location: str | None = None  # "Device" / "Host"


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """What is known about one engine layer besides its timings (from the engine inspector or
    trtexec's layer-info export). Only `name` is always present."""

    name: str
    type: str | None = None  # LayerType, e.g. "CaskConvolution", "Reformat", "Myelin"
    precision: str | None = None  # the precision it computes in, e.g. "INT8" (trtui/core/precision.py)
    tactic: str | None = None  # TacticName
    inputs: tuple[TensorInfo, ...] = ()
    outputs: tuple[TensorInfo, ...] = ()
    origin: str | None = None  # e.g. "REFORMAT", "QDQ"
    onnx_nodes: tuple[str, ...] = ()  # ONNX nodes fused into this layer (from "Metadata")
    stream_id: int | None = None  # auxiliary stream the layer runs on
    params: Mapping[str, object] = field(default_factory=dict)  # everything else, as read
    output_precision: str | None = None  # the dominant output data type, e.g. "FP32"


PROFILE_SUFFIX = re.compile(r"\s\[profile (\d+)\]$")


def base_name(name: str) -> str:
    """A layer name without trtexec's " [profile N]" suffix (optimization profiles other than 0)."""
    return PROFILE_SUFFIX.sub("", name)


def precision_mix(layers: Iterable[LayerInfo]) -> str | None:
    """'FP16 87%, FP32 13%' by layer count, most common first (ties by name); layers of unknown
    precision are left out; None when no layer's precision is known."""
    counts = Counter(layer.precision for layer in layers if layer.precision)
    total = sum(counts.values())
    if not total:
        return None
    parts = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{p} {round(100 * n / total)}%" for p, n in parts)


@dataclass(frozen=True, slots=True)
class RunFacts:
    """How a run measures, as facts without wording (`trtui.core.run_facts` words them, for every source).
    `None`: not known for this source (e.g. a recording that does not say)."""

    profile_every: int | None = None  # one profiled inference in N inferences; 0: profiling off
    profile_time_cap: float | None = None  # profiling takes at most this fraction of the time
    profiling_off: str | None = None  # why per-layer profiling is off although it was asked for
    cuda_graphs: bool | None = None  # timed inferences replay a CUDA graph
    graphs_asked: bool | None = None  # CUDA graphs were asked for (off without a reason: not asked)
    graphs_off: str | None = None  # why CUDA graphs are off although asked for
    transfers: bool | None = None  # each timed inference includes its H2D and D2H copies
    streams: int = 1
    aux_streams: int = 0  # > 0: the sum of layer times is not a latency
    io_bytes: int | None = None  # the I/O buffers of one execution context
    ultralytics: tuple[tuple[str, str], ...] | None = None  # Ultralytics metadata (key, value); None: none
    simulated: bool = False
    recorded_by: str | None = None  # "trtexec", "trtui 0.9": the run was recorded, not live
    recorded_mode: str | None = None  # the mode line a trtui recording carries
    separate_profiling: bool | None = None  # trtexec: per-layer times came from a separate run
    spin_wait: bool | None = None  # trtexec --useSpinWait
    kernels: str | None = None  # kernel recording around profiled inferences: "CUPTI", "simulated"
    profiled_graph: bool | None = None  # profiled inferences replay a CUDA graph (as timed ones do)
    profiled_graph_off: str | None = None  # why not, when timed inferences are graphs and profiled are not


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """The hardware facts a roofline needs (trtui.analysis.peaks turns them into peaks). `None`:
    not known. Clocks are the ones the run used: a recording's `device_information`, or the CUDA
    driver's rated clocks for a live engine (the live roofline replaces them with NVML's current
    clocks from telemetry)."""

    name: str | None = None
    compute_capability: tuple[int, int] | None = None
    sms: int | None = None  # streaming multiprocessors
    sm_clock_mhz: float | None = None
    mem_clock_mhz: float | None = None  # as CUDA and NVML report it (data moves twice per clock)
    bus_width_bits: int | None = None
    integrated: bool | None = None  # Jetson: DRAM shared with the CPU
    source: str | None = None  # where these facts came from ("trtexec device_information", ...)


@dataclass(frozen=True, slots=True)
class EngineIo:
    """One engine input or output for the engine card."""

    name: str
    mode: Literal["input", "output"] | None = None
    dtype: str | None = None
    shape: tuple[int, ...] | None = None  # -1 for a dynamic dimension
    format: str | None = None
    # per optimization profile: (min, opt, max) shapes (inputs of dynamic-shape engines)
    profiles: tuple[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class EngineFacts:
    """What is known about an engine besides its layers (the engine card's facts). `None`: unknown."""

    trt_version: str | None = None
    built_for: str | None = None  # the device the engine was built for (a recording: the run's device)
    io: tuple[EngineIo, ...] = ()
    profiles: int | None = None  # optimization profiles
    device_memory_bytes: int | None = None  # device memory the engine needs for one context
    context_memory_bytes: int | None = None  # live: what the context actually allocated
    builder: tuple[tuple[str, str], ...] = ()  # builder settings the recording or engine reveals
    source: str | None = None  # "trtexec recording", "engine inspector", ...


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Describes a source for the header, the JSON summary and exports. Static for a run."""

    kind: SourceKind
    label: str  # short name for the header: engine file name, "resnet50 (simulated)"...
    simulated: bool
    path: str | None = None
    device: str | None = None  # GPU name ("NVIDIA H100 80GB HBM3"), or the recording's device
    trt_module: str | None = None  # "tensorrt" or "tensorrt_lean"
    trt_version: str | None = None
    precision: str | None = None  # precision mix, e.g. "FP16 87%, FP32 13%"
    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()  # input name -> shape
    mode: str | None = None  # e.g. "timing, profiling 1 in 10; CUDA graph on"
    streams: int = 1
    aux_streams: int = 0  # > 0: the sum of layer times is not a latency
    layers: tuple[LayerInfo, ...] = ()  # static layer details where known, in engine order
    extra: Mapping[str, str] = field(default_factory=dict)  # more header facts, shown as-is
    facts: RunFacts | None = None  # how the run measures; `mode` is its wording (trtui.core.run_facts)
    duration_s: float | None = None  # a recording: the recorded run's duration (not the replay's)
    hardware: DeviceSpec | None = None  # SMs, clocks, bus width: for the roofline
    engine: EngineFacts | None = None  # the engine card's facts beyond the layers


@dataclass(frozen=True, slots=True)
class ProfiledIteration:
    """Per-layer GPU times (ms) of one profiled iteration, in report order.

    `names` should be the *same tuple object* from one iteration to the next while the layer set
    does not change: aggregators use that to skip re-keying. A name may be a decimal index when the
    engine was built without layer names.
    """

    names: tuple[str, ...]
    times_ms: FloatArray
    gpu_ms: float | None = None  # CUDA-event time of the whole profiled iteration, if measured
    kernels: KernelCapture | None = None  # --kernels: what the kernel tracer recorded around it


@dataclass(frozen=True, slots=True)
class LayerSummaryTable:
    """Per-layer statistics that a source already aggregated (a trtexec recording).

    Arrays are aligned with `names`; NaN where the recording does not say.
    """

    names: tuple[str, ...]
    count: IntArray
    total_ms: FloatArray
    mean_ms: FloatArray
    median_ms: FloatArray
    iterations: int  # the recording's "count"
    # more per-layer columns where the recording has them (trtui's exports: "p90_ms", "p99_ms",
    # "min_ms", "max_ms", "std_ms"), aligned with `names`, NaN where unknown
    extra: Mapping[str, FloatArray] = field(default_factory=dict)


# The start-up steps a source reports, in the order they run (a source reports those it has): the
# engine's GPU process and TensorRT, the CUDA context, the plan read and deserialized, execution
# contexts and buffers, the engine inspector, the first inferences (and CUDA graph capture), the
# warm-up (not reported), and the wait for the first profiled inference's layer times.
STARTUP_STEPS: tuple[str, ...] = (
    "GPU process",
    "CUDA driver",
    "TensorRT",
    "CUDA context",
    "read plan",
    "deserialize",
    "contexts and buffers",
    "inspector",
    "first runs",
    "warm-up",
    "first profiled batch",
)


@dataclass(frozen=True, slots=True)
class StartupStep:
    """One start-up step of a source, as it crosses boundaries: a step that began (`duration_s`
    None) or one that ended, with its duration in seconds. In a snapshot, the running step carries
    how long it has run so far. `name` is one of `STARTUP_STEPS`; `simulated`: the simulated demo's
    own step, not a measurement of an engine."""

    name: str
    duration_s: float | None = None
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class SourceBatch:
    """What a source produced since the last read.

    `latencies_ms` are unprofiled (timing-mode) inference times only; latency is never taken from
    profiled iterations. `timing_wall_s` is the wall-clock time spent in timing mode for those
    inferences, so that throughput = count / wall time stays honest while profiling is duty-cycled.
    """

    t: float  # the source's clock (seconds) at the end of the batch
    latencies_ms: FloatArray = field(default_factory=lambda: frozen_array(()))
    latency_streams: IntArray | None = None  # stream index of each latency (multi-stream runs)
    timing_wall_s: float = 0.0
    profiled: tuple[ProfiledIteration, ...] = ()
    summary: LayerSummaryTable | None = None  # replaces per-iteration data for recordings
    notices: tuple[str, ...] = ()  # user-visible events ("CUDA graph capture failed: ...")
    finished: bool = False  # the source has nothing more (a recording fully replayed, an error)
    profiled_gpu_ms: float | None = None  # a recording's measured profiled-iteration time, if recorded
    # a trtui export of a run longer than its times file: the run's since-start latency figures
    # ("count", "mean", "median", "p90", "p95", "p99", "min", "max", "std")
    recorded_latency: Mapping[str, float] | None = None
    error: str | None = None  # one-line reason when the source stopped on an error
    startup: tuple[StartupStep, ...] = ()  # start-up steps that began or ended (in order)
