"""Replay a recording as a `ProfileSource`: one batch with everything, then finished.

`open_recording(path)` opens a trtexec recording (one of its files, or its folder) or a trtui JSON
summary. The first `read()` returns the per-layer summary (`LayerSummaryTable`), the recorded
per-inference latencies (with the recorded wall time, so throughput is the recorded one) and
the notices; it is marked `finished`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.core.model import LayerSummaryTable, RunFacts, SourceBatch, SourceInfo, frozen_array, precision_mix
from trtui.core.run_facts import mode_line
from trtui.recording.hardware import recording_engine_facts, recording_hardware
from trtui.recording.inputs import SummaryFile, load_input
from trtui.recording.loader import Recording
from trtui.recording.roundtrip import read_back, recorded_latency
from trtui.recording.summary_reader import SummaryDoc

_SHAPE_SPEC = re.compile(r"([^,=\s][^,=]*)=(\d+(?:x\d+)*)")


def _shapes(rec: Recording) -> tuple[tuple[str, tuple[int, ...]], ...]:
    out: list[tuple[str, tuple[int, ...]]] = []
    if rec.layer_doc is not None:
        for t in rec.layer_doc.io:
            if t.mode == "input":
                shape = t.opt_shapes[0] if t.opt_shapes else t.shape
                if shape is not None:
                    out.append((t.name, shape))
    if out or rec.run_meta is None:
        return tuple(out)
    opts = rec.run_meta.inference_options
    spec = opts.get("Input inference shape") or opts.get("Input inference shapes") or ""
    for name, dims in _SHAPE_SPEC.findall(spec):
        out.append((name.strip(), tuple(int(d) for d in dims.split("x"))))
    return tuple(out)


def _facts(rec: Recording, streams: int, aux: int) -> RunFacts | None:
    """How the recorded run measured, as far as the recording says (worded by trtui.core.run_facts)."""
    if rec.run_meta is None:
        if rec.profile is not None or rec.times is not None:
            return RunFacts(recorded_by="trtexec", streams=streams, aux_streams=aux)
        return None
    t = rec.run_meta.trtui
    if t:
        mode = t.get("mode")
        return RunFacts(recorded_by=f"trtui {t.get('version', '')}".rstrip(),
                        recorded_mode=str(mode) if mode else None, streams=streams, aux_streams=aux)
    o = rec.run_meta.inference_options

    def flag(key: str) -> bool | None:
        return o[key].lower().startswith("enabled") if key in o else None

    return RunFacts(recorded_by="trtexec", cuda_graphs=flag("CUDA Graph"),
                    separate_profiling=flag("Separate profiling"), spin_wait=flag("Spin-wait"),
                    transfers=flag("Data transfers"), streams=streams, aux_streams=aux)


def _int(text: str | None, default: int) -> int:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return default


def recording_info(rec: Recording) -> SourceInfo:
    device = rec.device
    where = device or "an unknown device"
    simulated = rec.simulated
    extra: dict[str, str] = {
        "recording": f"recording of {where}{' (simulated data)' if simulated else ''}, not live",
        "files": ", ".join(p.name for p in rec.files.values()),
    }
    if rec.build_meta is not None and rec.build_meta.precision:
        extra["build precision"] = rec.build_meta.precision
    if rec.device_meta is not None and rec.device_meta.compute_capability:
        extra["compute capability"] = rec.device_meta.compute_capability
    elif rec.run_meta is not None and "Compute Capability" in rec.run_meta.device_information:
        extra["compute capability"] = rec.run_meta.device_information["Compute Capability"]
    if rec.run_meta is not None and rec.run_meta.throughput is not None:
        by = "trtui" if rec.run_meta.trtui else "trtexec"
        extra["recorded throughput"] = f"{rec.run_meta.throughput:g} inferences/s ({by}'s summary)"
    if rec.profile is not None:
        extra["profiled iterations"] = str(rec.profile.iterations)
    streams = _int(rec.run_meta.inference_options.get("Streams") if rec.run_meta else None, 1)
    aux = len({layer.stream_id for layer in rec.layers if layer.stream_id})
    trt_version = None
    if rec.run_meta is not None:
        v = rec.run_meta.trtui.get("trt_version") or rec.run_meta.device_information.get("TensorRT Version")
        trt_version = str(v) if v else None
    facts = _facts(rec, max(1, streams), aux)
    return SourceInfo(
        kind="recording",
        label=rec.label,
        simulated=simulated,
        path=str(rec.path),
        device=device,
        trt_version=trt_version,
        precision=precision_mix(rec.layers),
        shapes=_shapes(rec),
        mode=mode_line(facts) if facts is not None else None,
        streams=max(1, streams),
        aux_streams=aux,
        layers=rec.layers,
        extra=extra,
        facts=facts,
        hardware=recording_hardware(rec),
        engine=recording_engine_facts(rec),
    )


def summary_info(doc: SummaryDoc, path: Path) -> SourceInfo:
    where = doc.device or "an unknown device"
    sim = " (simulated data)" if doc.simulated else ""
    return SourceInfo(
        kind="recording",
        label=path.name,
        simulated=doc.simulated,
        path=str(path),
        device=doc.device,
        trt_version=doc.trt_version,
        precision=precision_mix(doc.infos),
        mode=f"trtui summary of {doc.label}" + (f" ({doc.mode})" if doc.mode else ""),
        layers=doc.infos,
        extra={
            "recording": f"summary of a run on {where}{sim}, not live",
            "files": path.name,
        },
    )


class RecordingSource:
    """A `ProfileSource` that replays a recording: everything in the first batch, then finished."""

    def __init__(
        self,
        info: SourceInfo,
        summary: LayerSummaryTable | None,
        latencies_ms: npt.NDArray[Any] | None = None,
        timing_wall_s: float = 0.0,
        notices: tuple[str, ...] = (),
        recording: Recording | None = None,
        profiled_gpu_ms: float | None = None,
        recorded_latency: dict[str, float] | None = None,
    ) -> None:
        self._info = info
        self.profiled_gpu_ms = profiled_gpu_ms
        self.recorded_latency = recorded_latency
        self.summary = summary
        self.latencies_ms = frozen_array(latencies_ms if latencies_ms is not None else ())
        self.timing_wall_s = timing_wall_s
        self.notices = notices
        self.recording = recording
        self._sent = False

    @property
    def info(self) -> SourceInfo:
        """What was recorded, described as the header shows it."""
        return self._info

    def start(self) -> None:
        """Nothing to start: the recording was read when the source was made."""
        pass

    def set_paused(self, paused: bool) -> None:
        """Nothing to pause."""
        pass  # nothing runs: a recording is read at once

    def stop(self) -> None:
        """Nothing to free."""
        pass

    def read(self, timeout: float) -> SourceBatch:
        """The whole recording on the first call, marked finished; after that an empty finished
        batch. Never waits."""
        t = self.timing_wall_s
        if self._sent:
            return SourceBatch(t=t, finished=True)
        self._sent = True
        return SourceBatch(
            t=t,
            latencies_ms=self.latencies_ms,  # type: ignore[arg-type]
            timing_wall_s=self.timing_wall_s,
            summary=self.summary,
            notices=self.notices,
            finished=True,
            profiled_gpu_ms=self.profiled_gpu_ms,
            recorded_latency=self.recorded_latency,
        )


def source_from_recording(rec: Recording) -> RecordingSource:
    times = rec.times
    section = rec.run_meta.trtui if rec.run_meta is not None else {}
    summary, gpu_ms, duration = read_back(rec.summary, section)
    recorded = recorded_latency(section)
    if duration is None and times is not None and times.wall_s > 0:
        duration = times.wall_s  # the trace's own span
    if duration is None and rec.run_meta is not None:
        walltime = rec.run_meta.performance.get("Total Host Walltime")
        if isinstance(walltime, (int, float)) and not isinstance(walltime, bool) and 0 <= walltime <= 1e12:
            duration = float(walltime)
    return RecordingSource(
        replace(recording_info(rec), duration_s=duration),
        summary,
        np.asarray(times.latency_ms) if times is not None else None,
        times.wall_s if times is not None else 0.0,
        rec.notices,
        rec,
        gpu_ms,
        recorded,
    )


def source_from_summary(doc: SummaryDoc, path: Path) -> RecordingSource:
    t = doc.layers
    summary = LayerSummaryTable(t.names, t.count, t.total_ms, t.mean_ms, t.median_ms, t.iterations)
    lat = doc.latency
    notices = (
        *doc.notices,
        f"{path.name} is a trtui summary: it holds latency statistics (mean "
        f"{'n/a' if lat.mean is None else f'{lat.mean:.4f}'} ms, p99 "
        f"{'n/a' if lat.p99 is None else f'{lat.p99:.4f}'} ms over {lat.count} inferences), "
        "not per-inference times",
    )
    return RecordingSource(summary_info(doc, path), summary if len(t) else None, None, 0.0, notices)


def open_recording(path: Path) -> RecordingSource:
    """Open a trtexec recording (a file of it, or its folder) or a trtui summary for replay.
    Raises UserError (one line) on bad input; warnings go to the batch's notices."""
    loaded = load_input(path)
    if isinstance(loaded, SummaryFile):
        return source_from_summary(loaded.doc, loaded.path)
    return source_from_recording(loaded)
