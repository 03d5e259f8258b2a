"""Cross-engine matching: engines from different exports of one network (FP16 vs QAT ResNet-like
layer lists written here, and the real recordings where ../shared has them)."""

from __future__ import annotations

import numpy as np
import pytest
from recording_support import FIXTURES, need_shared

from trtui.analysis.compare import compare
from trtui.analysis.matching import HOW_NODE, HOW_SEQUENCE, match_layers
from trtui.analysis.report import comparison_text
from trtui.analysis.run import RunData
from trtui.core.model import LayerInfo, LayerSummaryTable, TensorInfo, frozen_array
from trtui.recording.runs import load_run
from trtui.stats.layers import LayerAggregator

Row = tuple[str, str, list[str], str, str | None, float]  # name, type, input dtypes, out, tactic, ms


def _run(label: str, rows: list[Row]) -> RunData:
    names = tuple(r[0] for r in rows)
    mean = frozen_array([r[5] for r in rows])
    agg = LayerAggregator()
    ones = frozen_array(np.ones(len(rows), np.int64), np.int64)
    agg.set_summary(LayerSummaryTable(names, ones, mean, mean, mean, 1))  # type: ignore[arg-type]
    infos = {}
    for k, (name, ltype, ins, out, tactic, _) in enumerate(rows):
        infos[name] = LayerInfo(
            name, ltype, precision=ins[0] if ins else out, tactic=tactic,
            inputs=tuple(
                TensorInfo(f"t{k - 1}" if i == 0 else f"res{k}", dtype=d) for i, d in enumerate(ins)
            ),
            outputs=(TensorInfo(f"t{k}", (1, 64, 56, 56), out),),
            output_precision=out,
        )
    return RunData(label, agg.total(), infos)


F16 = "sm80_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc"
I8 = "sm80_xmma_fprop_implicit_gemm_interleaved_i8i8_i8i32_f32_nchw"
I8F16 = "sm80_xmma_fprop_implicit_gemm_interleaved_i8f16_i8i32_f32_nchw"

FP16_ENGINE: list[Row] = [
    ("Reformatting CopyNode for Input Tensor 0 to Conv_0 + Relu_1", "Reformat", ["FP32"], "FP16", None, 0.08),
    ("Conv_0 + Relu_1", "CaskConvolution", ["FP16"], "FP16", F16, 0.11),
    ("MaxPool_2", "CudaPooling", ["FP16"], "FP16", None, 0.06),
    ("Conv_3 + Relu_4", "CaskConvolution", ["FP16"], "FP16", F16, 0.05),
    ("Conv_5 + Add_6 + Relu_7", "CaskConvolution", ["FP16", "FP16"], "FP16", F16, 0.05),
    ("GlobalAveragePool_8", "CaskPooling", ["FP16"], "FP16", None, 0.01),
    ("Gemm_9", "CaskConvolution", ["FP16"], "FP16", F16, 0.01),
]
QAT_ENGINE: list[Row] = [
    ("QuantizeLinear_2", "Reformat", ["FP32"], "INT8", None, 0.06),
    ("conv1.weight + QuantizeLinear_7 + Conv_9", "CaskConvolution", ["INT8"], "FP32", I8F16, 0.20),
    ("MaxPool_12", "TiledPooling", ["FP32"], "FP32", None, 0.09),
    ("QuantizeLinear_15", "Reformat", ["FP32"], "INT8", None, 0.03),
    ("layer1.0.conv1.weight + QuantizeLinear_20 + Conv_22", "CaskConvolution", ["INT8"], "INT8", I8, 0.03),
    ("layer1.0.conv2.weight + QuantizeLinear_32 + Conv_34 + Add_36 + Relu_37", "CaskConvolution",
     ["INT8", "FP16"], "FP16", I8F16, 0.04),
    ("GlobalAveragePool_246", "TiledPooling", ["FP16"], "FP16", None, 0.01),
    ("QuantizeLinear_250", "Reformat", ["FP16"], "INT8", None, 0.01),
    ("fc.weight + QuantizeLinear_255 + Gemm_257", "CaskConvolution", ["INT8"], "FP32", I8F16, 0.01),
]


