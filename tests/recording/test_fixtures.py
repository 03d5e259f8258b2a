"""Every real trtexec recording under ../shared/fixtures/trtexec/ is read correctly: layer count,
names, times and totals are checked against the files themselves (read here with plain json)."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from own_recordings import graph_layout
from recording_support import file_ending, fixture_dirs, load, need_fixtures, replay

from trtui.engine_info.layer_info import parse_layer_info
from trtui.recording.loader import load_recording
from trtui.recording.source import open_recording

DTYPE_WORDS = {
    "FP32": "FP32", "FP16": "FP16", "Int8": "INT8", "INT8": "INT8", "Float": "FP32", "Half": "FP16"
}


def expected_precision(fmt: str) -> str | None:
    for word, name in DTYPE_WORDS.items():
        if re.search(rf"\b{word}\b", fmt):
            return name
    return None


@pytest.mark.parametrize("folder", fixture_dirs())
def test_profile_matches_the_file(folder: Path) -> None:
    profile_path = file_ending(folder, ".profile.json")
    assert profile_path is not None
    raw = load(profile_path)
    rows = raw[1:]
    rec = load_recording(folder)
    s = rec.summary
    assert s is not None
    assert s.iterations == raw[0]["count"]
    assert len(s.names) == len(rows)
    assert list(s.names) == [r["name"] for r in rows]
    assert np.array_equal(s.total_ms, [r["timeMs"] for r in rows])
    assert np.array_equal(s.mean_ms, [r["averageMs"] for r in rows])
    assert np.array_equal(s.median_ms, [r["medianMs"] for r in rows])
    assert math.isclose(float(np.sum(s.total_ms)), sum(r["timeMs"] for r in rows), rel_tol=1e-12)
    # the file's own percentages agree with the totals we read (6 significant digits)
    share = np.asarray(s.total_ms) / np.sum(s.total_ms) * 100
    assert np.allclose(share, [r["percentage"] for r in rows], rtol=1e-4, atol=1e-4)
    # per-layer sample counts: trtexec's averageMs = timeMs / samples
    for r, c in zip(rows, s.count, strict=True):
        if r["averageMs"] > 0:
            assert c == round(r["timeMs"] / r["averageMs"])


@pytest.mark.parametrize("folder", fixture_dirs())
def test_layer_info_is_joined_by_name(folder: Path) -> None:
    graph_path = file_ending(folder, ".graph.json")
    assert graph_path is not None
    graph = load(graph_path)
    rec = load_recording(folder)
    by_name = {layer.name: layer for layer in rec.layers}
    assert len(graph["Layers"]) == len(rec.layer_doc.layers) if rec.layer_doc else False
    for raw in graph["Layers"]:
        info = by_name[raw["Name"]]
        assert info.type == raw["LayerType"]
        assert info.tactic == raw.get("TacticName")
        assert info.origin == raw.get("Origin")
        assert len(info.inputs) == len(raw["Inputs"])
        assert [t.shape for t in info.outputs] == [tuple(t["Dimensions"]) for t in raw["Outputs"]]
        out = raw["Outputs"][0]
        assert info.output_precision == expected_precision(out.get("Format/Datatype") or out["DataType"])
    # every profiled layer of these recordings is in the layer info: no "missing" notice
    assert not any("missing from the layer info" in n for n in rec.notices)
    doc = parse_layer_info(graph_path.read_text())
    assert doc.schema == graph_layout(folder) and doc.detailed
    io = graph["Bindings"] if doc.schema == "10" else [t["Name"] for t in graph["I/O Tensors"]]
    assert [t.name for t in doc.io] == io
    assert {t.mode for t in doc.io} == {"input", "output"}


@pytest.mark.parametrize("folder", fixture_dirs())
def test_times_and_metadata(folder: Path) -> None:
    times_path = file_ending(folder, ".timing.json")
    meta_path = file_ending(folder, ".profile.metadata.json")
    assert times_path is not None and meta_path is not None
    times = load(times_path)
    meta = load(meta_path)
    source = open_recording(folder)
    batch = source.read(0.0)
    assert batch.finished
    assert np.array_equal(batch.latencies_ms, [t["latencyMs"] for t in times])
    start = min(t["startH2dMs"] for t in times)
    end = max(t["endD2hMs"] for t in times)
    assert batch.timing_wall_s == pytest.approx((end - start) / 1000.0)
    # trtexec's logged throughput is about count / that span (the log and the trace of the
    # fixtures differ by up to ~1.1%: the figure is parsed from trtexec's log, not the trace)
    tput = meta["performance_summary"]["Throughput"]
    assert len(times) / batch.timing_wall_s == pytest.approx(tput, rel=0.02)
    info = source.info
    assert info.kind == "recording"
    assert info.simulated is False
    assert info.device == meta["device_information"]["Selected Device"]
    assert info.extra["recording"] == f"recording of {info.device}, not live"
    assert info.label == f"{folder.name}/"
    # a second read has nothing more
    again = source.read(0.0)
    assert again.finished and again.summary is None and len(again.latencies_ms) == 0


@pytest.mark.parametrize("folder", fixture_dirs())
def test_each_file_opens_the_whole_recording(folder: Path) -> None:
    whole = load_recording(folder)
    for path in sorted(folder.glob("*.json")):
        rec = load_recording(path)
        assert rec.label == path.name
        assert set(rec.files) == set(whole.files), path.name
        assert rec.summary is not None and whole.summary is not None
        assert rec.summary.names == whole.summary.names


@pytest.mark.parametrize("folder", fixture_dirs())
def test_replay_through_a_session(folder: Path) -> None:
    source = open_recording(folder)
    update = replay(source)
    p = update.profile
    assert p.state == "finished"
    raw = load(file_ending(folder, ".profile.json"))  # type: ignore[arg-type]
    times = load(file_ending(folder, ".timing.json"))  # type: ignore[arg-type]
    assert p.layers_total.names == tuple(r["name"] for r in raw[1:])
    assert p.layers_total.iterations == raw[0]["count"]
    assert p.latency_total.count == len(times)
    lat = [t["latencyMs"] for t in times]
    assert p.latency_total.mean == pytest.approx(float(np.mean(lat)))
    assert p.latency_total.min == min(lat) and p.latency_total.max == max(lat)
    assert p.info.layers[0].name == raw[1]["name"]


def test_subsets_and_file_names_do_not_matter(tmp_path: Path) -> None:
    """Files are recognised by content: renamed copies (outside the repo) still load, alone or in
    any combination."""
    folder = need_fixtures()[0]
    kinds = {".profile.json": "p.json", ".graph.json": "g.json", ".timing.json": "t.json"}
    for ending, new in kinds.items():
        src = file_ending(folder, ending)
        assert src is not None
        shutil.copy(src, tmp_path / new)
    rec = load_recording(tmp_path)
    assert set(rec.files) == {"profile", "layer_info", "times"}
    assert rec.summary is not None and rec.times is not None and rec.layer_doc is not None
    for name in kinds.values():
        alone = tmp_path / "alone"
        alone.mkdir()
        shutil.copy(tmp_path / name, alone / "whatever.json")
        one = load_recording(alone / "whatever.json")
        assert len(one.files) == 1
        shutil.rmtree(alone)
    graph_only = load_recording(tmp_path / "g.json")  # siblings p/t have other stems
    assert set(graph_only.files) == {"layer_info"}
    assert graph_only.summary is not None
    assert graph_only.summary.iterations == 0
    assert np.isnan(graph_only.summary.mean_ms).all()
    assert any("layer times are unknown" in n for n in graph_only.notices)
