"""The precision rule: what a layer computes in (tactic, weights, inputs), its output type beside it."""

from __future__ import annotations

import json

import pytest

from trtui.core.model import LayerInfo, TensorInfo
from trtui.core.precision import layer_label, precision_label, split_label, tactic_precision, with_rule
from trtui.engine_info.layer_info import parse_layer_info
from trtui.recording.source import precision_mix

VEC8 = "Thirty-two wide channel vectorized row major Int8 format"
VEC16 = "Thirty-two wide channel vectorized row major FP16 format"


def _layer(name: str, ins: list[str], outs: list[str], tactic: str = "", weights: str | None = None) -> dict:
    obj: dict = {
        "Name": name,
        "LayerType": "CaskConvolution",
        "Inputs": [{"Name": f"{name}:in{i}", "Dimensions": [1, 64, 56, 56], "Format/Datatype": f}
                   for i, f in enumerate(ins)],
        "Outputs": [
            {"Name": f"{name}:out", "Dimensions": [1, 64, 56, 56], "Format/Datatype": f} for f in outs
        ],
    }
    if tactic:
        obj["TacticName"] = tactic
    if weights:
        obj["Weights"] = f"{{'Type': '{weights}', 'Count': 9408}}"  # trtexec's Python-style string
    return obj


# The two layers of the issue (resnet18-a100-qat), as trtexec writes them.
CONV1 = _layer(
    "conv1.weight + QuantizeLinear_7 + Conv_9",
    ["Four wide channel vectorized row major Int8 format"],
    ["Row major linear FP32"],
    "ampere_fp32_icudnn_int8x4_128x64_relu_medium_nn_v1",
    "Int8",
)
L41 = _layer(
    "layer4.1.conv2.weight + QuantizeLinear_240 + Conv_242 + Add_244 + Relu_245",
    [VEC8, VEC16],
    [VEC16],
    "sm80_xmma_fprop_implicit_gemm_interleaved_i8f16_i8i32_f32_nchw_vect_c_32kcrs_vect_c_32_nchw_vect_c_32",
    "Int8",
)


def test_int8_convolutions_show_int8_with_their_output_type() -> None:
    doc = parse_layer_info(json.dumps({"Layers": [CONV1, L41]}))
    conv1, l41 = doc.layers
    assert (conv1.precision, conv1.output_precision) == ("INT8", "FP32")
    assert layer_label(conv1) == "INT8→FP32"
    assert (l41.precision, l41.output_precision) == ("INT8", "FP16")
    assert layer_label(l41) == "INT8→FP16"
    # the precision mix counts what the layers compute in
    assert precision_mix(doc.layers) == "INT8 100%"


@pytest.mark.parametrize(
    ("tactic", "expected"),
    [
        ("sm80_xmma_fprop_implicit_gemm_interleaved_i8i8_i8i32_f32_nchw_vect_c_32kcrs", "INT8"),
        ("sm80_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc_tilesize128x128x32", "FP16"),
        ("sm80_xmma_fprop_implicit_gemm_f32f32_tf32f32_f32_nhwckrsc_nhwc_tilesize128x128x16", "TF32"),
        ("ampere_h16816cudnn_128x128_ldg8_relu_exp_stages_64x3_large_nhwc_tn_v1", "FP16"),
        ("trt_turing_cutlass_image_network_first_layer_hmma_fprop_f16f16f32_nhwc_nhwc_k64r7s7c4", "FP16"),
        ("ampere_scudnn_128x64_relu_xregs_large_nn_v1", "FP32"),
        ("turing_fp16_i8816cudnn_int8_128x128_ldg16_relu_small_nt_v1", "INT8"),
        ("volta_int8x4_icudnn_int8x4_128x32_relu_xregs_medium_c32_nn_v1", "INT8"),
        ("some_plugin_kernel", None),
        (None, None),
    ],
)
def test_tactic_names_state_the_math_type(tactic: str | None, expected: str | None) -> None:
    assert tactic_precision(tactic) == expected


def test_without_a_telling_tactic_weights_then_inputs_decide() -> None:
    quant = _layer("q", ["Row major linear FP32"], ["Row major linear FP32"], "plugin", "Int8")
    reformat = _layer("QuantizeLinear_2", ["Row major linear FP32"], [VEC8])
    fp16_in = "Channel major FP16 format where channel % 8 == 0"
    plain = _layer("p", [fp16_in], ["Row major linear FP16 format"])
    doc = parse_layer_info(json.dumps({"Layers": [quant, reformat, plain]}))
    assert [layer_label(x) for x in doc.layers] == ["INT8→FP32", "FP32→INT8", "FP16"]


def test_label_round_trip_and_tf32() -> None:
    assert precision_label("TF32", "FP32") == "TF32"
    assert precision_label(None, "FP16") == "FP16"
    assert precision_label(None, None) is None
    assert split_label("INT8→FP32") == ("INT8", "FP32")
    assert split_label("INT8->FP16") == ("INT8", "FP16")
    assert split_label("FP16") == ("FP16", None)


def test_layers_built_in_code_follow_the_rule() -> None:
    info = LayerInfo(
        "reformat", "Reformat", precision="FP16",
        inputs=(TensorInfo("x", dtype="FP32"),), outputs=(TensorInfo("y", dtype="FP16"),),
    )
    fixed = with_rule(info)
    assert (fixed.precision, fixed.output_precision) == ("FP32", "FP16")
