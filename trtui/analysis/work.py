"""The work of one TensorRT layer (FLOPs) and the bytes it moves, from its layer JSON alone.

Definitions (the README's "Roofline" section says the same). A multiply-add is 2 FLOPs; shapes
are the logical (unpadded) dimensions the JSON gives.

- Convolution: MACs = N*K*P*Q*C*R*S/G (TREx's count: input N x C x H x W, output N x K x P x Q,
  kernel R x S, G groups; 3-D convolutions multiply the third spatial dimension in), FLOPs = 2*MACs.
- Deconvolution: MACs = N*C*H*W*K*R*S/G (every input element scatters a K/G x R x S kernel).
- Matrix multiply: MACs = volume(output) * K, K the contracted dimension of the first input
  (its last one, or the one before it when `MatrixOpA` says transpose); fully connected (TensorRT
  8): MACs = batch * weight count.
- Pooling: one operation per window element per output element.
- Element-wise, activation: one per output element; scale: two (multiply, add); fused pointwise
  layers: `NbOperations` (or `NbInstructions`) per output element, "unknown" when the JSON does
  not list them.
- Reduction: one per input element; softmax: five per input element (max, subtract, exp, sum,
  divide).
- Reformat, copy, shuffle, slice, concatenation, gather, padding, cast: no arithmetic (0 FLOPs),
  only bytes.
- Myelin and other foreign or unknown layers: "unknown" (never a guess), unless their JSON lists
  per-element operations as a pointwise layer does.
- NoOp and Constant layers: no work and no bytes (TensorRT aliases or folds them; TREx leaves them
  out).

Bytes moved = every input + every output + the weights, each at its own data type (INT8 and FP8
1 byte, FP16/BF16 2, FP32/INT32 4); biases are left out as TREx leaves them out of weights.
Unknown when a tensor's shape or data type is not known, or a shape is dynamic (-1).

Pure: no TensorRT, no file access.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from trtui.core.model import LayerInfo, TensorInfo

DTYPE_BYTES: dict[str, float] = {
    "FP32": 4, "TF32": 4, "FP16": 2, "BF16": 2, "INT8": 1, "UINT8": 1, "FP8": 1, "INT32": 4,
    "INT64": 8, "BOOL": 1, "INT4": 0.5, "FP4": 0.5, "E8M0": 1, "FP64": 8,
}
# weight type spellings in layer JSON ("Int8", "Half", "Float", ...) -> bytes per element
_WEIGHT_BYTES: dict[str, float] = {
    "int8": 1, "uint8": 1, "fp8": 1, "half": 2, "fp16": 2, "bf16": 2, "bfloat16": 2, "float": 4,
    "fp32": 4, "int32": 4, "int64": 8, "bool": 1, "int4": 0.5, "fp4": 0.5, "double": 8,
}
_WEIGHTS_TEXT = re.compile(r"""['"]?(Type|Count)['"]?\s*:\s*['"]?([A-Za-z0-9]+)""")

Kind = str  # "convolution", "deconvolution", "matmul", "pooling", "pointwise", "copy", ...
TENSOR_KINDS = frozenset(("convolution", "deconvolution", "matmul"))
_COPY_TYPES = frozenset((
    "reformat", "shuffle", "copy", "concatenation", "slice", "gather", "padding", "cast", "identity",
    "shape", "assertion",
))
_SKIPPED = frozenset(("noop", "constant"))


@dataclass(frozen=True, slots=True)
class LayerWork:
    """What one layer computes and moves. `flops`/`bytes` None: unknown (`why` says why)."""

    kind: Kind
    flops: float | None
    bytes: float | None
    macs: float | None = None  # multiply-adds (convolution, deconvolution, matrix multiply)
    weight_bytes: float | None = None
    why: str | None = None  # why the work is unknown

    @property
    def tensor(self) -> bool:
        """Runs on tensor cores where the precision has them (convolutions, matrix multiplies)."""
        return self.kind in TENSOR_KINDS

    @property
    def skipped(self) -> bool:
        """NoOp / Constant: TREx leaves them out, they do no work."""
        return self.kind in _SKIPPED

    @property
    def intensity(self) -> float | None:
        """Arithmetic intensity, FLOPs per byte moved."""
        if self.flops is None or not self.bytes:
            return None
        return self.flops / self.bytes


def parameter_type(info: LayerInfo) -> str:
    """The layer's kind as TensorRT names it: `ParameterType` where given, else `LayerType`."""
    pt = info.params.get("ParameterType")
    if isinstance(pt, str) and pt:
        return pt
    return info.type or ""


