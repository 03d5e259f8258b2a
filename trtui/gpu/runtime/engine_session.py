"""The TensorRT adapter: deserialize an engine and set up everything the inference loop runs, on the
GPU worker thread (with the CUDA context pushed).

Per `--streams N`: N execution contexts, each with its own stream and buffers. When profiling is
on, one more context on stream 0 has an IProfiler attached with `enqueue_emits_profile = False`;
the loop runs it alone every N rounds and calls `report_to_profiler()` after its end event
completed. The timing contexts never have a profiler, so CUDA graphs capture them unprofiled.

The session's `SourceInfo` carries facts, not wording: `SourceInfo.facts` (a `RunFacts`: profiling
interval and cap, CUDA graphs and why not, transfers, streams, I/O bytes, Ultralytics metadata) with
`mode` left None; `trtui.core.run_facts.worded` writes the mode line and the notes (the source calls it).

Every TensorRT name used here is listed in `TRT_NAMES_USED`; the contract test checks them against
the real lean bindings. Names only the full module has are in `TRT_FULL_ONLY_NAMES` and are
guarded by capability checks; names that differ between versions are in `TRT_OPTIONAL_NAMES` and
guarded by `hasattr`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trtui.common.errors import UserError
from trtui.core.model import (
    DeviceSpec,
    EngineFacts,
    EngineIo,
    RunFacts,
    SourceBatch,
    SourceInfo,
    precision_mix,
)
from trtui.core.options import RunOptions
from trtui.core.run_facts import ultralytics_facts
from trtui.core.startup_steps import StepTimer, no_steps
from trtui.engine_info.shapes import InputProfile, ShapeList, format_shape, resolve_shapes, shape_within
from trtui.gpu.runtime.cuda_check import DeviceFacts
from trtui.gpu.runtime.engine_load import load_engine
from trtui.gpu.runtime.engine_tensors import (
    bind,
    dims,
    is_oom,
    make_work,
    tensor_specs,
)
from trtui.gpu.runtime.inspector import inspect_layers
from trtui.gpu.runtime.io_buffers import IoBuffers, TensorSpec, tensor_bytes
from trtui.gpu.runtime.load_errors import explain_out_of_memory
from trtui.gpu.runtime.loop import InferenceLoop
from trtui.gpu.runtime.loop_types import GraphBackend, Lane, LoopConfig
from trtui.gpu.runtime.profiler import LayerSamples, make_profiler
from trtui.gpu.runtime.reshape import EngineReshaper, LaneParts
from trtui.gpu.runtime.trt_logger import WARNING
from trtui.gpu.runtime.trt_module import TrtModule
from trtui.gpu.runtime.worker import Holder, Resources, Session
from trtui.kernels.tracer import KernelTracer

TRT_NAMES_USED: tuple[str, ...] = (
    "__version__",
    "ILogger",
    "ILogger.log",
    "ILogger.Severity",
    "IProfiler",
    "IProfiler.report_layer_time",
    "IOutputAllocator",
    "Runtime",
    "Runtime.deserialize_cuda_engine",
    "Runtime.engine_host_code_allowed",
    "Runtime.get_plugin_registry",
    "IPluginRegistry.load_library",
    "ICudaEngine.num_io_tensors",
    "ICudaEngine.get_tensor_name",
    "ICudaEngine.get_tensor_mode",
    "ICudaEngine.get_tensor_dtype",
    "ICudaEngine.get_tensor_shape",
    "ICudaEngine.get_tensor_location",
    "ICudaEngine.is_shape_inference_io",
    "ICudaEngine.get_tensor_vectorized_dim",
    "ICudaEngine.get_tensor_components_per_element",
    "ICudaEngine.get_tensor_profile_shape",
    "ICudaEngine.get_tensor_profile_values",
    "ICudaEngine.num_optimization_profiles",
    "ICudaEngine.create_execution_context",
    "ICudaEngine.num_aux_streams",
    "ICudaEngine.num_layers",
    "ICudaEngine.device_memory_size_v2",
    "ICudaEngine.profiling_verbosity",
    "ICudaEngine.create_engine_inspector",
    "IExecutionContext.set_optimization_profile_async",
    "IExecutionContext.active_optimization_profile",
    "IExecutionContext.nvtx_verbosity",
    "ProfilingVerbosity.NONE",
    "IExecutionContext.set_input_shape",
    "IExecutionContext.infer_shapes",
    "IExecutionContext.get_tensor_shape",
    "IExecutionContext.get_max_output_size",
    "IExecutionContext.set_tensor_address",
    "IExecutionContext.set_output_allocator",
    "IExecutionContext.execute_async_v3",
    "IExecutionContext.enqueue_emits_profile",
    "IExecutionContext.profiler",
    "IExecutionContext.report_to_profiler",
    "TensorIOMode.INPUT",
    "TensorLocation.HOST",
    "DataType.FLOAT",
    "DataType.HALF",
    "DataType.BF16",
    "DataType.INT8",
    "DataType.INT32",
    "DataType.INT64",
    "DataType.BOOL",
    "DataType.UINT8",
    "DataType.FP8",
    "DataType.INT4",
    "DataType.FP4",
    "LayerInformationFormat.JSON",
    "ProfilingVerbosity.NONE",
)
# Only in the full `tensorrt` module; used behind TrtModule.has_inspector / has_plugin_init.
TRT_FULL_ONLY_NAMES: tuple[str, ...] = (
    "EngineInspector",
    "EngineInspector.execution_context",
    "EngineInspector.get_engine_information",
    "init_libnvinfer_plugins",
)
# Present in some versions only; every use is guarded by hasattr/getattr.
TRT_OPTIONAL_NAMES: tuple[str, ...] = (
    "ICudaEngine.device_memory_size",  # 10.0 (removed in 11; _v2 from 10.1)
    "DataType.E8M0",  # 10.12+
)


@dataclass
class EngineRequest:
    """Everything the worker needs to set up a run of one engine."""

    plan: bytes
    path: Path
    options: RunOptions
    trt: TrtModule
    device: DeviceFacts
    metadata: dict[str, object] | None = None
    graphs_factory: Callable[[], GraphBackend] | None = None  # None: CUDA graphs unavailable
    loop_config: LoopConfig | None = None
    notices: list[str] = field(default_factory=list)
    on_engine: Callable[[Any], None] | None = None  # called with the engine once loaded (the tuner's sizes)
    kernel_tracer: KernelTracer | None = None  # --kernels: traces the profiled inferences
    steps: StepTimer | None = None  # times the start-up steps (the worker's `steps`)


class _ProfiledTrt:
    """The profiled inference for the loop: a context with the profiler attached. With --transfers it
    copies like a timed inference does, so that its GPU time compares with the latencies."""

    def __init__(self, ctx: Holder, samples: LayerSamples, work: Callable[[int], bool]) -> None:
        self._ctx = ctx
        self._samples = samples
        self._work = work

    def launch(self, stream: int) -> bool:
        return self._work(stream)

    def collect(self) -> tuple[tuple[str, ...], list[float]]:
        self._samples.clear()
        self._ctx.obj.report_to_profiler()
        return self._samples.take()


def build_engine_session(
    req: EngineRequest, driver: Any, res: Resources, emit: Callable[[SourceBatch], None]
) -> Session:
    """Deserialize and set up; raises UserError with one line for every known failure. Whatever
    was created is registered in `res` as soon as it exists (the worker releases it)."""
    trt = req.trt.module
    opts = req.options
    label = req.path.name
    steps = req.steps or StepTimer(no_steps)
    with steps.step("deserialize"):
        engine, store, mark = load_engine(
            req.trt, req.plan, path=str(req.path), allow_host_code=opts.allow_host_code,
            plugins=opts.plugins, res=res,
        )
    steps.begin("contexts and buffers")
    req.plan = b""  # the plan bytes are no longer needed
    if req.on_engine is not None:
        req.on_engine(engine)

    # ---- I/O tensors and shapes
    host_loc = trt.TensorLocation.HOST
    names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
    is_input = {n: engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT for n in names}
    shape_tensors = {n for n in names if is_input[n] and engine.is_shape_inference_io(n)}
    profiles = []
    requested = dict(opts.shapes)
    value_requests = {n: requested.pop(n) for n in list(requested) if n in shape_tensors}
    for n in names:
        if not is_input[n] or n in shape_tensors:
            continue
        shape = dims(engine.get_tensor_shape(n))
        if any(d < 0 for d in shape):
            mn, opt, mx = (dims(s) for s in engine.get_tensor_profile_shape(n, 0))
            profiles.append(InputProfile(n, shape, mn, opt, mx))
        else:
            profiles.append(InputProfile(n, shape))
    shapes = resolve_shapes(profiles, requested)

    # ---- contexts (N timing contexts + 1 profiling context)
    n_streams = max(1, int(opts.streams))
    profiling = opts.profile_every > 0
    mem_per_ctx = int(
        getattr(engine, "device_memory_size_v2", 0) or getattr(engine, "device_memory_size", 0) or 0
    )
    free_b, _total = driver.mem_get_info()
    need = mem_per_ctx * (n_streams + (1 if profiling else 0))
    if need > free_b:
        raise explain_out_of_memory(f"{n_streams} execution context(s)", int(free_b), need)

    allocators: list[Any] = []  # output allocators outlive the contexts that call them
    res.add_trt("output allocators", allocators.clear)

    dynamic = any(p.dynamic for p in profiles)

    held: dict[int, Holder] = {}  # optimization profile -> the context that holds it (TensorRT 8.x)

    def new_context(what: str, stream: Any, shapes: ShapeList) -> Holder:
        """A new execution context with an optimization profile that fits `shapes`, and those shapes set."""
        m = store.mark()
        ctx = engine.create_execution_context()
        if ctx is None:
            errs = store.messages_since(m, WARNING)
            if errs and not any("memory" in e.lower() for e in errs):
                raise UserError(f"cannot create {what}: {errs[-1]}")
            free_now, _ = driver.mem_get_info()
            raise explain_out_of_memory(what, int(free_now), mem_per_ctx or None)
        h = Holder(ctx)
        res.add_trt(what, h.release)
        if dynamic:
            choose_profile(h, what, stream, shapes)
        configure(ctx, shapes)
        return h

    def fits(index: int, shapes: ShapeList) -> bool:
        """Whether every requested input shape lies within optimization profile `index`."""
        for name, shape in shapes:
            try:
                lo, _, hi = (dims(s) for s in engine.get_tensor_profile_shape(name, index))
            except Exception:  # no profile shape for this input (a static one): nothing to check
                continue
            if not shape_within(shape, lo, hi):
                return False
        return True

    def choose_profile(h: Holder, what: str, stream: Any, shapes: ShapeList) -> None:
        """Keep the profile TensorRT gave the context when the shapes fit it, else take a free one that fits.

        TensorRT 10 and 11 give every context profile 0. TensorRT 8.x lets a profile serve one context at a
        time: a new context gets profile 0 if no other context holds it and none otherwise
        (`active_optimization_profile` -1; such a context crashes on use), and asking for a profile another
        context holds fails with an error in the log. Seen with the real 8.5.3 on an H100."""
        n = int(engine.num_optimization_profiles)
        given = int(getattr(h.obj, "active_optimization_profile", 0))
        if given >= 0 and (n == 1 or fits(given, shapes)):
            held[given] = h
            return
        for k in range(n):
            taken = held.get(k)
            if k == given or (taken is not None and taken.obj is not None) or not fits(k, shapes):
                continue
            if h.obj.set_optimization_profile_async(k, stream.handle):
                held[k] = h
                return
        if given >= 0:  # nothing better: setting the shapes says what does not fit
            held[given] = h
            return
        raise UserError(
            f"{what} has no optimization profile: TensorRT {req.trt.version} lets only one execution "
            f"context use a profile at a time and this engine has {n} (TensorRT 10 lifted this): build it "
            "with one optimization profile per execution context (one per stream, one more for per-layer "
            "profiling)"
        )

    def configure(ctx: Any, shapes: ShapeList) -> None:
        for name, shape in shapes:
            if not ctx.set_input_shape(name, shape):
                errs = store.messages_since(0, WARNING)
                raise UserError(
                    f"TensorRT refused shape {format_shape(shape)} for input '{name}'"
                    + (f": {errs[-1]}" if errs else "")
                )

    # ---- streams, buffers, work per lane
    rng = np.random.default_rng(opts.seed)

    def build_lane(i: int, shapes: ShapeList) -> LaneParts:
        stream_h = Holder(driver.Stream())
        res.add_cuda(f"stream {i}", stream_h.release)
        stream = stream_h.obj
        ctx_h = new_context(f"execution context {i}", stream, shapes)
        ctx = ctx_h.obj
        if req.kernel_tracer is not None:  # --kernels: only the profiled context's NVTX ranges matter
            ctx.nvtx_verbosity = trt.ProfilingVerbosity.NONE
        specs = tensor_specs(engine, ctx, names, is_input, shape_tensors, value_requests, host_loc)
        missing = [m for m in ctx.infer_shapes() if m not in shape_tensors]
        if missing:
            raise UserError(f"the engine needs shapes for {', '.join(missing)}: give them with --shapes")
        try:
            bufs = IoBuffers(driver, specs, transfers=opts.transfers, rng=rng)
        except Exception as exc:
            if is_oom(exc):
                free_now, _ = driver.mem_get_info()
                need_io = sum(tensor_bytes(s) for s in specs)
                raise explain_out_of_memory(f"the buffers of stream {i}", int(free_now), need_io) from None
            raise
        res.add_cuda(f"buffers {i}", bufs.free)
        bind(trt, ctx, bufs, allocators)
        lane = Lane(index=i, stream=stream, work=make_work(ctx_h, bufs, stream, opts.transfers))
        return LaneParts(lane, ctx_h, bufs, stream_h, specs)

    parts = [build_lane(i, shapes) for i in range(n_streams)]
    lanes = [p.lane for p in parts]
    contexts = [p.context for p in parts]
    lane0_buffers, io_specs = parts[0].buffers, parts[0].specs

    profiled = None
    if profiling:
        try:
            pctx_h = new_context("the profiling context", lanes[0].stream, shapes)
        except UserError as err:
            req.notices.append(f"per-layer profiling is off: {err}")
            pctx_h = None
        if pctx_h is not None:
            pctx = pctx_h.obj
            assert lane0_buffers is not None
            bind(trt, pctx, lane0_buffers, allocators)
            samples = LayerSamples()
            prof_h = Holder(make_profiler(trt, samples))
            pctx.enqueue_emits_profile = False  # before attaching: enqueue stays asynchronous
            pctx.profiler = prof_h.obj
            res.add_trt("profiler", prof_h.release)
            res.add_trt("profiling context", pctx_h.release)  # the context goes before its profiler
            profiled = _ProfiledTrt(
                pctx_h, samples, make_work(pctx_h, lane0_buffers, lanes[0].stream, opts.transfers)
            )

    # ---- layer details, then the loop (first runs and graph capture happen here, before "ready")
    steps.begin("inspector")
    layers, layer_note = inspect_layers(req.trt, engine, contexts[0].obj)
    steps.end()
    if layer_note and req.trt.has_inspector:
        req.notices.append(layer_note)
    graphs: GraphBackend | None = None
    graph_note: str | None = None
    if opts.cuda_graph:
        if req.graphs_factory is None:
            graph_note = "cuda-python not installed"
        else:
            try:
                graphs = req.graphs_factory()
            except UserError as err:
                graph_note = "cuda-python not available"
                req.notices.append(str(err))
    cfg = req.loop_config or LoopConfig(use_graphs=opts.cuda_graph, profile_every=opts.profile_every)
    tracer = req.kernel_tracer if profiled is not None else None
    if tracer is not None:
        res.add_cuda("kernel tracer", tracer.close)
    loop = InferenceLoop(driver, lanes, cfg, emit, graphs=graphs, profiled=profiled, kernel_tracer=tracer,
                         steps=req.steps)
    res.add_cuda("loop", loop.close)  # destroys graphs and events before buffers and streams go
    for note in req.notices:
        loop.notice(note)
    with steps.step("first runs"):
        loop.prepare()
    for line in store.messages_since(mark, WARNING)[-3:]:
        if "Using an engine plan file across different models of devices" in line:
            loop.notice("the engine was built on another GPU model: timings may differ from its origin")

    rebind = None
    if profiled is not None:
        assert pctx_h is not None
        prof_ctx, prof_run = pctx_h, profiled

        def rebind(lane0: LaneParts, shapes: ShapeList) -> None:
            """The profiling context follows lane 0 (its shapes, buffers and stream)."""
            configure(prof_ctx.obj, shapes)
            bind(trt, prof_ctx.obj, lane0.buffers, allocators)
            prof_run._work = make_work(prof_ctx, lane0.buffers, lane0.lane.stream, opts.transfers)

    reshaper = EngineReshaper(
        loop, build_lane, profiles, shapes, parts, mem_per_ctx=mem_per_ctx,
        free_bytes=lambda: int(driver.mem_get_info()[0]), rebind_profiled=rebind,
    )
    aux = int(getattr(engine, "num_aux_streams", 0) or 0)
    assert lane0_buffers is not None
    facts = _run_facts(req, cfg, loop, graph_note, profiled is not None, n_streams, aux,
                       lane0_buffers.total_bytes)
    if tracer is not None:
        facts = dataclasses.replace(facts, kernels="CUPTI")
    info = SourceInfo(
        kind="engine",
        label=label,
        simulated=False,
        path=str(req.path),
        device=req.device.name,
        trt_module=req.trt.display_name,
        trt_version=req.trt.version,
        precision=precision_mix(layers),
        shapes=shapes,
        mode=None,  # worded from `facts` by trtui.core.run_facts (the source does it)
        streams=n_streams,
        aux_streams=aux,
        layers=layers,
        extra=_extra(req, io_specs, mem_per_ctx, engine),
        facts=facts,
        hardware=device_spec(req.device),
        engine=_engine_facts(req, engine, io_specs, mem_per_ctx,
                             n_streams + (1 if profiled is not None else 0)),
    )
    return Session(info=info, loop=loop, reshaper=reshaper)


def _run_facts(req: EngineRequest, cfg: LoopConfig, loop: InferenceLoop, graph_note: str | None,
               profiled: bool, n_streams: int, aux: int, io_bytes: int) -> RunFacts:
    """What this run does, as facts (trtui.core.run_facts words them)."""
    opts = req.options
    every = max(0, int(cfg.profile_every))
    graphs_off = None
    if not loop.graphs_on and cfg.use_graphs:
        graphs_off = graph_note or loop.graph_note or "unavailable"
    return RunFacts(
        profile_every=every,
        profile_time_cap=float(cfg.profile_budget) if every and profiled and cfg.profile_budget < 1 else None,
        profiling_off="the profiling context could not be set up" if every and not profiled else None,
        cuda_graphs=bool(loop.graphs_on),
        graphs_asked=bool(cfg.use_graphs),
        graphs_off=graphs_off,
        transfers=bool(opts.transfers),
        streams=n_streams,
        aux_streams=aux,
        io_bytes=io_bytes,
        ultralytics=ultralytics_facts(req.metadata or None),
        profiled_graph=loop.profiled_graph if profiled else None,
        profiled_graph_off=loop.profiled_graph_note if profiled else None,
    )


def device_spec(d: DeviceFacts) -> DeviceSpec:
    """The roofline's device facts from the CUDA driver's attributes (SMs, rated clocks, bus width);
    the live roofline replaces the clocks with NVML's current ones."""
    return DeviceSpec(
        name=d.name,
        compute_capability=d.compute_capability,
        sms=d.sms,
        sm_clock_mhz=d.sm_clock_khz / 1000 if d.sm_clock_khz else None,
        mem_clock_mhz=d.mem_clock_khz / 1000 if d.mem_clock_khz else None,
        bus_width_bits=d.bus_width_bits,
        integrated=d.integrated,
        source="the CUDA driver's device attributes",
    )


