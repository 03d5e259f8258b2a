"""Read back trtui's own JSON summary (`trtui profile ... --json PATH`, schema "trtui.summary/1")."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trtui.common.errors import UserError
from trtui.common.json_kind import json_kind
from trtui.core.model import LayerInfo, frozen_array
from trtui.core.precision import split_label
from trtui.recording.files import SUMMARY_SCHEMA_PREFIX
from trtui.recording.readers import MAX_COUNT, MAX_NUMBER, dedupe_names
from trtui.stats.snapshot import LAYER_STAT_COLUMNS, LatencyStats, LayerTable

SUPPORTED = ("trtui.summary/1",)
_LAYER_COLUMNS = LAYER_STAT_COLUMNS  # the summary's per-layer keys are the table's columns
_LATENCY_KEYS = ("last", "mean", "median", "p90", "p95", "p99", "min", "max", "std")


@dataclass(frozen=True, slots=True)
class SummaryDoc:
    """The parts of a trtui summary that trtui reads back."""

    label: str
    kind: str  # the source kind that produced it ("simulated", "engine", "recording")
    simulated: bool
    device: str | None
    layers: LayerTable
    infos: tuple[LayerInfo, ...]
    latency: LatencyStats
    mode: str | None = None
    trt_version: str | None = None
    notices: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


def _num(value: object, what: str, limit: float = MAX_NUMBER) -> float:
    """A number or null (-> NaN), at most `limit` in size."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{what} is {json_kind(value)}, expected a number or null")
    try:
        x = float(value)
    except OverflowError:
        raise UserError(f"{what} is a {len(str(value))}-digit number, out of range") from None
    if math.isinf(x):  # trtui writes null for an unknown value, never Infinity
        raise UserError(f"{what} is infinite, expected a finite number or null")
    if abs(x) > limit:
        raise UserError(f"{what} is {x:g}, out of range (at most {limit:g})")
    return x


def _opt_num(value: object, what: str) -> float | None:
    x = _num(value, what)
    return None if math.isnan(x) else x


def _opt_str(obj: Mapping[str, Any], key: str, what: str) -> str | None:
    v = obj.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise UserError(f"{what}: {key} is {json_kind(v)}, expected a string or null")
    return v


def _count(value: object, what: str) -> int:
    x = _num(value, what, MAX_COUNT)
    if math.isnan(x):
        return 0
    if x < 0 or not x.is_integer():
        raise UserError(f"{what} is {x:g}, expected a whole number")
    if x > MAX_COUNT:
        raise UserError(f"{what} is {x:g}, out of range (at most {MAX_COUNT:g})")
    return int(x)


def latency_from_dict(obj: object, throughput: object, what: str) -> LatencyStats:
    if obj is None:
        return LatencyStats.empty()
    if not isinstance(obj, dict):
        raise UserError(f"{what} is {json_kind(obj)}, expected an object")
    vals = {k: _opt_num(obj.get(k), f"{what}.{k}") for k in _LATENCY_KEYS}
    return LatencyStats(
        count=_count(obj.get("count", 0), f"{what}.count"),
        throughput_per_s=_opt_num(throughput, "throughput_per_s"),
        **vals,
    )


def parse_summary(obj: object) -> SummaryDoc:
    """A decoded summary -> SummaryDoc; UserError when it is not one or has wrong types."""
    if not isinstance(obj, dict):
        raise UserError(f"a trtui summary is a JSON object, this is {json_kind(obj)}")
    schema = obj.get("schema")
    if not isinstance(schema, str) or not schema.startswith(SUMMARY_SCHEMA_PREFIX):
        raise UserError("not a trtui summary (no 'schema': 'trtui.summary/1')")
    if schema not in SUPPORTED:
        raise UserError(f"summary schema {schema} is newer than this trtui reads ({', '.join(SUPPORTED)})")
    source = obj.get("source") or {}
    if not isinstance(source, dict):
        raise UserError(f"'source' is {json_kind(source)}, expected an object")
    raw_layers = obj.get("layers") or []
    if not isinstance(raw_layers, list):
        raise UserError(f"'layers' is {json_kind(raw_layers)}, expected a list")
    n = len(raw_layers)
    names: list[str] = []
    count = np.zeros(n, dtype=np.int64)
    cols = {c: np.full(n, np.nan) for c in _LAYER_COLUMNS}
    infos: list[LayerInfo] = []
    for i, row in enumerate(raw_layers):
        what = f"layers[{i}]"
        if not isinstance(row, dict):
            raise UserError(f"{what} is {json_kind(row)}, expected an object")
        name = row.get("name")
        if not isinstance(name, str):
            raise UserError(f"{what}: name is {json_kind(name)}, expected a string")
        what = f"{what} ('{name}')"
        names.append(name)
        count[i] = _count(row.get("count", 0), f"{what}: count")
        for c in _LAYER_COLUMNS:
            cols[c][i] = _num(row.get(c), f"{what}: {c}")
        precision, out = split_label(_opt_str(row, "precision", what))
        infos.append(
            LayerInfo(
                name=name,
                type=_opt_str(row, "type", what),
                precision=precision,
                tactic=_opt_str(row, "tactic", what),
                output_precision=_opt_str(row, "output_precision", what) or out,
            )
        )
    unique, renamed = dedupe_names(names)
    notices: list[str] = []
    if renamed:
        notices.append(f"{renamed} repeated layer name(s) numbered 'name (#2)', ...")
        infos = [
            LayerInfo(u, i.type, i.precision, i.tactic, output_precision=i.output_precision)
            for u, i in zip(unique, infos, strict=True)
        ]
    iterations = _count(obj.get("profiled_iterations", 0), "profiled_iterations")
    table = LayerTable(
        names=unique,
        count=frozen_array(count, np.int64),  # type: ignore[arg-type]
        iterations=iterations,
        recent_ms=frozen_array(np.empty((0, n))),  # type: ignore[arg-type]
        **{c: frozen_array(v) for c, v in cols.items()},  # type: ignore[arg-type]
    )
    latency = latency_from_dict(obj.get("latency_ms"), obj.get("throughput_per_s"), "latency_ms")
    device = obj.get("device")
    if device is not None and not isinstance(device, str):
        raise UserError(f"'device' is {json_kind(device)}, expected a string or null")
    label = source.get("label")
    simulated = source.get("simulated", False)
    if not isinstance(simulated, bool):
        raise UserError(f"source.simulated is {json_kind(simulated)}, expected true or false")
    raw_notices = obj.get("notices") or []
    if isinstance(raw_notices, list):
        notices.extend(str(x) for x in raw_notices if isinstance(x, str))
    return SummaryDoc(
        label=label if isinstance(label, str) else "trtui summary",
        kind=str(source.get("kind") or "unknown"),
        simulated=simulated,
        device=device,
        layers=table,
        infos=tuple(infos),
        latency=latency,
        mode=_opt_str(source, "mode", "source"),
        trt_version=_opt_str(source, "trt_version", "source"),
        notices=tuple(notices),
        raw=obj,
    )
