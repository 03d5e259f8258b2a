"""Decoding "trtui.wire/1" messages (see `trtui.remote.wire`) back into `Update`s, strictly: any
deviation in structure raises `WireError` (the attacher shows one notice and reconnects), never
anything else.

Every number is checked at this boundary: a measurement that is not finite or out of its range
(a negative time, an infinite power) is dropped (an optional value becomes None, an array cell
NaN, i.e. unknown; a latency sample is removed) and counted; while anything was dropped on a
connection, each decoded update carries one notice naming what (`DROPPED_NOTICE` opens it)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter, deque
from typing import Any

import numpy as np

from trtui.core.model import DeviceSpec, LayerInfo, RunFacts, SourceInfo, StartupStep, TensorInfo
from trtui.remote import checks as c
from trtui.remote.checks import WireError
from trtui.remote.wire import (
    EVENT_PAIRS,
    LATENCY_FIELDS,
    STAT_COLUMNS,
    TELEMETRY_HISTORY,
    WIRE,
)
from trtui.stats.snapshot import LatencyStats, LayerTable, ProfileSnapshot, TrendPoint
from trtui.stats.update import Update
from trtui.telemetry.history import TelemetryEvent
from trtui.telemetry.sample import TelemetrySample

KINDS = ("simulated", "engine", "recording")
STATES = ("starting", "running", "paused", "finished", "error")
MAX_LAYERS = 200_000
MAX_NOTICES = 1000
MAX_EVENTS = 1000
MAX_MS = 1e12  # any time or total in ms beyond this (31 years) is not a measurement
MAX_SHARE_PCT = 100.5  # shares of the layer sum; float32 rounding may pass 100 a little
MAX_VALUE = 1e15  # any other measurement (W, MHz, MiB, inferences/s...)
DROPPED_NOTICE = "values from the server dropped (not finite or out of range)"


class Drops:
    """The numbers a connection's decoder dropped, by field (`notice` says which)."""

    def __init__(self) -> None:
        self.by_field: Counter[str] = Counter()

    def opt(self, x: Any, where: str, lo: float = -MAX_VALUE, hi: float = MAX_VALUE) -> float | None:
        """An optional number: None stays None; NaN, infinity or a value outside [lo, hi] is dropped
        (None); anything but a number is a `WireError`."""
        if isinstance(x, float) and not np.isfinite(x):
            self.by_field[where] += 1
            return None
        v = c.opt_number(x, where)
        if v is not None and not lo <= v <= hi:
            self.by_field[where] += 1
            return None
        return v

    def cells(self, arr: Any, where: str, lo: float, hi: float) -> Any:
        """A float array with every infinite or out-of-range cell made NaN (unknown)."""
        with np.errstate(invalid="ignore"):
            bad = np.isinf(arr) | (arr < lo) | (arr > hi)
        n = int(np.count_nonzero(bad))
        if not n:
            return arr
        self.by_field[where] += n
        out = np.where(bad, np.nan, arr)
        out.setflags(write=False)
        return out

    def samples(self, arr: Any, where: str, lo: float, hi: float) -> Any:
        """A float array of samples with every non-finite or out-of-range one removed."""
        with np.errstate(invalid="ignore"):
            good = np.isfinite(arr) & (arr >= lo) & (arr <= hi)
        n = int(len(arr) - np.count_nonzero(good))
        if not n:
            return arr
        self.by_field[where] += n
        out = np.ascontiguousarray(arr[good])
        out.setflags(write=False)
        return out

    def notice(self) -> str | None:
        """One line naming every field with dropped values and how many, or None when none was."""
        if not self.by_field:
            return None
        total = sum(self.by_field.values())
        fields = ", ".join(f"{name} ({n})" for name, n in sorted(self.by_field.items())[:8])
        more = "" if len(self.by_field) <= 8 else f" and {len(self.by_field) - 8} more fields"
        return f"{DROPPED_NOTICE}: {total} in {fields}{more}"

_FLOAT = "float"
_OPT_FLOAT = "opt_float"
_OPT_STR = "opt_str"
_BOOL = "bool"
_OPT_INT = "opt_int"
_NUM_PAIRS = "num_pairs"
_STR_PAIRS = "str_pairs"
_OPT_STRS = "opt_strs"
SAMPLE_KINDS: dict[str, str] = {
    "t": _FLOAT,
    "simulated": _BOOL,
    "unified_memory": _BOOL,
    "device_name": _OPT_STR,
    "governor": _OPT_STR,
    "nvpmodel": _OPT_STR,
    "notice": _OPT_STR,
    "rails_w": _NUM_PAIRS,
    "thermal_c": _NUM_PAIRS,
    "throttle_reasons": _OPT_STRS,
    "pcie_gen": _OPT_INT,
    "pcie_width": _OPT_INT,
    "sources": _STR_PAIRS,
    "extra": _STR_PAIRS,
}


