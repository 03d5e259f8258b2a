"""compare(a, b): joins by name, deltas, unmatched layers, precision/tactic changes; inputs are
recordings (files or folders) and trtui summaries; `trtui compare` / `trtui analyze` headless."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from recording_support import file_ending, load, need_fixtures, need_shared, replay
from shared_support import missing_shared

from trtui.analysis.compare import compare, comparison_dict
from trtui.analysis.run import RunData, run_from_update
from trtui.cli import main
from trtui.core.model import LayerInfo
from trtui.recording.runs import load_run
from trtui.recording.source import open_recording
from trtui.recording.summary import summary_dict
from trtui.stats.snapshot import LatencyStats


def two_fixtures() -> tuple[Path, Path]:
    dirs = need_shared()
    fp16 = [d for d in dirs if "fp16" in d.name]
    fp32 = [d for d in dirs if "fp32" in d.name]
    if not fp16 or not fp32:
        missing_shared("needs the resnet18 fp16 and fp32 fixture recordings")
    return fp16[0], fp32[0]


def profile_means(folder: Path) -> dict[str, float]:
    return {r["name"]: r["averageMs"] for r in load(file_ending(folder, ".profile.json"))[1:]}  # type: ignore[arg-type]


def graph_layers(folder: Path) -> dict[str, dict[str, object]]:
    return {x["Name"]: x for x in load(file_ending(folder, ".graph.json"))["Layers"]}  # type: ignore[arg-type]


def test_fp16_vs_fp32_against_the_files() -> None:
    a_dir, b_dir = two_fixtures()
    a_means, b_means = profile_means(a_dir), profile_means(b_dir)
    c = compare(load_run(a_dir), load_run(b_dir / "resnet.onnx.engine.timing.json"))
    common = [n for n in a_means if n in b_means]
    assert [d.name for d in c.layers] == common
    # layers without a namesake are grouped with the compute layer they serve, or listed
    grouped_a = [m for d in c.layers for m in d.a_members]
    grouped_b = [m for d in c.layers for m in d.b_members]
    assert sorted([o.name for o in c.only_a] + grouped_a) == sorted(n for n in a_means if n not in b_means)
    assert sorted([o.name for o in c.only_b] + grouped_b) == sorted(n for n in b_means if n not in a_means)
    assert grouped_a and grouped_b
    for d in c.layers:
        assert d.how == "name"
        assert d.a_ms == pytest.approx(a_means[d.name] + sum(a_means[m] for m in d.a_members))
        assert d.b_ms == pytest.approx(b_means[d.name] + sum(b_means[m] for m in d.b_members))
        if d.a_members or d.b_members:
            continue
        assert d.delta_ms == pytest.approx(b_means[d.name] - a_means[d.name])
    assert c.total.a == pytest.approx(sum(a_means.values()))
    assert c.total.b == pytest.approx(sum(b_means.values()))
    ga, gb = graph_layers(a_dir), graph_layers(b_dir)
    tactic_changed = {
        n
        for n in common
        if ga[n].get("TacticName") and gb[n].get("TacticName") and ga[n]["TacticName"] != gb[n]["TacticName"]
    }
    assert {d.name for d in c.tactic_changes} == tactic_changed
    assert {d.name for d in c.precision_changes} == {
        d.name for d in c.layers if d.a_precision == "FP16" and d.b_precision in ("FP32", "TF32")
    }
    assert len(c.precision_changes) > 0
    for g in c.by_type:
        assert g.a_ms == pytest.approx(sum(a_means[n] for n in a_means if ga[n]["LayerType"] == g.key))
        assert g.b_ms == pytest.approx(sum(b_means[n] for n in b_means if gb[n]["LayerType"] == g.key))
    a_lat = [t["latencyMs"] for t in load(file_ending(a_dir, ".timing.json"))]  # type: ignore[arg-type]
    mean = next(s for s in c.end_to_end if s.stat == "mean")
    assert mean.a == pytest.approx(float(np.mean(a_lat)))
    assert mean.delta == pytest.approx(mean.b - mean.a)  # type: ignore[operator]
    data = comparison_dict(c)
    json.dumps(data, allow_nan=False)
    assert data["schema"] == "trtui.compare/1"
    assert len(data["layers"]) == len(common)  # type: ignore[arg-type]


def test_a_run_against_itself_has_no_changes() -> None:
    for folder in need_fixtures():
        run = load_run(folder)
        c = compare(run, run)
        assert len(c.layers) == len(run.layers) and not c.only_a and not c.only_b
        assert all(d.delta_ms == 0 for d in c.layers)
        assert not c.precision_changes and not c.tactic_changes
        assert c.total.delta == 0
        assert all(s.delta == 0 for s in c.end_to_end)


def test_a_summary_compares_equal_to_its_recording(tmp_path: Path) -> None:
    """trtui.summary/1 files are read back: a recording's summary matches the recording."""
    folder = need_fixtures()[0]
    update = replay(open_recording(folder))
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary_dict(update)))
    from_summary = load_run(path)
    assert from_summary.origin == "summary"
    assert from_summary.device == update.profile.info.device
    c = compare(load_run(folder), from_summary)
    assert not c.only_a and not c.only_b
    assert all(d.delta_ms == 0 for d in c.layers)
    assert not c.precision_changes and not c.tactic_changes
    assert len(c.layers) == len(update.profile.layers_total)
    # and a summary opens as a source too (layer table; no per-inference times)
    batch = open_recording(path).read(0)
    assert batch.summary is not None and batch.summary.names == update.profile.layers_total.names
    assert any("trtui summary" in n for n in batch.notices)


