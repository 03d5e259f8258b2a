"""The TensorRT builder adapter: the one module that builds engines. It runs in a child process.

    python -m trtui.gpu.build.builder probe [--device N]
    python -m trtui.gpu.build.builder build MODEL.onnx --pool workspace --limit BYTES --engine OUT
        [--timing-cache FILE] [--shapes in:1x3x224x224] [--fp16] [--bf16] [--int8]
        [--tactic-sources -CUBLAS,-CUDNN] [--device N] [--measure-s S]

It prints protocol lines (`trtui.tune.protocol`) on stdout: TensorRT's logger messages, its progress
monitor's phases, and finally a result or an error. The engine is written to `OUT.partial` and renamed
to `OUT` before the result is printed. A crash, a kill or a hang here only ends this process; the
tuner (`trtui.tune.child`) watches it.

TensorRT 8.5/8.6, 10 and 11 are handled: `create_network(0)` on 10 and 11 (no EXPLICIT_BATCH, which 11
removed; 8.x needs that flag for ONNX), precision flags only before 11 (11 is strongly typed: precision
comes from the ONNX), `device_memory_size_v2` (10.1+; `device_memory_size` before), the progress monitor
only where it exists (10+), and only the memory pools the installed version has (8.5: WORKSPACE and
the DLA pools). `--tactic-sources` takes trtexec's `--tacticSources` syntax. Builds are made with
ProfilingVerbosity.DETAILED, so that the engine's layers can be inspected when it runs. tensorrt,
pycuda and pynvml are imported inside functions, so importing this module needs none of them.

The built engine is measured like a live run: `trtui.gpu.build.build_measure.measure()` times it with the
live run's worker, adapter, buffers and inference loop (profiling off, CUDA graphs as the live run
uses them), so the tuner's latencies and `trtui profile`'s come from the same code. `--measure-s S`
(default 1, or $TRTUI_BUILD_MEASURE_S) is how long it times.

This module has not been run against a real TensorRT builder in trtui's development workplace (none
can be installed there); `TRT_NAMES_USED` lists every TensorRT name it touches so that the contract
tests can check them against the real bindings.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from trtui.common.atomic import write_atomic
from trtui.gpu.build.build_measure import MEASURE_ENV, MEASURE_S, measure
from trtui.tune import protocol
from trtui.tune.tactics import apply_tactic_sources, parse_tactic_sources

# Every TensorRT name this module uses, as (dotted name, full_only). full_only=True: not to be found in
# the lean runtime bindings (`tensorrt_lean`, 11.x): the builder classes, which only the full `tensorrt`
# module has, and three names that TensorRT 11 removed and this module uses only on 10 (marked in the
# comments). The contract test checks every full_only=False name against the real lean bindings.
# OPTIONAL_TRT_NAMES are guarded with hasattr or a version check before use. The built engine is
# timed by the live run's adapter (`trtui.gpu.runtime.engine_session`), whose names are in its own
# TRT_NAMES_USED (checked by tests/runtime/test_trt_contract.py).
TRT_NAMES_USED: tuple[tuple[str, bool], ...] = (
    ("__version__", False),
    ("Builder", True),
    ("Builder.create_network", True),
    ("Builder.create_builder_config", True),
    ("Builder.create_optimization_profile", True),
    ("Builder.build_serialized_network", True),
    ("INetworkDefinition.num_inputs", True),
    ("INetworkDefinition.get_input", True),
    ("ITensor.name", True),
    ("ITensor.shape", True),
    ("ITensor.is_shape_tensor", True),
    ("OnnxParser", True),
    ("OnnxParser.parse_from_file", True),
    ("OnnxParser.num_errors", True),
    ("OnnxParser.get_error", True),
    ("IBuilderConfig", True),
    ("IBuilderConfig.set_memory_pool_limit", True),
    ("IBuilderConfig.create_timing_cache", True),
    ("IBuilderConfig.set_timing_cache", True),
    ("IBuilderConfig.get_timing_cache", True),
    ("IBuilderConfig.progress_monitor", True),
    ("IBuilderConfig.add_optimization_profile", True),
    ("IBuilderConfig.set_flag", True),
    ("IBuilderConfig.get_tactic_sources", True),
    ("IBuilderConfig.set_tactic_sources", True),
    ("IBuilderConfig.profiling_verbosity", True),
    ("TacticSource", False),
    ("NetworkDefinitionCreationFlag.EXPLICIT_BATCH", True),  # 8.x only (11 removed it)
    ("BuilderFlag.INT8", True),  # before 11 only
    ("ProfilingVerbosity.DETAILED", False),
    ("IOptimizationProfile.set_shape", False),
    ("BuilderFlag.FP16", True),  # removed in TensorRT 11 (so absent from the 11.x lean bindings); 10 only
    ("BuilderFlag.BF16", True),  # removed in TensorRT 11; 10 only
    ("MemoryPoolType.WORKSPACE", False),
    ("MemoryPoolType.TACTIC_DRAM", False),
    ("MemoryPoolType.TACTIC_SHARED_MEMORY", False),
    ("ITimingCache.serialize", False),
    ("ILogger", False),
    ("ILogger.__init__", False),
    ("ILogger.Severity.INTERNAL_ERROR", False),
    ("ILogger.Severity.ERROR", False),
    ("ILogger.Severity.WARNING", False),
    ("ILogger.Severity.INFO", False),
    ("ILogger.Severity.VERBOSE", False),
    ("IProgressMonitor", False),
    ("IProgressMonitor.__init__", False),
    ("IProgressMonitor.phase_start", False),
    ("IProgressMonitor.step_complete", False),
    ("IProgressMonitor.phase_finish", False),
    ("Runtime", False),
    ("Runtime.deserialize_cuda_engine", False),
    ("ICudaEngine.device_memory_size_v2", False),
    ("ICudaEngine.device_memory_size", True),  # 10.0 fallback; removed in 11 (absent from 11.x lean)
    ("ICudaEngine.get_engine_stat", False),
    ("EngineStat.TOTAL_WEIGHTS_SIZE", False),
)
# Names that may be missing on some supported versions; the code checks with hasattr before use.
OPTIONAL_TRT_NAMES: frozenset[str] = frozenset(
    {
        "IBuilderConfig.progress_monitor",  # 10.0+
        "IProgressMonitor",  # 10.0+
        "IProgressMonitor.__init__",
        "IProgressMonitor.phase_start",
        "IProgressMonitor.step_complete",
        "IProgressMonitor.phase_finish",
        "MemoryPoolType.TACTIC_DRAM",  # 10.0+
        "MemoryPoolType.TACTIC_SHARED_MEMORY",  # 8.6+
        "NetworkDefinitionCreationFlag.EXPLICIT_BATCH",
        "BuilderFlag.INT8",
        "BuilderFlag.FP16",
        "BuilderFlag.BF16",
        "ICudaEngine.device_memory_size",
        "ICudaEngine.device_memory_size_v2",
        "ICudaEngine.get_engine_stat",
        "EngineStat.TOTAL_WEIGHTS_SIZE",
    }
)

EXIT_OK = 0
EXIT_FATAL = 3  # the model cannot build at any limit
EXIT_FAILED = 4  # the builder returned no engine

_out_lock = threading.Lock()


def emit(ev: str, **fields: Any) -> None:
    """Print one protocol line; TensorRT calls the logger and monitor from its own threads."""
    line = protocol.encode(ev, **fields)
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def full_tensorrt() -> tuple[Any | None, str]:
    """The full `tensorrt` module (with the builder) and its version, or (None, why not), the reason
    worded to follow "the full 'tensorrt' package": "is not installed", "does not import: ..."."""
    try:
        import tensorrt as trt
    except ModuleNotFoundError as err:
        if err.name == "tensorrt":
            return None, "is not installed"
        return None, f"does not import: {err}"
    except Exception as err:  # a broken install raises all sorts (OSError from the libraries...)
        return None, f"does not import: {err}"
    if not hasattr(trt, "Builder") or not hasattr(trt, "OnnxParser"):
        return None, f"is missing: the installed tensorrt {getattr(trt, '__version__', '?')} has no builder"
    return trt, str(getattr(trt, "__version__", "?"))


def _major(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError:
        return 0


def _make_logger(trt: Any) -> Any:
    severities = {
        trt.ILogger.Severity.INTERNAL_ERROR: "E",
        trt.ILogger.Severity.ERROR: "E",
        trt.ILogger.Severity.WARNING: "W",
        trt.ILogger.Severity.INFO: "I",
        trt.ILogger.Severity.VERBOSE: "V",
    }

    class StreamingLogger(trt.ILogger):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            trt.ILogger.__init__(self)

        def log(self, severity: Any, msg: str) -> None:
            sev = severities.get(severity, "")
            if sev != "V":
                emit("log", sev=sev, msg=str(msg))

    return StreamingLogger()


def _make_monitor(trt: Any) -> Any:
    class StreamingMonitor(trt.IProgressMonitor):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            trt.IProgressMonitor.__init__(self)

        def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
            emit("progress", kind="start", phase=phase_name, parent=parent_phase, total=int(num_steps))

        def step_complete(self, phase_name: str, step: int) -> bool:
            emit("progress", kind="step", phase=phase_name, step=int(step))
            return True  # never cancel from here: the parent kills the process instead

        def phase_finish(self, phase_name: str) -> None:
            emit("progress", kind="finish", phase=phase_name)

    return StreamingMonitor()


def _fatal(message: str) -> int:
    emit("error", kind="fatal", message=message)
    return EXIT_FATAL


def _dims_text(dims: Any) -> str:
    return "x".join(str(int(d)) for d in dims)


def build(args: argparse.Namespace) -> int:
    from trtui.common.errors import UserError
    from trtui.engine_info.shapes import parse_shapes

    trt, version = full_tensorrt()
    if trt is None:
        return _fatal(f"building engines needs the TensorRT builder: the full 'tensorrt' package {version}")
    major = _major(version)
    if major < 8:
        return _fatal(f"trtui tune needs TensorRT 8.5 or later (found {version})")
    try:
        shapes = dict(parse_shapes(args.shapes)) if args.shapes else {}
        tactic_changes = parse_tactic_sources(args.tactic_sources) if args.tactic_sources else ()
    except UserError as err:
        return _fatal(str(err))
    if (args.fp16 or args.bf16 or args.int8) and major >= 11:
        return _fatal("TensorRT 11 has no precision flags: the precision comes from the ONNX model")
    if args.bf16 and not hasattr(trt.BuilderFlag, "BF16"):
        return _fatal(f"--bf16 is not available with TensorRT {version} (BF16 came with TensorRT 9)")
    pool_enum = getattr(trt.MemoryPoolType, args.pool, None)
    if pool_enum is None:
        have = ", ".join(m.lower() for m in trt.MemoryPoolType.__members__ if not m.startswith("DLA"))
        return _fatal(f"the {args.pool.lower()} pool is not available with TensorRT {version} "
                      f"(it has: {have})")
    logger = _make_logger(trt)
    builder = trt.Builder(logger)
    # 10 and 11: 0 (explicit batch is the only mode; 11 removed the flag). 8.x: ONNX needs EXPLICIT_BATCH.
    flags = 0 if major >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(args.onnx)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        return _fatal(f"the ONNX model does not parse: {errors or 'no details'}")
    config = builder.create_builder_config()
    profile = None
    inputs = [network.get_input(i) for i in range(network.num_inputs)]
    names = {inp.name for inp in inputs}
    for name in shapes:
        if name not in names:
            known = ", ".join(sorted(names))
            return _fatal(f"--shapes names input {name!r}, but the model's inputs are: {known}")
    for inp in inputs:
        dims = tuple(int(d) for d in inp.shape)
        if inp.is_shape_tensor:
            return _fatal(f"input {inp.name!r} is a shape tensor; trtui tune does not build those")
        if inp.name in shapes:
            given = shapes[inp.name]
            if len(given) != len(dims) or any(d >= 0 and d != g for d, g in zip(dims, given, strict=True)):
                return _fatal(f"--shapes {inp.name}:{_dims_text(given)} does not match the model's "
                              f"{_dims_text(dims)} (-1 = dynamic)")
            if any(d < 0 for d in dims):
                if profile is None:
                    profile = builder.create_optimization_profile()
                profile.set_shape(inp.name, given, given, given)
        elif any(d < 0 for d in dims):
            return _fatal(f"input {inp.name!r} has a dynamic shape ({_dims_text(dims)}): pass --shapes "
                          f"{inp.name}:{_dims_text(max(d, 1) for d in dims)}")
    if profile is not None:
        config.add_optimization_profile(profile)
    config.set_memory_pool_limit(pool_enum, int(args.limit))
    if args.fp16:
        config.set_flag(trt.BuilderFlag.FP16)
    if args.bf16:
        config.set_flag(trt.BuilderFlag.BF16)
    if args.int8:
        config.set_flag(trt.BuilderFlag.INT8)
    if tactic_changes:
        members = {name: int(m) for name, m in trt.TacticSource.__members__.items()}
        try:
            sources = apply_tactic_sources(config.get_tactic_sources(), tactic_changes, members)
            config.set_tactic_sources(sources)
        except UserError as err:
            return _fatal(str(err))
    if hasattr(trt, "ProfilingVerbosity") and hasattr(config, "profiling_verbosity"):
        config.profiling_verbosity = trt.ProfilingVerbosity.DETAILED
    cache_path = Path(args.timing_cache) if args.timing_cache else None
    cache_bytes = b""
    if cache_path is not None and cache_path.is_file():
        cache_bytes = cache_path.read_bytes()
    cache = config.create_timing_cache(cache_bytes)
    config.set_timing_cache(cache, ignore_mismatch=False)
    monitor = None
    if hasattr(trt, "IProgressMonitor") and hasattr(config, "progress_monitor"):  # TensorRT 10+
        monitor = _make_monitor(trt)
        config.progress_monitor = monitor
    started = time.monotonic()
    plan = builder.build_serialized_network(network, config)
    build_s = time.monotonic() - started
    if cache_path is not None:
        try:
            write_atomic(cache_path, bytes(config.get_timing_cache().serialize()))
        except (OSError, RuntimeError, AttributeError) as err:
            emit("log", sev="W", msg=f"trtui: could not save the timing cache: {err}")
    if plan is None:
        emit("error", kind="build_failed", message="the builder returned no engine")
        return EXIT_FAILED
    data = memoryview(plan).tobytes()
    del plan, network, parser, config, builder, monitor  # free the builder's memory before measuring
    write_atomic(Path(args.engine), data)
    fields = measure(trt, logger, data, shapes, args.device, seconds=args.measure_s)
    emit("result", build_s=round(build_s, 3), **fields)
    return EXIT_OK


def probe(args: argparse.Namespace) -> int:
    """What the parent needs before planning: is the builder there, which version, how much free
    device memory. Never raises; prints one probe line."""
    trt, version = full_tensorrt()
    info: dict[str, Any] = {
        "full": trt is not None,
        "tensorrt_version": version if trt is not None else None,
        "reason": None if trt is not None else version,
        "free_bytes": None,
        "total_bytes": None,
        "device": None,
        "memory_source": None,
    }
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            handle = pynvml.nvmlDeviceGetHandleByIndex(args.device)
            mem = pynvml.nvmlDeviceGetMemoryInfo(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            info.update(free_bytes=int(mem.free), total_bytes=int(mem.total), memory_source="nvml",
                        device=name.decode() if isinstance(name, bytes) else str(name))
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # NVML missing or "not supported" (Jetson Orin): try CUDA
        try:
            import pycuda.driver as cuda

            cuda.init()
            dev = cuda.Device(args.device)
            ctx = dev.retain_primary_context()
            ctx.push()
            try:
                free, total = cuda.mem_get_info()
            finally:
                ctx.pop()
                ctx.detach()
            info.update(free_bytes=int(free), total_bytes=int(total), memory_source="cuda",
                        device=str(dev.name()))
        except Exception:
            pass
    emit("probe", **info)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m trtui.gpu.build.builder", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pr = sub.add_parser("probe")
    pr.add_argument("--device", type=int, default=0)
    b = sub.add_parser("build")
    b.add_argument("onnx", type=Path)
    b.add_argument("--pool", required=True, choices=("WORKSPACE", "TACTIC_DRAM", "TACTIC_SHARED_MEMORY"))
    b.add_argument("--limit", required=True, type=int)
    b.add_argument("--engine", required=True, type=Path)
    b.add_argument("--timing-cache", default=None)
    b.add_argument("--shapes", default=None)
    b.add_argument("--fp16", action="store_true")
    b.add_argument("--bf16", action="store_true")
    b.add_argument("--int8", action="store_true")
    b.add_argument("--tactic-sources", default=None)
    b.add_argument("--device", type=int, default=0)
    # seconds of timed inferences per engine; the environment variable lets tests with fakes be quick
    b.add_argument("--measure-s", type=float, default=float(os.environ.get(MEASURE_ENV, MEASURE_S)))
    return p


def main(argv: list[str] | None = None) -> int:
    faulthandler.enable()  # a segfault prints "Fatal Python error" on stderr before the signal
    args = _parser().parse_args(argv)
    if args.cmd == "probe":
        return probe(args)
    return build(args)


if __name__ == "__main__":
    raise SystemExit(main())
