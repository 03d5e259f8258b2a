"""`--trace FILE`: the profiled inferences in the Chrome trace event format (JSON object form),
which Perfetto (ui.perfetto.dev) and chrome://tracing open.

Process 1 is the GPU: per stream, one track of layers and one of kernels, all complete ("X")
events. A layer's event spans its kernels (first start to last end) on the stream of its first
kernel; its profiler time is in `args`. Process 2 is the host: the NVTX ranges per thread. Times
are microseconds from the first recorded timestamp. Written atomically.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trtui.common.atomic import write_text_atomic
from trtui.kernels.attribute import Attribution
from trtui.kernels.names import demangle_all, short_name

SCHEMA = "trtui.trace/1"
GPU_PID = 1
HOST_PID = 2


def _us(ns: int, t0: int) -> float:
    return round((ns - t0) / 1000.0, 3)


def _meta(pid: int, tid: int | None, what: str, name: str, sort: int | None = None) -> list[dict[str, Any]]:
    ev: dict[str, Any] = {"ph": "M", "pid": pid, "name": what, "args": {"name": name}}
    if tid is not None:
        ev["tid"] = tid
    out = [ev]
    if sort is not None and tid is not None:
        out.append(
            {"ph": "M", "pid": pid, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": sort}}
        )
    return out


def trace_events(
    inferences: Sequence[Attribution],
    simulated: bool = False,
    device: str | None = None,
) -> dict[str, Any]:
    """The trace as a JSON-ready object."""
    stamps = [k.start_ns for a in inferences for k in a.kernels]
    stamps += [r.start_ns for a in inferences for r in a.ranges]
    t0 = min(stamps) if stamps else 0
    tag = " (simulated)" if simulated else ""
    events: list[dict[str, Any]] = []
    events += _meta(GPU_PID, None, "process_name", f"GPU{tag}: {device}" if device else f"GPU{tag}")
    events += _meta(HOST_PID, None, "process_name", f"Host{tag}: NVTX ranges")
    names = demangle_all({k.name for a in inferences for k in a.kernels})
    streams: set[int] = set()
    threads: set[int] = set()
    for n, att in enumerate(inferences):
        spans: dict[int, list[int]] = {}  # layer -> [start, end, stream, count]
        for k, li in zip(att.kernels, att.kernel_layer, strict=True):
            streams.add(k.stream)
            full = names.get(k.name, k.name)
            layer = att.layers[li] if li >= 0 else None
            events.append(
                {
                    "ph": "X",
                    "cat": "kernel",
                    "name": short_name(full, 80),
                    "pid": GPU_PID,
                    "tid": 2 * k.stream + 1,
                    "ts": _us(k.start_ns, t0),
                    "dur": round(k.duration_ns / 1000.0, 3),
                    "args": {
                        "kernel": full,
                        "layer": layer,
                        "inference": n,
                        "correlation_id": k.correlation_id,
                    },
                }
            )
            if li >= 0:
                span = spans.get(li)
                if span is None:
                    spans[li] = [k.start_ns, k.end_ns, k.stream, 1]
                else:
                    span[0], span[1], span[3] = min(span[0], k.start_ns), max(span[1], k.end_ns), span[3] + 1
        for li, (start, end, stream, count) in sorted(spans.items(), key=lambda x: x[1][0]):
            ms = att.layer_ms[li] if li < len(att.layer_ms) else math.nan
            events.append(
                {
                    "ph": "X",
                    "cat": "layer",
                    "name": att.layers[li],
                    "pid": GPU_PID,
                    "tid": 2 * stream,
                    "ts": _us(start, t0),
                    "dur": round(max(end - start, 0) / 1000.0, 3),
                    "args": {
                        "profiler_ms": ms if math.isfinite(ms) else None,
                        "kernels": count,
                        "inference": n,
                        "attribution": att.method,
                    },
                }
            )
    for n, att in enumerate(inferences):
        for r in att.ranges:
            threads.add(r.thread)
            events.append(
                {
                    "ph": "X",
                    "cat": "nvtx",
                    "name": r.name,
                    "pid": HOST_PID,
                    "tid": r.thread,
                    "ts": _us(r.start_ns, t0),
                    "dur": round(max(r.end_ns - r.start_ns, 0) / 1000.0, 3),
                    "args": {"domain": r.domain, "inference": n},
                }
            )
    for i, s in enumerate(sorted(streams)):
        events += _meta(GPU_PID, 2 * s, "thread_name", f"stream {s}: layers", 2 * i)
        events += _meta(GPU_PID, 2 * s + 1, "thread_name", f"stream {s}: kernels", 2 * i + 1)
    for t in sorted(threads):
        events += _meta(HOST_PID, t, "thread_name", f"thread {t}")
    methods = sorted({a.method for a in inferences})
    return {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "schema": SCHEMA,
            "generator": "trtui",
            "simulated": simulated,
            "inferences": len(inferences),
            "attribution": ", ".join(methods) if methods else "none",
        },
    }


def write_trace(path: str | Path, trace: Mapping[str, Any]) -> None:
    """The trace as compact, strict JSON (NaN refused), written atomically; a failure to write is a
    one-line `UserError`."""
    write_text_atomic(path, json.dumps(trace, allow_nan=False, separators=(",", ":")) + "\n")


def check_trace(obj: object) -> list[str]:
    """What is wrong with a trace-event JSON object (empty when it is valid): the subset of the
    format that trtui writes (complete and metadata events)."""
    problems: list[str] = []
    if not isinstance(obj, dict) or not isinstance(obj.get("traceEvents"), list):
        return ["not an object with a 'traceEvents' list"]
    for i, ev in enumerate(obj["traceEvents"]):
        if not isinstance(ev, dict):
            problems.append(f"event {i}: not an object")
            continue
        ph = ev.get("ph")
        if ph not in ("X", "M"):
            problems.append(f"event {i}: phase {ph!r} (expected 'X' or 'M')")
        if not isinstance(ev.get("name"), str):
            problems.append(f"event {i}: no name")
        if not isinstance(ev.get("pid"), int):
            problems.append(f"event {i}: pid is not an integer")
        if ph == "X":
            if not isinstance(ev.get("tid"), int):
                problems.append(f"event {i}: tid is not an integer")
            for key in ("ts", "dur"):
                v = ev.get(key)
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                    problems.append(f"event {i}: {key} is not a finite number >= 0")
        if ph == "M" and not isinstance(ev.get("args"), dict):
            problems.append(f"event {i}: metadata without args")
    return problems