def weights(params: Mapping[str, object], key: str = "Weights") -> tuple[str | None, int | None]:
    """(type, count) of `"Weights": {"Type": "Int8", "Count": 864}` (also the string form
    trtexec writes); (None, None) when absent."""
    w = params.get(key)
    if isinstance(w, Mapping):
        t, c = w.get("Type"), w.get("Count")
        count = int(c) if isinstance(c, (int, float)) and not isinstance(c, bool) else None
        return (t if isinstance(t, str) else None), count
    if isinstance(w, str):
        found = dict(_WEIGHTS_TEXT.findall(w))
        c_text = found.get("Count")
        return found.get("Type"), int(c_text) if c_text and c_text.isdigit() else None
    return None, None


_LARGEST = 1 << 62  # a count or volume beyond this is not a real tensor (and may not fit a float)
_TOO_LARGE = "a shape or count in the layer JSON is too large"


def weight_bytes(params: Mapping[str, object]) -> float | None:
    """Bytes of a layer's weights (0 without weights; None when their type or count is unknown).
    TensorRT 8.5's fused convolution + pooling layers (`CaskConvActPool`) name them `ConvWeights`."""
    key = "Weights" if "Weights" in params else "ConvWeights" if "ConvWeights" in params else None
    if key is None:
        return 0.0
    wtype, count = weights(params, key)
    if count is None or wtype is None:
        return None
    size = _WEIGHT_BYTES.get(wtype.strip().lower())
    if size is None:
        size = DTYPE_BYTES.get(wtype.strip().upper())
    return None if size is None or count > _LARGEST else float(count) * size


def tensor_bytes(t: TensorInfo) -> float | None:
    """Bytes of one tensor at its data type (logical shape); None when unknown or dynamic."""
    if t.shape is None or t.dtype is None or any(d < 0 for d in t.shape):
        return None
    size = DTYPE_BYTES.get(t.dtype)
    volume = math.prod(t.shape)
    return None if size is None or volume > _LARGEST else float(volume) * size


def _volume(t: TensorInfo | None) -> int | None:
    if t is None or t.shape is None or any(d < 0 for d in t.shape):
        return None
    return math.prod(t.shape)


def _int_list(value: object) -> tuple[int, ...] | None:
    if isinstance(value, list) and value and all(type(v) is int for v in value):
        return tuple(value)
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _conv_pool_output(info: LayerInfo) -> tuple[int, ...] | None:
    """The convolution's own output shape in a fused convolution + pooling layer (TensorRT 8.5's
    `CaskConvActPool`, parameters prefixed `Conv` and `Pooling`): the layer's output is the pooled
    one, so P and Q come from the input, the convolution's kernel, stride, padding and dilation."""
    p = info.params
    x = info.inputs[0].shape if info.inputs else None
    kernel, stride = _int_list(p.get("ConvKernel")), _int_list(p.get("ConvStride"))
    pre, post = _int_list(p.get("ConvPrePadding")), _int_list(p.get("ConvPostPadding"))
    dil = _int_list(p.get("ConvDilation")) or tuple(1 for _ in kernel or ())
    k = _int(p.get("ConvOutMaps"))
    if x is None or kernel is None or stride is None or pre is None or post is None or k is None:
        return None
    if len(x) != len(kernel) + 2 or not len(kernel) == len(stride) == len(pre) == len(post) == len(dil):
        return None
    spatial = [(x[i + 2] + pre[i] + post[i] - dil[i] * (kernel[i] - 1) - 1) // stride[i] + 1
               for i in range(len(kernel))]
    return (x[0], k, *spatial)


