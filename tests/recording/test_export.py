"""Exports in trtexec's formats: exact layouts, round trips (export -> open gives the same
numbers), simulated runs marked as such, CSV, atomic writes."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from own_recordings import graph_layout
from recording_support import file_ending, fixture_dirs, load, replay

from trtui.core.model import LayerInfo
from trtui.core.options import RunOptions
from trtui.pipeline.session import Session
from trtui.recording.export import (
    CSV_COLUMNS,
    export_name,
    export_recording,
    timing_records,
    write_layers_csv,
)
from trtui.recording.source import open_recording
from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry
from trtui.stats.update import Update

PROFILE_LINE = re.compile(
    r'^, \{ "name" : "(?:[^"\\]|\\.)*", "timeMs" : [-0-9.e+]+, "averageMs" : [-0-9.e+]+, '
    r'"medianMs" : [-0-9.e+]+, "percentage" : [-0-9.e+]+ \}$'
)
TIMING_KEYS = [
    "startEnqMs",
    "endEnqMs",
    "startH2dMs",
    "endH2dMs",
    "startComputeMs",
    "endComputeMs",
    "startD2hMs",
    "endD2hMs",
    "h2dMs",
    "computeMs",
    "d2hMs",
    "latencyMs",
]


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def demo_update(seconds: float = 1.0) -> Update:
    """A deterministic simulated run (no threads, a fake clock)."""
    clock = Clock()
    source = SimulatedSource(RunOptions(seed=3, profile_every=5), clock=clock)
    session = Session(source, SimulatedTelemetry(source, clock=clock), clock=clock)
    session.open()
    for _ in range(int(seconds * 10)):
        clock.t += 0.1
        session.ingest(source.read(0.0))
    return session.build_update()


def by_suffix(paths: list[Path], suffix: str) -> Path:
    found = [p for p in paths if p.name.endswith(suffix) and not p.name.endswith(".profile" + suffix)]
    assert len(found) == 1, (suffix, paths)
    return found[0]


@pytest.mark.parametrize("folder", fixture_dirs())
def test_fixture_round_trip(folder: Path, tmp_path: Path) -> None:
    first = replay(open_recording(folder))
    paths = export_recording(first, tmp_path, {"command": "test"})
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in paths}  # no temp files left
    second_source = open_recording(by_suffix(paths, ".profile.json"))
    second = replay(second_source)
    a, b = first.profile.layers_total, second.profile.layers_total
    assert a.names == b.names
    assert a.iterations == b.iterations
    for col in ("count", "total_ms", "mean_ms", "median_ms"):
        assert np.array_equal(getattr(a, col), getattr(b, col)), col
    # the rolling latency window (4096) holds every inference of these fixtures but the largest
    times = load(file_ending(folder, ".timing.json"))  # type: ignore[arg-type]
    if len(times) <= len(first.profile.recent_latencies_ms):
        assert np.array_equal(first.profile.recent_latencies_ms, second.profile.recent_latencies_ms)
        assert second.profile.latency_total.throughput_per_s == pytest.approx(
            first.profile.latency_total.throughput_per_s, rel=1e-9
        )
    before = open_recording(folder).info.layers
    if graph_layout(folder) == "10":
        assert second_source.info.layers == before  # types, tactics, tensors
    else:  # written in TensorRT 10's layout: the format strings carry the data type now
        def facts(layers: tuple[LayerInfo, ...]) -> list[tuple[object, ...]]:
            return [
                (x.name, x.type, x.precision, x.output_precision, x.tactic, x.origin, x.params,
                 [(t.name, t.shape, t.dtype) for t in (*x.inputs, *x.outputs)])
                for x in layers
            ]

        assert facts(second_source.info.layers) == facts(before)
    assert second.profile.info.device == first.profile.info.device
    assert second.profile.info.simulated is False
    # the exported layer info is trtexec's own, key for key (TensorRT 10's layout)
    graph = load(file_ending(folder, ".graph.json"))  # type: ignore[arg-type]
    if graph_layout(folder) == "10":
        assert load(by_suffix(paths, ".graph.json"))["Layers"] == graph["Layers"]


def test_profile_layout_is_trtexecs(tmp_path: Path) -> None:
    update = demo_update()
    paths = export_recording(update, tmp_path, {})
    lines = by_suffix(paths, ".profile.json").read_text().splitlines()
    assert lines[0] == "["
    assert re.fullmatch(r'  \{ "count" : \d+ \}', lines[1])
    assert lines[-1] == "]"
    for line in lines[2:-1]:
        assert PROFILE_LINE.match(line), line
    rows = json.loads("\n".join(lines))
    assert rows[0]["count"] == update.profile.layers_total.iterations > 0
    assert [list(r) for r in rows[1:]] == [["name", "timeMs", "averageMs", "medianMs", "percentage"]] * (
        len(rows) - 1
    )
    assert sum(r["percentage"] for r in rows[1:]) == pytest.approx(100.0)


def test_simulated_export_says_simulated(tmp_path: Path) -> None:
    update = demo_update()
    paths = export_recording(update, tmp_path, {"command": "trtui profile demo"})
    assert by_suffix(paths, ".profile.json").name == "resnet50-simulated.profile.json"
    run_meta = load(by_suffix(paths, ".profile.metadata.json"))
    assert run_meta["trtui"]["simulated"] is True
    assert run_meta["trtui"]["settings"] == {"command": "trtui profile demo"}
    assert run_meta["device_information"]["Selected Device"] == update.profile.info.device
    dev = load(by_suffix(paths, ".metadata.json"))
    assert dev[0]["Simulated"] is True and dev[0]["Name"] == update.profile.info.device
    source = open_recording(tmp_path)
    assert source.info.simulated is True
    assert "simulated" in source.info.extra["recording"]
    second = replay(source)
    assert second.profile.layers_total.names == update.profile.layers_total.names
    assert np.array_equal(second.profile.layers_total.total_ms, update.profile.layers_total.total_ms)
    assert np.array_equal(second.profile.recent_latencies_ms, update.profile.recent_latencies_ms)
    # layer details of the simulated engine survive (types, precisions, tactics)
    infos = {i.name: i for i in source.info.layers}
    for info in update.profile.info.layers:
        got = infos[info.name]
        assert (got.type, got.precision, got.tactic) == (info.type, info.precision, info.tactic)


def test_timing_records_are_consistent() -> None:
    lat = np.array([1.0, 2.0, 1.5, 1.0])
    recs = timing_records(lat, throughput_per_s=400.0)  # 2.5 ms per inference
    assert [list(r) for r in recs] == [TIMING_KEYS] * 4
    for r, x in zip(recs, lat, strict=True):
        assert r["latencyMs"] == r["computeMs"] == x
        assert r["endComputeMs"] - r["startComputeMs"] == pytest.approx(x)
        assert r["startH2dMs"] <= r["endH2dMs"] == r["startComputeMs"]
        assert r["endComputeMs"] == r["startD2hMs"] == r["endD2hMs"]
    span = recs[-1]["endD2hMs"] - recs[0]["startH2dMs"]
    assert len(recs) / span * 1000 == pytest.approx(400.0)
    back_to_back = timing_records(lat, None)
    assert back_to_back[1]["startComputeMs"] == back_to_back[0]["endComputeMs"]
    assert timing_records(np.array([]), 10.0) == []


def test_layers_csv(tmp_path: Path) -> None:
    update = demo_update()
    path = tmp_path / "layers.csv"
    write_layers_csv(update, path)
    with path.open() as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    table = update.profile.layers_total
    assert [r[1] for r in rows[1:]] == list(table.names)
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert float(first["mean_ms"]) == float(table.mean_ms[0])
    assert int(first["count"]) == int(table.count[0])
    assert first["type"] == update.profile.info.layers[0].type
    assert [p.name for p in tmp_path.iterdir()] == ["layers.csv"]


def test_names_of_exports() -> None:
    from trtui.core.model import SourceInfo

    assert export_name(SourceInfo("engine", "x", False, path="/m/resnet.engine")) == "resnet.engine"
    assert (
        export_name(SourceInfo("recording", "x", False, path="/m/r.onnx.engine.profile.json"))
        == "r.onnx.engine"
    )
    assert export_name(SourceInfo("simulated", "resnet50 (simulated)", True)) == "resnet50-simulated"
    assert export_name(SourceInfo("simulated", "///", True)) == "trtui"


def test_export_into_a_file_path_is_a_user_error(tmp_path: Path) -> None:
    from trtui.common.errors import UserError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError):
        export_recording(demo_update(), blocker, {})
