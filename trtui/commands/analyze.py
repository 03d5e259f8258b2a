"""`trtui analyze SOURCE`: derived views of a recording or summary (time by layer type, by
precision, by tactic family, share of reformat layers, top-N hotspots), as text or JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trtui.commands.compare import check_json_path
from trtui.commands.output_args import top_count
from trtui.common.errors import UserError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", type=Path, help="a trtexec recording (file or folder) or a trtui summary")
    p.add_argument("--top", type=top_count, default=10, metavar="N", help="hotspots to list (default 10)")
    p.add_argument("--json", type=Path, metavar="PATH", help="write the views as JSON ('-' for stdout)")


def run(args: argparse.Namespace) -> int:
    from trtui.analysis.compare import json_clean
    from trtui.analysis.engine_view import engine_view, engine_view_dict, engine_view_lines
    from trtui.analysis.report import analysis_text
    from trtui.analysis.views import analysis_dict, analyze
    from trtui.recording.runs import load_run

    if args.top < 0:
        raise UserError("--top must be 0 or more")
    check_json_path(args.json)
    run_data = load_run(args.source)
    result = analyze(run_data.layers, run_data.infos, args.top)
    view = engine_view(run_data)
    if args.json is not None:
        import json

        data = {"schema": "trtui.analysis/1", "source": run_data.label, **analysis_dict(result),
                **engine_view_dict(view)}
        if str(args.json) == "-":
            print(json.dumps(json_clean(data), indent=2, allow_nan=False))
            return 0
        from trtui.common.atomic import write_json_atomic

        write_json_atomic(args.json, json_clean(data))
    sys.stdout.write(analysis_text(run_data, result))
    sys.stdout.write("\n".join(["", *engine_view_lines(view, args.top), ""]))
    return 0
