"""The precision a TensorRT layer computes in, and how trtui writes it.

The rule (the README's "Precision" section says the same):

1. The tactic, when its name states the math type: xmma kernels name it as the first type of the
   second group (`..._i8f16_i8i32_f32_...`: input INT8, output FP16, math INT8, accumulation INT32;
   `..._f32f32_tf32f32_...`: math TF32), cuDNN kernels in the kernel family (`h16816cudnn`,
   `hmma`: FP16; `icudnn_int8x4`, `i8816cudnn`, `imma`: INT8; `scudnn`: FP32).
2. Otherwise the layer's weights, when they are quantized (INT8, FP8, INT4, FP4).
3. Otherwise the data type of its first input (the data input; a fused residual comes later).
4. Otherwise the data type of its outputs.

The output type is kept beside it; where the two differ, the label is `INT8→FP32` (TF32 math with
FP32 output is simply `TF32`). Pure: no TensorRT, no file access.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from trtui.core.model import LayerInfo, TensorInfo

ARROW = "→"

# xmma: "<in><out>_<math><acc>_<epilogue>" right after the kernel kind ("gemm_", "conv1x1_", ...).
_T = r"(?:tf32|bf16|e4m3|e5m2|fp8|i8|i4|f16|f32|f64|i32)"
_XMMA = re.compile(rf"(?:^|_)({_T})({_T})_({_T})({_T})_")
_XMMA_TYPES = {
    "i8": "INT8", "i4": "INT4", "f16": "FP16", "bf16": "BF16", "f32": "FP32", "tf32": "TF32",
    "e4m3": "FP8", "e5m2": "FP8", "fp8": "FP8", "f64": "FP64", "i32": "INT32",
}
# cuDNN / cutlass kernel families.
_FAMILIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:^|_)(?:i\d+cudnn|icudnn|imma)(?:_|$)|(?:^|_)int8x4(?:_|$)|cudnn_int8(?:_|$)"), "INT8"),
    (re.compile(r"(?:^|_)(?:h\d*cudnn|hcudnn|hmma)(?:_|$)"), "FP16"),
    (re.compile(r"(?:^|_)(?:s\d*cudnn|scudnn)(?:_|$)"), "FP32"),
)
_QUANTIZED = frozenset(("INT8", "FP8", "INT4", "FP4", "UINT8"))


def tactic_precision(tactic: str | None) -> str | None:
    """The math type a tactic's name states, or None."""
    if not tactic:
        return None
    low = tactic.lower()
    m = _XMMA.search(low)
    if m:
        return _XMMA_TYPES.get(m.group(3))
    for pattern, kind in _FAMILIES:
        if pattern.search(low):
            return kind
    return None


def tactic_accumulation(tactic: str | None) -> str | None:
    """The accumulation type an xmma tactic's name states (`..._f16f16_f16f32_...` -> "FP32"), or None."""
    if not tactic:
        return None
    m = _XMMA.search(tactic.lower())
    return _XMMA_TYPES.get(m.group(4)) if m else None


def output_precision(outputs: Sequence[TensorInfo]) -> str | None:
    """The most common output data type (the first one on a tie); None when none is known."""
    if len(outputs) == 1:
        return outputs[0].dtype
    kinds = [t.dtype for t in outputs if t.dtype]
    if not kinds:
        return None
    counts = Counter(kinds)
    best = max(counts.values())
    return next(k for k in kinds if counts[k] == best)


def compute_precision(
    tactic: str | None,
    weights: str | None,
    inputs: Sequence[TensorInfo],
    outputs: Sequence[TensorInfo],
) -> str | None:
    """The precision a layer computes in (the module docstring's rule)."""
    from_tactic = tactic_precision(tactic)
    if from_tactic is not None:
        return from_tactic
    if weights in _QUANTIZED:
        return weights
    first = next((t.dtype for t in inputs if t.dtype), None)
    return first or output_precision(outputs)


def precision_label(precision: str | None, out: str | None) -> str | None:
    """"INT8" or "INT8→FP32" (the output type where it differs from the compute type)."""
    if precision is None:
        return out
    if out is None or out == precision or (precision == "TF32" and out == "FP32"):
        return precision
    return f"{precision}{ARROW}{out}"


def layer_label(info: LayerInfo | None) -> str | None:
    """The precision label of a layer (None when unknown)."""
    if info is None:
        return None
    return precision_label(info.precision, info.output_precision)


def split_label(label: str | None) -> tuple[str | None, str | None]:
    """The inverse of `precision_label`: "INT8→FP32" -> ("INT8", "FP32"); also reads "->"."""
    if not label:
        return None, None
    for sep in (ARROW, "->"):
        if sep in label:
            a, _, b = label.partition(sep)
            return a.strip() or None, b.strip() or None
    return label, None


def with_rule(info: LayerInfo, weights: str | None = None) -> LayerInfo:
    """`info` with `precision` and `output_precision` set by the rule (for layers built in code)."""
    from dataclasses import replace

    out = output_precision(info.outputs)
    return replace(
        info,
        precision=compute_precision(info.tactic, weights, info.inputs, info.outputs) or info.precision,
        output_precision=out or info.output_precision,
    )
