"""`trtui profile SOURCE --duration S --json PATH`: run headless, then write a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trtui.commands.output_args import json_to_stdout, top_count, write_json_stdout
from trtui.commands.run_args import (
    add_run_arguments,
    add_verbose_argument,
    options_from_args,
    positive_float,
    step_line,
)
from trtui.common import format as fmt
from trtui.common.errors import Interrupted, UserError
from trtui.common.paths import check_output_file, check_output_folder
from trtui.common.signals import interrupt_on_term
from trtui.pipeline.session import Session
from trtui.sources.factory import open_source, telemetry_for
from trtui.stats.update import Update


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="'demo', an engine file, or a trtexec recording (file or folder)")
    p.add_argument(
        "--duration",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="seconds to run (default 10; a recording is read at once)",
    )
    p.add_argument(
        "--json", type=Path, metavar="PATH",
        help="write the summary as JSON (schema in README; '-' for stdout)",
    )
    p.add_argument(
        "--json-indent",
        type=int,
        default=None,
        metavar="N",
        help="indent the JSON summary by N spaces (default: compact, much faster at many layers)",
    )
    p.add_argument("--csv", type=Path, metavar="PATH", help="write the layer table as CSV ('-' for stdout)")
    p.add_argument(
        "--export-dir",
        type=Path,
        metavar="DIR",
        help="write the run as a trtexec-compatible recording (profile, layer info, times, metadata)",
    )
    p.add_argument(
        "--trace",
        type=Path,
        metavar="FILE",
        help="write the profiled inferences' layers and kernels as a Chrome trace (Perfetto, "
        "chrome://tracing); turns --kernels on",
    )
    p.add_argument("--top", type=top_count, default=10, metavar="N", help="layers to print (default 10)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    add_verbose_argument(p)
    add_run_arguments(p)


def run(args: argparse.Namespace) -> int:
    if args.json_indent is not None and not 0 <= args.json_indent <= 16:
        raise UserError(f"--json-indent must be between 0 and 16, not {args.json_indent}")
    check_output_file(args.json, "--json", allow_stdout=True)
    check_output_file(args.csv, "--csv", allow_stdout=True)
    check_output_file(args.trace, "--trace")
    if json_to_stdout(args.json) and json_to_stdout(args.csv):
        raise UserError("--json - and --csv -: only one of them can go to stdout")
    check_output_folder(args.export_dir, "--export-dir")
    options = options_from_args(args)
    source = open_source(args.source, options)
    on_step = (lambda step: print(step_line(step), file=sys.stderr, flush=True)) if args.verbose else None
    session = Session(source, telemetry_for(source, options), options, on_step=on_step)
    quiet = args.quiet or json_to_stdout(args.json) or json_to_stdout(args.csv)  # stdout: that alone
    try:
        with interrupt_on_term():
            update = session.run_for(args.duration)
    except KeyboardInterrupt:
        raise Interrupted(_write_interrupted(session, args)) from None  # one line, exit 130
    if update.profile.state == "error":
        raise UserError(update.profile.error or "the source failed")
    written = write_outputs(update, args)
    if args.trace is not None:
        captured = _write_trace(session, update, args.trace)
        written.append(str(args.trace))
        if not quiet:
            what = f"{len(captured)} profiled inferences" if captured else "no kernels recorded (see notices)"
            print(f"trace: {what} -> {args.trace}")
    if not quiet:
        print_report(update, args.top)
        _say_written(written)
    return 0


def _write_trace(session: Session, update: Update, path: Path) -> tuple[object, ...]:
    from trtui.kernels.trace import trace_events, write_trace

    captured = session.kernels.trace_captures() if session.kernels is not None else ()
    info = update.profile.info
    write_trace(path, trace_events(captured, simulated=info.simulated, device=info.device))
    return tuple(captured)


def _say_written(written: list[str]) -> None:
    """Where the files went, on stderr (stdout keeps the report, or the JSON/CSV sent there)."""
    for path in written:
        print(f"wrote {path}", file=sys.stderr)


def _write_interrupted(session: Session, args: argparse.Namespace) -> str:
    """Ctrl-C, SIGTERM or SIGHUP during the run: write what was measured until then, its summary
    marked `"state": "interrupted"`; returns the one line that says so and where it went."""
    try:
        update = session.build_update()
    except Exception as err:  # the pipeline was cut at a bad moment: nothing consistent to write
        return f"interrupted; nothing written ({type(err).__name__}: {err})"
    asked = args.json is not None or args.csv is not None or args.export_dir is not None
    if update.profile.latency_total.count == 0 and update.profile.layers_total.iterations == 0:
        return "interrupted before anything was measured; nothing written" if asked else "interrupted"
    written = write_outputs(update, args, interrupted=True)
    if args.trace is not None:
        _write_trace(session, update, args.trace)
        written.append(str(args.trace))
    after = f"interrupted after {update.profile.elapsed_s:.1f} s"
    if not written:
        return after
    return f"{after}; wrote what was measured (summary state \"interrupted\") to {', '.join(written)}"


def write_outputs(update: Update, args: argparse.Namespace, interrupted: bool = False) -> list[str]:
    """Write the --json summary, --csv table and --export-dir recording that were asked for;
    returns where they went (files, "-" for stdout excluded). `interrupted`: the run was cut short,
    and the summary's state says "interrupted"."""
    written: list[str] = []
    if args.json is not None:
        from trtui.common.atomic import write_json_atomic
        from trtui.recording.summary import summary_dict

        summary = summary_dict(update)
        if interrupted:
            summary["state"] = "interrupted"
        if json_to_stdout(args.json):
            write_json_stdout(summary)
        else:
            write_json_atomic(args.json, summary, indent=args.json_indent)
            written.append(str(args.json))
    if args.csv is not None:
        from trtui.recording.export import write_layers_csv

        write_layers_csv(update, args.csv)
        if not json_to_stdout(args.csv):
            written.append(str(args.csv))
    if args.export_dir is not None:
        from trtui.recording.export import export_recording

        args.export_dir.mkdir(parents=True, exist_ok=True)
        export_recording(update, args.export_dir, {"command": " ".join(sys.argv)})
        written.append(f"{args.export_dir}/")
    return written


