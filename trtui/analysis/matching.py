"""Pair the layers of two engines built from one network, even from different exports (an FP16
ONNX and a QAT ONNX that numbers its nodes differently and fuses Q/DQ nodes into the names).

Pure. `match_layers(a, b)` pairs layers in four steps, each on what the earlier ones left:

1. "name": the same layer name;
2. "name without profile": the same name without trtexec's " [profile N]" suffix;
3. "onnx node": compute layers that carry the same ONNX node or weight name (from the layer's
   "Metadata", else from the parts of a fused name "conv1.weight + QuantizeLinear_7 + Conv_9"),
   when the name is carried by one layer only on each side and the pairs keep the engine order;
4. "sequence": the remaining compute layers (convolutions, matrix multiplies, pooling,
   normalisation, ...) aligned in engine order between the pairs already made, a pair only
   between layers of the same kind (a global alignment that prefers equal output shapes).

Helper layers (reformat, quantize, dequantize, copies, no-ops) that no name paired are grouped
with the compute layer they serve (the one named in "Reformatting CopyNode ... to X", else the
one their output feeds, else the one that feeds them, else the next compute layer), and travel
with its pair. Each pair says how it was matched.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.core.model import LayerInfo, base_name

InfoOf = Callable[[str], "LayerInfo | None"]

HOW_NAME = "name"
HOW_BASE = "name without profile"
HOW_NODE = "onnx node"
HOW_SEQUENCE = "sequence"

_MAX_CELLS = 4_000_000  # alignment table size above which a plain in-order zip is used
_SERVES = re.compile(r"^Reformatting CopyNode for (?:Input|Output) Tensor \d+ to (.+)$")
_HELPER_TYPES = frozenset(("reformat", "noop", "shuffle", "quantize", "dequantize", "copy", "identity"))
_HELPER_NAME = re.compile(r"^(?:Reformatting CopyNode|(?:Quantize|Dequantize)Linear_?\d*$|copied_)")
_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"conv|gemm|matmul|matrixmultiply|fullyconnected|deconv|mma", re.I), "mma"),
    (re.compile(r"pool", re.I), "pool"),
    (re.compile(r"norm", re.I), "norm"),
    (re.compile(r"softmax", re.I), "softmax"),
    (re.compile(r"reduce", re.I), "reduce"),
    (re.compile(r"myelin|foreign", re.I), "myelin"),
    (re.compile(r"plugin", re.I), "plugin"),
    (re.compile(r"elementwise|pointwise|add|mul", re.I), "elementwise"),
    (re.compile(r"activation|relu|sigmoid|gelu", re.I), "activation"),
)
_NODE_PART = re.compile(r"^[A-Za-z_./:][\w./:\-]*$")


@dataclass(frozen=True, slots=True)
class Pair:
    """Two layers joined as one, A's name and B's, with how they were matched."""

    a: str
    b: str
    how: str  # HOW_NAME, HOW_BASE, HOW_NODE or HOW_SEQUENCE
    a_members: tuple[str, ...] = ()  # helper layers of A grouped with this pair
    b_members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Matching:
    """The result of `match_layers`: the pairs, and the layers (helper layers grouped into a pair
    excluded) left on one side only."""

    pairs: tuple[Pair, ...]  # in A's engine order
    only_a: tuple[str, ...]  # in engine order
    only_b: tuple[str, ...]


def is_helper(name: str, info: LayerInfo | None) -> bool:
    """A layer that only moves or converts data for a compute layer."""
    if info is not None and info.origin in ("REFORMAT", "QDQ"):
        return True
    if info is not None and info.type and info.type.lower() in _HELPER_TYPES:
        return True
    return bool(_HELPER_NAME.match(name))


def layer_kind(name: str, info: LayerInfo | None) -> str:
    """The kind of a compute layer ("mma", "pool", ...), from its type, else its name."""
    for text in ((info.type if info else None), name.rsplit(" + ", 1)[-1] if " + " in name else name):
        if text:
            for pattern, kind in _KINDS:
                if pattern.search(text):
                    return kind
    return (info.type or "other").lower() if info and info.type else "other"


def node_names(name: str, info: LayerInfo | None) -> tuple[str, ...]:
    """The ONNX node / weight names a layer carries: its Metadata, else the parts of a fused name."""
    if info is not None and info.onnx_nodes:
        return info.onnx_nodes
    parts = [p.strip() for p in name.split(" + ")]
    return tuple(p for p in parts if p and _NODE_PART.match(p))


def _out_shape(info: LayerInfo | None) -> tuple[int, ...] | None:
    if info is None or not info.outputs:
        return None
    return info.outputs[0].shape


def _served(names: Sequence[str], info: InfoOf, helpers: set[str]) -> dict[str, str]:
    """helper -> the compute layer it serves (see the module docstring)."""
    index = {n: i for i, n in enumerate(names)}
    producers: dict[str, str] = {}
    consumers: dict[str, list[str]] = {}
    for n in names:
        i = info(n)
        if i is None:
            continue
        for t in i.outputs:
            producers.setdefault(t.name, n)
        for t in i.inputs:
            consumers.setdefault(t.name, []).append(n)

    def walk(start: str, forward: bool) -> str | None:
        seen = {start}
        frontier = [start]
        while frontier:
            nxt: list[str] = []
            for n in frontier:
                i = info(n)
                if i is None:
                    continue
                tensors = i.outputs if forward else i.inputs
                for t in tensors:
                    linked = consumers.get(t.name, []) if forward else [producers.get(t.name, "")]
                    for m in linked:
                        if not m or m in seen:
                            continue
                        if m not in helpers:
                            return m
                        seen.add(m)
                        nxt.append(m)
            frontier = nxt
        return None

    out: dict[str, str] = {}
    for h in helpers:
        m = _SERVES.match(h)
        target = m.group(1) if m and m.group(1) in index and m.group(1) not in helpers else None
        target = target or walk(h, True) or walk(h, False)
        if target is None:
            after = [n for n in names[index[h] + 1:] if n not in helpers]
            before = [n for n in names[: index[h]] if n not in helpers]
            target = after[0] if after else (before[-1] if before else None)
        if target is not None:
            out[h] = target
    return out


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of pairs (sorted by A) whose B positions increase too (patience sorting)."""
    pairs = sorted(pairs)
    tails: list[int] = []  # B position ending the best run of each length
    tail_at: list[int] = []  # index in `pairs` of that end
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[pos], tail_at[pos] = j, k
        prev[k] = tail_at[pos - 1] if pos else -1
    out: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        out.append(pairs[k])
        k = prev[k]
    return out[::-1]