def conv_macs(info: LayerInfo) -> tuple[float | None, str | None]:
    """TREx's convolution MACs N*K*P*Q*C*R*S/G, or (None, why). For a fused convolution + pooling
    layer (TensorRT 8.5) the convolution's MACs, from its `Conv`-prefixed parameters."""
    if not info.inputs or not info.outputs:
        return None, "no input or output in the layer JSON"
    x, y = info.inputs[0].shape, info.outputs[0].shape
    kernel = _int_list(info.params.get("Kernel"))
    groups = _int(info.params.get("Groups"))
    if kernel is None and "ConvKernel" in info.params:
        kernel, groups, y = _int_list(info.params.get("ConvKernel")), _int(info.params.get("ConvGroups")), (
            _conv_pool_output(info))
    if x is None or y is None or kernel is None or groups is None or groups <= 0:
        return None, "shapes, Kernel or Groups missing"
    if len(x) != len(y) or len(x) != len(kernel) + 2 or any(d < 0 for d in (*x, *y)):
        return None, "shapes and kernel do not agree (or are dynamic)"
    n, c = x[0], x[1]
    k = y[1]
    return float(n * k * math.prod(y[2:]) * c * math.prod(kernel)) / groups, None


def deconv_macs(info: LayerInfo) -> tuple[float | None, str | None]:
    """Deconvolution MACs N*C*H*W*K*R*S/G, or (None, why)."""
    if not info.inputs or not info.outputs:
        return None, "no input or output in the layer JSON"
    x, y = info.inputs[0].shape, info.outputs[0].shape
    kernel = _int_list(info.params.get("Kernel"))
    groups = _int(info.params.get("Groups"))
    if x is None or y is None or kernel is None or groups is None or groups <= 0:
        return None, "shapes, Kernel or Groups missing"
    if len(x) != len(y) or len(x) != len(kernel) + 2 or any(d < 0 for d in (*x, *y)):
        return None, "shapes and kernel do not agree (or are dynamic)"
    return float(math.prod(x) * y[1] * math.prod(kernel)) / groups, None


def matmul_macs(info: LayerInfo) -> tuple[float | None, str | None]:
    """Matrix multiply / fully connected MACs, or (None, why)."""
    out = _volume(info.outputs[0]) if info.outputs else None
    if parameter_type(info) == "FullyConnected":
        _, count = weights(info.params)
        x = info.inputs[0].shape if info.inputs else None
        if count is None or not x or x[0] < 0:
            return None, "weights or input shape missing"
        return float(x[0] * count), None
    if out is None or not info.inputs or info.inputs[0].shape is None:
        return None, "shapes missing"
    a = info.inputs[0].shape
    op = str(info.params.get("MatrixOpA", "")).lower()
    if not a or any(d < 0 for d in a):
        return None, "dynamic shapes"
    k = a[-2] if "transpose" in op and len(a) >= 2 else a[-1]
    return float(out * k), None


def _per_element(info: LayerInfo, ops: float, of_input: bool = False) -> tuple[float | None, str | None]:
    t = (info.inputs[0] if info.inputs else None) if of_input else (info.outputs[0] if info.outputs else None)
    vol = _volume(t)
    if vol is None:
        return None, "shape missing or dynamic"
    return float(vol) * ops, None


def _listed_ops(params: Mapping[str, object]) -> float | None:
    for key in ("NbOperations", "NbInstructions"):
        n = _int(params.get(key))
        if n is not None and n >= 0:
            return float(n)
    return None


