"""Frames between the GPU process and its parent: `SourceInfo`, `SourceBatch`es, errors, controls.

A frame is `<u32 length><u8 kind><payload>`. Batches carry a small JSON header and their arrays as
raw little-endian bytes (no pickle: nothing here can run code when it is decoded). Layer names are
sent once per distinct name tuple and referred to by number afterwards, so that a 20,000-layer
profiled iteration costs its times only, and the decoded `ProfiledIteration.names` is the *same*
tuple object from one iteration to the next (the aggregators rely on that).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from dataclasses import asdict
from typing import IO, Any

import numpy as np

from trtui.core.kernel_records import KernelCapture, KernelRecord, LaunchCall, NvtxRange
from trtui.core.model import (
    DeviceSpec,
    EngineFacts,
    EngineIo,
    LayerInfo,
    ProfiledIteration,
    RunFacts,
    SourceBatch,
    SourceInfo,
    StartupStep,
    TensorInfo,
    frozen_array,
)

HEADER = struct.Struct("<IB")
MAX_FRAME = 1 << 30  # a frame larger than this is a broken stream, not data
STEPS_TICK_S = 0.25  # while the engine starts, the child sends a STEPS frame at least this often

REQUEST, INFO, BATCH, ERROR, CONTROL, REPLY, STEPS = 1, 2, 3, 4, 5, 6, 7
KINDS = {REQUEST, INFO, BATCH, ERROR, CONTROL, REPLY, STEPS}


class FrameError(Exception):
    """The stream is broken (truncated, oversized, or not what the other side sends)."""


def write_frame(out: IO[bytes], kind: int, payload: bytes) -> None:
    """Write one whole frame and flush it. Not locked: a writer shared by threads holds a lock around it."""
    out.write(HEADER.pack(len(payload), kind) + payload)
    out.flush()


def read_exact(inp: IO[bytes], n: int) -> bytes | None:
    """`n` bytes, or None at a clean end of stream; FrameError if it ends inside them."""
    chunks: list[bytes] = []
    got = 0
    while got < n:
        chunk = inp.read(n - got)
        if not chunk:
            if got == 0:
                return None
            raise FrameError(f"the stream ended inside a frame ({got} of {n} bytes)")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(inp: IO[bytes]) -> tuple[int, bytes] | None:
    """(kind, payload), or None at the end of the stream."""
    head = read_exact(inp, HEADER.size)
    if head is None:
        return None
    size, kind = HEADER.unpack(head)
    if kind not in KINDS or size > MAX_FRAME:
        raise FrameError(f"not a trtui frame (kind {kind}, {size} bytes)")
    payload = read_exact(inp, size) if size else b""
    if payload is None:
        raise FrameError("the stream ended before a frame's payload")
    return kind, payload


def encode_json(value: Mapping[str, Any]) -> bytes:
    """Compact JSON, NaN and infinities allowed (Python reads them back)."""
    return json.dumps(value, separators=(",", ":"), allow_nan=True).encode()


def decode_json(payload: bytes) -> dict[str, Any]:
    """The JSON object in a payload; `FrameError` when it is not JSON or not an object (every reader
    of frames handles that one error: a malformed frame never ends a reader thread unseen)."""
    try:
        value = json.loads(payload)
    except ValueError as err:  # bad JSON, or bytes that are not UTF-8
        raise FrameError(f"a frame's JSON is broken: {err}") from None
    if not isinstance(value, dict):
        raise FrameError("a frame's JSON is not an object")
    return value


# ------------------------------------------------------------------------------ SourceInfo


def encode_info(info: SourceInfo) -> bytes:
    """An INFO frame's payload: every field of the `SourceInfo`, as JSON."""
    return encode_json(asdict(info))


def _tensor(d: Mapping[str, Any]) -> TensorInfo:
    shape = d.get("shape")
    return TensorInfo(
        name=str(d["name"]),
        shape=tuple(int(x) for x in shape) if shape is not None else None,
        dtype=d.get("dtype"),
        format=d.get("format"),
        location=d.get("location"),
    )


