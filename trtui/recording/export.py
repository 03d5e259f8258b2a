"""Write a trtui run as a trtexec-compatible recording, and the layer table as CSV.

`export_recording(update, directory, settings)` writes, atomically, into `directory`:

* `<name>.profile.json`: trtexec's `--exportProfile` layout (a count header, then one object per
  layer with `name`, `timeMs`, `averageMs`, `medianMs`, `percentage`, in that order), from the
  since-start layer table;
* `<name>.graph.json`: `--exportLayerInfo` layout in TensorRT 10's form (`Format/Datatype`),
  detailed where the source knows layer details, layer names only otherwise;
* `<name>.timing.json`: `--exportTimes` layout, one record per inference of the rolling latency
  window (see `timing_records` for what is synthesised);
* `<name>.profile.metadata.json`: run summary, trtui's settings, device (TREx's layout plus a
  "trtui" section that says whether the run was simulated);
* `<name>.metadata.json`: device attributes (TREx's layout), with "Simulated".

Numbers are written with full precision (trtexec prints 6 significant digits), so reading the
files back gives the same numbers.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from trtui.common import format as fmt
from trtui.common.atomic import atomic_open, write_json_atomic, write_text_atomic
from trtui.common.errors import UserError
from trtui.common.paths import check_output_folder
from trtui.common.version import __version__
from trtui.core.model import DeviceSpec, LayerInfo, SourceInfo
from trtui.engine_info.layer_info_writer import layer_to_json
from trtui.recording.files import recording_stem
from trtui.recording.roundtrip import export_section
from trtui.stats.energy_report import energy_dict
from trtui.stats.snapshot import LatencyStats, LayerTable
from trtui.stats.update import Update

TIMING_NOTE = (
    "synthesised by trtui from the measured per-inference latencies of the rolling window: "
    "latencyMs = computeMs is measured; h2dMs = d2hMs = 0 (latency includes any copies); start times "
    "are evenly spaced so that count / (last end - first start) equals the measured throughput "
    "(back to back when it is unknown); enqueue times are not measured (endEnqMs = startEnqMs)"
)


def _num(x: float) -> str:
    """A JSON number with full precision (shortest repr that reads back to the same float)."""
    return json.dumps(float(x))


def _finite(x: float) -> bool:
    return bool(math.isfinite(x))


def profile_json(table: LayerTable) -> str | None:
    """trtexec's profile text for a layer table; None when no layer has a time."""
    lines = ["[", f'  {{ "count" : {int(table.iterations)} }}']
    grand = float(np.nansum(table.total_ms))
    rows = 0
    for i, name in enumerate(table.names):
        total = float(table.total_ms[i])
        mean = float(table.mean_ms[i])
        if not (_finite(total) and _finite(mean)):
            continue  # a layer without samples: trtexec would not list it
        median = float(table.median_ms[i])
        pct = total / grand * 100.0 if grand > 0 else 0.0
        fields = [
            f'"name" : {json.dumps(name, ensure_ascii=False)}',
            f'"timeMs" : {_num(total)}',
            f'"averageMs" : {_num(mean)}',
        ]
        if _finite(median):  # absent medianMs is trtexec's older form
            fields.append(f'"medianMs" : {_num(median)}')
        fields.append(f'"percentage" : {_num(pct)}')
        lines.append(", { " + ", ".join(fields) + " }")
        rows += 1
    if rows == 0:
        return None
    lines.append("]")
    return "\n".join(lines) + "\n"


def graph_dict(table: LayerTable, infos: Iterable[LayerInfo]) -> dict[str, Any]:
    """The layer-info document: detailed objects where details are known, else names only.
    Layers in engine order (the source's layer list), then timed layers it does not list."""
    by_name: dict[str, LayerInfo] = {}
    order: list[str] = []
    for info in infos:
        if info.name not in by_name:
            by_name[info.name] = info
            order.append(info.name)
    order.extend(n for n in table.names if n not in by_name)

    def detailed(info: LayerInfo | None) -> bool:
        return info is not None and bool(
            info.type or info.precision or info.tactic or info.inputs or info.outputs or info.params
        )

    if not any(detailed(by_name.get(n)) for n in order):
        return {"Layers": list(order)}
    return {"Layers": [layer_to_json(by_name.get(n) or LayerInfo(name=n)) for n in order]}