def _align(ka: list[int], kb: list[int], sa: list[int], sb: list[int]) -> list[tuple[int, int]]:
    """A global alignment of two sequences of compute layers, given as kind codes `ka`/`kb` and
    output-shape codes `sa`/`sb` (-1: unknown): positions (i, j) paired, maximising the summed
    scores (1 for the same kind, 1.5 with the same output shape too; gaps cost 0; layers of
    different kinds never pair). Vectorised by rows; above `_MAX_CELLS` cells, a greedy in-order
    pairing kind by kind."""
    n, m = len(ka), len(kb)
    if not n or not m:
        return []
    if n * m > _MAX_CELLS:  # very large engines: pair in order, kind by kind
        where: dict[int, list[int]] = {}
        for j, k in enumerate(kb):
            where.setdefault(k, []).append(j)
        out, j = [], 0
        for i, k in enumerate(ka):
            js = where.get(k, [])
            pos = bisect.bisect_left(js, j)
            if pos < len(js):
                out.append((i, js[pos]))
                j = js[pos] + 1
        return out
    kb_arr, sb_arr = np.asarray(kb), np.asarray(sb)

    def scores(i: int) -> npt.NDArray[Any]:
        same_shape = (sb_arr == sa[i]) & (sa[i] >= 0)
        out: npt.NDArray[Any] = np.where(kb_arr == ka[i], np.where(same_shape, 1.5, 1.0), 0.0)
        return out

    dp = np.zeros((n + 1, m + 1))
    for i in range(n - 1, -1, -1):
        s = scores(i)
        below = dp[i + 1]
        best = np.maximum(below[:m], np.where(s > 0, s + below[1:], 0.0))
        dp[i, :m] = np.maximum.accumulate(best[::-1])[::-1]  # row[j] = max(best[j], row[j + 1])
    out = []
    i = j = 0
    row = scores(0)
    while i < n and j < m:
        here = float(row[j])
        if here > 0 and dp[i, j] == here + dp[i + 1, j + 1]:
            out.append((i, j))
            i, j = i + 1, j + 1
            if i < n:
                row = scores(i)
        elif dp[i, j] == dp[i + 1, j]:
            i += 1
            if i < n:
                row = scores(i)
        else:
            j += 1
    return out