def _layer(d: Mapping[str, Any]) -> LayerInfo:
    return LayerInfo(
        name=str(d["name"]),
        type=d.get("type"),
        precision=d.get("precision"),
        tactic=d.get("tactic"),
        inputs=tuple(_tensor(t) for t in d.get("inputs", ())),
        outputs=tuple(_tensor(t) for t in d.get("outputs", ())),
        origin=d.get("origin"),
        onnx_nodes=tuple(str(n) for n in d.get("onnx_nodes", ())),
        stream_id=d.get("stream_id"),
        params=dict(d.get("params") or {}),
        output_precision=d.get("output_precision"),
    )


def _facts(d: Mapping[str, Any] | None) -> RunFacts | None:
    if d is None:
        return None
    md = d.get("ultralytics")
    return RunFacts(
        profile_every=_opt_int(d.get("profile_every")),
        profile_time_cap=None if d.get("profile_time_cap") is None else float(d["profile_time_cap"]),
        profiling_off=d.get("profiling_off"),
        cuda_graphs=_opt_bool(d.get("cuda_graphs")),
        graphs_asked=_opt_bool(d.get("graphs_asked")),
        graphs_off=d.get("graphs_off"),
        transfers=_opt_bool(d.get("transfers")),
        streams=int(d.get("streams", 1)),
        aux_streams=int(d.get("aux_streams", 0)),
        io_bytes=_opt_int(d.get("io_bytes")),
        ultralytics=None if md is None else tuple((str(k), str(v)) for k, v in md),
        simulated=bool(d.get("simulated", False)),
        recorded_by=d.get("recorded_by"),
        recorded_mode=d.get("recorded_mode"),
        separate_profiling=_opt_bool(d.get("separate_profiling")),
        spin_wait=_opt_bool(d.get("spin_wait")),
        kernels=d.get("kernels"),
        profiled_graph=_opt_bool(d.get("profiled_graph")),
        profiled_graph_off=d.get("profiled_graph_off"),
    )


def _opt_int(x: Any) -> int | None:
    return None if x is None else int(x)


def _opt_bool(x: Any) -> bool | None:
    return None if x is None else bool(x)


def _hardware(d: Mapping[str, Any] | None) -> DeviceSpec | None:
    if d is None:
        return None
    cc = d.get("compute_capability")
    return DeviceSpec(
        name=d.get("name"),
        compute_capability=None if cc is None else (int(cc[0]), int(cc[1])),
        sms=_opt_int(d.get("sms")),
        sm_clock_mhz=None if d.get("sm_clock_mhz") is None else float(d["sm_clock_mhz"]),
        mem_clock_mhz=None if d.get("mem_clock_mhz") is None else float(d["mem_clock_mhz"]),
        bus_width_bits=_opt_int(d.get("bus_width_bits")),
        integrated=_opt_bool(d.get("integrated")),
        source=d.get("source"),
    )


def _shape(s: Any) -> tuple[int, ...] | None:
    return None if s is None else tuple(int(x) for x in s)


def _engine(d: Mapping[str, Any] | None) -> EngineFacts | None:
    if d is None:
        return None
    io = tuple(
        EngineIo(
            name=str(t["name"]), mode=t.get("mode"), dtype=t.get("dtype"), shape=_shape(t.get("shape")),
            format=t.get("format"),
            profiles=tuple(
                (_shape(a) or (), _shape(b) or (), _shape(c) or ()) for a, b, c in t.get("profiles", ())
            ),
        )
        for t in d.get("io", ())
    )
    return EngineFacts(
        trt_version=d.get("trt_version"),
        built_for=d.get("built_for"),
        io=io,
        profiles=_opt_int(d.get("profiles")),
        device_memory_bytes=_opt_int(d.get("device_memory_bytes")),
        context_memory_bytes=_opt_int(d.get("context_memory_bytes")),
        builder=tuple((str(k), str(v)) for k, v in d.get("builder", ())),
        source=d.get("source"),
    )


