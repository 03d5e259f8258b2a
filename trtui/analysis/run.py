"""`RunData`: one run as the analyses see it (a layer table, layer details, latency), whatever it
came from: a trtexec recording, a trtui summary, or a live session's update."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from trtui.analysis.run_energy import RunEnergy, energy_from_snapshot
from trtui.core.model import DeviceSpec, EngineFacts, LayerInfo
from trtui.stats.snapshot import LatencyStats, LayerTable

if TYPE_CHECKING:
    from trtui.stats.update import Update


@dataclass(frozen=True, slots=True)
class RunData:
    """One run, whatever it came from; None and empty fields mean the source did not record that."""

    label: str
    layers: LayerTable  # per-layer statistics (mean_ms = time per inference)
    infos: Mapping[str, LayerInfo] = field(default_factory=dict)  # by layer name (table names)
    latency: LatencyStats | None = None  # end-to-end, unprofiled; None when not recorded
    device: str | None = None
    simulated: bool = False
    origin: str = "recording"  # "recording", "summary", "live"
    path: str | None = None
    notices: tuple[str, ...] = ()
    energy: Mapping[str, RunEnergy] = field(default_factory=dict)  # by scope: "gpu", "module"
    hardware: DeviceSpec | None = None  # SMs, clocks, bus width (the roofline)
    engine: EngineFacts | None = None  # the engine card's facts
    layer_order: tuple[LayerInfo, ...] = ()  # every layer in engine order (NoOps included)
    clocks: tuple[float | None, float | None] = (None, None)  # live: NVML's current SM, memory MHz

    def info(self, name: str) -> LayerInfo | None:
        """The layer's details, None when the run has none for that name."""
        return self.infos.get(name)


def infos_by_name(layers: Sequence[LayerInfo]) -> dict[str, LayerInfo]:
    """Layer details keyed by name; for a name that repeats, the first one."""
    out: dict[str, LayerInfo] = {}
    for layer in layers:
        out.setdefault(layer.name, layer)
    return out


def run_from_update(update: Update, label: str | None = None) -> RunData:
    """A live (or replayed) session's state as RunData, e.g. to compare it with a recording."""
    p = update.profile
    info = p.info
    return RunData(
        label=label or info.label,
        layers=p.layers_total,
        infos=infos_by_name(info.layers),
        latency=p.latency_total if p.latency_total.count else None,
        device=info.device or (update.telemetry.device_name if update.telemetry else None),
        simulated=info.simulated,
        origin="recording" if info.kind == "recording" else "live",
        path=info.path,
        notices=p.notices,
        energy=energy_from_snapshot(update.energy),
        hardware=info.hardware,
        engine=info.engine,
        layer_order=info.layers,
        clocks=live_clocks(update),
    )


def live_clocks(update: Update) -> tuple[float | None, float | None]:
    """NVML's current (SM, memory) clocks in MHz for a live engine; (None, None) otherwise (a
    recording keeps its recorded clocks; a simulated run has no real clocks)."""
    info = update.profile.info
    tel = update.telemetry
    if info.kind != "engine" or info.simulated or tel is None or tel.simulated:
        return None, None
    return tel.sm_clock_mhz, tel.mem_clock_mhz
