"""Open a side of `trtui check` offline: a trtexec recording (file or folder; its per-inference
times, `*.timing.json`, are the bootstrap's samples) or a trtui JSON summary (statistics only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from trtui.analysis.gate import GateRun
from trtui.common.errors import UserError
from trtui.recording.files import detect_kind, read_json
from trtui.recording.loader import Recording, load_recording, require_complete
from trtui.recording.readers import MAX_NUMBER
from trtui.recording.runs import run_from_recording, run_from_summary
from trtui.recording.summary_reader import parse_summary


def gate_run_from_recording(rec: Recording) -> GateRun:
    run = run_from_recording(rec)
    if rec.times is None:
        return GateRun(run, None, run.latency.throughput_per_s if run.latency else None)
    lat = np.asarray(rec.times.latency_ms, dtype=np.float64)
    tput = len(lat) / rec.times.wall_s if rec.times.wall_s > 0 else None
    return GateRun(run, lat, tput)


def summary_samples(value: object, path: Path) -> np.ndarray[Any, Any] | None:
    """A summary's `latency_samples_ms` (older summaries have none: None)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in value
    ):
        raise UserError(f"{path}: latency_samples_ms must be a list of numbers")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except OverflowError:  # an integer of hundreds of digits
        raise UserError(f"{path}: latency_samples_ms holds a number out of range") from None
    if not np.isfinite(arr).all() or (arr < 0).any() or (arr > MAX_NUMBER).any():
        raise UserError(f"{path}: latency_samples_ms holds a negative, non-finite or out-of-range latency")
    return arr if len(arr) else None


def load_gate_run(path: Path, role: str) -> GateRun:
    """`role` ("baseline"/"candidate") names the side in error messages."""
    path = Path(path)
    if not path.exists():
        raise UserError(
            f"{role} {path}: no such file or folder (give a trtexec recording or a trtui summary)"
        )
    if path.is_dir():
        return gate_run_from_recording(require_complete(load_recording(path), role))
    obj, notes = read_json(path)
    if detect_kind(obj) == "summary":
        try:
            run = run_from_summary(parse_summary(obj), path)
        except UserError as err:
            raise UserError(f"{path}: {err}") from None
        raw = obj.get("latency_samples_ms") if isinstance(obj, dict) else None
        samples = summary_samples(raw, path)
        return GateRun(run, samples, run.latency.throughput_per_s if run.latency else None)
    return gate_run_from_recording(require_complete(load_recording(path, preread=(obj, notes)), role))