def _sample(x: Any, where: str, drops: Drops) -> TelemetrySample:
    d = c.obj(x, where)
    values: dict[str, Any] = {}
    for name in TelemetrySample.__dataclass_fields__:
        kind = SAMPLE_KINDS.get(name, _OPT_FLOAT)
        v, w = d.get(name), f"{where}.{name}"
        if kind == _FLOAT:
            values[name] = c.number(v, w)
        elif kind == _OPT_FLOAT:
            values[name] = drops.opt(v, w)
        elif kind == _BOOL:
            values[name] = c.boolean(v, w)
        elif kind == _OPT_STR:
            values[name] = c.opt_string(v, w)
        elif kind == _OPT_INT:
            values[name] = c.opt_integer(v, w, 0, 1 << 20)
        elif kind == _NUM_PAIRS:
            values[name] = None if v is None else _finite_pairs(v, w, drops)
        elif kind == _OPT_STRS:
            values[name] = None if v is None else c.strings(v, w, 1000)
        else:
            values[name] = c.str_pairs(v, w, 1000)
    return TelemetrySample(**values)


def _finite_pairs(v: Any, where: str, drops: Drops) -> tuple[tuple[str, float], ...]:
    """(name, number) pairs; a pair whose number is not finite or out of range is dropped."""
    out = []
    for i, pair in enumerate(c.lst(v, where, 1000)):
        pair = c.lst(pair, f"{where}[{i}]", 2)
        if len(pair) != 2:
            raise WireError(f"{where}[{i}]: expected a pair")
        value = drops.opt(pair[1], where)
        if value is not None:
            out.append((c.string(pair[0], f"{where}[{i}]"), value))
        elif pair[1] is None:
            raise WireError(f"{where}[{i}]: expected a number")
    return tuple(out)


def _tensor(x: Any, where: str) -> TensorInfo:
    d = c.obj(x, where)
    shape = d.get("shape")
    return TensorInfo(
        c.string(d.get("name"), f"{where}.name"),
        None if shape is None else tuple(c.integer(n, f"{where}.shape", -1) for n in c.lst(shape, where, 64)),
        c.opt_string(d.get("dtype"), f"{where}.dtype"),
        c.opt_string(d.get("format"), f"{where}.format"),
        c.opt_string(d.get("location"), f"{where}.location"),
    )


def _param(v: Any, where: str, depth: int = 0) -> object:
    if v is None or isinstance(v, (bool, int, str)):
        return c.string(v, where) if isinstance(v, str) else v
    if isinstance(v, list) and depth < 3:
        return [_param(x, where, depth + 1) for x in c.lst(v, where, 10_000)]
    if isinstance(v, dict) and depth < 3:
        if len(v) > 1000:
            raise WireError(f"{where}: too many entries")
        return {c.string(k, where): _param(x, where, depth + 1) for k, x in v.items()}
    return c.number(v, where)


def _layer(x: Any, where: str) -> LayerInfo:
    d = c.obj(x, where)
    params = c.obj(d.get("params"), f"{where}.params")
    if len(params) > 1000:
        raise WireError(f"{where}.params: too many entries")
    return LayerInfo(
        name=c.string(d.get("name"), f"{where}.name"),
        type=c.opt_string(d.get("type"), f"{where}.type"),
        precision=c.opt_string(d.get("precision"), f"{where}.precision"),
        tactic=c.opt_string(d.get("tactic"), f"{where}.tactic"),
        inputs=tuple(_tensor(t, f"{where}.inputs") for t in c.lst(d.get("inputs"), where, 1000)),
        outputs=tuple(_tensor(t, f"{where}.outputs") for t in c.lst(d.get("outputs"), where, 1000)),
        origin=c.opt_string(d.get("origin"), f"{where}.origin"),
        onnx_nodes=c.strings(d.get("onnx_nodes"), f"{where}.onnx_nodes", 10_000),
        stream_id=c.opt_integer(d.get("stream_id"), f"{where}.stream_id", 0, 1 << 16),
        params={c.string(k, f"{where}.params"): _param(v, f"{where}.params.{k}") for k, v in params.items()},
        output_precision=c.opt_string(d.get("output_precision"), f"{where}.output_precision"),
    )


