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
rule is in `trtui/precision.py`) and its `output_precision` the data type of its outputs (the most
common one when outputs differ), both normalised to TensorRT's short names ("FP32", "FP16",
"BF16", "INT8", "FP8", ...). Its
`onnx_nodes` come from `"Metadata"`: entries separated by U+001E / U+001F, each with the
"[ONNX Layer: ...]" wrapper removed. Keys without a field of their own are kept in `params`.

Bad input raises `UserError` with a one-line reason (the caller adds the file name).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from trtui.errors import UserError
from trtui.json_kind import json_kind
from trtui.model import LayerInfo, TensorInfo
from trtui.precision import compute_precision, output_precision

# Keys of a detailed layer object that have a field of their own in LayerInfo.
_OWN_KEYS = frozenset(
    ("Name", "LayerType", "Inputs", "Outputs", "Origin", "TacticName", "Metadata", "StreamId")
)

# TensorRT data type spellings (DataType enum names, `Format/Datatype` words, kXXX constants,
# numpy-ish names) -> the short names trtexec prints.
_DTYPE_ALIASES: dict[str, str] = {
    "float": "FP32",
    "fp32": "FP32",
    "float32": "FP32",
    "kfloat": "FP32",
    "f32": "FP32",
    "half": "FP16",
    "fp16": "FP16",
    "float16": "FP16",
    "khalf": "FP16",
    "f16": "FP16",
    "bf16": "BF16",
    "bfloat16": "BF16",
    "kbf16": "BF16",
    "int8": "INT8",
    "kint8": "INT8",
    "i8": "INT8",
    "uint8": "UINT8",
    "kuint8": "UINT8",
    "u8": "UINT8",
    "int32": "INT32",
    "kint32": "INT32",
    "i32": "INT32",
    "int64": "INT64",
    "kint64": "INT64",
    "i64": "INT64",
    "int4": "INT4",
    "kint4": "INT4",
    "fp8": "FP8",
    "kfp8": "FP8",
    "float8": "FP8",
    "e4m3": "FP8",
    "fp4": "FP4",
    "kfp4": "FP4",
    "e2m1": "FP4",
    "e8m0": "E8M0",
    "ke8m0": "E8M0",
    "bool": "BOOL",
    "kbool": "BOOL",
}
# A data type word inside a "Format/Datatype" string ("... vectorized row major Int8 format").
_DTYPE_WORD = re.compile(
    r"(?<![A-Za-z0-9])(FP32|FP16|BF16|FP8|FP4|E8M0|Int8|INT8|UInt8|UINT8|Int32|INT32|Int64|INT64|"
    r"Int4|INT4|Bool|BOOL|Float|Half)(?![A-Za-z0-9])"
)
_ONNX_WRAPPER = re.compile(r"^\[ONNX Layer:\s*(.*?)\s*\]$", re.S)
_METADATA_SPLIT = re.compile("[\u001e\u001f]")

_INT_ONLY = frozenset((int,))
_WEIGHTS_TYPE = re.compile(r"""['"]?Type['"]?\s*:\s*['"]?([A-Za-z0-9]+)""")

TrtSchema = Literal["10", "11"]


@dataclass(frozen=True, slots=True)
class EngineTensor:
    """One engine input or output, as the layer info lists it."""

    name: str
    mode: Literal["input", "output"] | None = None  # None: a 10.x "Bindings" name says nothing
    dtype: str | None = None
    shape: tuple[int, ...] | None = None  # -1 for dynamic dims
    location: str | None = None
    format: str | None = None
    opt_shapes: tuple[tuple[int, ...], ...] = ()  # OptShape per optimization profile (11.x)


@dataclass(frozen=True, slots=True)
class LayerInfoDoc:
    """A parsed layer-info document."""

    layers: tuple[LayerInfo, ...]
    io: tuple[EngineTensor, ...] = ()
    detailed: bool = False  # True when at least one layer came as an object with details
    schema: TrtSchema | None = None  # "10" (Bindings / Format/Datatype), "11" (I/O Tensors), None
    extra: Mapping[str, Any] = field(default_factory=dict)  # other top-level keys, as read


def normalise_dtype(text: object) -> str | None:
    """TensorRT's short data type name for any spelling ("Half", "kHALF", "DataType.HALF" -> "FP16").
    None when `text` is not a known data type."""
    if not isinstance(text, str):
        return None
    return _normalise_dtype(text)


@functools.lru_cache(maxsize=512)
def _normalise_dtype(text: str) -> str | None:
    word = text.strip().rsplit(".", 1)[-1].lower()
    if word in _DTYPE_ALIASES:
        return _DTYPE_ALIASES[word]
    return dtype_in_format(text)