def timing_records(latencies_ms: npt.NDArray[Any], throughput_per_s: float | None) -> list[dict[str, float]]:
    """trtexec `--exportTimes` records for measured latencies (see TIMING_NOTE)."""
    lat = np.asarray(latencies_ms, dtype=np.float64)
    n = len(lat)
    if n == 0:
        return []
    starts = np.concatenate([[0.0], np.cumsum(lat[:-1])])  # back to back
    if throughput_per_s and throughput_per_s > 0 and n > 1:
        span = n * 1000.0 / throughput_per_s  # what the measured throughput implies
        step = (span - lat[-1]) / (n - 1)
        if step > 0:
            starts = np.arange(n) * step
    out = []
    for s, x in zip(starts.tolist(), lat.tolist(), strict=True):
        e = s + x
        out.append({
            "startEnqMs": s, "endEnqMs": s, "startH2dMs": s, "endH2dMs": s,
            "startComputeMs": s, "endComputeMs": e, "startD2hMs": e, "endD2hMs": e,
            "h2dMs": 0.0, "computeMs": x, "d2hMs": 0.0, "latencyMs": x,
        })
    return out


def timing_json(records: list[dict[str, float]]) -> str:
    """trtexec's layout: one record per line, leading ", " separators."""
    lines = ["["]
    for i, rec in enumerate(records):
        body = ", ".join(f'"{k}" : {_num(v)}' for k, v in rec.items())
        lines.append(("  { " if i == 0 else ", { ") + body + " }")
    lines.append("]")
    return "\n".join(lines) + "\n"


def _stats_list(s: LatencyStats) -> list[float] | None:
    vals = [s.min, s.max, s.mean, s.median, s.p90, s.p95, s.p99]
    if any(v is None or not math.isfinite(v) for v in vals):
        return None
    return [float(v) for v in vals if v is not None]


def export_name(info: SourceInfo) -> str:
    """The file name stem: the engine's (or recording's) file name, else the label, made safe."""
    if info.path:
        p = Path(info.path)
        name = recording_stem(p) if info.kind == "recording" and p.suffix.lower() == ".json" else p.name
        if info.kind == "recording" and (p.is_dir() or not p.suffix):
            name = p.name
    else:
        name = info.label
    safe = re.sub(r"[^A-Za-z0-9._+-]+", "-", name).strip("-.")
    return safe or "trtui"


def _hardware_info(h: DeviceSpec | None) -> dict[str, Any]:
    """The roofline's device facts in trtexec's `device_information` words (GHz, bits), so that a
    trtui recording replays with its roofline."""
    if h is None:
        return {}
    out: dict[str, Any] = {}
    if h.compute_capability is not None:
        out["Compute Capability"] = f"{h.compute_capability[0]}.{h.compute_capability[1]}"
    if h.sms:
        out["SMs"] = h.sms
    if h.sm_clock_mhz:
        out["Compute Clock Rate"] = h.sm_clock_mhz / 1000
    if h.bus_width_bits:
        out["Memory Bus Width"] = h.bus_width_bits
    if h.mem_clock_mhz:
        out["Memory Clock Rate"] = h.mem_clock_mhz / 1000
    return out


