"""The kernels block of the JSON summary and the lines `trtui profile` prints: a fused Myelin
block's kernels come with its ONNX nodes."""

from __future__ import annotations

import json

from kernel_support import build_capture

from trtui.core.model import LayerInfo
from trtui.kernels.aggregate import KernelAggregator
from trtui.kernels.attribute import attribute
from trtui.kernels.report import is_fused_block, kernel_lines, kernels_dict

BLOCK = "{ForeignNode[/enc/MatMul.../enc/Add_3]}"
LAYERS = [("conv", [4_000]), (BLOCK, [3_000, 2_000, 1_000])]
INFOS = {
    "conv": LayerInfo("conv", type="CaskConvolution", onnx_nodes=("Conv_0",)),
    BLOCK: LayerInfo(BLOCK, type="Myelin", onnx_nodes=("/enc/MatMul", "/enc/Softmax", "/enc/Add_3")),
}


def snapshot():  # type: ignore[no-untyped-def]
    agg = KernelAggregator()
    for _ in range(3):
        agg.add(attribute(build_capture(LAYERS), [n for n, _ in LAYERS], [0.005, 0.007]))
    snap = agg.snapshot()
    assert snap is not None
    return snap


def test_json_block_puts_onnx_nodes_beside_a_fused_blocks_kernels() -> None:
    d = kernels_dict(snapshot(), INFOS)
    json.dumps(d, allow_nan=False)  # strict JSON
    by = {lk["layer"]: lk for lk in d["layers"]}
    block = by[BLOCK]
    assert block["fused_block"] is True and block["onnx_nodes"] == list(INFOS[BLOCK].onnx_nodes)
    assert [k["short"] for k in block["kernels"]] == [f"{BLOCK}_k0", f"{BLOCK}_k1", f"{BLOCK}_k2"]
    assert block["gap_ms"] == 0.007 - block["kernel_sum_ms"]
    assert by["conv"]["fused_block"] is False
    assert d["captures"] == 3 and d["attribution"] == "nvtx" and d["simulated"] is False
    assert [f["family"] for f in d["families"]]
    assert kernels_dict(snapshot())["layers"][1]["onnx_nodes"] == []  # without layer details


def test_profile_lines_list_fused_blocks() -> None:
    lines = kernel_lines(snapshot(), 2, INFOS)
    text = "\n".join(lines)
    assert f"fused block {BLOCK}: 3 kernels" in text and "3 ONNX nodes" in text
    assert "fused block conv" not in text
    # engine top 2: conv_k0, block_k0; then the block's own top 2: k0, k1
    assert text.count(f"{BLOCK}_k0") == 2 and text.count(f"{BLOCK}_k1") == 1 and f"{BLOCK}_k2" not in text


def test_fused_block_detection() -> None:
    assert is_fused_block("x", LayerInfo("x", type="Myelin"))
    assert is_fused_block("{ForeignNode[a...b]}", None)
    assert not is_fused_block("conv1 + relu", LayerInfo("conv1 + relu", type="CaskConvolution"))
