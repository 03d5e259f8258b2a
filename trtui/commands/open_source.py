"""`trtui SOURCE` (= `trtui open SOURCE`): the live UI on an engine, a recording, or the demo."""

from __future__ import annotations

import argparse
import sys

from trtui.commands.early_frame import early_frame
from trtui.commands.run_args import (
    add_run_arguments,
    add_verbose_argument,
    options_from_args,
    positive_float,
    step_line,
)
from trtui.common.errors import UserError
from trtui.core.options import RunOptions


def add_ui_arguments(p: argparse.ArgumentParser) -> None:
    """The live screen's options (refresh, CPU budget, lean terminal...), shared by `open` and `demo`."""
    p.add_argument(
        "--refresh",
        type=positive_float,
        default=0.5,
        metavar="S",
        help="seconds between screen refreshes (default 0.5; slows down by itself when "
        "trtui's own CPU use exceeds --cpu-budget)",
    )
    p.add_argument(
        "--cpu-budget",
        type=positive_float,
        default=10.0,
        metavar="PCT",
        help="trtui's own CPU budget, in percent of one core (default 10)",
    )
    p.add_argument(
        "--lean-terminal",
        choices=("auto", "on", "off"),
        default="auto",
        help="low-bandwidth screen for slow links: no per-row sparklines, cold rows redrawn less "
        "often, 256 colours (default auto: on over SSH once the output exceeds 4 kB/s)",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="an engine file, a trtexec recording (file or folder), or 'demo'")
    add_ui_arguments(p)
    add_verbose_argument(p, live=True)
    add_run_arguments(p)


def launch(spec: str, options: RunOptions, args: argparse.Namespace) -> int:
    """The live screen on `spec`: its first frame at once (`early_frame`), then the source (file
    checks first: bad input fails with one line before the UI starts), the session and Textual."""
    terminal = sys.stdout.isatty() and sys.stdin.isatty()
    with early_frame(terminal):
        from trtui.sources.factory import open_source, telemetry_for

        source = open_source(spec, options)
        if not terminal:
            raise UserError(
                "the live UI needs a terminal; for headless runs use "
                "'trtui profile SOURCE --duration S --json out.json'"
            )
        from trtui.pipeline.session import Session
        from trtui.ui.app import run_app

        feed = Session(source, telemetry_for(source, options), options)
        try:
            return run_app(feed, refresh_s=args.refresh, cpu_budget_pct=args.cpu_budget,
                           lean=args.lean_terminal)
        finally:
            if getattr(args, "verbose", False):  # the screen owned the terminal until now
                for step in feed.startup.done:
                    print(step_line(step), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    return launch(args.source, options_from_args(args), args)
