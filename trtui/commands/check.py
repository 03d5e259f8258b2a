"""`trtui check CANDIDATE --baseline BASELINE`: a regression gate for CI.

Each side is a trtexec recording (file or folder), a trtui JSON summary, or something to run
live now (an engine file, or 'demo'), run headless for --duration seconds as `trtui profile`
does. Exit 0 when the candidate is not slower than the baseline beyond --max-regression, 1 when
it is, 2 on bad input. The decision is `trtui.analysis.gate`; the reports `gate_report`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from trtui.analysis.gate import GateRun, GateSettings
from trtui.commands.run_args import add_run_arguments, int_in, options_from_args, positive_float
from trtui.common.errors import UserError
from trtui.common.paths import check_output_file
from trtui.core.model import SourceBatch
from trtui.pipeline.session import Session


def percent(text: str) -> float:
    body = text.strip().removesuffix("%").strip()
    try:
        value = float(body)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r} (e.g. 3 or 3%)") from None
    if not 0 <= value < 1000:
        raise argparse.ArgumentTypeError(f"must be between 0% and 1000%: {text!r}")
    return value


def confidence(text: str) -> float:
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r} (e.g. 0.95 or 95%)") from None
    if value > 1:
        value /= 100.0
    if not 0.5 <= value <= 0.999:
        raise argparse.ArgumentTypeError(f"must be between 0.5 and 0.999 (50% to 99.9%): {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "candidate",
        help="the run to judge: a trtexec recording (file or folder), a trtui summary, an engine "
        "file (run live) or 'demo'",
    )
    # --baseline is checked in run(), so that argparse reports an unknown option before it
    p.add_argument("--baseline", metavar="PATH", help="the reference run (same kinds); required")
    p.add_argument(
        "--max-regression",
        type=percent,
        default=5.0,
        metavar="PCT",
        help="how much worse a figure may be before the check fails (default 5%%)",
    )
    p.add_argument(
        "--layers", action="store_true", help="also judge each layer matched as in 'trtui compare'"
    )
    p.add_argument(
        "--layer-floor-ms",
        type=float,
        default=0.005,
        metavar="MS",
        help="with --layers: ignore layer changes smaller than this (default 0.005 ms)",
    )
    p.add_argument(
        "--duration",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="seconds of a live run (default 10)",
    )
    p.add_argument(
        "--confidence", type=confidence, default=0.95, metavar="C", help="interval level (default 0.95)"
    )
    p.add_argument(
        "--resamples",
        type=int_in(100, 100_000),
        default=2000,
        metavar="N",
        help="bootstrap resamples (default 2000)",
    )
    p.add_argument(
        "--ci-seed", type=int_in(0, 2**32 - 1), default=0, metavar="N", help="bootstrap seed (default 0)"
    )
    p.add_argument("--json", type=Path, metavar="PATH", help="write the result as JSON ('-' for stdout)")
    p.add_argument("--junit", type=Path, metavar="PATH", help="write a JUnit XML report")
    p.add_argument("--markdown", type=Path, metavar="PATH", help="write a Markdown summary ('-' for stdout)")
    p.add_argument(
        "--export-dir",
        type=Path,
        metavar="DIR",
        help="a live candidate: also write it as a recording (use it as the next --baseline)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing (the exit code says it)")
    add_run_arguments(p, demo=False)  # its --layers N (simulator size) would clash with ours
    p.add_argument(
        "--seed",
        type=int_in(0, 2**32 - 1),
        default=0,
        help="live runs: simulated engine / random inputs seed",
    )


def is_live(spec: str) -> bool:
    """'demo' or an engine file run now; folders and JSON files are read."""
    if spec == "demo":
        return True
    from trtui.sources.factory import check_readable, looks_like_json

    path = check_readable(spec)
    return not (path.is_dir() or looks_like_json(path))


class _Collecting(Session):
    """A session that keeps every unprofiled latency (the bootstrap's samples)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.all_latencies: list[np.ndarray[Any, Any]] = []

    def ingest(self, batch: SourceBatch) -> None:
        super().ingest(batch)
        if len(batch.latencies_ms):
            self.all_latencies.append(np.asarray(batch.latencies_ms, dtype=np.float64))


def live_run(spec: str, args: argparse.Namespace, role: str, export_dir: Path | None = None) -> GateRun:
    from trtui.analysis.run import run_from_update
    from trtui.common.signals import interrupt_on_term
    from trtui.sources.factory import open_source, telemetry_for

    # "layers" here is check's --layers (judge layers), not the simulator's size
    options = options_from_args(argparse.Namespace(**{**vars(args), "source": spec, "layers": None}))
    source = open_source(spec, options)
    session = _Collecting(source, telemetry_for(source, options), options)
    if not args.quiet:
        print(f"running the {role} {spec} for {args.duration:g} s...", file=sys.stderr)
    with interrupt_on_term():
        update = session.run_for(args.duration)
    if update.profile.state == "error":
        raise UserError(f"{role} {spec}: {update.profile.error or 'the source failed'}")
    if export_dir is not None:
        from trtui.recording.export import export_recording

        export_recording(update, export_dir, {"command": " ".join(sys.argv)})
    lat = np.concatenate(session.all_latencies) if session.all_latencies else None
    return GateRun(run_from_update(update, label=spec), lat, update.profile.latency_total.throughput_per_s)


def open_side(spec: str, args: argparse.Namespace, role: str, export_dir: Path | None = None) -> GateRun:
    if is_live(spec):
        return live_run(spec, args, role, export_dir)
    from trtui.recording.gate_inputs import load_gate_run

    return load_gate_run(Path(spec), role)


def _write(path: Path, text: str) -> None:
    if str(path) == "-":
        sys.stdout.write(text)
        return
    from trtui.common.atomic import write_text_atomic

    write_text_atomic(path, text)


def run(args: argparse.Namespace) -> int:
    from trtui.analysis.gate import gate
    from trtui.analysis.gate_report import gate_dict, gate_junit, gate_markdown, gate_text

    if args.baseline is None:
        raise UserError("check needs --baseline PATH (a recording, a trtui summary, an engine or 'demo')")
    check_output_file(args.json, "--json", allow_stdout=True)
    check_output_file(args.junit, "--junit")
    check_output_file(args.markdown, "--markdown", allow_stdout=True)
    if args.json is not None and args.markdown is not None and str(args.json) == str(args.markdown) == "-":
        raise UserError("--json - and --markdown - cannot both write to stdout")
    if args.export_dir is not None and args.export_dir.exists() and not args.export_dir.is_dir():
        raise UserError(f"--export-dir {args.export_dir}: exists and is not a folder")
    if not args.layer_floor_ms >= 0:
        raise UserError("--layer-floor-ms must be 0 or more")
    candidate_live = is_live(args.candidate)
    if args.export_dir is not None and not candidate_live:
        raise UserError("--export-dir applies to a live candidate (an engine file or 'demo')")
    baseline = open_side(args.baseline, args, "baseline")
    candidate = open_side(args.candidate, args, "candidate", args.export_dir)
    settings = GateSettings(
        max_regression_pct=args.max_regression,
        confidence=args.confidence,
        resamples=args.resamples,
        seed=args.ci_seed,
        layers=args.layers,
        layer_floor_ms=args.layer_floor_ms,
    )
    result = gate(baseline, candidate, settings)
    if all(c.status == "skipped" for c in result.checks):
        raise UserError(
            f"nothing to judge: {args.baseline} and {args.candidate} have no end-to-end latency, "
            "throughput or energy in common (a trtexec recording needs its times file, --exportTimes)"
        )
    to_stdout = "-" in (str(args.json), str(args.markdown))
    if args.json is not None:
        _write(args.json, json.dumps(gate_dict(result), indent=2, allow_nan=False) + "\n")
    if args.junit is not None:
        _write(args.junit, gate_junit(result))
    if args.markdown is not None:
        _write(args.markdown, gate_markdown(result))
    if not args.quiet and not to_stdout:
        sys.stdout.write(gate_text(result))
    elif not args.quiet:
        sys.stderr.write(gate_text(result).splitlines()[0] + "\n")
    return result.exit_code
