"""`Update`: everything the screen, the JSON summary and the exports show, as of one statistics tick.

The pipeline publishes one `Update` per tick; every consumer (the live screen, `trtui profile`'s
outputs, exports, a remote `attach`) reads only these. Nothing downstream reads a source.
"""

from __future__ import annotations

from dataclasses import dataclass

from trtui.stats.energy import EnergySnapshot
from trtui.stats.snapshot import ProfileSnapshot
from trtui.telemetry.history import TelemetryEvent
from trtui.telemetry.sample import TelemetrySample


@dataclass(frozen=True, slots=True)
class Update:
    """Everything the UI shows, as of one tick."""

    profile: ProfileSnapshot
    telemetry: TelemetrySample | None
    telemetry_history: tuple[TelemetrySample, ...]
    cost_s: float  # CPU seconds the pipeline spent building this update (own cost)
    # Latency spikes (p99 jumps) and what clocks/temperature/throttling did then; times are the
    # pipeline clock (time.monotonic), the same as the telemetry samples' `t`.
    events: tuple[TelemetryEvent, ...] = ()
    # The run's settings (option -> value as text), for exports' metadata.
    settings: tuple[tuple[str, str], ...] = ()
    # Updates that were merged away before this one was published (a slow consumer); 0 normally.
    dropped: int = 0
    energy: EnergySnapshot | None = None  # energy per inference (None without telemetry)
