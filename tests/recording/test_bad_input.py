"""Bad recordings: one-line UserErrors for what cannot be read, notices for what can be worked
around (the rest of the recording stays usable)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from recording_support import file_ending, need_fixtures

from trtui.common.errors import UserError
from trtui.recording.files import detect_kind
from trtui.recording.loader import load_recording
from trtui.recording.readers import dedupe_names, parse_profile, parse_times
from trtui.recording.source import open_recording

PROFILE = [
    {"count": 10},
    {"name": "conv1", "timeMs": 1.0, "averageMs": 0.1, "medianMs": 0.1, "percentage": 50.0},
    {"name": "conv2", "timeMs": 1.0, "averageMs": 0.1, "medianMs": 0.1, "percentage": 50.0},
]


def write(path: Path, obj: object) -> Path:
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def one_line_error(path: Path) -> str:
    with pytest.raises(UserError) as info:
        open_recording(path)
    msg = str(info.value)
    assert "\n" not in msg and msg
    return msg


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('[{"count": 10}, {"name": "conv1", "timeMs": ', "ends early"),
        ('[{"count": 10}, {"name": "conv1" "timeMs": 1}]', "malformed JSON"),
        ("", "empty"),
        ("[]", "not a trtexec export"),
        ('{"hello": 1}', "not a trtexec export"),
        ("[1, 2, 3]", "not a trtexec export"),
        ('[{"count": 10}]', "no layers"),
        ('[{"count": "ten"}, {"name": "a", "timeMs": 1}]', "count is a string"),
        ('[{"count": 3}, {"name": "a", "timeMs": "x", "averageMs": 1}]', "timeMs is a string"),
        ('[{"count": 3}, {"name": 5, "timeMs": 1, "averageMs": 1}]', "name is a number"),
        ('[{"count": 3}, {"name": "a", "timeMs": -1, "averageMs": 1}]', "expected a number >= 0"),
        ('[{"count": 3}, {"name": "a", "timeMs": true, "averageMs": 1}]', "boolean"),
        ('[{"latencyMs": "slow"}]', "latencyMs is a string"),
        ('[{"latencyMs": 1.0}, {"computeMs": 1.0}]', "no latencyMs"),
        ('{"Layers": [{"Name": 7}]}', "Name"),
        ('{"performance_summary": [1]}', "performance_summary"),
        ('{"schema": "trtui.summary/1", "layers": 7}', "'layers' is a number"),
        ('{"schema": "trtui.summary/9"}', "newer"),
        ("\u00ff\u00fe garbage", "malformed JSON"),
    ],
)
def test_bad_single_file(tmp_path: Path, content: str, words: str) -> None:
    msg = one_line_error(write(tmp_path / "rec.json", content))
    assert words in msg, msg
    assert "rec.json" in msg


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b"\x00\xff\x10" * 100)
    assert "UTF-8" in one_line_error(path)


def test_truncated_fixture(tmp_path: Path) -> None:
    folder = need_fixtures()[0]
    for ending in (".profile.json", ".graph.json", ".timing.json"):
        data = file_ending(folder, ending).read_bytes()  # type: ignore[union-attr]
        path = tmp_path / f"cut{ending}"
        path.write_bytes(data[: len(data) // 2])
        msg = one_line_error(path)
        assert "truncated" in msg, msg


def test_metadata_alone_is_not_a_recording(tmp_path: Path) -> None:
    folder = need_fixtures()[0]
    meta = file_ending(folder, ".profile.metadata.json")
    assert meta is not None
    shutil.copy(meta, tmp_path / "only.profile.metadata.json")
    assert "holds only run metadata" in one_line_error(tmp_path / "only.profile.metadata.json")


def test_empty_folder_and_folder_of_junk(tmp_path: Path) -> None:
    assert "no .json files" in one_line_error(tmp_path)
    write(tmp_path / "a.json", '{"x": 1}')
    assert "not a trtexec export" in one_line_error(tmp_path)


def test_bad_sibling_is_a_notice_not_an_error(tmp_path: Path) -> None:
    write(tmp_path / "m.engine.profile.json", PROFILE)
    write(tmp_path / "m.engine.timing.json", '[{"latencyMs": "slow"}]')
    write(tmp_path / "m.engine.graph.json", '{"Layers": [')
    src = open_recording(tmp_path / "m.engine.profile.json")
    batch = src.read(0)
    assert batch.summary is not None and batch.summary.names == ("conv1", "conv2")
    assert len(batch.latencies_ms) == 0
    joined = " | ".join(batch.notices)
    assert "m.engine.timing.json" in joined and "latencyMs is a string" in joined
    assert "m.engine.graph.json" in joined and "ends early" in joined


def test_folder_whose_only_profile_is_bad_reports_it(tmp_path: Path) -> None:
    write(tmp_path / "m.profile.json", '[{"count": 10}, {"name": ')
    write(tmp_path / "m.times.json", '[{"latencyMs": "slow"}]')
    msg = one_line_error(tmp_path)
    assert "m.profile.json" in msg or "m.times.json" in msg


def test_two_recordings_in_one_folder(tmp_path: Path) -> None:
    write(tmp_path / "a.profile.json", PROFILE)
    write(tmp_path / "b.profile.json", PROFILE)
    msg = one_line_error(tmp_path)
    assert "several recordings" in msg and "a" in msg and "b" in msg
    # naming one of the files picks that recording
    assert open_recording(tmp_path / "a.profile.json").info.label == "a.profile.json"


def test_layers_missing_from_the_layer_info_warn(tmp_path: Path) -> None:
    write(tmp_path / "m.profile.json", PROFILE)
    write(tmp_path / "m.graph.json", {"Layers": [{"Name": "conv1", "LayerType": "CaskConvolution"}, "extra"]})
    rec = load_recording(tmp_path / "m.profile.json")
    notes = " | ".join(rec.notices)
    assert "1 of 2 profiled layers are missing from the layer info ('conv2')" in notes
    assert "1 layer(s) of the layer info have no time in the profile ('extra')" in notes
    assert rec.layers[0].type == "CaskConvolution"
    assert rec.layers[1].name == "conv2" and rec.layers[1].type is None
    assert rec.summary is not None and rec.summary.names == ("conv1", "conv2")


def test_profile_suffix_and_duplicate_names_join(tmp_path: Path) -> None:
    profile = [
        {"count": 4},
        {"name": "conv [profile 1]", "timeMs": 4.0, "averageMs": 1.0, "medianMs": 1.0, "percentage": 40.0},
        {"name": "copy", "timeMs": 2.0, "averageMs": 0.5, "medianMs": 0.5, "percentage": 20.0},
        {"name": "copy", "timeMs": 4.0, "averageMs": 1.0, "medianMs": 1.0, "percentage": 40.0},
    ]
    graph = {
        "Layers": [
            {"Name": "conv", "LayerType": "CaskConvolution"},
            {"Name": "copy", "LayerType": "Reformat", "Origin": "first"},
            {"Name": "copy", "LayerType": "Reformat", "Origin": "second"},
        ]
    }
    write(tmp_path / "m.profile.json", profile)
    write(tmp_path / "m.graph.json", graph)
    rec = load_recording(tmp_path / "m.profile.json")
    assert rec.summary is not None
    assert rec.summary.names == ("conv [profile 1]", "copy", "copy (#2)")
    assert [layer.name for layer in rec.layers] == ["conv [profile 1]", "copy", "copy (#2)"]
    assert rec.layers[0].type == "CaskConvolution"
    assert [layer.origin for layer in rec.layers[1:]] == ["first", "second"]
    notes = " | ".join(rec.notices)
    assert "optimization profiles 0, 1" in notes and "repeated layer name" in notes


def test_trtexec_bare_nan_is_repaired(tmp_path: Path) -> None:
    text = (
        '[\n  { "count" : 3 }\n, { "name" : "a", "timeMs" : 0, "averageMs" : 0, "medianMs" : 0, '
        '"percentage" : -nan }\n]\n'
    )
    src = open_recording(write(tmp_path / "z.profile.json", text))
    batch = src.read(0)
    assert batch.summary is not None and batch.summary.names == ("a",)
    assert any("nan" in n for n in batch.notices)


def test_profile_without_count_header_and_without_median() -> None:
    p = parse_profile(
        [{"name": "a", "timeMs": 3.0, "averageMs": 1.0}, {"name": "b", "timeMs": 0.0, "averageMs": 0.0}]
    )
    assert p.iterations == 3 and not p.has_count_header
    assert list(p.count) == [3, 3]
    assert np.isnan(p.median_ms).all()


def test_layers_seen_in_some_iterations_keep_their_own_count() -> None:
    p = parse_profile(
        [
            {"count": 100},
            {"name": "a", "timeMs": 10.0, "averageMs": 0.1},
            {"name": "cond", "timeMs": 5.0, "averageMs": 0.5},
        ]
    )
    assert list(p.count) == [100, 10]


def test_times_wall_span_without_stamps_is_back_to_back() -> None:
    t = parse_times([{"latencyMs": 1.0}, {"latencyMs": 3.0}])
    assert t.wall_s == pytest.approx(0.004)


def test_dedupe_never_collides() -> None:
    names, renamed = dedupe_names(["a", "a", "a (#2)"])
    assert len(set(names)) == 3 and renamed == 1


def test_detection_is_by_content() -> None:
    assert detect_kind(PROFILE) == "profile"
    assert detect_kind([{"latencyMs": 1.0}]) == "times"
    assert detect_kind({"Layers": []}) == "layer_info"
    assert detect_kind({"performance_summary": {}}) == "profile_metadata"
    assert detect_kind({"build_options": {}}) == "build_metadata"
    assert detect_kind([{"Name": "GPU", "ComputeCapability": [8, 0]}]) == "device_metadata"
    assert detect_kind({"schema": "trtui.summary/1"}) == "summary"
    for other in ([], {}, [1], "x", 3, None, [{"a": 1}], {"Layers": 3}):
        assert detect_kind(other) is None


@pytest.mark.parametrize(
    "make",
    [
        lambda d: d / "missing.json",
        lambda d: write(d / "bad.json", '[{"count": 10}, {"name": "conv1", "timeMs": '),
        lambda d: write(d / "summary.json", '{"schema": "trtui.summary/1", "layers": 7}'),
        lambda d: write(d / "x.txt", "[1, 2, 3]"),
        lambda d: (d / "empty").mkdir() or d / "empty",
    ],
    ids=["missing", "truncated", "bad-summary", "not-trtexec", "empty-folder"],
)
def test_replay_and_analyze_refuse_an_input_with_the_same_error(tmp_path: Path, make: object) -> None:
    """One loader: the live replay and analyze/compare share the dispatch and its errors."""
    from trtui.recording.runs import load_run

    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(UserError) as info:
        load_run(path)
    assert str(info.value) == one_line_error(path)


def test_one_dispatch_for_recordings_and_summaries(tmp_path: Path) -> None:
    from trtui.recording.inputs import SummaryFile, load_input
    from trtui.recording.loader import Recording

    profile = write(tmp_path / "m.profile.json", PROFILE)
    loaded = load_input(profile)
    assert isinstance(loaded, Recording) and loaded.summary is not None
    assert list(loaded.summary.names) == ["conv1", "conv2"]
    assert isinstance(load_input(tmp_path), Recording)
    summary = write(tmp_path / "s.json", {"schema": "trtui.summary/1", "label": "x", "layers": []})
    as_summary = load_input(summary)
    assert isinstance(as_summary, SummaryFile) and as_summary.path == summary
