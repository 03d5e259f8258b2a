"""Open a side of `trtui check` offline: a trtexec recording (file or folder; its per-inference
times, `*.timing.json`, are the bootstrap's samples) or a trtui JSON summary (statistics only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trtui.analysis.gate import GateRun
from trtui.errors import UserError
from trtui.recording.files import detect_kind, read_json
from trtui.recording.loader import Recording, load_recording
from trtui.recording.runs import run_from_recording, run_from_summary
from trtui.recording.summary_reader import parse_summary


def gate_run_from_recording(rec: Recording) -> GateRun:
    run = run_from_recording(rec)
    if rec.times is None:
        return GateRun(run, None, run.latency.throughput_per_s if run.latency else None)
    lat = np.asarray(rec.times.latency_ms, dtype=np.float64)
    tput = len(lat) / rec.times.wall_s if rec.times.wall_s > 0 else None
    return GateRun(run, lat, tput)


def load_gate_run(path: Path, role: str) -> GateRun:
    """`role` ("baseline"/"candidate") names the side in error messages."""
    path = Path(path)
    if not path.exists():
        raise UserError(
            f"{role} {path}: no such file or folder (give a trtexec recording or a trtui summary)"
        )
    if path.is_dir():
        return gate_run_from_recording(load_recording(path))
    obj, notes = read_json(path)
    if detect_kind(obj) == "summary":
        try:
            run = run_from_summary(parse_summary(obj), path)
        except UserError as err:
            raise UserError(f"{path}: {err}") from None
        return GateRun(run, None, run.latency.throughput_per_s if run.latency else None)
    return gate_run_from_recording(load_recording(path, preread=(obj, notes)))