def test_fp16_and_qat_exports_match_by_sequence_with_quantize_layers_grouped() -> None:
    a, b = _run("fp16", FP16_ENGINE), _run("qat", QAT_ENGINE)
    c = compare(a, b)
    assert [(d.name, d.b_name) for d in c.layers] == [
        ("Conv_0 + Relu_1", "conv1.weight + QuantizeLinear_7 + Conv_9"),
        ("MaxPool_2", "MaxPool_12"),
        ("Conv_3 + Relu_4", "layer1.0.conv1.weight + QuantizeLinear_20 + Conv_22"),
        ("Conv_5 + Add_6 + Relu_7", "layer1.0.conv2.weight + QuantizeLinear_32 + Conv_34 + Add_36 + Relu_37"),
        ("GlobalAveragePool_8", "GlobalAveragePool_246"),
        ("Gemm_9", "fc.weight + QuantizeLinear_255 + Gemm_257"),
    ]
    assert {d.how for d in c.layers} == {HOW_SEQUENCE}
    first = c.layers[0]
    assert first.a_members == ("Reformatting CopyNode for Input Tensor 0 to Conv_0 + Relu_1",)
    assert first.b_members == ("QuantizeLinear_2",)
    assert first.a_ms == pytest.approx(0.08 + 0.11) and first.b_ms == pytest.approx(0.06 + 0.20)
    # the quantize layer feeding layer1.0.conv1 travels with that convolution
    assert c.layers[2].b_members == ("QuantizeLinear_15",)
    assert c.only_a == () and c.only_b == ()
    assert c.matched_pct_a == pytest.approx(100.0) and c.matched_pct_b == pytest.approx(100.0)
    assert not any(n.startswith("warning") for n in c.notices)
    # precision changes show what the layers compute in, and the output type where it differs
    labels = {d.name: (d.a_label, d.b_label) for d in c.precision_changes}
    assert labels["Conv_0 + Relu_1"] == ("FP16", "INT8→FP32")
    assert labels["Conv_5 + Add_6 + Relu_7"] == ("FP16", "INT8→FP16")


def test_residual_adds_are_listed_with_their_precision_and_input_types() -> None:
    c = compare(_run("fp16", FP16_ENGINE), _run("qat", QAT_ENGINE))
    (row,) = [r for r in c.residuals if r.a_name == "Conv_5 + Add_6 + Relu_7"]
    assert row.b_name is not None and "Add_36" in row.b_name
    assert (row.a_precision, row.a_inputs) == ("FP16", "FP16+FP16")
    assert (row.b_precision, row.b_inputs) == ("INT8→FP16", "INT8+FP16")
    text = comparison_text(c)
    assert "Element-wise / residual Add layers: 1" in text
    assert "INT8+FP16" in text


def test_text_keeps_full_layer_names() -> None:
    long_name = "layer1.0.conv2.weight + QuantizeLinear_32 + Conv_34 + Add_36 + Relu_37"
    text = comparison_text(compare(_run("fp16", FP16_ENGINE), _run("qat", QAT_ENGINE)))
    assert long_name in text
    assert "…" not in text


def test_less_than_half_matched_is_one_warning_line() -> None:
    convs: list[Row] = [(f"conv{i}", "CaskConvolution", ["FP16"], "FP16", F16, 1.0) for i in range(4)]
    pools: list[Row] = [(f"pool{i}", "CudaPooling", ["FP16"], "FP16", None, 1.0) for i in range(4)]
    c = compare(_run("a", convs), _run("b", pools[:1] + convs[:1]))
    # A: 1 of 4 ms matched (conv0 by name); B: 1 of 2
    assert c.matched_pct_a == pytest.approx(25.0) and c.matched_pct_b == pytest.approx(50.0)
    warnings = [n for n in c.notices if n.startswith("warning")]
    assert len(warnings) == 1 and "\n" not in warnings[0] and "A 25%" in warnings[0]
    assert "B" not in warnings[0].split(":")[1].split(")")[0]  # B is at 50%: not under half
    assert len(c.only_a) == 3 and [o.name for o in c.only_b] == ["pool0"]


