"""An engine's inputs and outputs as TensorRT's layer information lists them: 10.x `"Bindings"`
(names only, completed from the layers' tensors) and 11.x `"I/O Tensors"` (objects with `IOMode`,
`DataType`, `Dimensions`, `Location` and per-profile `ProfileInfo`).

Pure: no TensorRT import, no file access. Bad input raises `UserError` with a one-line reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from trtui.common.errors import UserError
from trtui.common.json_kind import json_kind
from trtui.core.model import LayerInfo, TensorInfo
from trtui.engine_info.layer_tensors import parse_tensor, read_shape, read_str


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


def parse_bindings(value: object) -> tuple[EngineTensor, ...]:
    """TensorRT 10.x `"Bindings"`: a list of tensor names."""
    if not isinstance(value, list):
        raise UserError(f"Bindings is {json_kind(value)}, expected a list of tensor names")
    out = []
    for i, name in enumerate(value):
        if not isinstance(name, str):
            raise UserError(f"Bindings[{i}] is {json_kind(name)}, expected a tensor name")
        out.append(EngineTensor(name))
    return tuple(out)


def parse_io_tensors(value: object) -> tuple[EngineTensor, ...]:
    """TensorRT 11.x `"I/O Tensors"`: a list of objects (or bare names)."""
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
                    s = read_shape(p.get("OptShape"), f"{what} OptShape")
                    if s is not None:
                        opts.append(s)
                    if fmt is None:
                        fmt = read_str(p, "Format", what)
        out.append(EngineTensor(t.name, mode, t.dtype, t.shape, t.location, fmt, tuple(opts)))
    return tuple(out)


def complete_io(io: tuple[EngineTensor, ...], layers: Sequence[LayerInfo]) -> tuple[EngineTensor, ...]:
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
