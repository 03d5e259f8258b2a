"""Derived views over a layer table and its layer details (what TREx users looked at):
time by layer type, by precision and by tactic family, the share of reformat layers, and the
top-N hotspots. Pure functions; times are per inference (the layers' mean, `mean_ms`).

Tactic families come from `trtui.core.tactic_family`.
Layers without a tactic name are grouped as "<LayerType> (no tactic name)".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.core.model import LayerInfo
from trtui.core.precision import layer_label
from trtui.core.tactic_family import tactic_family
from trtui.stats.groups import group_table, layer_type
from trtui.stats.snapshot import LayerTable

UNKNOWN = "(unknown)"
def _infos(infos: Mapping[str, LayerInfo] | Iterable[LayerInfo]) -> Mapping[str, LayerInfo]:
    if isinstance(infos, Mapping):
        return infos
    out: dict[str, LayerInfo] = {}
    for layer in infos:
        out.setdefault(layer.name, layer)
    return out


def layer_times(table: LayerTable) -> npt.NDArray[Any]:
    """Per-inference time of each layer (mean), 0 where unknown."""
    return np.nan_to_num(np.asarray(table.mean_ms, dtype=np.float64), nan=0.0)


@dataclass(frozen=True, slots=True)
class GroupRow:
    """A group of layers: its key, its layer count and its summed time per inference."""

    key: str
    layers: int
    time_ms: float  # per inference
    share_pct: float  # of the sum of all layers' time


def group_time(
    table: LayerTable,
    infos: Mapping[str, LayerInfo] | Iterable[LayerInfo],
    key: Callable[[str, LayerInfo | None], str],
) -> tuple[GroupRow, ...]:
    """Layers grouped by `key(name, info)` (through `trtui.stats.groups.group_table`, the one
    grouping), largest time first."""
    by = _infos(infos)
    groups = group_table(table, [key(name, by.get(name)) for name in table.names])
    times = layer_times(groups.table)
    total = float(times.sum())
    rows = [
        GroupRow(k, n, float(t), 100.0 * float(t) / total if total > 0 else 0.0)
        for k, n, t in zip(groups.table.names, groups.sizes, times.tolist(), strict=True)
    ]
    rows.sort(key=lambda r: (-r.time_ms, r.key))
    return tuple(rows)


def type_of(name: str, info: LayerInfo | None) -> str:
    return layer_type(info)


def precision_of(name: str, info: LayerInfo | None) -> str:
    return (info.precision if info else None) or UNKNOWN


def family_of(name: str, info: LayerInfo | None) -> str:
    fam = tactic_family(info.tactic if info else None)
    if fam is not None:
        return fam
    return f"{(info.type if info else None) or 'unknown type'} (no tactic name)"


def is_reformat(name: str, info: LayerInfo | None) -> bool:
    """A layer that converts formats/types: LayerType "Reformat" or Origin "REFORMAT"; by name
    ("Reformatting CopyNode ...") when the type is unknown."""
    if info is not None and info.type is not None:
        return info.type == "Reformat" or info.origin == "REFORMAT"
    if info is not None and info.origin == "REFORMAT":
        return True
    return name.startswith("Reformatting CopyNode")


def time_by_type(
    table: LayerTable, infos: Mapping[str, LayerInfo] | Iterable[LayerInfo]
) -> tuple[GroupRow, ...]:
    return group_time(table, infos, type_of)


def time_by_precision(
    table: LayerTable, infos: Mapping[str, LayerInfo] | Iterable[LayerInfo]
) -> tuple[GroupRow, ...]:
    return group_time(table, infos, precision_of)


def time_by_tactic_family(
    table: LayerTable, infos: Mapping[str, LayerInfo] | Iterable[LayerInfo]
) -> tuple[GroupRow, ...]:
    return group_time(table, infos, family_of)


@dataclass(frozen=True, slots=True)
class ReformatShare:
    """The reformat layers' count, time per inference (ms) and share, and the same by origin."""

    layers: int
    time_ms: float
    share_pct: float  # of the sum of all layers' time
    by_origin: tuple[GroupRow, ...]  # "REFORMAT" (format conversion), "QDQ" (quantize), ...


def reformat_share(table: LayerTable, infos: Mapping[str, LayerInfo] | Iterable[LayerInfo]) -> ReformatShare:
    by = _infos(infos)
    names = [n for n in table.names if is_reformat(n, by.get(n))]
    rows = group_time(
        table, by, lambda n, i: ((i.origin if i else None) or "unknown origin") if is_reformat(n, i) else ""
    )
    reformats = tuple(r for r in rows if r.key)
    t = sum(r.time_ms for r in reformats)
    pct = sum(r.share_pct for r in reformats)
    return ReformatShare(len(names), t, pct, reformats)


@dataclass(frozen=True, slots=True)
class Hotspot:
    """One of the slowest layers, ranked from 1, with its share and the running share up to it."""

    rank: int
    name: str
    type: str | None
    precision: str | None  # the label: "INT8", or "INT8→FP32" where the output type differs
    tactic: str | None
    time_ms: float
    share_pct: float
    cumulative_pct: float


def hotspots(
    table: LayerTable, infos: Mapping[str, LayerInfo] | Iterable[LayerInfo], n: int = 10
) -> tuple[Hotspot, ...]:
    """The `n` layers with the largest time per inference, with their running share."""
    by = _infos(infos)
    times = layer_times(table)
    total = float(times.sum())
    order = np.argsort(-times, kind="stable")[: max(0, n)]
    out: list[Hotspot] = []
    cum = 0.0
    for rank, i in enumerate(order.tolist(), 1):
        name = table.names[i]
        info = by.get(name)
        share = 100.0 * float(times[i]) / total if total > 0 else 0.0
        cum += share
        out.append(Hotspot(
            rank, name, info.type if info else None, layer_label(info),
            info.tactic if info else None, float(times[i]), share, cum,
        ))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Analysis:
    """Every view of one run's layers (what `trtui analyze` prints and exports)."""

    layers: int
    total_ms: float  # sum of layer times per inference
    by_type: tuple[GroupRow, ...]
    by_precision: tuple[GroupRow, ...]
    by_tactic_family: tuple[GroupRow, ...]
    reformat: ReformatShare
    hotspots: tuple[Hotspot, ...]
    details_known: bool  # False when no layer has a type (names-only layer info or none)


def analyze(
    table: LayerTable, infos: Mapping[str, LayerInfo] | Iterable[LayerInfo], top: int = 10
) -> Analysis:
    """All views of a layer table, with the `top` hotspots. A layer without details still counts, in its
    groups' "unknown" rows."""
    by = _infos(infos)
    return Analysis(
        layers=len(table),
        total_ms=float(layer_times(table).sum()),
        by_type=time_by_type(table, by),
        by_precision=time_by_precision(table, by),
        by_tactic_family=time_by_tactic_family(table, by),
        reformat=reformat_share(table, by),
        hotspots=hotspots(table, by, top),
        details_known=any(by.get(n) is not None and by[n].type for n in table.names),
    )


def analysis_dict(a: Analysis) -> dict[str, object]:
    """The `Analysis` as nested dicts, ready for `json.dumps`."""
    return asdict(a)
