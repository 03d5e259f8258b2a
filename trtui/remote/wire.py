"""The stream's wire format, "trtui.wire/1": one compact JSON object per `Update` (one SSE event).

Numbers that come in columns (the layer tables, latency windows, the trend) travel as base64 of
little-endian arrays: layer statistics as float32 (display precision), counts as int64, times as
float64. Everything else is plain JSON; non-finite floats become null.

A stream is stateful: one `WireEncoder` per connection, one `WireDecoder` per connection. Each
message is bounded so that a 20,000-layer engine stays cheap at the run's pace:
- The source info (with every layer's details) is sent in the first message and again only when
  it changes; so are a table's layer names (`"names": null` = the previous message's names).
- `layers_window` (what the screen shows) is sent every message. `layers_total` only every
  `TOTAL_EVERY`-th message, or every message while the window is empty (a recording); in between
  the decoder reuses the last one it got.
- `recent_ms` (per-layer sparklines): the newest `min(RECENT_ROWS, RECENT_CELLS // layers)` rows.
- Unprofiled latencies: the newest `MAX_LATENCIES` of the window (the histogram's input).
- Telemetry history: only the samples newer than the last one sent (the decoder keeps the last
  `TELEMETRY_HISTORY`).
Every message says `"simulated"` (true for the simulated engine) and whether control is allowed.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from typing import Any

import numpy as np

from trtui.common.json_kind import json_number
from trtui.core.model import LayerInfo, SourceInfo, TensorInfo
from trtui.stats.snapshot import LAYER_STAT_COLUMNS, LatencyStats, LayerTable, ProfileSnapshot, TrendPoint
from trtui.stats.update import Update
from trtui.telemetry.history import TelemetryEvent
from trtui.telemetry.sample import TelemetrySample

WIRE = "trtui.wire/1"
TOTAL_EVERY = 10
RECENT_ROWS = 32
RECENT_CELLS = 65_536
MAX_LATENCIES = 4096
TELEMETRY_HISTORY = 240

STAT_COLUMNS = LAYER_STAT_COLUMNS  # the layer table's columns, in the snapshot's order
LATENCY_FIELDS = ("last", "mean", "median", "p90", "p95", "p99", "min", "max", "std", "throughput_per_s")
SAMPLE_FIELDS = tuple(f.name for f in dataclasses.fields(TelemetrySample))
EVENT_PAIRS = ("sm_clock_mhz", "mem_clock_mhz", "temperature_c", "power_w", "gpu_util_pct")



def array(values: Any, dtype: str) -> dict[str, Any]:
    arr = np.ascontiguousarray(np.asarray(values), dtype=np.dtype(dtype).newbyteorder("<"))
    return {"dt": dtype, "shape": list(arr.shape), "b64": base64.b64encode(arr.tobytes()).decode("ascii")}


def _latency(s: LatencyStats) -> dict[str, Any]:
    out: dict[str, Any] = {"count": int(s.count)}
    for name in LATENCY_FIELDS:
        out[name] = json_number(getattr(s, name))
    return out


def _tensor(t: TensorInfo) -> dict[str, Any]:
    return {
        "name": t.name,
        "shape": None if t.shape is None else list(t.shape),
        "dtype": t.dtype,
        "format": t.format,
        "location": t.location,
    }


def _param(v: object, depth: int = 0) -> object:
    """A layer parameter as JSON: scalars and (nested, up to 3 deep) lists of them; else its text."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return json_number(v)
    if isinstance(v, (list, tuple)) and depth < 3:
        return [_param(x, depth + 1) for x in v]
    if isinstance(v, dict) and depth < 3:  # e.g. "Weights": {"Type": "Half", "Count": 16384}
        return {str(k): _param(x, depth + 1) for k, x in v.items()}
    return str(v)


def _layer_info(layer: LayerInfo) -> dict[str, Any]:
    return {
        "name": layer.name,
        "type": layer.type,
        "precision": layer.precision,
        "tactic": layer.tactic,
        "inputs": [_tensor(t) for t in layer.inputs],
        "outputs": [_tensor(t) for t in layer.outputs],
        "origin": layer.origin,
        "onnx_nodes": list(layer.onnx_nodes),
        "stream_id": layer.stream_id,
        "params": {str(k): _param(v) for k, v in layer.params.items()},
        "output_precision": layer.output_precision,
    }


def info_dict(info: SourceInfo) -> dict[str, Any]:
    return {
        "kind": info.kind,
        "label": info.label,
        "simulated": info.simulated,
        "path": info.path,
        "device": info.device,
        "trt_module": info.trt_module,
        "trt_version": info.trt_version,
        "precision": info.precision,
        "shapes": [[name, list(shape)] for name, shape in info.shapes],
        "mode": info.mode,
        "streams": info.streams,
        "aux_streams": info.aux_streams,
        "layers": [_layer_info(layer) for layer in info.layers],
        "extra": {str(k): str(v) for k, v in info.extra.items()},
        "facts": None if info.facts is None else dataclasses.asdict(info.facts),
        "duration_s": json_number(info.duration_s),
        "hardware": None if info.hardware is None else dataclasses.asdict(info.hardware),
    }


def sample_dict(s: TelemetrySample) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in SAMPLE_FIELDS:
        v = getattr(s, name)
        if isinstance(v, tuple):
            v = [list(x) if isinstance(x, tuple) else x for x in v]
        elif isinstance(v, float):
            v = json_number(v)
        out[name] = v
    return out


