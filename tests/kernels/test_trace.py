"""The Chrome trace-event file of `--trace`: loads as JSON, valid events, per-stream tracks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kernel_support import build_capture

from trtui.common.errors import UserError
from trtui.kernels.attribute import attribute
from trtui.kernels.trace import check_trace, trace_events, write_trace

LAYERS = [("conv", [4_000]), ("block", [1_000, 2_000, 1_000])]
NAMES = [n for n, _ in LAYERS]


def two_inferences() -> list:  # type: ignore[type-arg]
    a = attribute(build_capture(LAYERS, t0=5_000_000, stream=3), NAMES, [0.005, 0.005])
    b = attribute(build_capture(LAYERS, t0=9_000_000, stream=8), NAMES, [0.005, 0.005])
    return [a, b]


def test_the_trace_file_loads_and_is_valid(tmp_path: Path) -> None:
    out = tmp_path / "run.trace.json"
    write_trace(out, trace_events(two_inferences(), simulated=True, device="Sim GPU"))
    obj = json.loads(out.read_text())
    assert check_trace(obj) == []
    assert obj["otherData"]["simulated"] is True and obj["otherData"]["attribution"] == "nvtx"
    xs = [e for e in obj["traceEvents"] if e["ph"] == "X"]
    kernels = [e for e in xs if e["cat"] == "kernel"]
    layers = [e for e in xs if e["cat"] == "layer"]
    assert len(kernels) == 8 and len(layers) == 4
    assert min(e["ts"] for e in xs) == 0  # relative to the first timestamp
    # kernels and layers of a stream sit on two tracks of their own
    tracks = {(e["cat"], e["tid"]) for e in xs if e["cat"] != "nvtx"}
    assert tracks == {("kernel", 7), ("layer", 6), ("kernel", 17), ("layer", 16)}
    names = {e["tid"]: e["args"]["name"] for e in obj["traceEvents"] if e["name"] == "thread_name"}
    assert names[6] == "stream 3: layers" and names[17] == "stream 8: kernels"
    procs = [e["args"]["name"] for e in obj["traceEvents"] if e["name"] == "process_name"]
    assert all("simulated" in p for p in procs)


def test_a_layer_event_spans_its_kernels() -> None:
    (att, _) = two_inferences()
    obj = trace_events([att])
    block = next(e for e in obj["traceEvents"] if e.get("cat") == "layer" and e["name"] == "block")
    ks = [e for e in obj["traceEvents"] if e.get("cat") == "kernel" and e["args"]["layer"] == "block"]
    assert block["ts"] == min(e["ts"] for e in ks)
    assert block["ts"] + block["dur"] == pytest.approx(max(e["ts"] + e["dur"] for e in ks))
    assert block["args"]["kernels"] == 3 and block["args"]["profiler_ms"] == 0.005


def test_host_ranges_are_on_the_host_process() -> None:
    obj = trace_events(two_inferences())
    nvtx = [e for e in obj["traceEvents"] if e.get("cat") == "nvtx"]
    assert {e["name"] for e in nvtx} == {"conv", "block", "enqueue"}
    assert {e["pid"] for e in nvtx} == {2}


def test_an_empty_trace_is_still_valid() -> None:
    obj = trace_events([])
    assert check_trace(obj) == [] and obj["otherData"]["inferences"] == 0


@pytest.mark.parametrize(
    ("obj", "problem"),
    [
        ([], "traceEvents"),
        ({"traceEvents": [{"ph": "B", "name": "x", "pid": 1}]}, "phase"),
        ({"traceEvents": [{"ph": "X", "name": "x", "pid": 1, "tid": 1, "ts": -1, "dur": 1}]}, "ts"),
        ({"traceEvents": [{"ph": "X", "name": "x", "pid": "1", "tid": 1, "ts": 0, "dur": 1}]}, "pid"),
        ({"traceEvents": [{"ph": "X", "pid": 1, "tid": 1, "ts": 0, "dur": 1}]}, "name"),
        ({"traceEvents": [{"ph": "M", "name": "thread_name", "pid": 1}]}, "args"),
    ],
)
def test_check_trace_finds_what_is_wrong(obj: object, problem: str) -> None:
    problems = check_trace(obj)
    assert problems and problem in problems[0]


def test_write_is_atomic(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    out.write_text("old")
    with pytest.raises(ValueError):
        write_trace(out, {"traceEvents": [{"ts": float("nan")}]})
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]
    with pytest.raises(UserError):
        write_trace(tmp_path / "missing" / "t.json", trace_events([]))
