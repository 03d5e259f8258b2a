"""Layer information written back as JSON, in trtexec's 10.x form (which trtexec 10, TREx and
Polygraphy read): the inverse of `trtui.engine_info.layer_info.parse_layer`."""

from __future__ import annotations

from typing import Any

from trtui.core.model import LayerInfo, TensorInfo
from trtui.engine_info.layer_info import LAYER_FIELD_KEYS
from trtui.engine_info.layer_tensors import dtype_in_format, normalise_dtype


def tensor_to_json(t: TensorInfo) -> dict[str, Any]:
    """One `Inputs`/`Outputs` entry; the data type goes into `Format/Datatype` unless the format
    already names it."""
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
    out.update({k: v for k, v in layer.params.items() if k not in LAYER_FIELD_KEYS})
    if layer.origin is not None:
        out["Origin"] = layer.origin
    if layer.onnx_nodes:
        out["Metadata"] = "\u001e".join(f"[ONNX Layer: {n}]" for n in layer.onnx_nodes)
    if layer.tactic is not None:
        out["TacticName"] = layer.tactic
    if layer.stream_id is not None:
        out["StreamId"] = layer.stream_id
    return out