def metadata_dicts(
    update: Update, settings: Mapping[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(`.profile.metadata.json`, `.metadata.json`) contents."""
    p = update.profile
    info = p.info
    tel = update.telemetry
    device = info.device or (tel.device_name if tel else None) or "unknown"
    simulated = bool(info.simulated or (tel is not None and tel.simulated))
    lat = p.latency_total
    perf: dict[str, Any] = {}
    if lat.throughput_per_s is not None:
        perf["Throughput"] = lat.throughput_per_s
    stats = _stats_list(lat)
    if stats is not None:
        perf["Latency"] = stats
    perf["Total Host Walltime"] = p.elapsed_s
    options = {str(k): str(v) for k, v in settings.items()}
    if info.mode:
        options.setdefault("Mode", info.mode)
    options.setdefault("Streams", str(info.streams))
    if info.shapes:
        options.setdefault(
            "Input inference shapes", ",".join(f"{n}={'x'.join(map(str, s))}" for n, s in info.shapes)
        )
    dev_info: dict[str, Any] = {"Selected Device": device}
    if tel is not None and tel.mem_total_mib is not None:
        dev_info["Device Global Memory"] = f"{tel.mem_total_mib:.0f} MiB"
    dev_info.update(_hardware_info(info.hardware))
    run_meta = {
        "performance_summary": perf,
        "inference_options": options,
        "device_information": dev_info,
        "trtui": {
            "version": __version__,
            "simulated": simulated,
            "source": {"kind": info.kind, "label": info.label, "path": info.path},
            "trt_module": info.trt_module,
            "trt_version": info.trt_version,
            "mode": info.mode,
            "precision": info.precision,
            "state": p.state,
            "inferences": lat.count,
            "profiled_iterations": p.layers_total.iterations,
            "latency_order": "min, max, mean, median, p90, p95, p99",
            "timing_note": TIMING_NOTE,
            "settings": dict(settings),
            **export_section(update),  # what trtexec's formats cannot carry (roundtrip.py)
            "energy": energy_dict(update.energy),
        },
    }
    attrs: dict[str, Any] = {"Name": device, "Simulated": simulated}
    if tel is not None and tel.mem_total_mib is not None:
        attrs["TotalMemory"] = int(tel.mem_total_mib * 1024 * 1024)
    return run_meta, [attrs]


def export_recording(
    update: Update, directory: Path, settings: Mapping[str, str], name: str | None = None
) -> list[Path]:
    """Write the run in trtexec's formats into `directory` (created if missing); returns the
    paths written. Each file is written atomically."""
    directory = Path(directory)
    check_output_folder(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create folder {directory}: {err.strerror or err}") from None
    p = update.profile
    stem = name or export_name(p.info)
    written: list[Path] = []
    table = p.layers_total
    text = profile_json(table)
    if text is not None:
        path = directory / f"{stem}.profile.json"
        write_text_atomic(path, text)
        written.append(path)
    if len(table) or p.info.layers:
        path = directory / f"{stem}.graph.json"
        write_json_atomic(path, graph_dict(table, p.info.layers))
        written.append(path)
    lat = p.latency_window if p.latency_window.throughput_per_s else p.latency_total
    records = timing_records(np.asarray(p.recent_latencies_ms), lat.throughput_per_s)
    if records:
        path = directory / f"{stem}.timing.json"
        write_text_atomic(path, timing_json(records))
        written.append(path)
    run_meta, device_meta = metadata_dicts(update, settings)
    for suffix, obj in ((".profile.metadata.json", run_meta), (".metadata.json", device_meta)):
        path = directory / f"{stem}{suffix}"
        write_json_atomic(path, obj)
        written.append(path)
    return written


CSV_COLUMNS = (
    "index", "name", "type", "precision", "output_precision", "tactic", "count", "mean_ms", "median_ms",
    "p90_ms", "p99_ms", "min_ms", "max_ms", "std_ms", "total_ms", "share_pct", "simulated",
)


def _cell(x: float) -> str:
    return repr(float(x)) if math.isfinite(x) else ""


def write_layers_csv(update: Update, path: Path) -> None:
    """The since-start layer table as CSV (one row per layer, engine order; empty cell = unknown),
    written atomically; `-` writes it to stdout."""
    if str(path) == "-":
        layers_csv(update, sys.stdout)
        sys.stdout.flush()
        return
    with atomic_open(path, "w") as fh:
        layers_csv(update, fh)


def layers_csv(update: Update, fh: IO[str]) -> None:
    """Write the CSV of `write_layers_csv` to an open text stream."""
    table = update.profile.layers_total
    infos = {layer.name: layer for layer in update.profile.info.layers}
    tel = update.telemetry
    simulated = "yes" if update.profile.info.simulated or (tel is not None and tel.simulated) else "no"
    numeric = CSV_COLUMNS[CSV_COLUMNS.index("count") + 1 : CSV_COLUMNS.index("simulated")]
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for i, name in enumerate(table.names):
        info = infos.get(name)
        w.writerow([
            i, fmt.safe(name),
            fmt.safe((info.type if info else None) or ""),
            fmt.safe((info.precision if info else None) or ""),
            fmt.safe((info.output_precision if info else None) or ""),
            fmt.safe((info.tactic if info else None) or ""),
            int(table.count[i]),
            *(_cell(float(getattr(table, c)[i])) for c in numeric),
            simulated,  # on every row, so that no row is taken for a measurement
        ])
