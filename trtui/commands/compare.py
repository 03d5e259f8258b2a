"""`trtui compare A B`: per-layer, per-type and end-to-end differences between two runs.

A and B: anything trtui opens offline: a trtexec recording (one of its files, or its folder) or a
trtui JSON summary. Opens the comparison screen when stdout is a terminal, prints a text report
otherwise (or with --text); --json PATH writes the comparison as JSON ("trtui.compare/1").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trtui.commands.output_args import top_count
from trtui.common.errors import UserError
from trtui.common.paths import check_output_file


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "a", type=Path, metavar="A", help="baseline: a trtexec recording (file or folder) or a trtui summary"
    )
    # B is checked in run(), so that argparse reports an unknown option before a missing B.
    p.add_argument("b", type=Path, metavar="B", nargs="?", help="the run to compare with A (same kinds)")
    p.add_argument("--json", type=Path, metavar="PATH", help="write the comparison as JSON ('-' for stdout)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--ui", action="store_true", help="open the comparison screen (default on a terminal)")
    out.add_argument("--text", action="store_true", help="print the text report (default when piped)")
    p.add_argument(
        "--top", type=top_count, default=20, metavar="N", help="layer changes to print (default 20)"
    )


def check_json_path(path: Path | None) -> None:
    """Refuse (UserError) a `--json` path that cannot be written, before any work; `-` is stdout."""
    check_output_file(path, "--json", allow_stdout=True)


def run(args: argparse.Namespace) -> int:
    from trtui.analysis.compare import compare, comparison_dict
    from trtui.recording.runs import load_run

    if args.b is None:
        raise UserError("compare needs two runs: trtui compare A B (recordings or trtui summaries)")
    if args.top < 0:
        raise UserError("--top must be 0 or more")
    check_json_path(args.json)
    a = load_run(args.a)
    b = load_run(args.b)
    result = compare(a, b)
    to_stdout = args.json is not None and str(args.json) == "-"
    if args.json is not None:
        import json

        data = comparison_dict(result)
        if to_stdout:
            print(json.dumps(data, indent=2, allow_nan=False))
        else:
            from trtui.common.atomic import write_json_atomic

            write_json_atomic(args.json, data)
    tty = sys.stdout.isatty() and sys.stdin.isatty()
    if args.ui and not tty:
        raise UserError("the comparison screen needs a terminal; use --text or --json PATH")
    if args.ui or (tty and not args.text and args.json is None):
        from trtui.ui.compare_app import run_compare_app

        return run_compare_app(result, a, b)
    if not to_stdout:
        from trtui.analysis.report import comparison_text

        sys.stdout.write(comparison_text(result, top=args.top))
    return 0
