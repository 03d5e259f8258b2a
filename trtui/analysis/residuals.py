"""The residual-path question: where do the element-wise layers (residual Adds, on their own or
fused into a convolution) run, and in what precision, on each side of a comparison. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from trtui.analysis.matching import Matching, layer_kind, node_names
from trtui.core.model import LayerInfo
from trtui.core.precision import layer_label

_ADD = re.compile(r"(?:^|[/_.])(?:add|sum|elementwise)(?:_?\d+)?\]?$", re.I)


def is_elementwise(name: str, info: LayerInfo | None) -> bool:
    """An element-wise layer, or a layer with an Add (a residual) fused into it."""
    if layer_kind(name, info) == "elementwise":
        return True
    return any(_ADD.search(part) for part in node_names(name, info)) or "[ElementWise]" in name


def input_types(info: LayerInfo | None) -> str | None:
    """"INT8+FP16": the data types of a layer's inputs (the residual is usually the second)."""
    if info is None or not info.inputs:
        return None
    kinds = [t.dtype or "?" for t in info.inputs]
    return "+".join(kinds)


@dataclass(frozen=True, slots=True)
class ResidualRow:
    """One element-wise layer on either side of a comparison (None on the side it is missing from): its
    precision label, its inputs' data types and its time per inference in ms."""

    a_name: str | None  # None: no A layer (only in B)
    b_name: str | None
    a_precision: str | None  # labels: "INT8→FP16"
    b_precision: str | None
    a_inputs: str | None  # "INT8+FP16"
    b_inputs: str | None
    a_ms: float | None
    b_ms: float | None


def residual_rows(
    m: Matching,
    a_info: dict[str, LayerInfo],
    b_info: dict[str, LayerInfo],
    a_ms: dict[str, float],
    b_ms: dict[str, float],
) -> tuple[ResidualRow, ...]:
    """Element-wise layers of either side, paired where the matching paired them (A's order, then
    the B-only ones)."""
    rows: list[ResidualRow] = []
    for p in m.pairs:
        ai, bi = a_info.get(p.a), b_info.get(p.b)
        if is_elementwise(p.a, ai) or is_elementwise(p.b, bi):
            rows.append(ResidualRow(
                p.a, p.b, layer_label(ai), layer_label(bi), input_types(ai), input_types(bi),
                a_ms.get(p.a), b_ms.get(p.b),
            ))
    for n in m.only_a:
        ai = a_info.get(n)
        if is_elementwise(n, ai):
            rows.append(ResidualRow(n, None, layer_label(ai), None, input_types(ai), None, a_ms.get(n), None))
    for n in m.only_b:
        bi = b_info.get(n)
        if is_elementwise(n, bi):
            rows.append(ResidualRow(None, n, None, layer_label(bi), None, input_types(bi), None, b_ms.get(n)))
    return tuple(rows)
