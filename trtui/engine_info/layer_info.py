"""Parse TensorRT layer information: trtexec's `--exportLayerInfo` file and the engine inspector's
JSON (`IEngineInspector.get_engine_information(JSON)` / `get_layer_information(i, JSON)`).

Pure: no TensorRT import, no file access. The one public entry point is

    parse_layer_info(obj_or_text) -> LayerInfoDoc

which accepts the JSON text (str/bytes) or the already-decoded object, in every form TensorRT
writes:

* names only (the default `LAYER_NAMES_ONLY` build verbosity): `{"Layers": ["name", ...], ...}`;
* detailed (`DETAILED`): `{"Layers": [{"Name", "LayerType", "Inputs", "Outputs", "TacticName",
  "Metadata", ...}, ...], ...}`;
* TensorRT 10.x: engine I/O as `"Bindings": ["name", ...]`, tensor formats as one
  `"Format/Datatype"` string ("Channel major FP16 format where channel % 8 == 0");
* TensorRT 11.x: engine I/O as `"I/O Tensors": [{"Name", "IOMode", "DataType", "Dimensions",
  "Location", "ProfileInfo": [...]}]`, tensor format and data type split (`"Format"` plus
  `"DataType"`, also accepted as `"Datatype"`);
* one layer on its own (what `get_layer_information` returns): an object, or a JSON string for
  names-only engines.

A layer's `precision` is the precision it computes in (from its tactic, weights and inputs: the
rule is in `trtui/core/precision.py`) and its `output_precision` the data type of its outputs (the most
common one when outputs differ), both normalised to TensorRT's short names ("FP32", "FP16",
"BF16", "INT8", "FP8", ...). Its
`onnx_nodes` come from `"Metadata"`: entries separated by U+001E / U+001F, each with the
"[ONNX Layer: ...]" wrapper removed. Keys without a field of their own are kept in `params`.

Bad input raises `UserError` with a one-line reason (the caller adds the file name).

The pieces live beside this module: the tensors and data type names in `layer_tensors`, the engine's
I/O list in `engine_io`, the writer (the 10.x form) in `layer_info_writer`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from trtui.common.errors import UserError
from trtui.common.json_kind import json_kind
from trtui.core.model import LayerInfo
from trtui.core.precision import compute_precision, output_precision
from trtui.engine_info.engine_io import EngineTensor, complete_io, parse_bindings, parse_io_tensors
from trtui.engine_info.layer_tensors import normalise_dtype, parse_tensors, read_str

# Keys of a detailed layer object that have a field of their own in LayerInfo.
LAYER_FIELD_KEYS = frozenset(
    ("Name", "LayerType", "Inputs", "Outputs", "Origin", "TacticName", "Metadata", "StreamId")
)

_ONNX_WRAPPER = re.compile(r"^\[ONNX Layer:\s*(.*?)\s*\]$", re.S)
_METADATA_SPLIT = re.compile("[\u001e\u001f]")
_WEIGHTS_TYPE = re.compile(r"""['"]?Type['"]?\s*:\s*['"]?([A-Za-z0-9]+)""")

TrtSchema = Literal["10", "11"]


@dataclass(frozen=True, slots=True)
class LayerInfoDoc:
    """A parsed layer-info document."""

    layers: tuple[LayerInfo, ...]
    io: tuple[EngineTensor, ...] = ()
    detailed: bool = False  # True when at least one layer came as an object with details
    schema: TrtSchema | None = None  # "10" (Bindings / Format/Datatype), "11" (I/O Tensors), None
    extra: Mapping[str, Any] = field(default_factory=dict)  # other top-level keys, as read


def onnx_nodes(metadata: object) -> tuple[str, ...]:
    """The ONNX node names in a layer's "Metadata" ("[ONNX Layer: a]\\x1e[ONNX Layer: b]")."""
    if not isinstance(metadata, str):
        return ()
    out: list[str] = []
    for part in _METADATA_SPLIT.split(metadata):
        part = part.strip()
        if not part:
            continue
        m = _ONNX_WRAPPER.match(part)
        out.append(m.group(1) if m else part)
    return tuple(out)


def weights_precision(params: Mapping[str, Any]) -> str | None:
    """The type of a layer's weights (`"Weights": {"Type": "Int8", "Count": 864}`), or None.
    trtexec writes the object as a Python-style string ("{'Type': 'Int8', 'Count': 864}")."""
    w = params.get("Weights")
    if isinstance(w, Mapping):
        return normalise_dtype(w.get("Type"))
    if isinstance(w, str):
        m = _WEIGHTS_TYPE.search(w)
        return normalise_dtype(m.group(1)) if m else None
    return None


