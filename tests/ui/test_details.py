"""A layer's details (trtui.ui.details): the text, the nsys commands for fused Myelin blocks,
the bounded history."""

from __future__ import annotations

import shlex

from layer_tables import INFOS

from trtui.core.model import LayerInfo, SourceInfo, TensorInfo
from trtui.ui.details import HistoryPoint, LayerHistory, details_text, is_fused_myelin, nsys_commands


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
