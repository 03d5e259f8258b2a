"""The fleet overview's rows (pure): one per attached device, from its feed's newest update and
connection state. The screen (`trtui.ui.fleet_app`) only draws these."""

from __future__ import annotations

import math
from dataclasses import dataclass

from trtui import format as fmt
from trtui.stats.update import Update

COLUMNS = ("device", "engine", "kind", "state", "p50 ms", "p99 ms", "inf/s", "GPU util", "power", "temp")
WIDTHS = (21, 22, 9, 24, 7, 7, 8, 8, 7, 6)  # a 140-column terminal holds every column


@dataclass(frozen=True, slots=True)
class FleetRow:
    device: str
    engine: str
    kind: str  # "SIMULATED", "engine", "recording", or "?" before the first message
    state: str  # the run's state, "connecting…", or "LOST (…)"
    p50: str
    p99: str
    throughput: str
    gpu_util: str
    power: str
    temp: str
    lost: bool = False

    def cells(self) -> tuple[str, ...]:
        return (
            self.device,
            self.engine,
            self.kind,
            self.state,
            self.p50,
            self.p99,
            self.throughput,
            self.gpu_util,
            self.power,
            self.temp,
        )


def fleet_row(
    device: str,
    update: Update | None,
    connected: bool,
    error: str | None = None,
    retry_in_s: float | None = None,
) -> FleetRow:
    """A row for `device`. `update` is the newest one the server sent (None before the first);
    a device not connected shows LOST with the reason and when it retries, its last numbers kept."""
    if update is None:
        blank = ("n/a",) * 6
        state = "connecting…" if error is None else _lost(error, retry_in_s)
        return FleetRow(device, "", "?", state, *blank, lost=error is not None)
    p = update.profile
    info = p.info
    tel = update.telemetry
    kind = "SIMULATED" if info.simulated else info.kind
    tp = p.latency_window.throughput_per_s or p.latency_total.throughput_per_s
    state = p.state.upper() if connected else _lost(error or "disconnected", retry_in_s)
    return FleetRow(
        device,
        info.label,
        kind,
        state,
        fmt.ms(p.latency_window.median),
        fmt.ms(p.latency_window.p99),
        "n/a" if tp is None or not math.isfinite(tp) else f"{tp:,.0f}",
        fmt.pct(tel.gpu_util_pct if tel else None, 0, 0),
        fmt.num(tel.power_w if tel else None, " W"),
        fmt.num(tel.temperature_c if tel else None, " °C"),
        lost=not connected,
    )


def _lost(error: str, retry_in_s: float | None) -> str:
    retry = "" if retry_in_s is None else f" (retry {max(retry_in_s, 0.0):.0f} s)"
    return f"LOST{retry}: {error[:60]}"
