"""Build a TensorRT engine from an ONNX model with TensorRT's Python builder, for machines without
`trtexec` (PyPI's `tensorrt` wheels do not ship it). It takes a small subset of trtexec's flags, with
trtexec's spellings, and builds what trtexec would:

    python sample_engines/build_engine.py --onnx=resnet50.onnx --saveEngine=resnet50_fp16.engine --fp16
    python sample_engines/build_engine.py --onnx=resnet50_qdq.onnx --saveEngine=r50_int8.engine --int8 --fp16
    python sample_engines/build_engine.py --onnx=resnet18_dynamic.onnx --saveEngine=r18_dyn.engine --fp16 \\
        --minShapes=input:1x3x224x224 --optShapes=input:8x3x224x224 --maxShapes=input:32x3x224x224
    python sample_engines/build_engine.py ... --tacticSources=-CUBLAS,-CUBLAS_LT,-CUDNN \\
        --timingCacheFile=timing.cache --exportLayerInfo=layers.json

Flags: --onnx, --saveEngine, --fp16, --int8 (before TensorRT 11: Q/DQ models need it), --minShapes /
--optShapes / --maxShapes (one optimization profile), --tacticSources, --memPoolSize=workspace:MiB,
--timingCacheFile, --profilingVerbosity (detailed by default, so trtui shows layer types, tactics and
precisions), --exportLayerInfo (the engine inspector's JSON, as trtexec writes it). It prints one line
with the build time and the engine's size and layer count.

This is a sample, not part of trtui: `trtui tune` is trtui's builder. Needs the full `tensorrt`
module (8.5 or later; on 8.x networks are made with EXPLICIT_BATCH).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

PROG = "build_engine.py"


class UsageError(Exception):
    """A bad flag or input: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _shape_list(text: str) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for item in text.split(","):
        name, sep, dims = item.rpartition(":")
        try:
            shape = tuple(int(d) for d in dims.split("x"))
        except ValueError:
            shape = ()
        if not sep or not name or not shape or min(shape) < 1:
            raise UsageError(f"shapes {text!r}: give NAME:1x3x224x224[,NAME2:...]")
        out[name.strip("'\"")] = shape
    return out


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--onnx", required=True, type=Path)
    p.add_argument("--saveEngine", required=True, type=Path, dest="engine")
    p.add_argument("--fp16", action="store_true")
    p.add_argument("--int8", action="store_true")
    p.add_argument("--minShapes", dest="min_shapes")
    p.add_argument("--optShapes", dest="opt_shapes")
    p.add_argument("--maxShapes", dest="max_shapes")
    p.add_argument("--tacticSources", dest="tactic_sources")
    p.add_argument("--memPoolSize", dest="pool", help="workspace:MiB")
    p.add_argument("--timingCacheFile", dest="timing_cache", type=Path)
    p.add_argument(
        "--profilingVerbosity", default="detailed", choices=("layer_names_only", "detailed", "none")
    )
    p.add_argument("--exportLayerInfo", dest="layer_info", type=Path)
    return p


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(args: argparse.Namespace) -> str:
    """Build, save, and return the one-line report. Raises UsageError."""
    try:
        import tensorrt as trt
    except ImportError as err:
        raise UsageError(f"the full 'tensorrt' module does not import: {err}") from None
    if not hasattr(trt, "Builder"):
        raise UsageError(f"tensorrt {trt.__version__} has no builder (a lean runtime?)")
    from trtui.common.errors import UserError
    from trtui.tune.tactics import apply_tactic_sources, parse_tactic_sources

    major = int(trt.__version__.split(".")[0])
    if not args.onnx.is_file():
        raise UsageError(f"--onnx {args.onnx}: no such file")
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0 if major >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(args.onnx)):
        errs = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise UsageError(f"{args.onnx} does not parse: {errs}")
    config = builder.create_builder_config()
    config.profiling_verbosity = getattr(trt.ProfilingVerbosity, args.profilingVerbosity.upper())
    if args.fp16:
        config.set_flag(trt.BuilderFlag.FP16)
    if args.int8:
        config.set_flag(trt.BuilderFlag.INT8)
    if args.tactic_sources:
        members = {n: int(m) for n, m in trt.TacticSource.__members__.items()}
        try:
            changes = parse_tactic_sources(args.tactic_sources)
            mask = apply_tactic_sources(config.get_tactic_sources(), changes, members)
        except UserError as err:
            raise UsageError(str(err)) from None
        config.set_tactic_sources(mask)
    if args.pool:
        pool, _, mib = args.pool.partition(":")
        if pool.lower() != "workspace" or not mib.isdigit():
            raise UsageError(f"--memPoolSize {args.pool}: this sample takes workspace:MiB only")
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(mib) << 20)
    shapes = [_shape_list(s) if s else {} for s in (args.min_shapes, args.opt_shapes, args.max_shapes)]
    if any(shapes):
        if not all(shapes) or not shapes[0].keys() == shapes[1].keys() == shapes[2].keys():
            raise UsageError("--minShapes, --optShapes and --maxShapes go together, for the same inputs")
        profile = builder.create_optimization_profile()
        for name in shapes[0]:
            profile.set_shape(name, shapes[0][name], shapes[1][name], shapes[2][name])
        config.add_optimization_profile(profile)
    cache = config.create_timing_cache(
        args.timing_cache.read_bytes() if args.timing_cache and args.timing_cache.is_file() else b""
    )
    config.set_timing_cache(cache, False)
    started = time.monotonic()
    plan = builder.build_serialized_network(network, config)
    took = time.monotonic() - started
    if plan is None:
        raise UsageError(f"the builder returned no engine for {args.onnx} (see TensorRT's messages above)")
    if args.timing_cache:
        _write_atomic(args.timing_cache, bytes(memoryview(config.get_timing_cache().serialize())))
    data = memoryview(plan).tobytes()
    _write_atomic(args.engine, data)
    layers = "?"
    if args.layer_info:
        runtime = trt.Runtime(logger)
        engine = runtime.deserialize_cuda_engine(data)
        inspector = engine.create_engine_inspector()
        _write_atomic(
            args.layer_info, str(inspector.get_engine_information(trt.LayerInformationFormat.JSON)).encode()
        )
        layers = str(engine.num_layers)
        del inspector, engine, runtime
    return (
        f"built {args.engine} in {took:.1f} s with TensorRT {trt.__version__}: "
        f"{len(data) / 2**20:.1f} MiB, {layers} layers"
    )


def main(argv: list[str] | None = None) -> int:
    try:
        print(build(build_parser().parse_args(argv)), flush=True)
    except UsageError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
