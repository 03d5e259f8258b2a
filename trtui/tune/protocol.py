"""The line protocol between the tuner and its build child (`python -m trtui.gpu.build.builder`).

The child prints one JSON object per line on stdout, each with `"trtui": 1` and an `"ev"`:

- `{"ev": "progress", "kind": "start"|"step"|"finish", "phase", "parent", "step", "total"}`
- `{"ev": "log", "sev": "E"|"W"|"I"|"V", "msg"}`: a TensorRT logger message
- `{"ev": "result", "engine_bytes", "device_memory_bytes", "weights_bytes", "io_bytes", "latency_ms",
  "build_s", "note"}`: the engine is built and already renamed into place
- `{"ev": "error", "kind": "fatal"|"build_failed", "message"}`
- `{"ev": "probe", ...}`: the answer to `probe` (see `trtui.gpu.build.builder`)

Anything else on stdout or stderr (TensorRT and CUDA print there directly too) is a raw log line.
"""

from __future__ import annotations

import json
from typing import Any

from trtui.tune.attempt import BuildEvent, BuildLog, BuildProgress

VERSION = 1


def encode(ev: str, **fields: Any) -> str:
    """One protocol line (no newline)."""
    return json.dumps({"trtui": VERSION, "ev": ev, **fields}, separators=(",", ":"))


def decode(line: str) -> dict[str, Any] | None:
    """The protocol object on `line`, or None when it is a raw line."""
    s = line.strip()
    if not (s.startswith("{") and s.endswith("}")):
        return None
    try:
        obj = json.loads(s)
    except ValueError:
        return None
    if not isinstance(obj, dict) or obj.get("trtui") != VERSION or not isinstance(obj.get("ev"), str):
        return None
    return obj


def to_event(obj: dict[str, Any]) -> BuildEvent | None:
    """A progress or log object as a `BuildEvent` (None for other kinds or malformed ones)."""
    ev = obj.get("ev")
    if ev == "progress":
        kind = obj.get("kind")
        phase = obj.get("phase")
        if kind not in ("start", "step", "finish") or not isinstance(phase, str):
            return None
        parent = obj.get("parent")
        return BuildProgress(
            kind,
            phase,
            parent if isinstance(parent, str) else None,
            _int(obj.get("step")),
            _int(obj.get("total")),
        )
    if ev == "log":
        msg = obj.get("msg")
        sev = obj.get("sev")
        if not isinstance(msg, str):
            return None
        return BuildLog(sev if isinstance(sev, str) else "", msg)
    return None


def _int(v: object) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


def opt_int(v: object) -> int | None:
    """A whole number >= 0 from a child's message; None for anything else (booleans included)."""
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None


def opt_float(v: object) -> float | None:
    """A finite number >= 0 from a child's message, as a float; None for anything else."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if f >= 0 and f == f and f != float("inf") else None