def _facts(x: Any, drops: Drops) -> RunFacts | None:
    """How the run measures (`RunFacts`), every field checked against its declared type."""
    if x is None:
        return None
    d = c.obj(x, "info.facts")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(RunFacts):
        v, where = d.get(f.name), f"info.facts.{f.name}"
        kind = str(f.type)
        if v is None and "None" in kind:
            values[f.name] = None
        elif kind.startswith("float") and "None" in kind:
            values[f.name] = drops.opt(v, where, 0.0, MAX_VALUE)
        elif kind.startswith("int"):
            values[f.name] = c.integer(v, where, 0, 1 << 31)
        elif kind.startswith("float"):
            values[f.name] = c.number(v, where)
        elif kind.startswith("bool"):
            values[f.name] = c.boolean(v, where)
        elif kind.startswith("str"):
            values[f.name] = c.string(v, where)
        elif kind.startswith("tuple[tuple[str, str]"):
            values[f.name] = c.str_pairs(v, where, 100)
        else:
            raise WireError(f"{where}: a field this attacher cannot read")
    return RunFacts(**values)


def _hardware(x: Any, drops: Drops) -> DeviceSpec | None:
    """The device facts of the roofline (None: not sent)."""
    if x is None:
        return None
    d = c.obj(x, "info.hardware")
    cc = d.get("compute_capability")
    pair = None
    if cc is not None:
        items = c.lst(cc, "info.hardware.compute_capability", 2)
        if len(items) != 2:
            raise WireError("info.hardware.compute_capability: expected [major, minor]")
        pair = (c.integer(items[0], "info.hardware", 0, 1000), c.integer(items[1], "info.hardware", 0, 1000))

    def opt_int(key: str) -> int | None:
        v = d.get(key)
        return None if v is None else c.integer(v, f"info.hardware.{key}", 0, 1 << 20)

    integrated = d.get("integrated")
    return DeviceSpec(
        name=c.opt_string(d.get("name"), "info.hardware.name"),
        compute_capability=pair,
        sms=opt_int("sms"),
        sm_clock_mhz=drops.opt(d.get("sm_clock_mhz"), "info.hardware.sm_clock_mhz", 0.0, MAX_VALUE),
        mem_clock_mhz=drops.opt(d.get("mem_clock_mhz"), "info.hardware.mem_clock_mhz", 0.0, MAX_VALUE),
        bus_width_bits=opt_int("bus_width_bits"),
        integrated=None if integrated is None else c.boolean(integrated, "info.hardware.integrated"),
        source=c.opt_string(d.get("source"), "info.hardware.source"),
    )


def _info(x: Any, drops: Drops) -> SourceInfo:
    d = c.obj(x, "info")
    extra = c.obj(d.get("extra"), "info.extra")
    if len(extra) > 1000:
        raise WireError("info.extra: too many entries")
    shapes = []
    for i, pair in enumerate(c.lst(d.get("shapes"), "info.shapes", 1000)):
        pair = c.lst(pair, f"info.shapes[{i}]", 2)
        if len(pair) != 2:
            raise WireError(f"info.shapes[{i}]: expected [name, shape]")
        dims = tuple(c.integer(n, "info.shapes", -1) for n in c.lst(pair[1], "info.shapes", 64))
        shapes.append((c.string(pair[0], "info.shapes"), dims))
    return SourceInfo(
        kind=c.choice(d.get("kind"), "info.kind", KINDS),  # type: ignore[arg-type]
        label=c.string(d.get("label"), "info.label", 1000),
        simulated=c.boolean(d.get("simulated"), "info.simulated"),
        path=c.opt_string(d.get("path"), "info.path"),
        device=c.opt_string(d.get("device"), "info.device"),
        trt_module=c.opt_string(d.get("trt_module"), "info.trt_module"),
        trt_version=c.opt_string(d.get("trt_version"), "info.trt_version"),
        precision=c.opt_string(d.get("precision"), "info.precision"),
        shapes=tuple(shapes),
        mode=c.opt_string(d.get("mode"), "info.mode"),
        streams=c.integer(d.get("streams"), "info.streams", 1, 1024),
        aux_streams=c.integer(d.get("aux_streams"), "info.aux_streams", 0, 1024),
        layers=tuple(
            _layer(x, f"info.layers[{i}]") for i, x in enumerate(c.lst(d.get("layers"), "info", MAX_LAYERS))
        ),
        extra={c.string(k, "info.extra"): c.string(v, "info.extra") for k, v in extra.items()},
        facts=_facts(d.get("facts"), drops),
        duration_s=drops.opt(d.get("duration_s"), "info.duration_s", 0.0, MAX_MS),
        hardware=_hardware(d.get("hardware"), drops),
    )