def test_onnx_node_names_pair_layers_and_keep_engine_order() -> None:
    def info(name: str, nodes: tuple[str, ...]) -> LayerInfo:
        return LayerInfo(name, "CaskConvolution", onnx_nodes=nodes)

    a = {"x1": info("x1", ("/conv1/Conv",)), "x2": info("x2", ("/conv2/Conv",)), "x3": info("x3", ("/c3",))}
    b = {"y1": info("y1", ("/conv1/Conv", "/q1")), "y2": info("y2", ("/conv2/Conv",)), "y3": info("y3", ())}
    m = match_layers(list(a), a.get, list(b), b.get)
    assert [(p.a, p.b, p.how) for p in m.pairs] == [
        ("x1", "y1", HOW_NODE), ("x2", "y2", HOW_NODE), ("x3", "y3", HOW_SEQUENCE)
    ]
    # a node pairing that would cross the engine order is not made
    b_swapped = {"y1": info("y1", ("/conv2/Conv",)), "y2": info("y2", ("/conv1/Conv",))}
    m = match_layers(["x1", "x2"], a.get, list(b_swapped), b_swapped.get)
    assert sum(p.how == HOW_NODE for p in m.pairs) == 1


def test_names_only_layers_match_by_name_kind() -> None:
    m = match_layers(["Conv_0", "MaxPool_1", "Conv_2"], lambda n: None, ["conv1 + Conv_9", "MaxPool_12"],
                     lambda n: None)
    assert [(p.a, p.b) for p in m.pairs] == [("Conv_0", "conv1 + Conv_9"), ("MaxPool_1", "MaxPool_12")]
    assert m.only_a == ("Conv_2",)


def test_real_fp16_and_qat_recordings_match_most_of_the_time() -> None:
    need_shared()
    a = load_run(FIXTURES / "resnet18-a100-fp16")
    b = load_run(FIXTURES / "resnet18-a100-qat")
    c = compare(a, b)
    assert c.matched_pct_a is not None and c.matched_pct_a >= 90.0
    assert c.matched_pct_b is not None and c.matched_pct_b >= 90.0
    assert len(c.precision_changes) >= 20  # every convolution went from FP16 to INT8
    assert all(d.a_precision == "FP16" for d in c.precision_changes if d.b_precision == "INT8")
    assert sum(1 for r in c.residuals if r.b_inputs == "INT8+FP16") == 8  # the fused shortcut Adds


async def test_the_comparison_screen_says_how_pairs_matched_and_lists_residual_adds() -> None:
    from trtui.ui.compare_app import CompareApp, CompareScreen

    c = compare(_run("fp16", FP16_ENGINE), _run("qat", QAT_ENGINE))
    app = CompareApp(c)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        layers = screen.query_one("#layer-table")
        rows = [[str(x) for x in layers.get_row_at(i)] for i in range(layers.row_count)]  # type: ignore[attr-defined]
        assert {r[7].split(" ")[0] for r in rows} == {"sequence"}
        assert any(r[7] == "sequence +1/1" for r in rows)  # a reformat and a quantize grouped in
        changes = screen.query_one("#change-table")
        kinds = [str(changes.get_row_at(i)[1]) for i in range(changes.row_count)]  # type: ignore[attr-defined]
        assert kinds.count("element-wise") == 1
        await pilot.press("q")


def test_the_warning_is_one_line_of_the_text_report() -> None:
    convs: list[Row] = [(f"conv{i}", "CaskConvolution", ["FP16"], "FP16", F16, 1.0) for i in range(4)]
    pools: list[Row] = [(f"pool{i}", "CudaPooling", ["FP16"], "FP16", None, 1.0) for i in range(4)]
    text = comparison_text(compare(_run("a", convs), _run("b", pools)))
    warnings = [line for line in text.splitlines() if "warning" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: less than half the layer time is matched")
