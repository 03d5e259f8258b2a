"""The pure parts of the live screen: grouping, change, ordering, details text, panels text."""

from __future__ import annotations

import math
import shlex

import numpy as np
import pytest
from ui_driver import Driver

from trtui.common import format as fmt
from trtui.core.model import LayerInfo, SourceInfo, TensorInfo, frozen_array
from trtui.stats.groups import group_by_type
from trtui.stats.snapshot import LayerTable, TrendPoint
from trtui.telemetry.history import TelemetryEvent
from trtui.ui.details import HistoryPoint, LayerHistory, details_text, is_fused_myelin, nsys_commands
from trtui.ui.grouping import baseline_array, change_pct, placeholder_table
from trtui.ui.layer_order import order_for
from trtui.ui.panels import SPIKE_MARK, gpu_text, histogram_lines, latency_text, spike_marks


def table_of(names: list[str], means: list[float]) -> LayerTable:
    n = len(names)
    m = np.array(means, dtype=float)
    total = np.nan_to_num(m) * 10
    share = total / total.sum() * 100
    recent = np.tile(m, (3, 1))
    return LayerTable(
        names=tuple(names),
        count=frozen_array(np.full(n, 10), np.int64),
        last_ms=frozen_array(m),
        mean_ms=frozen_array(m),
        median_ms=frozen_array(m),
        p90_ms=frozen_array(m),
        p99_ms=frozen_array(m * 1.1),
        min_ms=frozen_array(m),
        max_ms=frozen_array(m),
        std_ms=frozen_array(np.zeros(n)),
        total_ms=frozen_array(total),
        share_pct=frozen_array(share),
        iterations=10,
        recent_ms=frozen_array(recent),
    )


INFOS = {
    "a": LayerInfo("a", type="Conv", precision="FP16"),
    "b": LayerInfo("b", type="Conv", precision="INT8"),
    "c": LayerInfo("c", type="Reformat", precision="FP16"),
    "d": LayerInfo("d", type=None),
}


def test_group_by_type_sums_members() -> None:
    t = table_of(["a", "b", "c", "d"], [1.0, 2.0, 0.5, 0.25])
    g = group_by_type(t, INFOS)
    assert g.table.names == ("Conv", "Reformat", "(unknown type)")
    assert g.sizes == (2, 1, 1)
    assert g.precisions == ("mixed", "FP16", "")
    assert np.allclose(g.table.mean_ms, [3.0, 0.5, 0.25])
    assert math.isclose(float(g.table.share_pct.sum()), 100.0)
    assert np.allclose(g.table.recent_ms[0], [3.0, 0.5, 0.25])


def test_change_pct_and_baseline() -> None:
    base = baseline_array(("a", "b", "c"), {"a": 1.0, "b": 0.0})
    out = change_pct(np.array([1.5, 1.0, 2.0]), base)
    assert out[0] == pytest.approx(50.0)
    assert math.isnan(out[1]) and math.isnan(out[2])  # zero baseline; not in the baseline


def test_order_for_sorts_descending_with_unknown_last_and_filters() -> None:
    t = table_of(["a", "b", "c", "d"], [1.0, math.nan, 3.0, 2.0])
    names = lambda o: [t.names[i] for i in o]  # noqa: E731
    assert names(order_for(t, INFOS, "mean", False, "")) == ["c", "d", "a", "b"]
    assert names(order_for(t, INFOS, "mean", True, "")) == ["a", "d", "c", "b"]
    assert names(order_for(t, INFOS, "type", False, "")) == ["d", "a", "b", "c"]
    assert names(order_for(t, INFOS, "mean", False, "conv")) == ["a", "b"]  # by type
    assert names(order_for(t, INFOS, "order", False, "C")) == ["a", "b", "c"]  # name 'c' or type 'Conv'
    delta = np.array([5.0, -1.0, math.nan, 0.0])
    assert names(order_for(t, INFOS, "delta", False, "", delta)) == ["a", "d", "b", "c"]


def test_placeholder_table_lists_layers_without_numbers() -> None:
    t = placeholder_table((INFOS["a"], INFOS["b"]))
    assert t.names == ("a", "b") and np.isnan(t.mean_ms).all()


def test_nsys_command_for_myelin_only() -> None:
    name = "{ForeignNode[/model/Conv_1.../model/Add_9]}"
    myelin = LayerInfo(name, type="Myelin")
    assert is_fused_myelin(myelin, name)
    assert not is_fused_myelin(INFOS["a"], "a")
    info = SourceInfo(kind="engine", label="m.plan", simulated=False, path="/x/m y.plan")
    capture, stats = nsys_commands(name, info)
    argv = shlex.split(capture)
    assert argv[:2] == ["nsys", "profile"] and "--cuda-graph-trace=node" in argv
    assert "--loadEngine=/x/m y.plan" in argv
    sargv = shlex.split(stats)
    assert f"--filter-nvtx={name}" in sargv  # the layer's NVTX range, quoted for the shell
    text = str(details_text(name, myelin, None, (), info, 100))
    assert capture in text and stats in text
    plain = str(details_text("a", INFOS["a"], None, (), info, 100))
    assert "nsys" not in plain