def _latency(x: Any, where: str, drops: Drops) -> LatencyStats:
    d = c.obj(x, where)
    values = {name: drops.opt(d.get(name), f"{where}.{name}", 0.0, MAX_MS) for name in LATENCY_FIELDS}
    return LatencyStats(c.integer(d.get("count"), f"{where}.count"), **values)


def _event(x: Any, where: str, drops: Drops) -> TelemetryEvent:
    d = c.obj(x, where)
    pairs = {}
    for name in EVENT_PAIRS:
        pair = c.lst(d.get(name), f"{where}.{name}", 2)
        if len(pair) != 2:
            raise WireError(f"{where}.{name}: expected [before, at]")
        pairs[name] = (drops.opt(pair[0], f"{where}.{name}"), drops.opt(pair[1], f"{where}.{name}"))
    reasons = d.get("throttle_reasons")
    return TelemetryEvent(
        t=c.number(d.get("t"), f"{where}.t"),
        label=c.string(d.get("label"), f"{where}.label", 1000),
        sample_t=drops.opt(d.get("sample_t"), f"{where}.sample_t"),
        throttle_reasons=None if reasons is None else c.strings(reasons, where, 100),
        new_reasons=c.strings(d.get("new_reasons"), where, 100),
        findings=c.strings(d.get("findings"), where, 100),
        suspicious=c.boolean(d.get("suspicious"), f"{where}.suspicious"),
        **pairs,
    )


def _trend(x: Any, drops: Drops) -> tuple[TrendPoint, ...]:
    d = c.obj(x, "trend")
    t = c.array(d.get("t"), "trend.t", "f8", (None,))
    n = len(t)
    if n > 100_000:
        raise WireError("trend: too long")
    cols = [
        drops.cells(c.array(d.get(k), f"trend.{k}", "f8", (n,)), f"trend.{k}", 0.0, hi)
        for k, hi in (("p50", MAX_MS), ("p99", MAX_MS), ("throughput_per_s", MAX_VALUE))
    ]
    if not np.all(np.isfinite(t)):
        raise WireError("trend.t: not finite")

    def opt(v: float) -> float | None:
        return float(v) if np.isfinite(v) else None

    return tuple(TrendPoint(float(t[i]), opt(cols[0][i]), opt(cols[1][i]), opt(cols[2][i])) for i in range(n))