def parse_layer(obj: object, index: int = 0) -> LayerInfo:
    """One layer: a name (names-only engines) or a detailed object."""
    if isinstance(obj, str):
        return LayerInfo(name=obj)
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return LayerInfo(name=str(obj))  # engines built with verbosity NONE report indices
    if not isinstance(obj, dict):
        raise UserError(f"layer {index} is {json_kind(obj)}, expected a name or an object")
    name = obj.get("Name")
    if not isinstance(name, str):
        raise UserError(
            f"layer {index} has {'no Name' if name is None else 'a Name that is ' + json_kind(name)}"
        )
    what = f"layer {index} ('{name}')"
    inputs = parse_tensors(obj.get("Inputs"), f"{what} Inputs")
    outputs = parse_tensors(obj.get("Outputs"), f"{what} Outputs")
    stream = obj.get("StreamId")
    if stream is not None and (
        isinstance(stream, bool)
        or not isinstance(stream, (int, float))
        or not -(2**31) < stream < 2**31  # also refuses NaN, infinities and 400-digit integers
    ):
        raise UserError(f"{what}: StreamId is {json_kind(stream)}, expected an integer")
    tactic = read_str(obj, "TacticName", what)
    params = {k: v for k, v in obj.items() if k not in LAYER_FIELD_KEYS}
    return LayerInfo(
        name=name,
        type=read_str(obj, "LayerType", what),
        precision=compute_precision(tactic, weights_precision(params), inputs, outputs),
        output_precision=output_precision(outputs),
        tactic=tactic,
        inputs=inputs,
        outputs=outputs,
        origin=read_str(obj, "Origin", what),
        onnx_nodes=onnx_nodes(obj.get("Metadata")),
        stream_id=int(stream) if stream is not None else None,
        params=params,
    )


def _decode(obj_or_text: object) -> object:
    if isinstance(obj_or_text, (bytes, bytearray)):
        try:
            obj_or_text = bytes(obj_or_text).decode("utf-8")
        except UnicodeDecodeError:
            raise UserError("not text (not UTF-8): expected TensorRT layer information JSON") from None
    if isinstance(obj_or_text, str):
        try:
            return json.loads(obj_or_text)
        except json.JSONDecodeError as err:
            raise UserError(f"malformed JSON ({err.msg} at line {err.lineno} column {err.colno})") from None
        except RecursionError:
            raise UserError("malformed JSON (nested too deeply)") from None
    return obj_or_text


def parse_layer_info(obj_or_text: object) -> LayerInfoDoc:
    """Parse layer information (text, bytes or decoded JSON); see the module docstring."""
    obj = _decode(obj_or_text)
    if isinstance(obj, (str, dict)) and not (isinstance(obj, dict) and "Layers" in obj):
        if isinstance(obj, dict) and "Name" not in obj:
            keys = ", ".join(list(obj)[:5]) or "none"
            raise UserError(f"not TensorRT layer information (no 'Layers' list; keys: {keys})")
        layer = parse_layer(obj)  # get_layer_information() of one layer
        return LayerInfoDoc((layer,), detailed=isinstance(obj, dict))
    if not isinstance(obj, dict):
        raise UserError(f"not TensorRT layer information: the JSON is {json_kind(obj)}, expected an object")
    raw_layers = obj["Layers"]
    if not isinstance(raw_layers, list):
        raise UserError(f"'Layers' is {json_kind(raw_layers)}, expected a list")
    layers = tuple(parse_layer(item, i) for i, item in enumerate(raw_layers))
    io: tuple[EngineTensor, ...] = ()
    schema: TrtSchema | None = None
    if "I/O Tensors" in obj:
        io, schema = parse_io_tensors(obj["I/O Tensors"]), "11"
    elif "Bindings" in obj:
        io, schema = parse_bindings(obj["Bindings"]), "10"
    if schema is None and any(isinstance(x, dict) for x in raw_layers):
        tensors = [
            t
            for x in raw_layers
            if isinstance(x, dict)
            for t in (x.get("Inputs") or []) + (x.get("Outputs") or [])
            if isinstance(t, dict)
        ]
        if any("Format/Datatype" in t for t in tensors):
            schema = "10"
        elif any("DataType" in t or "Datatype" in t for t in tensors):
            schema = "11"
    io = complete_io(io, layers)
    return LayerInfoDoc(
        layers=layers,
        io=io,
        detailed=any(isinstance(x, dict) for x in raw_layers),
        schema=schema,
        extra={k: v for k, v in obj.items() if k not in ("Layers", "Bindings", "I/O Tensors")},
    )
