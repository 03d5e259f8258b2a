"""The layer-info parser: names-only and detailed forms, TensorRT 10's and 11's layouts."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from recording_support import file_ending, fixture_dirs, load

from trtui.common.errors import UserError
from trtui.engine_info.layer_info import onnx_nodes, parse_layer, parse_layer_info
from trtui.engine_info.layer_info_writer import layer_to_json
from trtui.engine_info.layer_tensors import normalise_dtype

TRT11 = {
    "Layers": [
        {
            "Name": "/conv1/Conv + /relu/Relu",
            "LayerType": "CaskConvolution",
            "Inputs": [
                {
                    "Name": "input",
                    "Location": "Device",
                    "Dimensions": [1, 3, 224, 224],
                    "Format": "Channel major format where channel % 4 == 0",
                    "DataType": "Half",
                }
            ],
            "Outputs": [
                {
                    "Name": "/relu/Relu_output_0",
                    "Location": "Device",
                    "Dimensions": [1, 64, 112, 112],
                    "Format": "Channel major format where channel % 8 == 0",
                    "DataType": "Half",
                }
            ],
            "TacticName": "sm90_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc_tilesize128x64x64",
            "Metadata": "[ONNX Layer: /conv1/Conv]\u001e[ONNX Layer: /relu/Relu]",
            "StreamId": 1,
            "Kernel": [7, 7],
        },
        {
            "Name": "/fc/Gemm",
            "LayerType": "gemm",
            "Inputs": [{"Name": "/relu/Relu_output_0", "Dimensions": [1, 64, 112, 112], "Datatype": "Half"}],
            "Outputs": [
                {
                    "Name": "logits",
                    "Dimensions": [1, 1000],
                    "Datatype": "Float",
                    "Format": "Row major linear FP32 format (kLINEAR)",
                }
            ],
        },
    ],
    "I/O Tensors": [
        {
            "Name": "input",
            "IOMode": "Input",
            "DataType": "Float",
            "Dimensions": [-1, 3, 224, 224],
            "Location": "Device",
            "IsShapeInferenceIO": False,
            "ProfileInfo": [
                {
                    "MinShape": [1, 3, 224, 224],
                    "OptShape": [8, 3, 224, 224],
                    "MaxShape": [32, 3, 224, 224],
                    "Format": "Row major linear FP32 format (kLINEAR)",
                }
            ],
        },
        {
            "Name": "logits",
            "IOMode": "Output",
            "DataType": "Float",
            "Dimensions": [-1, 1000],
            "Location": "Device",
            "IsShapeInferenceIO": False,
        },
    ],
}


def test_names_only_form() -> None:
    doc = parse_layer_info('{"Layers": ["conv1 + relu", "pool", "fc"], "Bindings": ["input", "out"]}')
    assert [layer.name for layer in doc.layers] == ["conv1 + relu", "pool", "fc"]
    assert all(layer.type is None and layer.precision is None for layer in doc.layers)
    assert not doc.detailed
    assert doc.schema == "10"
    assert [t.name for t in doc.io] == ["input", "out"]
    assert all(t.mode is None for t in doc.io)  # names only: nothing says which is which


def test_trt11_split_format_and_io_tensors() -> None:
    doc = parse_layer_info(json.dumps(TRT11))
    assert doc.schema == "11" and doc.detailed
    conv, gemm = doc.layers
    assert conv.precision == "FP16"
    assert conv.inputs[0].dtype == "FP16"
    assert conv.inputs[0].format == "Channel major format where channel % 4 == 0"
    assert conv.onnx_nodes == ("/conv1/Conv", "/relu/Relu")
    assert conv.stream_id == 1
    assert conv.params == {"Kernel": [7, 7]}
    # computes in its input's type, writes FP32 ("Datatype" spelling accepted too)
    assert (gemm.precision, gemm.output_precision) == ("FP16", "FP32")
    inp, out = doc.io
    assert (inp.mode, inp.dtype, inp.shape, inp.opt_shapes) == (
        "input",
        "FP32",
        (-1, 3, 224, 224),
        ((8, 3, 224, 224),),
    )
    assert inp.format == "Row major linear FP32 format (kLINEAR)"
    assert (out.mode, out.shape) == ("output", (-1, 1000))


def test_one_layer_as_the_inspector_returns_it() -> None:
    assert parse_layer_info('"conv1 + relu"').layers[0].name == "conv1 + relu"
    one = parse_layer_info(json.dumps(TRT11["Layers"][0]))
    assert one.layers[0].type == "CaskConvolution" and one.detailed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Half", "FP16"),
        ("kHALF", "FP16"),
        ("DataType.HALF", "FP16"),
        ("Float", "FP32"),
        ("kINT8", "INT8"),
        ("BFloat16", "BF16"),
        ("FP8", "FP8"),
        ("Int64", "INT64"),
        ("Bool", "BOOL"),
        ("Four wide channel vectorized row major Int8 format", "INT8"),
        ("Channel major FP16 format where channel % 8 == 0", "FP16"),
        ("no type here", None),
    ],
)
def test_dtype_spellings(text: str, expected: str | None) -> None:
    assert normalise_dtype(text) == expected


def test_metadata_separators_and_wrappers() -> None:
    assert onnx_nodes("[ONNX Layer: a]\u001f[ONNX Layer: b]\u001e c ") == ("a", "b", "c")
    assert onnx_nodes(None) == ()
    assert onnx_nodes("") == ()


def test_precision_is_the_most_common_output_type() -> None:
    layer = parse_layer(
        {
            "Name": "split",
            "Outputs": [
                {"Name": "a", "Format/Datatype": "Row major linear FP32"},
                {"Name": "b", "Format/Datatype": "Row major linear FP16 format"},
                {"Name": "c", "Format/Datatype": "Row major linear FP16 format"},
            ],
        }
    )
    assert layer.precision == "FP16"


@pytest.mark.parametrize(
    "bad",
    [
        '{"Layers": 5}',
        '{"Layers": [null]}',
        '{"Layers": [{"Name": 7}]}',
        '{"Layers": [{"Name": "a", "Inputs": "x"}]}',
        '{"Layers": [{"Name": "a", "Outputs": [{"Name": "t", "Dimensions": ["x"]}]}]}',
        '{"Layers": [], "Bindings": [1]}',
        '{"Layers": [], "I/O Tensors": [5]}',
        '{"x": 1}',
        "[1, 2]",
        "{bad json",
        '{"Layers": [{"Name": "a", "StreamId": "one"}]}',
        b"\xff\xfe",
    ],
)
def test_bad_layer_info_is_a_user_error(bad: str | bytes) -> None:
    with pytest.raises(UserError):
        parse_layer_info(bad)


@pytest.mark.parametrize("folder", fixture_dirs())
def test_writer_is_the_inverse_of_the_parser(folder: Path) -> None:
    raw = load(file_ending(folder, ".graph.json"))  # type: ignore[arg-type]
    doc = parse_layer_info(raw)
    for layer, original in zip(doc.layers, raw["Layers"], strict=True):
        written = layer_to_json(layer)
        again = parse_layer(written)
        if doc.schema == "10":
            assert again == layer
            assert written == original  # same keys and values as trtexec wrote
        else:  # written in 10's layout: the format strings gain the data type, nothing else changes
            assert dataclasses.replace(again, inputs=(), outputs=()) == dataclasses.replace(
                layer, inputs=(), outputs=()
            )
            assert [(t.name, t.shape, t.dtype) for t in again.outputs] == [
                (t.name, t.shape, t.dtype) for t in layer.outputs
            ]
