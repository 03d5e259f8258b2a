"""The tensors in TensorRT's layer information JSON: data type spellings and one `Inputs`/`Outputs`
entry, read into a `TensorInfo`. Also the field readers the layer and engine I/O parsers share.

Pure: no TensorRT import, no file access. Bad input raises `UserError` with a one-line reason.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from trtui.common.errors import UserError
from trtui.common.json_kind import json_kind
from trtui.core.model import TensorInfo

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
_INT_ONLY = frozenset((int,))


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


def read_shape(value: object, what: str) -> tuple[int, ...] | None:
    """A `Dimensions` list as a tuple of integers (None when absent)."""
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


def read_str(obj: Mapping[str, Any], key: str, what: str) -> str | None:
    """`obj[key]` as a string (a number is written out), None when absent or null."""
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
    name = read_str(obj, "Name", what) or ""
    label = f"'{name}'" if name else "tensor"
    combined = read_str(obj, "Format/Datatype", label)
    fmt = read_str(obj, "Format", label)
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
        shape=read_shape(obj.get("Dimensions"), label),
        dtype=dtype,
        format=fmt,
        location=read_str(obj, "Location", label),
    )


def parse_tensors(value: object, what: str) -> tuple[TensorInfo, ...]:
    """A layer's `Inputs` or `Outputs` list (empty when absent)."""
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