class WireDecoder:
    """Decodes the messages of one connection, in order (keeps what the encoder omits)."""

    def __init__(self) -> None:
        self.info: SourceInfo | None = None
        self.control = False
        self._names: dict[str, tuple[str, ...]] = {}
        self._total: LayerTable | None = None
        self._history: deque[TelemetrySample] = deque(maxlen=TELEMETRY_HISTORY)
        self.drops = Drops()  # what this connection's messages held that was not a measurement

    def decode_line(self, line: bytes | str) -> Update:
        """One message's JSON text -> `Update`; WireError when it is not JSON or not a valid message."""
        try:
            msg = json.loads(line)
        except (ValueError, RecursionError):
            raise WireError("not JSON") from None
        return self.decode(msg)

    def _table(self, x: Any, slot: str) -> LayerTable:
        d = c.obj(x, slot)
        names_x = d.get("names")
        if names_x is None:
            if slot not in self._names:
                raise WireError(f"{slot}: names omitted before they were sent")
            names = self._names[slot]
        else:
            names = c.strings(names_x, f"{slot}.names", MAX_LAYERS)
            last = self._names.get(slot)
            names = last if last == names and last is not None else names  # keep identity stable
            self._names[slot] = names
        n = len(names)
        if c.integer(d.get("n"), f"{slot}.n") != n:
            raise WireError(f"{slot}: {n} names but n={d.get('n')}")
        cols = {
            k: self.drops.cells(
                c.array(d.get(k), f"{slot}.{k}", "f4", (n,)),
                f"{slot}.{k}",
                0.0,
                MAX_SHARE_PCT if k == "share_pct" else MAX_MS,
            )
            for k in STAT_COLUMNS
        }
        count = c.array(d.get("count"), f"{slot}.count", "i8", (n,))
        if n and int(count.min()) < 0:
            raise WireError(f"{slot}.count: a negative count")
        recent = c.array(d.get("recent_ms"), f"{slot}.recent_ms", "f4", (None, n))
        return LayerTable(
            names=names,
            count=count,
            iterations=c.integer(d.get("iterations"), f"{slot}.iterations"),
            recent_ms=self.drops.cells(recent, f"{slot}.recent_ms", 0.0, MAX_MS),
            **cols,
        )

    def decode(self, x: Any) -> Update:
        """One decoded message -> `Update`, filled in with what earlier messages of this connection
        sent (info, names, totals, telemetry history). WireError on any structural fault; values
        that are not measurements are dropped and counted in `drops`. Also sets `control`."""
        msg = c.obj(x, "message")
        if msg.get("wire") != WIRE:
            raise WireError(f"not a {WIRE} message (wire={str(msg.get('wire'))[:40]!r})")
        simulated = c.boolean(msg.get("simulated"), "simulated")
        control = c.boolean(msg.get("control"), "control")
        if "info" in msg:
            info = _info(msg["info"], self.drops)
            self.info = info if info != self.info or self.info is None else self.info
        if self.info is None:
            raise WireError("the first message has no source info")
        if simulated != self.info.simulated:
            raise WireError("simulated flag disagrees with the source info")
        window = self._table(msg.get("layers_window"), "window")
        if "layers_total" in msg:
            self._total = self._table(msg["layers_total"], "total")
        if self._total is None:
            raise WireError("the first message has no layers_total")
        tel = msg.get("telemetry")
        telemetry = None if tel is None else _sample(tel, "telemetry", self.drops)
        new_x = c.lst(msg.get("telemetry_new"), "telemetry_new", 10_000)
        new = [_sample(s, "telemetry_new", self.drops) for s in new_x]
        for s in new:
            if self._history and s.t < self._history[-1].t:
                raise WireError("telemetry_new: samples out of time order")
            self._history.append(s)
        p = c.obj(msg.get("profile"), "profile")
        drops = self.drops
        recent = c.array(p.get("recent_latencies_ms"), "recent_latencies_ms", "f4", (None,))
        latency_window = _latency(p.get("latency_window"), "latency_window", drops)
        latency_total = _latency(p.get("latency_total"), "latency_total", drops)
        per_stream = tuple(
            _latency(s, "per_stream", drops) for s in c.lst(p.get("per_stream"), "per_stream", 1024)
        )
        trend = _trend(p.get("trend"), drops)
        events = tuple(_event(e, "events", drops) for e in c.lst(msg.get("events"), "events", MAX_EVENTS))
        notices = c.strings(p.get("notices"), "notices", MAX_NOTICES)
        profile = ProfileSnapshot(
            info=self.info,
            seq=c.integer(msg.get("seq"), "seq"),
            t=drops.opt(p.get("t"), "profile.t") or 0.0,
            elapsed_s=drops.opt(p.get("elapsed_s"), "profile.elapsed_s", 0.0, MAX_MS) or 0.0,
            state=c.choice(p.get("state"), "profile.state", STATES),  # type: ignore[arg-type]
            layers_window=window,
            layers_total=self._total,
            latency_window=latency_window,
            latency_total=latency_total,
            per_stream=per_stream,
            recent_latencies_ms=drops.samples(recent, "recent_latencies_ms", 0.0, MAX_MS),
            trend=trend,
            layer_sum_ms=drops.opt(p.get("layer_sum_ms"), "layer_sum_ms", 0.0, MAX_MS),
            profiled_gpu_ms=drops.opt(p.get("profiled_gpu_ms"), "profiled_gpu_ms", 0.0, MAX_MS),
            profiler_tax_ms=drops.opt(p.get("profiler_tax_ms"), "profiler_tax_ms", -MAX_MS, MAX_MS),
            profiler_tax_pct=drops.opt(p.get("profiler_tax_pct"), "profiler_tax_pct"),
            notices=notices,
            error=c.opt_string(p.get("error"), "profile.error"),
            startup=tuple(_step(s, "startup") for s in c.lst(p.get("startup", []), "startup", 64)),
            startup_running=None if p.get("startup_running") is None else _step(
                p.get("startup_running"), "startup_running"
            ),
        )
        cost_s = drops.opt(msg.get("cost_s"), "cost_s", 0.0, MAX_VALUE) or 0.0
        dropped = drops.notice()
        if dropped is not None:
            profile = dataclasses.replace(profile, notices=(*notices[: MAX_NOTICES - 1], dropped))
        self.control = control
        return Update(
            profile,
            telemetry,
            tuple(self._history),
            cost_s,
            events=events,
            settings=c.str_pairs(msg.get("settings"), "settings", 1000),
            dropped=c.integer(msg.get("dropped"), "dropped"),
        )


def _step(x: Any, where: str) -> StartupStep:
    """A start-up step: [name, seconds or null, simulated]."""
    item = c.lst(x, where, 3)
    if len(item) != 3:
        raise WireError(f"{where}: a start-up step is [name, seconds, simulated]")
    return StartupStep(c.string(item[0], where, 64), c.opt_number(item[1], where), c.boolean(item[2], where))