@functools.lru_cache(maxsize=512)
def dtype_in_format(text: str) -> str | None:
    """The data type named inside a TensorRT format description, e.g.
    "Channel major FP16 format where channel % 8 == 0" -> "FP16"."""
    m = _DTYPE_WORD.search(text)
    return _DTYPE_ALIASES[m.group(1).lower()] if m else None


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


def _shape(value: object, what: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise UserError(f"{what}: Dimensions is {json_kind(value)}, expected a list of integers")
    if set(map(type, value)) <= _INT_ONLY:  # the common case
        return tuple(value)
    dims: list[int] = []
    for d in value:
        bad_float = isinstance(d, float) and not d.is_integer()
        if isinstance(d, bool) or not isinstance(d, (int, float)) or bad_float:
            raise UserError(f"{what}: Dimensions holds {json_kind(d)}, expected integers")
        dims.append(int(d))
    return tuple(dims)


def _opt_str(obj: Mapping[str, Any], key: str, what: str) -> str | None:
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UserError(f"{what}: {key} is {json_kind(value)}, expected a string")
    return str(value)


def parse_tensor(obj: object, what: str = "tensor") -> TensorInfo:
    """One `Inputs`/`Outputs` entry: `{Name, Location, Dimensions, Format/Datatype}` (10.x) or
    with `Format` and `DataType` split (11.x)."""
    if isinstance(obj, str):  # some builds list tensors by name only
        return TensorInfo(name=obj)
    if not isinstance(obj, dict):
        raise UserError(f"{what} is {json_kind(obj)}, expected an object with a Name")
    name = _opt_str(obj, "Name", what) or ""
    label = f"'{name}'" if name else "tensor"
    combined = _opt_str(obj, "Format/Datatype", label)
    fmt = _opt_str(obj, "Format", label)
    dt_raw = next((obj[k] for k in ("DataType", "Datatype", "Data Type") if k in obj), None)
    if dt_raw is not None and not isinstance(dt_raw, str):
        raise UserError(f"{label}: DataType is {json_kind(dt_raw)}, expected a string")
    dtype = normalise_dtype(dt_raw) if dt_raw is not None else None
    if combined is not None:
        fmt = combined
        dtype = dtype or dtype_in_format(combined)
    elif dtype is None and fmt is not None:
        dtype = dtype_in_format(fmt)
    if dtype is None and isinstance(dt_raw, str) and dt_raw.strip():
        dtype = dt_raw.strip()  # an unknown spelling: keep it as written
    return TensorInfo(
        name=name,
        shape=_shape(obj.get("Dimensions"), label),
        dtype=dtype,
        format=fmt,
        location=_opt_str(obj, "Location", label),
    )


def _tensors(value: object, what: str) -> tuple[TensorInfo, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise UserError(f"{what} is {json_kind(value)}, expected a list")
    out = []
    for i, t in enumerate(value):
        try:
            out.append(parse_tensor(t))
        except UserError as err:  # the context is formatted only when something is wrong
            raise UserError(f"{what}[{i}] {err}") from None
    return tuple(out)


def layer_precision(outputs: Sequence[TensorInfo]) -> str | None:
    """The most common output data type (the first one on a tie); None when none is known."""
    return output_precision(outputs)


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
    inputs = _tensors(obj.get("Inputs"), f"{what} Inputs")
    outputs = _tensors(obj.get("Outputs"), f"{what} Outputs")
    stream = obj.get("StreamId")
    if stream is not None and (
        isinstance(stream, bool)
        or not isinstance(stream, (int, float))
        or not -(2**31) < stream < 2**31  # also refuses NaN, infinities and 400-digit integers
    ):
        raise UserError(f"{what}: StreamId is {json_kind(stream)}, expected an integer")
    tactic = _opt_str(obj, "TacticName", what)
    params = {k: v for k, v in obj.items() if k not in _OWN_KEYS}
    return LayerInfo(
        name=name,
        type=_opt_str(obj, "LayerType", what),
        precision=compute_precision(tactic, weights_precision(params), inputs, outputs),
        output_precision=output_precision(outputs),
        tactic=tactic,
        inputs=inputs,
        outputs=outputs,
        origin=_opt_str(obj, "Origin", what),
        onnx_nodes=onnx_nodes(obj.get("Metadata")),
        stream_id=int(stream) if stream is not None else None,
        params=params,
    )


def _io_10(value: object) -> tuple[EngineTensor, ...]:
    if not isinstance(value, list):
        raise UserError(f"Bindings is {json_kind(value)}, expected a list of tensor names")
    out = []
    for i, name in enumerate(value):
        if not isinstance(name, str):
            raise UserError(f"Bindings[{i}] is {json_kind(name)}, expected a tensor name")
        out.append(EngineTensor(name))
    return tuple(out)


def _io_11(value: object) -> tuple[EngineTensor, ...]:
    if not isinstance(value, list):
        raise UserError(f"I/O Tensors is {json_kind(value)}, expected a list of objects")
    out = []
    for i, obj in enumerate(value):
        what = f"I/O Tensors[{i}]"
        if isinstance(obj, str):
            out.append(EngineTensor(obj))
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("Name"), str):
            raise UserError(f"{what} is {json_kind(obj)} without a Name, expected an object with a Name")
        t = parse_tensor(obj, what)
        mode_raw = str(obj.get("IOMode", "")).lower()
        mode: Literal["input", "output"] | None = (
            "input" if "input" in mode_raw else "output" if "output" in mode_raw else None
        )
        opts: list[tuple[int, ...]] = []
        fmt = t.format
        profiles = obj.get("ProfileInfo")
        if isinstance(profiles, list):
            for p in profiles:
                if isinstance(p, dict):
                    s = _shape(p.get("OptShape"), f"{what} OptShape")
                    if s is not None:
                        opts.append(s)
                    if fmt is None:
                        fmt = _opt_str(p, "Format", what)
        out.append(EngineTensor(t.name, mode, t.dtype, t.shape, t.location, fmt, tuple(opts)))
    return tuple(out)


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
        io, schema = _io_11(obj["I/O Tensors"]), "11"
    elif "Bindings" in obj:
        io, schema = _io_10(obj["Bindings"]), "10"
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
    io = _complete_io(io, layers)
    return LayerInfoDoc(
        layers=layers,
        io=io,
        detailed=any(isinstance(x, dict) for x in raw_layers),
        schema=schema,
        extra={k: v for k, v in obj.items() if k not in ("Layers", "Bindings", "I/O Tensors")},
    )


def _complete_io(io: tuple[EngineTensor, ...], layers: Sequence[LayerInfo]) -> tuple[EngineTensor, ...]:
    """Fill what 10.x `Bindings` leave out (mode, shape, type) from the layers' tensors: a binding
    that some layer reads and none writes is an input; one that a layer writes is an output."""
    if not io or all(t.mode is not None for t in io):
        return io
    read: dict[str, TensorInfo] = {}
    written: dict[str, TensorInfo] = {}
    for layer in layers:
        for ti in layer.inputs:
            read.setdefault(ti.name, ti)
        for to in layer.outputs:
            written.setdefault(to.name, to)
    out: list[EngineTensor] = []
    for t in io:
        mode: Literal["input", "output"]
        if t.mode is not None:
            out.append(t)
            continue
        if t.name in written:
            src, mode = written[t.name], "output"
        elif t.name in read:
            src, mode = read[t.name], "input"
        else:
            out.append(t)
            continue
        out.append(EngineTensor(t.name, mode, src.dtype, src.shape, src.location, src.format))
    return tuple(out)


# -- writing (the 10.x form, which trtexec 10, TREx and Polygraphy read) --------------------------


def tensor_to_json(t: TensorInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": t.name}
    if t.location is not None:
        out["Location"] = t.location
    if t.shape is not None:
        out["Dimensions"] = list(t.shape)
    fmt = t.format
    if t.dtype and (fmt is None or dtype_in_format(fmt) != normalise_dtype(t.dtype)):
        fmt = f"{fmt} {t.dtype}".strip() if fmt else t.dtype
    if fmt is not None:
        out["Format/Datatype"] = fmt
    return out


def layer_to_json(layer: LayerInfo) -> dict[str, Any]:
    """A detailed layer object in trtexec's 10.x form (the inverse of `parse_layer`)."""
    out: dict[str, Any] = {"Name": layer.name}
    if layer.type is not None:
        out["LayerType"] = layer.type
    out["Inputs"] = [tensor_to_json(t) for t in layer.inputs]
    out["Outputs"] = [tensor_to_json(t) for t in layer.outputs]
    out.update({k: v for k, v in layer.params.items() if k not in _OWN_KEYS})
    if layer.origin is not None:
        out["Origin"] = layer.origin
    if layer.onnx_nodes:
        out["Metadata"] = "\u001e".join(f"[ONNX Layer: {n}]" for n in layer.onnx_nodes)
    if layer.tactic is not None:
        out["TacticName"] = layer.tactic
    if layer.stream_id is not None:
        out["StreamId"] = layer.stream_id
    return out