def _event(e: TelemetryEvent) -> dict[str, Any]:
    out: dict[str, Any] = {
        "t": json_number(e.t),
        "label": e.label,
        "sample_t": json_number(e.sample_t),
        "throttle_reasons": None if e.throttle_reasons is None else list(e.throttle_reasons),
        "new_reasons": list(e.new_reasons),
        "findings": list(e.findings),
        "suspicious": e.suspicious,
    }
    for name in EVENT_PAIRS:
        before, at = getattr(e, name)
        out[name] = [json_number(before), json_number(at)]
    return out


def _trend(points: tuple[TrendPoint, ...]) -> dict[str, Any]:
    def col(name: str) -> list[float]:
        return [math.nan if getattr(p, name) is None else float(getattr(p, name)) for p in points]

    return {
        "t": array([p.t for p in points], "f8"),
        "p50": array(col("p50"), "f8"),
        "p99": array(col("p99"), "f8"),
        "throughput_per_s": array(col("throughput_per_s"), "f8"),
    }


def recent_rows(layers: int) -> int:
    """How many newest rows of a table's `recent_ms` travel (the bound on sparkline data)."""
    return min(RECENT_ROWS, RECENT_CELLS // max(layers, 1))


def _table(table: LayerTable, send_names: bool) -> dict[str, Any]:
    rows = recent_rows(len(table))
    recent = np.asarray(table.recent_ms)
    if recent.ndim != 2 or recent.shape[1] != len(table):
        recent = np.empty((0, len(table)))
    recent = recent[recent.shape[0] - min(rows, recent.shape[0]) :]
    out: dict[str, Any] = {
        "names": list(table.names) if send_names else None,
        "n": len(table),
        "iterations": int(table.iterations),
        "count": array(table.count, "i8"),
        "recent_ms": array(recent, "f4"),
    }
    for name in STAT_COLUMNS:
        out[name] = array(getattr(table, name), "f4")
    return out


class WireEncoder:
    """Encodes the `Update`s of one connection, in order (state: what the peer already has)."""

    def __init__(self, control: bool = False) -> None:
        self.control = control
        self._info: SourceInfo | None = None
        self._names: dict[str, tuple[str, ...]] = {}
        self._messages = 0
        self._tel_t: float | None = None

    def _names_changed(self, slot: str, names: tuple[str, ...]) -> bool:
        last = self._names.get(slot)
        if last is not None and (last is names or last == names):
            return False
        self._names[slot] = names
        return True

    def encode(self, update: Update) -> dict[str, Any]:
        """The message for `update` as a JSON-ready dict (non-finite floats already null). Omits
        what this connection's peer has already (unchanged info and names, most totals): call it for
        every update sent, in order, and send every result."""
        p = update.profile
        msg: dict[str, Any] = {
            "wire": WIRE,
            "simulated": bool(p.info.simulated),
            "control": self.control,
            "seq": int(p.seq),
        }
        if self._info is None or not (self._info is p.info or self._info == p.info):
            msg["info"] = info_dict(p.info)
        self._info = p.info
        msg["profile"] = _profile(p)
        msg["layers_window"] = _table(p.layers_window, self._names_changed("window", p.layers_window.names))
        if self._messages % TOTAL_EVERY == 0 or not p.layers_window.iterations:
            msg["layers_total"] = _table(p.layers_total, self._names_changed("total", p.layers_total.names))
        msg["telemetry"] = None if update.telemetry is None else sample_dict(update.telemetry)
        new = [s for s in update.telemetry_history if self._tel_t is None or s.t > self._tel_t]
        new = new[-TELEMETRY_HISTORY:]
        if new:
            self._tel_t = new[-1].t
        msg["telemetry_new"] = [sample_dict(s) for s in new]
        msg["events"] = [_event(e) for e in update.events]
        msg["settings"] = [[k, v] for k, v in update.settings]
        msg["cost_s"] = json_number(update.cost_s)
        msg["dropped"] = int(update.dropped)
        self._messages += 1
        return msg

    def encode_line(self, update: Update) -> bytes:
        """`encode(update)` as compact UTF-8 JSON, one line (the data of one SSE event)."""
        return dumps(self.encode(update))


def dumps(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _profile(p: ProfileSnapshot) -> dict[str, Any]:
    recent = np.asarray(p.recent_latencies_ms)[-MAX_LATENCIES:]
    return {
        "t": json_number(p.t),
        "elapsed_s": json_number(p.elapsed_s),
        "state": p.state,
        "error": p.error,
        "latency_window": _latency(p.latency_window),
        "latency_total": _latency(p.latency_total),
        "per_stream": [_latency(s) for s in p.per_stream],
        "recent_latencies_ms": array(recent, "f4"),
        "trend": _trend(p.trend),
        "layer_sum_ms": json_number(p.layer_sum_ms),
        "profiled_gpu_ms": json_number(p.profiled_gpu_ms),
        "profiler_tax_ms": json_number(p.profiler_tax_ms),
        "profiler_tax_pct": json_number(p.profiler_tax_pct),
        "notices": list(p.notices),
        # the start-up steps: [name, seconds, simulated]; the running one with its time so far
        "startup": [[s.name, json_number(s.duration_s), s.simulated] for s in p.startup],
        "startup_running": None if p.startup_running is None else [
            p.startup_running.name, json_number(p.startup_running.duration_s), p.startup_running.simulated
        ],
    }