def match_layers(a_names: Sequence[str], a_info: InfoOf, b_names: Sequence[str], b_info: InfoOf) -> Matching:
    """Pair the layers of A and B (see the module docstring)."""
    how: dict[str, tuple[str, str]] = {}  # A name -> (B name, how)
    b_free = dict.fromkeys(b_names)
    for n in a_names:
        if n in b_free:
            how[n] = (n, HOW_NAME)
            del b_free[n]
    b_by_base: dict[str, str] = {}
    for n in b_free:
        b_by_base.setdefault(base_name(n), n)
    for n in a_names:
        if n in how:
            continue
        m = b_by_base.pop(base_name(n), None)
        if m is not None and m in b_free:
            how[n] = (m, HOW_BASE)
            del b_free[m]

    a_helpers = {n for n in a_names if is_helper(n, a_info(n))}
    b_helpers = {n for n in b_names if is_helper(n, b_info(n))}
    a_pos = {n: i for i, n in enumerate(a_names)}
    b_pos = {n: i for i, n in enumerate(b_names)}

    # 3. ONNX node / weight names carried by one free compute layer on each side
    a_free_c = [n for n in a_names if n not in how and n not in a_helpers]
    b_free_c = [n for n in b_names if n in b_free and n not in b_helpers]

    def owners(names: list[str], info: InfoOf) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for n in names:
            for node in set(node_names(n, info(n))):
                out.setdefault(node, []).append(n)
        return out

    a_own, b_own = owners(a_free_c, a_info), owners(b_free_c, b_info)
    candidates: dict[tuple[int, int], None] = {}
    for node, an in a_own.items():
        bn = b_own.get(node)
        if len(an) == 1 and bn is not None and len(bn) == 1:
            x, y = an[0], bn[0]
            if layer_kind(x, a_info(x)) == layer_kind(y, b_info(y)):
                candidates[(a_pos[x], b_pos[y])] = None
    anchors = sorted((a_pos[n], b_pos[m]) for n, (m, _) in how.items())
    kept = _increasing(list(candidates))
    order = _Order(anchors)
    used_a: set[int] = set()
    used_b: set[int] = set()
    for i, j in kept:
        if i in used_a or j in used_b or not order.allows(i, j):
            continue
        used_a.add(i)
        used_b.add(j)
        how[a_names[i]] = (b_names[j], HOW_NODE)
        del b_free[b_names[j]]

    # 4. align the remaining compute layers between consecutive anchors
    anchors = sorted((a_pos[n], b_pos[m]) for n, (m, _) in how.items())
    a_rest = [a_pos[n] for n in a_names if n not in how and n not in a_helpers]
    b_rest = [b_pos[n] for n in b_names if n in b_free and n not in b_helpers]
    codes: dict[object, int] = {}

    def code(x: object) -> int:
        return -1 if x is None else codes.setdefault(x, len(codes))

    a_kind = {i: code(layer_kind(a_names[i], a_info(a_names[i]))) for i in a_rest}
    b_kind = {j: code(layer_kind(b_names[j], b_info(b_names[j]))) for j in b_rest}
    a_shape = {i: code(_out_shape(a_info(a_names[i]))) for i in a_rest}
    b_shape = {j: code(_out_shape(b_info(b_names[j]))) for j in b_rest}

    bounds = [(-1, -1), *anchors, (len(a_names), len(b_names))]
    for (a0, b0), (a1, b1) in itertools.pairwise(bounds):
        seg_a = [i for i in a_rest if a0 < i < a1]
        seg_b = [j for j in b_rest if b0 < j < b1]
        pairs_ij = _align(
            [a_kind[i] for i in seg_a], [b_kind[j] for j in seg_b],
            [a_shape[i] for i in seg_a], [b_shape[j] for j in seg_b],
        )
        for xi, yj in pairs_ij:
            pa, pb = seg_a[xi], seg_b[yj]
            how[a_names[pa]] = (b_names[pb], HOW_SEQUENCE)
            del b_free[b_names[pb]]

    # helpers that no name paired travel with the compute layer they serve
    a_serves = _served(a_names, a_info, {n for n in a_helpers if n not in how})
    b_serves = _served(b_names, b_info, {n for n in b_helpers if n in b_free})
    a_groups: dict[str, list[str]] = {}
    b_groups: dict[str, list[str]] = {}
    b_paired = {m for m, _ in how.values()}
    for h, target in a_serves.items():
        if target in how:
            a_groups.setdefault(target, []).append(h)
    for h, target in b_serves.items():
        if target in b_paired:
            b_groups.setdefault(target, []).append(h)
    grouped_a = {h for g in a_groups.values() for h in g}
    grouped_b = {h for g in b_groups.values() for h in g}
    pairs = tuple(
        Pair(
            n, how[n][0], how[n][1],
            tuple(sorted(a_groups.get(n, ()), key=a_pos.__getitem__)),
            tuple(sorted(b_groups.get(how[n][0], ()), key=b_pos.__getitem__)),
        )
        for n in a_names
        if n in how
    )
    only_a = tuple(n for n in a_names if n not in how and n not in grouped_a)
    only_b = tuple(n for n in b_names if n in b_free and n not in grouped_b)
    return Matching(pairs, only_a, only_b)


class _Order:
    """The pairs already made (sorted by A), to ask in O(log n) whether a new pair keeps their
    order: every pair before it in A is before it in B, every pair after it is after it."""

    def __init__(self, anchors: list[tuple[int, int]]) -> None:
        self.xs = [x for x, _ in anchors]
        ys = [y for _, y in anchors]
        self.prefix_max = list(itertools.accumulate(ys, max))
        self.suffix_min = list(itertools.accumulate(reversed(ys), min))[::-1]

    def allows(self, i: int, j: int) -> bool:
        p = bisect.bisect_left(self.xs, i)
        before_ok = p == 0 or self.prefix_max[p - 1] < j
        after_ok = p == len(self.xs) or self.suffix_min[p] > j
        return before_ok and after_ok
