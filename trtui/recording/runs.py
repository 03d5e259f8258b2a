"""Open anything `trtui compare` / `trtui analyze` accept as a `RunData`: a trtexec recording
(one of its files, or its folder) or a trtui JSON summary."""

from __future__ import annotations

from pathlib import Path

from trtui.analysis.run import RunData, infos_by_name
from trtui.analysis.run_energy import RunEnergy, energy_from_block
from trtui.common.errors import UserError
from trtui.recording.hardware import recording_engine_facts, recording_hardware
from trtui.recording.inputs import SummaryFile, load_input
from trtui.recording.loader import Recording, require_complete
from trtui.recording.summary_reader import SummaryDoc
from trtui.stats.latency import latency_stats
from trtui.stats.layers import LayerAggregator
from trtui.stats.snapshot import LayerTable


def run_from_recording(rec: Recording) -> RunData:
    """A loaded recording as a run: its per-layer table, its latencies (when it has a times file),
    its energy (trtui's exports only), hardware and engine facts. UserError on a bad energy block."""
    table = LayerTable.empty()
    if rec.summary is not None:
        agg = LayerAggregator()
        agg.set_summary(rec.summary)
        table = agg.total()
    latency = None
    if rec.times is not None:
        lat = rec.times.latency_ms
        tput = len(lat) / rec.times.wall_s if rec.times.wall_s > 0 else None
        latency = latency_stats(lat, tput)
    return RunData(
        label=rec.label,
        layers=table,
        infos=infos_by_name(rec.layers),
        latency=latency,
        device=rec.device,
        simulated=rec.simulated,
        origin="recording",
        path=str(rec.path),
        notices=rec.notices,
        energy=_recording_energy(rec),
        hardware=recording_hardware(rec),
        engine=recording_engine_facts(rec),
        layer_order=rec.layers,
    )


def _recording_energy(rec: Recording) -> dict[str, RunEnergy]:
    """A trtui export's energy (run metadata, "trtui" -> "energy"); trtexec records none."""
    if rec.run_meta is None:
        return {}
    try:
        return energy_from_block(rec.run_meta.trtui.get("energy"), "trtui.energy")
    except UserError as err:
        raise UserError(f"{rec.path}: run metadata: {err}") from None


def run_from_summary(doc: SummaryDoc, path: Path) -> RunData:
    """A trtui JSON summary read from `path` as a run (latency None when it counted no inference).
    UserError on a malformed energy block."""
    return RunData(
        label=path.name,
        layers=doc.layers,
        infos=infos_by_name(doc.infos),
        latency=doc.latency if doc.latency.count else None,
        device=doc.device,
        simulated=doc.simulated,
        origin="summary",
        path=str(path),
        notices=doc.notices,
        energy=energy_from_block(doc.raw.get("energy")),
    )


def load_run(path: Path) -> RunData:
    """A recording (file or folder) or a trtui summary -> RunData; UserError on bad input, and on
    a recording with a file that could not be read (a comparison must not use half of it)."""
    loaded = load_input(path)
    if isinstance(loaded, SummaryFile):
        return run_from_summary(loaded.doc, loaded.path)
    return run_from_recording(require_complete(loaded))