def test_profile_suffix_pairs_layers() -> None:
    def run(names: list[str], prec: str) -> RunData:
        from trtui.core.model import LayerSummaryTable, frozen_array
        from trtui.stats.layers import LayerAggregator

        agg = LayerAggregator()
        n = len(names)
        ones = frozen_array(np.ones(n))
        agg.set_summary(
            LayerSummaryTable(
                tuple(names),
                frozen_array(np.ones(n, np.int64), np.int64),  # type: ignore[arg-type]
                ones,
                ones,
                ones,
                1,
            )
        )  # type: ignore[arg-type]
        return RunData(
            "x",
            agg.total(),
            {m: LayerInfo(m, precision=prec) for m in names},
            LatencyStats(3, mean=1.0),
            simulated=prec == "FP16",
        )

    c = compare(run(["conv", "pool"], "FP32"), run(["conv [profile 1]", "other"], "FP16"))
    assert [(d.name, d.b_name) for d in c.layers] == [("conv", "conv [profile 1]")]
    assert [o.name for o in c.only_a] == ["pool"] and [o.name for o in c.only_b] == ["other"]
    assert c.layers[0].precision_changed
    assert any("simulated" in n for n in c.notices)


def test_compare_cli_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_dir, b_dir = two_fixtures()
    out = tmp_path / "cmp.json"
    assert main(["compare", str(a_dir), str(b_dir), "--json", str(out), "--top", "3"]) == 0
    text = capsys.readouterr().out
    assert "A: resnet18-a100-fp16/" in text and "B: resnet18-a100-fp32/" in text
    assert "Largest per-layer changes (top 3" in text
    assert "Precision changed:" in text and "Only in A:" in text
    data = json.loads(out.read_text())
    assert data["schema"] == "trtui.compare/1"
    assert data["a"]["label"] == "resnet18-a100-fp16/"
    assert [p.name for p in tmp_path.iterdir()] == ["cmp.json"]  # atomic: no temp file left


def test_analyze_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = need_fixtures()[0]
    out = tmp_path / "a.json"
    assert main(["analyze", str(folder), "--top", "4", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    for title in (
        "Top layers",
        "Time by layer type",
        "Time by precision",
        "Time by tactic family",
        "Reformat layers:",
    ):
        assert title in text
    data = json.loads(out.read_text())
    assert len(data["hotspots"]) == 4
    assert data["layers"] == len(profile_means(folder))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["compare", "nowhere.json", "x"], "no such file"),
        (["compare", "A"], "two runs"),
        (["analyze", "nowhere"], "no such file"),
        (["compare", "a", "b", "--top", "-1"], "--top"),
    ],
)
def test_cli_errors_are_one_line(args: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]


def test_run_from_update_of_a_replay() -> None:
    update = replay(open_recording(need_fixtures()[0]))  # the real ones, else the project's own
    run = run_from_update(update)
    assert run.layers.names == update.profile.layers_total.names
    assert run.origin == "recording" and run.latency is not None
