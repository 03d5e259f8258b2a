"""Hypothesis fuzzing of every reader of untrusted data for the numbers it lets through: the wire
decoder (`trtui attach`), each trtexec file kind of a recording, trtui's JSON summaries and the
inputs of `trtui check`. Valid inputs have numbers replaced by NaN, infinities, negatives, huge
values and 400-digit integers.

Property: the reader raises its one error type (UserError, or WireError on the wire) or returns
values in which every number is finite or marked missing: None for a single value; NaN ("unknown",
as documented on `LayerTable`) in an array, never an infinity.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import math
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trtui.analysis.gate import GateSettings, gate
from trtui.common.errors import UserError
from trtui.recording.gate_inputs import load_gate_run
from trtui.recording.loader import load_recording
from trtui.recording.runs import run_from_recording, run_from_summary
from trtui.recording.summary import summary_dict
from trtui.recording.summary_reader import parse_summary
from trtui.remote.checks import WireError
from trtui.remote.wire import WireEncoder
from trtui.remote.wire_decode import WireDecoder

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
HOSTILE = [math.nan, math.inf, -math.inf, -1.0, -1e-9, 1e308, -1e308, 1e15, 0.0, 10**400, 2**63]
hostile = st.sampled_from(HOSTILE)


def finite_or_missing(x: Any, where: str = "", depth: int = 0) -> None:
    """Every number in `x` (dataclasses, mappings, sequences, arrays) is finite or None; float
    arrays may hold NaN (unknown), never an infinity."""
    assert depth < 40, where
    if x is None or isinstance(x, (bool, str, bytes, Path)):
        return
    if isinstance(x, int):
        return
    if isinstance(x, (float, np.floating)):
        assert math.isfinite(x), f"{where} = {x}"
    elif isinstance(x, np.ndarray):
        if x.dtype.kind == "f":
            assert not np.isinf(x).any(), f"{where}: an infinity in the array"
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        for f in dataclasses.fields(x):
            finite_or_missing(getattr(x, f.name), f"{where}.{f.name}", depth + 1)
    elif isinstance(x, Mapping):
        for k, v in list(x.items())[:5000]:
            finite_or_missing(v, f"{where}[{k!r}]", depth + 1)
    elif isinstance(x, (list, tuple)):
        for i, v in enumerate(x[:5000]):
            finite_or_missing(v, f"{where}[{i}]", depth + 1)


def number_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where a JSON document holds numbers (not booleans)."""
    out: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for k, v in items:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append((*prefix, k))
        elif isinstance(v, (dict, list)) and len(out) < 20_000:
            out.extend(number_paths(v, (*prefix, k)))
    return out


def set_at(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value


def mutate(doc: Any, data: st.DataObject) -> Any:
    doc = copy.deepcopy(doc)
    paths = number_paths(doc)
    if paths:
        for path in data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=6)):
            set_at(doc, path, data.draw(hostile))
    return doc


# -- the wire -------------------------------------------------------------------------------------


def _wire_message() -> dict[str, Any]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "remote"))
    from remote_support import demo_updates

    return json.loads(WireEncoder().encode_line(demo_updates(3, layers=6)[-1]))


WIRE = _wire_message()
ARRAYS = [
    ("profile", "recent_latencies_ms"), ("layers_window", "mean_ms"), ("layers_total", "p99_ms"),
    ("layers_window", "recent_ms"), ("profile", "trend", "p99"), ("layers_total", "share_pct"),
]  # fmt: skip


@FUZZ
@given(st.data())
def test_wire_decoder_numbers(data: st.DataObject) -> None:
    msg = mutate(WIRE, data)
    for path in data.draw(st.lists(st.sampled_from(ARRAYS), max_size=3)):
        node = msg
        for k in path:
            node = node[k]
        if not all(isinstance(v, int) and 0 <= v < 10**5 for v in node["shape"]):
            continue  # a shape mutated above: the decoder refuses that message on its own
        n = int(np.prod(node["shape"]))
        values = np.ones(n)
        for i in data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=8)) if n else []:
            values[i] = data.draw(st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 1e30]))
        values = values.astype(np.dtype(node["dt"]).newbyteorder("<"))
        node["b64"] = base64.b64encode(values.tobytes()).decode()
    try:
        update = WireDecoder().decode_line(json.dumps(msg))
    except WireError:
        return
    finite_or_missing(update, "update")
    assert np.isfinite(update.profile.recent_latencies_ms).all()


# -- recordings, kind by kind ---------------------------------------------------------------------


def _own() -> Path:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
    from own_recordings import own_recording_dirs

    return own_recording_dirs()[0]


OWN = _own()
KIND_FILES = sorted(p.name for p in OWN.glob("*.json"))


@FUZZ
@given(st.sampled_from(KIND_FILES), st.data())
def test_recording_numbers(name: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "rec"
        shutil.copytree(OWN, folder)
        doc = mutate(json.loads((folder / name).read_text()), data)
        (folder / name).write_text(json.dumps(doc))
        try:
            rec = load_recording(folder / name)
            run = run_from_recording(rec)
        except UserError as err:
            assert "\n" not in str(err)
            return
        finite_or_missing(rec, "recording")
        finite_or_missing(run, "run")


# -- trtui summaries and check's inputs -----------------------------------------------------------


def _summary() -> dict[str, Any]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "remote"))
    from remote_support import demo_updates

    doc = json.loads(json.dumps(summary_dict(demo_updates(3, layers=6)[-1])))
    doc["latency_samples_ms"] = [0.5, 0.6, 0.55, 0.7]
    return doc


SUMMARY = _summary()


@FUZZ
@given(st.data())
def test_summary_numbers(data: st.DataObject) -> None:
    doc = mutate(SUMMARY, data)
    try:
        parsed = parse_summary(json.loads(json.dumps(doc)))
        run = run_from_summary(parsed, Path("s.json"))
    except UserError as err:
        assert "\n" not in str(err)
        return
    finite_or_missing(parsed.layers, "layers")
    finite_or_missing(parsed.latency, "latency")
    finite_or_missing(run, "run")


@FUZZ
@given(st.data(), st.booleans())
def test_check_inputs_numbers(data: st.DataObject, summary_side: bool) -> None:
    with tempfile.TemporaryDirectory() as d:
        if summary_side:
            cand = Path(d) / "cand.json"
            cand.write_text(json.dumps(mutate(SUMMARY, data)))
        else:
            cand = Path(d) / "cand"
            shutil.copytree(OWN, cand)
            name = data.draw(st.sampled_from(KIND_FILES))
            (cand / name).write_text(json.dumps(mutate(json.loads((cand / name).read_text()), data)))
        try:
            base = load_gate_run(OWN, "baseline")
            side = load_gate_run(cand, "candidate")
        except UserError as err:
            assert "\n" not in str(err)
            return
        finite_or_missing(side, "candidate")
        result = gate(base, side, GateSettings(resamples=50, layers=True))
        for c in result.checks:
            for v in (c.baseline, c.candidate, c.change_pct, c.ci_low_pct, c.ci_high_pct):
                assert v is None or math.isfinite(v), c


def test_a_400_digit_latency_sample_is_a_user_error(tmp_path: Path) -> None:
    """Found by the fuzzing above: numpy's OverflowError escaped from a summary's samples."""
    doc = copy.deepcopy(SUMMARY)
    doc["latency_samples_ms"] = [0.5, 10**400]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    try:
        load_gate_run(path, "candidate")
    except UserError as err:
        assert "out of range" in str(err)
    else:
        raise AssertionError("a 400-digit latency was accepted")