def _ms(x: float | None) -> str:
    return fmt.ms(x)


def print_report(update: Update, top: int) -> None:
    p = update.profile
    info = p.info
    tag = (
        " [SIMULATED: not measured]"
        if info.simulated
        else (" [recording]" if info.kind == "recording" else "")
    )
    lat = p.latency_total
    lines = [
        f"{info.label}{tag}",
        f"device: {info.device or 'unknown'}   mode: {info.mode or 'n/a'}",
        f"inferences: {lat.count}   profiled: {p.layers_total.iterations}   duration: {p.elapsed_s:.1f} s",
        f"latency ms: mean {_ms(lat.mean)}  median {_ms(lat.median)}  p90 {_ms(lat.p90)}  "
        f"p99 {_ms(lat.p99)}  min {_ms(lat.min)}  max {_ms(lat.max)}",
        "throughput: "
        + ("n/a" if lat.throughput_per_s is None else f"{lat.throughput_per_s:.1f} inferences/s"),
    ]
    if p.layer_sum_ms is not None:
        label = (
            "sum of layer times" if p.sum_is_latency else "sum of layer times (aux streams: not a latency)"
        )
        tax = "" if p.profiler_tax_pct is None else f"   profiler tax: {p.profiler_tax_pct:+.1f}%"
        lines.append(f"{label}: {p.layer_sum_ms:.4f} ms{tax}")
    table = p.layers_total
    if len(table):
        import numpy as np

        order = np.argsort(-np.nan_to_num(table.total_ms, nan=-1.0))[:top]
        lines.append(f"top {len(order)} layers by share:")
        lines.append(f"  {'share':>7} {'mean ms':>9} {'median':>9} {'p99':>9}  layer")
        lines.extend(
            f"  {fmt.share(float(table.share_pct[i])):>7} {fmt.ms(table.mean_ms[i], 9)} "
            f"{fmt.ms(table.median_ms[i], 9)} {fmt.ms(table.p99_ms[i], 9)}  {table.names[i]}"
            for i in order
        )
    from trtui.stats.energy_report import energy_lines

    lines.extend(f"energy: {line}" for line in energy_lines(update.energy, whole_run=True))
    if p.kernels is not None:
        from trtui.kernels.report import kernel_lines

        lines.extend(kernel_lines(p.kernels, top, {layer.name: layer for layer in info.layers}))
    from trtui.analysis.engine_view import engine_view, engine_view_lines
    from trtui.analysis.run import run_from_update

    lines.extend(engine_view_lines(engine_view(run_from_update(update)), top))
    lines.extend(f"notice: {notice}" for notice in p.notices[-5:])
    print("\n".join(lines))
