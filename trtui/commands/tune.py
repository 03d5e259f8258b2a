"""`trtui tune SOURCE`: rebuild an ONNX model under memory-pool limits until an engine builds, fits the
device memory budget and is fast; `trtui tune demo` does the same against a simulated builder."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from trtui.commands.output_args import json_to_stdout, write_json_stdout
from trtui.common.atomic import copy_atomic, write_error, write_json_atomic
from trtui.common.errors import MissingDependency, UserError
from trtui.common.paths import check_output_file, read_error, require_input
from trtui.common.signals import interrupt_on_term
from trtui.sources.engine_file import describe_header
from trtui.tune.attempt import OUTCOME_LABELS, BuildAttempt, Builder
from trtui.tune.budget import Budget, from_free, read_free_from_telemetry
from trtui.tune.plan import DEFAULT_OVERHEAD, DEFAULT_TIMEOUT_S, TunePlan, make_plan
from trtui.tune.results import STOPPED_TEXT, TuneResult, flags_for, render_table, result_json
from trtui.tune.search import Step
from trtui.tune.session import TuneListener, TuneSession
from trtui.tune.sizes import Pool, format_size, parse_pool, parse_range, parse_size, trtexec_size


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="MODEL.onnx|demo", help="the ONNX model to build, or 'demo'")
    p.add_argument("--pool", default="workspace",
                   help="the pool to tune: workspace (default), tactic_dram or tactic_shared_memory "
                        "(trtexec and Polygraphy spellings accepted)")
    p.add_argument("--budget", metavar="SIZE",
                   help="device memory the engine may use when it runs, e.g. 2G (default: free device "
                        "memory minus a 10%% margin); sizes as trtexec: 512K, 16M, 1.5G, plain = MiB")
    p.add_argument("--range", metavar="LO:HI", dest="limit_range",
                   help="limits to search, e.g. 1M:4G (default: the pool's floor up to the budget)")
    p.add_argument("--max-builds", type=int, metavar="N", help="build at most N times (default: what the "
                   "search needs, announced before it starts)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S",
                   help=f"kill a build after S seconds (default {DEFAULT_TIMEOUT_S:g})")
    p.add_argument("--tolerance", type=float, default=3.0, metavar="PCT",
                   help="accept latency within PCT%% of the best seen (default 3)")
    p.add_argument("--overhead", metavar="SIZE", default=f"{DEFAULT_OVERHEAD >> 20}M",
                   help="CUDA context and library memory counted beside the engine (default 256M)")
    p.add_argument("--headless", action="store_true",
                   help="no screen: print progress lines and a final table (the default when stdout "
                        "is not a terminal)")
    p.add_argument("--json", metavar="PATH", help="write every attempt and the verdict as JSON ('-' for "
                   "stdout: the report then goes to stderr)")
    p.add_argument("--save", metavar="PATH", help="write the chosen engine to PATH")
    p.add_argument("--timing-cache", metavar="PATH",
                   help="timing cache file shared by the builds, kept for later runs (default: a "
                        "temporary one)")
    p.add_argument("--shapes", metavar="SPEC",
                   help="shapes for dynamic inputs, trtexec syntax: input:1x3x224x224,mask:1x77")
    p.add_argument("--fp16", action="store_true", help="allow FP16 kernels (TensorRT 10 only; on 11 the "
                   "precision comes from the ONNX)")
    p.add_argument("--bf16", action="store_true", help="allow BF16 kernels (TensorRT 10 only)")
    p.add_argument("--int8", action="store_true", help="allow INT8 kernels (before TensorRT 11; needed for "
                   "models with QuantizeLinear/DequantizeLinear on 8.x and 10.x)")
    p.add_argument("--tactic-sources", metavar="LIST", dest="tactic_sources",
                   help="add (+) or remove (-) tactic sources from TensorRT's default, trtexec's "
                        "--tacticSources syntax, after '=': --tactic-sources=-CUBLAS,-CUBLAS_LT,-CUDNN")
    p.add_argument("--device", type=int, default=0, metavar="INDEX", help="CUDA device (default 0)")
    p.add_argument("--seed", type=int, default=0, help="demo: the simulated model (0: the hand-made one)")


def _paths(args: argparse.Namespace) -> tuple[Path | None, Path | None, Path | None]:
    json_path = Path(args.json) if args.json else None
    save_path = Path(args.save) if args.save else None
    cache = Path(args.timing_cache) if args.timing_cache else None
    check_output_file(json_path, "--json", allow_stdout=True)
    check_output_file(save_path, "--save")
    check_output_file(cache, "--timing-cache")
    return json_path, save_path, cache


def _check_onnx(path: Path) -> None:
    require_input(path, "an ONNX model file")
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as err:
        raise read_error(path, err, "an ONNX model file") from None
    if not head:
        raise UserError(f"{str(path)!r} is empty")
    # An ONNX ModelProto starts with field 1 (ir_version, varint): byte 0x08. Judged by content, not
    # by the file's name.
    if head[0] == 0x08:
        return
    kind = describe_header(head)
    if kind.startswith("a TensorRT engine"):
        raise UserError(f"{str(path)!r} is {kind}, not an ONNX model: trtui tune builds engines from the "
                        f"ONNX model (open an engine with 'trtui {path}')")
    raise UserError(f"{str(path)!r} is not an ONNX model (it is {kind}); trtui tune builds engines "
                    "from ONNX")


def _number_options(args: argparse.Namespace) -> tuple[float, float, int, tuple[int, int] | None]:
    if not args.tolerance >= 0 or args.tolerance != args.tolerance:
        raise UserError(f"--tolerance {args.tolerance:g}: give a percentage of 0 or more, e.g. 3")
    if not args.timeout > 0 or args.timeout == float("inf"):
        raise UserError(f"--timeout {args.timeout:g}: give seconds above 0")
    if args.max_builds is not None and args.max_builds < 1:
        raise UserError(f"--max-builds {args.max_builds}: at least 1")
    if args.device < 0:
        raise UserError(f"--device {args.device}: a CUDA device index (0, 1, ...)")
    overhead = parse_size(args.overhead, "--overhead")
    limit_range = parse_range(args.limit_range) if args.limit_range is not None else None
    return args.tolerance / 100.0, args.timeout, overhead, limit_range


@dataclass
class _Setup:
    plan: TunePlan
    builder: Builder
    label: str
    info: tuple[tuple[str, str], ...]
    source: str
    workdir: Path | None = None


def run(args: argparse.Namespace) -> int:
    # SIGTERM/SIGHUP become KeyboardInterrupt from the start: the probe child (setup) and the build
    # children (search) are killed on the way out either way.
    with interrupt_on_term():
        return _tune(args)


def _tune(args: argparse.Namespace) -> int:
    pool = parse_pool(args.pool)
    tolerance, timeout_s, overhead, limit_range = _number_options(args)
    budget_arg = parse_size(args.budget, "--budget") if args.budget is not None else None
    if budget_arg is not None and budget_arg <= 0:
        raise UserError(f"--budget {args.budget}: must be more than 0")
    json_path, save_path, cache_path = _paths(args)
    out = sys.stderr if json_to_stdout(json_path) else sys.stdout  # stdout holds the JSON alone
    interactive = not args.headless and out.isatty() and sys.stdin.isatty() and out is sys.stdout

    def plan_for(budget: Budget) -> TunePlan:
        return make_plan(pool, budget.bytes, budget.source, limit_range=limit_range,
                         max_builds=args.max_builds, tolerance=tolerance, timeout_s=timeout_s,
                         overhead_bytes=overhead)

    if args.source == "demo":
        if save_path is not None:
            raise UserError("--save: a simulated build produces no engine; tune a real ONNX model "
                            "(trtui tune model.onnx --save best.engine)")
        setup = _demo_setup(args, pool, budget_arg, plan_for, interactive)
    else:
        setup = _real_setup(args, pool, budget_arg, plan_for, cache_path)
    session = TuneSession(setup.plan, setup.builder, setup.source, setup.info)
    try:
        result = _run(session, setup.label, interactive, out)
        _finish(result, json_path, save_path, out)
    except KeyboardInterrupt:
        session.cancel()
        if json_path is not None:
            _write_json(json_path, result_json(session.result("cancelled")))
        raise
    finally:
        session.builder.close()
        if setup.workdir is not None:
            shutil.rmtree(setup.workdir, ignore_errors=True)
    return 0 if result.verdict.attempt is not None else 1


def _run(session: TuneSession, label: str, interactive: bool, out: TextIO) -> TuneResult:
    return _run_screen(session, label) if interactive else _run_headless(session, label, out)


def _write_json(json_path: Path, data: dict[str, Any]) -> None:
    if json_to_stdout(json_path):
        write_json_stdout(data)
    else:
        write_json_atomic(json_path, data, indent=2, what="--json")


def _demo_setup(
    args: argparse.Namespace,
    pool: Pool,
    budget_arg: int | None,
    plan_for: Callable[[Budget], TunePlan],
    interactive: bool,
) -> _Setup:
    from trtui.tune.simulated import (
        DEMO_DEVICE,
        DEMO_TIME_SCALE,
        SimulatedBuilder,
        SimulatedModel,
        demo_model,
    )

    free = SimulatedModel().device_free_bytes
    budget = Budget(budget_arg, "--budget") if budget_arg else from_free(free, "the simulated device")
    plan = plan_for(budget)
    builder = SimulatedBuilder(demo_model(pool, plan, args.seed),
                               time_scale=DEMO_TIME_SCALE if interactive else 0.0, timeout_s=plan.timeout_s)
    return _Setup(plan, builder, f"demo ({DEMO_DEVICE}, simulated)",
                  (("builder", "simulated"), ("device", DEMO_DEVICE)), "demo")


def _real_setup(
    args: argparse.Namespace,
    pool: Pool,
    budget_arg: int | None,
    plan_for: Callable[[Budget], TunePlan],
    cache_path: Path | None,
) -> _Setup:
    from trtui.engine_info.shapes import parse_shapes
    from trtui.tune.real import probe_summary, real_builder, run_probe
    from trtui.tune.tactics import parse_tactic_sources

    onnx = Path(args.source)
    _check_onnx(onnx)
    shapes = parse_shapes(args.shapes) if args.shapes is not None else ()
    tactics = parse_tactic_sources(args.tactic_sources) if args.tactic_sources is not None else ()
    probe = run_probe(args.device)
    if not probe.full:
        raise MissingDependency(
            f"trtui tune needs the TensorRT builder: the full 'tensorrt' package {probe.reason} "
            "(pip install tensorrt; on Jetson it comes with JetPack); 'trtui tune demo' runs without it"
        )
    if (args.fp16 or args.bf16 or args.int8) and (probe.major or 0) >= 11:
        raise UserError(f"TensorRT {probe.tensorrt_version} has no precision flags: the precision comes "
                        "from the ONNX model (strongly typed); drop --fp16/--bf16/--int8")
    plan = plan_for(_real_budget(budget_arg, args.device, probe.free_bytes, probe.memory_source))
    workdir = Path(tempfile.mkdtemp(prefix="trtui-tune-"))
    builder = real_builder(onnx, pool, workdir, plan.timeout_s, cache_path or workdir / "timing.cache",
                           shapes=shapes, fp16=args.fp16, bf16=args.bf16, int8=args.int8,
                           tactic_sources=tactics, device=args.device)
    where = f", {probe.device}" if probe.device else ""
    label = f"{onnx.name} (TensorRT {probe.tensorrt_version}{where})"
    return _Setup(plan, builder, label, probe_summary(probe), str(onnx), workdir)


def _real_budget(
    budget_arg: int | None, device: int, probe_free: int | None, probe_source: str | None
) -> Budget:
    if budget_arg is not None:
        return Budget(budget_arg, "--budget")
    from trtui.sources.factory import gpu_telemetry

    found = read_free_from_telemetry(lambda: gpu_telemetry(device, tegrastats=None))
    if found is not None:
        return from_free(found[0], found[1])
    if probe_free is not None:
        return from_free(probe_free, probe_source or "the build probe")
    raise UserError("cannot read the free device memory (no NVML, sysfs or CUDA answer); pass --budget SIZE")


def _run_screen(session: TuneSession, label: str) -> TuneResult:
    from trtui.ui.guard import run_guarded
    from trtui.ui.tune_app import TuneApp

    app = TuneApp(session, label)
    result = run_guarded(app)
    return result if result is not None else session.result("cancelled")


class _Printer(TuneListener):
    """Headless progress: one line when a build starts, one when it ends."""

    def __init__(self, plan: TunePlan, out: TextIO) -> None:
        self.plan = plan
        self.out = out

    def attempt_started(self, index: int, step: Step) -> None:
        print(f"[{index}/{self.plan.max_builds}] {self.plan.pool.name} {trtexec_size(step.limit_bytes)}: "
              f"{step.why}", file=self.out, flush=True)

    def attempt_finished(self, attempt: BuildAttempt) -> None:
        print(f"[{attempt.index}/{self.plan.max_builds}] {describe_attempt(attempt, self.plan)}",
              file=self.out, flush=True)


def describe_attempt(a: BuildAttempt, plan: TunePlan) -> str:
    took = f" in {a.build_s:.1f} s" if a.build_s is not None else ""
    if a.ok:
        parts = [f"built{took}"]
        if a.engine_bytes is not None:
            parts.append(f"engine {format_size(a.engine_bytes)}")
        if a.device_memory_bytes is not None:
            needed = a.memory_needed(plan.overhead_bytes)
            parts.append(f"device memory {format_size(a.device_memory_bytes)} (needs {format_size(needed)})")
        if a.latency_ms is not None:
            parts.append(f"latency {a.latency_ms:.3f} ms")
        text = ", ".join(parts)
    else:
        text = f"{OUTCOME_LABELS[a.outcome]}{took}"
    return text + (f": {a.message}" if a.message else "")


def _run_headless(session: TuneSession, label: str, out: TextIO) -> TuneResult:
    plan = session.plan
    simulated = " — SIMULATED builder, no engine is built" if session.builder.simulated else ""
    print(f"trtui tune: {label}{simulated}", file=out)
    print(f"plan: {plan.describe()}", file=out, flush=True)
    return session.run(_Printer(plan, out))


def _finish(result: TuneResult, json_path: Path | None, save_path: Path | None, out: TextIO) -> None:
    plan = result.plan
    if result.stopped == "fatal":  # the input is wrong: one line, exit 2 (the JSON still records it)
        if json_path is not None:
            _write_json(json_path, result_json(result))
        fatal = next(a for a in result.attempts if a.outcome == "fatal")
        raise UserError(f"{result.source}: {fatal.message}")
    print("", file=out)
    for line in render_table(result.attempts, plan):
        print(line, file=out)
    v = result.verdict
    print("", file=out)
    print(f"{STOPPED_TEXT[result.stopped]} after {len(result.attempts)} builds (at most {plan.max_builds}).",
          file=out)
    if v.attempt is not None:
        print(f"chosen: {plan.pool.name} {trtexec_size(v.attempt.limit_bytes)} — {v.reason}", file=out)
        for tool, flag in flags_for(plan, v.attempt.limit_bytes).items():
            if flag:
                print(f"  {tool}: {flag}", file=out)
    else:
        print(f"no limit chosen — {v.reason}", file=out)
    if result.simulated:
        print("(simulated: these builds did not run TensorRT)", file=out)
    if json_path is not None:
        _write_json(json_path, result_json(result))
        if not json_to_stdout(json_path):
            print(f"wrote {json_path}", file=out)
    if save_path is not None:
        if v.attempt is None or v.attempt.engine_path is None:
            raise UserError(f"--save: no engine to save ({v.reason})")
        try:
            copy_atomic(Path(v.attempt.engine_path), save_path)
        except OSError as err:
            raise write_error(save_path, err, "--save") from None
        limit = trtexec_size(v.attempt.limit_bytes)
        print(f"saved {save_path} (built with {plan.pool.name} {limit})", file=out)
    out.flush()