def classify(info: LayerInfo) -> Kind:
    """The kind of work a layer does (see the module docstring)."""
    pt = parameter_type(info).lower()
    lt = (info.type or "").lower()
    if lt in _SKIPPED or pt in _SKIPPED:
        return lt if lt in _SKIPPED else pt
    if "deconvolution" in pt or "deconvolution" in lt:
        return "deconvolution"
    if "convolution" in pt or "convolution" in lt or pt == "convactpool":  # 8.5: conv + act + pooling
        return "convolution"
    if pt in ("matrixmultiply", "fullyconnected", "gemm") or "matrixmultiply" in lt or "gemm" in lt:
        return "matmul"
    if "pooling" in pt or "pooling" in lt:
        return "pooling"
    if pt in ("pointwise", "pointwisev2") or lt.startswith("pointwise"):
        return "pointwise"
    if pt in ("elementwise", "activation", "unary", "scale") or lt in ("elementwise", "activation", "unary"):
        return pt if pt in ("scale",) else "elementwise"
    if pt in _COPY_TYPES or lt in _COPY_TYPES or info.origin in ("REFORMAT", "QDQ"):
        return "copy"
    if "reduce" in pt or "reduce" in lt:
        return "reduction"
    if "softmax" in pt or "softmax" in lt:
        return "softmax"
    if "myelin" in lt or "myelin" in pt:
        return "myelin"
    return "other"


def layer_work(info: LayerInfo) -> LayerWork:
    """The work and bytes of one layer (see the module docstring). Shapes and counts from a file are
    untrusted: a figure too large for a float, or not finite, is unknown, with the reason."""
    try:
        work = _layer_work(info)
    except (OverflowError, ValueError):
        return LayerWork(classify(info), None, None, None, None, _TOO_LARGE)
    figures = (work.flops, work.bytes, work.macs, work.weight_bytes)
    if all(x is None or math.isfinite(x) for x in figures):
        return work
    return LayerWork(work.kind, None, None, None, None, _TOO_LARGE)


def _layer_work(info: LayerInfo) -> LayerWork:
    kind = classify(info)
    if kind in _SKIPPED:
        return LayerWork(kind, 0.0, 0.0, weight_bytes=0.0)
    io = [tensor_bytes(t) for t in (*info.inputs, *info.outputs)]
    wb = weight_bytes(info.params)
    moved: float | None
    if not io or any(b is None for b in io) or wb is None:
        moved = None
    else:
        moved = sum(b for b in io if b is not None) + wb
    macs: float | None = None
    why: str | None = None
    flops: float | None
    if kind == "convolution":
        macs, why = conv_macs(info)
        flops = None if macs is None else 2 * macs
    elif kind == "deconvolution":
        macs, why = deconv_macs(info)
        flops = None if macs is None else 2 * macs
    elif kind == "matmul":
        macs, why = matmul_macs(info)
        flops = None if macs is None else 2 * macs
    elif kind == "pooling":
        window = _int_list(info.params.get("WindowSize"))
        if window is None:
            flops, why = None, "WindowSize missing"
        else:
            flops, why = _per_element(info, float(math.prod(window)))
    elif kind == "elementwise":
        flops, why = _per_element(info, 1.0)
    elif kind == "scale":
        flops, why = _per_element(info, 2.0)
    elif kind == "reduction":
        flops, why = _per_element(info, 1.0, of_input=True)
    elif kind == "softmax":
        flops, why = _per_element(info, 5.0, of_input=True)
    elif kind == "copy":
        flops = 0.0
    else:  # pointwise, myelin, other: only what the JSON lists
        n = _listed_ops(info.params)
        if n is None:
            flops, why = None, f"the layer JSON lists no operations ({info.type or 'unknown type'})"
        else:
            flops, why = _per_element(info, n)
    if moved is None and why is None:
        why = "a tensor's shape or data type is unknown"
    return LayerWork(kind, flops, moved, macs, wb, why)