def _engine_facts(req: EngineRequest, engine: Any, specs: list[TensorSpec], mem_per_ctx: int,
                  contexts: int) -> EngineFacts:
    """The engine card's facts of a deserialized engine (every call guarded: a missing API or a
    failing call leaves the fact unknown)."""
    try:
        n_profiles = int(engine.num_optimization_profiles)
    except Exception:
        n_profiles = None
    io: list[EngineIo] = []
    for spec in specs:
        profiles: list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = []
        if spec.is_input and n_profiles and not spec.on_host:
            try:
                static = all(d >= 0 for d in dims(engine.get_tensor_shape(spec.name)))
                if not static:
                    for p in range(n_profiles):
                        mn, opt, mx = (dims(x) for x in engine.get_tensor_profile_shape(spec.name, p))
                        profiles.append((mn, opt, mx))
            except Exception:
                profiles = []
        io.append(EngineIo(spec.name, "input" if spec.is_input else "output", spec.display_dtype,
                           tuple(spec.shape), None, tuple(profiles)))
    return EngineFacts(
        trt_version=req.trt.version,
        built_for=None,  # a plan does not say which device built it; it runs only on its kind
        io=tuple(io),
        profiles=n_profiles,
        device_memory_bytes=mem_per_ctx or None,
        context_memory_bytes=mem_per_ctx * contexts if mem_per_ctx else None,
        source=f"the engine ({contexts} execution context(s), each given the engine's device memory)",
    )


def _extra(req: EngineRequest, specs: list[TensorSpec], mem_per_ctx: int, engine: Any) -> dict[str, str]:
    extra: dict[str, str] = {}
    ins = [f"{s.name} {s.display_dtype} {format_shape(s.shape)}" for s in specs if s.is_input]
    outs = [f"{s.name} {s.display_dtype} {format_shape(s.shape)}" for s in specs if not s.is_input]
    extra["inputs"] = "; ".join(ins)
    extra["outputs"] = "; ".join(outs)
    if mem_per_ctx:
        extra["activation memory"] = f"{mem_per_ctx / 2**20:.1f} MiB per context"
    extra["layers"] = str(getattr(engine, "num_layers", "?"))
    cc = req.device.compute_capability
    extra["compute capability"] = f"{cc[0]}.{cc[1]}"
    extra["CUDA driver"] = req.device.driver_version
    return extra