def decode_info(payload: bytes) -> SourceInfo:
    """The `SourceInfo` of an INFO frame; `FrameError` when a required field is missing or malformed."""
    d = decode_json(payload)
    try:
        return SourceInfo(
            kind=d["kind"],
            label=str(d["label"]),
            simulated=bool(d["simulated"]),
            path=d.get("path"),
            device=d.get("device"),
            trt_module=d.get("trt_module"),
            trt_version=d.get("trt_version"),
            precision=d.get("precision"),
            shapes=tuple((str(n), tuple(int(x) for x in s)) for n, s in d.get("shapes", ())),
            mode=d.get("mode"),
            streams=int(d.get("streams", 1)),
            aux_streams=int(d.get("aux_streams", 0)),
            layers=tuple(_layer(x) for x in d.get("layers", ())),
            extra={str(k): str(v) for k, v in (d.get("extra") or {}).items()},
            facts=_facts(d.get("facts")),
            duration_s=None if d.get("duration_s") is None else float(d["duration_s"]),
            hardware=_hardware(d.get("hardware")),
            engine=_engine(d.get("engine")),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise FrameError(f"a malformed source description ({err})") from None


# ------------------------------------------------------------------------------ start-up steps


def steps_json(steps: tuple[StartupStep, ...]) -> list[list[Any]]:
    """Start-up steps as compact JSON lists: [name, duration or null, simulated]."""
    return [[s.name, s.duration_s, s.simulated] for s in steps]


def steps_from_json(items: Any) -> tuple[StartupStep, ...]:
    return tuple(
        StartupStep(str(name), None if duration is None else float(duration), bool(simulated))
        for name, duration, simulated in items
    )


def encode_steps(steps: tuple[StartupStep, ...]) -> bytes:
    """A STEPS frame's payload: the steps that began or ended while the engine starts (the child
    sends one at least every `STEPS_TICK_S` meanwhile, empty when nothing changed)."""
    return encode_json({"steps": steps_json(steps)})


def decode_steps(payload: bytes) -> tuple[StartupStep, ...]:
    """The start-up steps of a STEPS frame; `FrameError` when malformed."""
    try:
        return steps_from_json(decode_json(payload)["steps"])
    except (KeyError, TypeError, ValueError) as err:
        raise FrameError(f"a malformed start-up step frame ({err})") from None


# ------------------------------------------------------------------------------ SourceBatch


def _capture_json(c: KernelCapture | None) -> dict[str, Any] | None:
    """A profiled inference's kernel capture (--kernels) as JSON: records as compact lists."""
    if c is None:
        return None
    return {
        "k": [[k.name, k.start_ns, k.end_ns, k.stream, k.correlation_id] for k in c.kernels],
        "l": [[x.correlation_id, x.start_ns, x.end_ns, x.thread] for x in c.launches],
        "r": [[r.name, r.start_ns, r.end_ns, r.thread, r.domain] for r in c.ranges],
        "cost": c.cost_s,
        "sim": c.simulated,
        "dropped": c.dropped,
    }


def _capture(d: Mapping[str, Any]) -> KernelCapture:
    return KernelCapture(
        kernels=tuple(KernelRecord(str(n), int(a), int(b), int(s), int(c)) for n, a, b, s, c in d["k"]),
        launches=tuple(LaunchCall(int(c), int(a), int(b), int(t)) for c, a, b, t in d["l"]),
        ranges=tuple(
            NvtxRange(str(n), int(a), int(b), int(t), None if dom is None else str(dom))
            for n, a, b, t, dom in d["r"]
        ),
        cost_s=float(d["cost"]),
        simulated=bool(d["sim"]),
        dropped=int(d["dropped"]),
    )


class BatchEncoder:
    """Encodes batches; remembers which layer-name tuples the other side already has."""

    def __init__(self) -> None:
        self._ids: dict[int, tuple[tuple[str, ...], int]] = {}  # id(names) -> (names, number)

    def encode(self, batch: SourceBatch, extra_notices: tuple[str, ...] = ()) -> bytes:
        """A BATCH frame's payload. Sends only what a live engine produces: latencies, their streams,
        profiled iterations (with kernel captures), notices plus `extra_notices`, end and error, start-up
        steps; a recording's summary fields are not carried. Frames must reach one `BatchDecoder` in order."""
        new_names: dict[str, list[str]] = {}
        profiled = []
        arrays: list[bytes] = [
            np.ascontiguousarray(batch.latencies_ms, dtype="<f8").tobytes(),
        ]
        streams = batch.latency_streams
        if streams is not None:
            arrays.append(np.ascontiguousarray(streams, dtype="<i8").tobytes())
        for it in batch.profiled:
            known = self._ids.get(id(it.names))
            if known is None or known[0] is not it.names:
                known = (it.names, len(self._ids))
                self._ids[id(it.names)] = known
                new_names[str(known[1])] = list(it.names)
            profiled.append([known[1], int(it.times_ms.size), it.gpu_ms, _capture_json(it.kernels)])
            arrays.append(np.ascontiguousarray(it.times_ms, dtype="<f8").tobytes())
        head = encode_json(
            {
                "t": batch.t,
                "wall": batch.timing_wall_s,
                "lat": int(batch.latencies_ms.size),
                "streams": -1 if streams is None else int(streams.size),
                "profiled": profiled,
                "names": new_names,
                "notices": [*batch.notices, *extra_notices],
                "finished": batch.finished,
                "error": batch.error,
                "startup": steps_json(batch.startup),
            }
        )
        return struct.pack("<I", len(head)) + head + b"".join(arrays)


class BatchDecoder:
    """Decodes the frames of one `BatchEncoder`, in order; keeps the layer-name tuples it was sent."""

    def __init__(self) -> None:
        self._names: dict[int, tuple[str, ...]] = {}

    def decode(self, payload: bytes) -> SourceBatch:
        """The `SourceBatch` of a BATCH frame, arrays read-only; `FrameError` when the frame is malformed or
        names a layer-name tuple it was never sent."""
        try:
            (n,) = struct.unpack_from("<I", payload)
            head = decode_json(payload[4 : 4 + n])
            view = memoryview(payload)[4 + n :]
            for key, names in head["names"].items():
                self._names[int(key)] = tuple(str(x) for x in names)
            pos = 0

            def take(count: int, dtype: str) -> np.ndarray[Any, Any]:
                nonlocal pos
                size = count * 8
                if count < 0 or pos + size > len(view):
                    raise FrameError("a batch frame is shorter than its header says")
                arr = np.frombuffer(view[pos : pos + size], dtype=dtype).astype(dtype[1:])
                pos += size
                return arr

            latencies = take(int(head["lat"]), "<f8")
            n_streams = int(head["streams"])
            streams = take(n_streams, "<i8") if n_streams >= 0 else None
            profiled = []
            for entry in head["profiled"]:
                names_id, size, gpu_ms = entry[:3]
                kernels = _capture(entry[3]) if len(entry) > 3 and entry[3] is not None else None
                names = self._names[int(names_id)]
                times = take(int(size), "<f8")
                if times.size != len(names):
                    raise FrameError("a profiled iteration's times do not match its layer names")
                times.setflags(write=False)
                gpu = None if gpu_ms is None else float(gpu_ms)
                profiled.append(ProfiledIteration(names, times, gpu, kernels))
            return SourceBatch(
                t=float(head["t"]),
                latencies_ms=frozen_array(latencies),
                latency_streams=None if streams is None else frozen_array(streams, np.int64),
                timing_wall_s=float(head["wall"]),
                profiled=tuple(profiled),
                notices=tuple(str(x) for x in head["notices"]),
                finished=bool(head["finished"]),
                error=None if head["error"] is None else str(head["error"]),
                startup=steps_from_json(head.get("startup", ())),
            )
        except (KeyError, TypeError, ValueError, struct.error) as err:
            raise FrameError(f"a malformed batch frame ({err})") from None
