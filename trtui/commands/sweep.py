"""`trtui sweep SOURCE --batch ... --streams ...`: measure throughput and latency at several batch
sizes and numbers of concurrent contexts, with one engine load, and find where throughput stops
paying for latency (the knee) and the best point under a p99 budget. `trtui sweep demo` sweeps
the simulated engine (labelled simulated)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from trtui.commands.run_args import int_in, positive_float
from trtui.common.errors import UserError
from trtui.common.paths import check_output_file
from trtui.common.signals import interrupt_on_term
from trtui.core.options import RunOptions
from trtui.sources.reconfigurable import ReconfigurableSource, can_reconfigure
from trtui.sweep.analysis import DEFAULT_KNEE_GAIN
from trtui.sweep.plan import parse_axis, parse_budget_ms, plan_points
from trtui.sweep.point import STATUS_TEXT, PointResult
from trtui.sweep.results import SweepResult, render_table, summary_lines, write_outputs
from trtui.sweep.runner import SweepListener, SweepRunner, settings_for

MAX_STREAMS = 64


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="ENGINE|demo", help="a TensorRT engine file, or 'demo'")
    p.add_argument("--batch", metavar="LIST",
                   help="batch sizes: 1,2,4,8 or 1..32 (powers of two); the first dimension of every "
                        "input whose batch is dynamic, within the optimization profile")
    p.add_argument("--streams", metavar="LIST",
                   help="numbers of concurrent execution contexts, each on its own stream: 1,2,4 or 1..8")
    p.add_argument("--duration", type=positive_float, default=5.0, metavar="S",
                   help="seconds measured per point (default 5; with --until-stable, the most)")
    p.add_argument("--warmup", type=float, default=1.0, metavar="S",
                   help="seconds run and discarded after each change, before measuring (default 1)")
    p.add_argument("--until-stable", action="store_true",
                   help="end a point early once the p99's 95%% confidence interval spans at most 5%% "
                        "of the p99")
    p.add_argument("--p99-budget", metavar="LATENCY",
                   help="also report the best point whose p99 is within this budget, e.g. 10ms, 500us")
    p.add_argument("--knee-gain", type=positive_float, default=100 * DEFAULT_KNEE_GAIN, metavar="PCT",
                   help="the knee is the last point where throughput still grew by more than PCT%% "
                        f"(default {100 * DEFAULT_KNEE_GAIN:g})")
    p.add_argument("--json", metavar="PATH", help="write every point and the verdict as JSON")
    p.add_argument("--csv", metavar="PATH", help="write every point as CSV")
    p.add_argument("--headless", action="store_true",
                   help="no screen: print a line per point and a final table and plot (the default "
                        "when stdout is not a terminal)")
    g = p.add_argument_group("engine options")
    g.add_argument("--shapes", metavar="SPEC",
                   help="base input shapes in trtexec's syntax (the batch dimension is replaced by "
                        "--batch; default: each dynamic input's profile opt shape)")
    g.add_argument("--transfers", action="store_true",
                   help="include host-to-device and device-to-host copies in each inference")
    g.add_argument("--no-cuda-graph", dest="cuda_graph", action="store_false",
                   help="launch with enqueue calls instead of capturing a CUDA graph")
    g.add_argument("--allow-host-code", action="store_true",
                   help="allow plans with embedded host code (runs code from the engine file)")
    g.add_argument("--plugins", action="append", default=[], metavar="LIB",
                   help="load a TensorRT plugin library (runs its code); may be repeated")
    g.add_argument("--device", type=int_in(0, 63), default=0, metavar="N", help="CUDA device index")
    g.add_argument("--seed", type=int, default=0, help="simulated engine / random inputs seed")


def run(args: argparse.Namespace) -> int:
    with interrupt_on_term():
        return _sweep(args)


def _sweep(args: argparse.Namespace) -> int:
    if args.source != "demo":
        from trtui.sources.factory import check_readable

        check_readable(args.source)  # a missing file is the first thing to say, before the plan
    batches = parse_axis(args.batch, "--batch") if args.batch is not None else None
    streams = parse_axis(args.streams, "--streams", MAX_STREAMS) if args.streams is not None else None
    planned = plan_points(batches, streams)
    if not args.warmup >= 0 or args.warmup != args.warmup or args.warmup == float("inf"):
        raise UserError(f"--warmup {args.warmup:g}: give seconds, 0 or more")
    budget = parse_budget_ms(args.p99_budget) if args.p99_budget is not None else None
    json_path = Path(args.json) if args.json else None
    csv_path = Path(args.csv) if args.csv else None
    if json_path is not None:
        check_output_file(json_path, "--json")
    if csv_path is not None:
        check_output_file(csv_path, "--csv")
    if json_path is not None and csv_path is not None and json_path.resolve() == csv_path.resolve():
        raise UserError("--json and --csv name the same file")

    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    if args.shapes is not None:
        from trtui.engine_info.shapes import parse_shapes

        shapes = parse_shapes(args.shapes)
    options = RunOptions(
        shapes=shapes, streams=planned[0].streams, transfers=args.transfers, cuda_graph=args.cuda_graph,
        profile_every=0, allow_host_code=args.allow_host_code, plugins=tuple(args.plugins),
        device=args.device, seed=args.seed,
    )
    from trtui.sources.factory import open_source, telemetry_for

    source = open_source(args.source, options)
    if not can_reconfigure(source):
        source.stop()
        raise UserError(f"{args.source}: a trtexec recording cannot run at other batch sizes or streams; "
                        "sweep an engine file or 'demo'")
    assert isinstance(source, ReconfigurableSource)
    info = source.info
    label = info.label if not info.simulated or "simulated" in info.label else f"{info.label} (simulated)"
    settings = settings_for(
        args.source, label, info.simulated, planned, duration_s=args.duration, warmup_s=args.warmup,
        until_stable=args.until_stable, budget_ms=budget, knee_gain=args.knee_gain / 100.0,
    )
    telemetry = telemetry_for(source, options)
    runner = SweepRunner(source, settings, telemetry)
    interactive = not args.headless and sys.stdout.isatty() and sys.stdin.isatty()
    try:
        if interactive:
            from trtui.ui.sweep_app import run_sweep_app

            result = run_sweep_app(runner)
        else:
            result = _run_headless(runner, sys.stdout)
    except KeyboardInterrupt:
        runner.cancel()
        result = runner.result("cancelled")
        _finish(result, json_path, csv_path, sys.stdout)
        raise
    finally:
        source.stop()
        if telemetry is not None:
            telemetry.close()
    _finish(result, json_path, csv_path, sys.stdout)
    return 0 if any(p.ok for p in result.points) else 1


class _Printer(SweepListener):
    def __init__(self, total: int, out: TextIO) -> None:
        self.total = total
        self.out = out

    def point_finished(self, index: int, result: PointResult) -> None:
        print(f"[{index + 1}/{self.total}] {point_line(result)}", file=self.out, flush=True)


def point_line(p: PointResult) -> str:
    from trtui.common.format import ms

    head = f"batch {'-' if p.batch is None else p.batch}, {p.streams} stream{'s' if p.streams != 1 else ''}"
    if not p.ok:
        return f"{head}: {STATUS_TEXT[p.status]} — {p.reason}"
    stable = " (p99 not stable)" if p.stable is False else ""
    return (f"{head}: median {ms(p.median_ms)} ms, p99 {ms(p.p99_ms)} ms{stable}, "
            f"{p.samples_per_s:,.0f} samples/s ({p.inferences_per_s:,.0f} inferences/s)")


def _run_headless(runner: SweepRunner, out: TextIO) -> SweepResult:
    s = runner.settings
    sim = " — SIMULATED engine, nothing is measured" if s.simulated else ""
    print(f"trtui sweep: {s.label}{sim}", file=out)
    how = "until the p99 is stable, at most " if s.until_stable else ""
    print(f"plan: {len(s.planned)} points, {s.warmup_s:g} s warm-up and {how}{s.duration_s:g} s each",
          file=out, flush=True)
    return runner.run(_Printer(len(s.planned), out))


def _finish(result: SweepResult, json_path: Path | None, csv_path: Path | None, out: TextIO) -> None:
    from trtui.sweep.plot import render_plot

    v = result.verdict
    print("", file=out)
    for line in render_table(result.points, v):
        print(line, file=out)
    plot = render_plot(result.points, v)
    if plot:
        print("", file=out)
        for line in plot:
            print(line, file=out)
    print("", file=out)
    for line in summary_lines(result):
        print(line, file=out)
    write_outputs(result, json_path, csv_path)
    for path in (json_path, csv_path):
        if path is not None:
            print(f"wrote {path}", file=out)
    out.flush()