def test_details_text_lists_shapes_formats_and_onnx_nodes() -> None:
    info = LayerInfo(
        "L",
        type="CaskConvolution",
        tactic="sm90_xmma",
        inputs=(TensorInfo("x", (1, 3, 8, 8), "FP16", "Channel major FP16"),),
        outputs=(TensorInfo("y", (1, 16, 8, 8), "INT8"),),
        onnx_nodes=("Conv_0", "Relu_1"),
    )
    hist = (HistoryPoint(0.0, 1.0, 10.0, 1.2), HistoryPoint(1.0, 2.0, 20.0, 2.2))
    text = str(
        details_text(
            "L",
            info,
            {"mean": 2.0, "share": 20.0, "delta": 12.0},
            hist,
            SourceInfo("simulated", "s", True),
            80,
        )
    )
    for part in (
        "CaskConvolution",
        "sm90_xmma",
        "1x3x8x8",
        "Channel major FP16",
        "1x16x8x8",
        "Conv_0",
        "Relu_1",
        "+12.0%",
    ):
        assert part in text
    assert "share hist" in text and "2 refreshes" in text


def test_layer_history_is_bounded() -> None:
    h = LayerHistory(points=3, layers=2)
    for k in range(5):
        h.add("x", HistoryPoint(float(k), 1.0, 1.0, 1.0))
    assert [p.elapsed_s for p in h.get("x")] == [2.0, 3.0, 4.0]
    h.add("y", HistoryPoint(0.0, 1.0, 1.0, 1.0))
    h.add("z", HistoryPoint(0.0, 1.0, 1.0, 1.0))
    assert h.get("x") == () and len(h.get("z")) == 1


@pytest.mark.parametrize("width", [8, 20, 41])
def test_histogram_lines_fit_their_width(width: int) -> None:
    values = np.random.default_rng(0).normal(1.0, 0.05, 500)
    lines = histogram_lines(values, width, rows=3)
    assert len(lines) == 4 and all(len(line) == width for line in lines)
    assert histogram_lines(values[:1], width, rows=3) == []


def test_spike_marks_only_where_an_event_was_suspicious() -> None:
    trend = [TrendPoint(float(t), 1.0, 1.0, None) for t in range(6)]
    events = (
        TelemetryEvent(t=2.0, label="p99 jump", sample_t=2.0, suspicious=True),
        TelemetryEvent(t=4.0, label="p99 jump", sample_t=4.0, suspicious=False),
    )
    assert spike_marks(trend, events, 6) == f"  {SPIKE_MARK}   "
    assert spike_marks(trend, events, 4) == SPIKE_MARK + "   "  # the last 4 points
    assert spike_marks(trend, (), 6) == " " * 6


def test_panels_mark_a_throttle_spike(monkeypatch: pytest.MonkeyPatch) -> None:
    import trtui.sources.simulated as sim

    monkeypatch.setattr(sim, "THROTTLE_PERIOD_S", 6.0)
    monkeypatch.setattr(sim, "THROTTLE_LEN_S", 2.0)
    d = Driver()
    update = None
    for _ in range(40):
        update = d.step(0.25)
    assert update is not None and any(e.suspicious for e in update.events)
    lat = str(latency_text(update, 44))
    assert SPIKE_MARK in lat
    gpu = str(gpu_text(update, 44))
    assert "clock/thermal" in gpu and "SM clock" in gpu


def test_format_change() -> None:
    assert fmt.change(12.34) == "+12.3%"
    assert fmt.change(-3.0) == "-3.0%"
    assert fmt.change(250.0) == "+250%"
    assert fmt.change(float("nan")) == "-" and fmt.change(None) == "-"


def test_gpu_panel_shows_energy_per_inference_with_rail_and_window() -> None:
    d = Driver()
    first = d.step()
    assert "energy GPU collecting" in str(gpu_text(first, 60))  # under a second: no figure yet
    for _ in range(5):
        update = d.step()
    text = str(gpu_text(update, 60))
    assert update.energy is not None
    f = update.energy.figure("gpu")
    assert f is not None and f.inferences > 0
    assert "mJ/inf" in text and "inf/J" in text
    assert "simulated GPU power; integrated power; last 2.5 s" in text


@pytest.mark.parametrize("width", [30, 38, 44, 60, 80])
def test_no_gpu_panel_line_is_cut_at_any_width(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    import trtui.sources.simulated as sim

    monkeypatch.setattr(sim, "THROTTLE_PERIOD_S", 6.0)
    monkeypatch.setattr(sim, "THROTTLE_LEN_S", 2.0)
    d = Driver()
    for _ in range(40):
        update = d.step(0.25)
    text = gpu_text(update, width)
    lines = text.plain.split("\n")
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, too_long
    plain = " ".join(text.plain.split())
    tel = update.telemetry
    assert tel is not None and tel.mem_free_mib is not None
    assert fmt.mib(tel.mem_free_mib) + " free" in plain  # moved, not dropped
    assert "mJ/inf" in plain and "throttle" in plain and "temp" in plain
    if width >= 44:
        assert "integrated power; last" in plain
