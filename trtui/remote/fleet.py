"""The fleet overview's rows (pure): one per attached device, from its feed's newest update and
connection state. The screen (`trtui.ui.fleet_app`) only draws these."""

from __future__ import annotations

import math
from dataclasses import dataclass

from trtui.common import format as fmt
from trtui.stats.update import Update

# The numbers a glance needs come first, so that an 80-column terminal shows device, state, p50,
# p99 and inferences/s; the rest follows (a 140-column terminal holds every column).
COLUMNS = ("device", "state", "p50 ms", "p99 ms", "inf/s", "engine", "kind", "GPU util", "power", "temp")
WIDTHS = (21, 16, 7, 7, 8, 22, 9, 8, 7, 6)


@dataclass(frozen=True, slots=True)
class FleetRow:
    """One device's row; `reason` (why a lost device is lost, in full) is shown under the table."""

    device: str
    engine: str
    kind: str  # "SIMULATED", "engine", "recording", or "?" before the first message
    state: str  # the run's state, "connecting…", or "LOST (retry N s)"
    p50: str
    p99: str
    throughput: str
    gpu_util: str
    power: str
    temp: str
    lost: bool = False
    reason: str | None = None

    def cells(self) -> tuple[str, ...]:
        """The table's cells, in `COLUMNS` order."""
        return (
            self.device,
            self.state,
            self.p50,
            self.p99,
            self.throughput,
            self.engine,
            self.kind,
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
    a device not connected shows LOST and when it retries (the reason in `reason`), or
    "connecting…" before its first attempt ends, its last numbers kept either way."""
    lost = not connected and error is not None
    if update is None:
        blank = ("n/a",) * 6
        state = _lost(retry_in_s) if lost else "connecting…"
        return FleetRow(device, "", "?", state, *blank, lost=lost, reason=error if lost else None)
    p = update.profile
    info = p.info
    tel = update.telemetry
    kind = "SIMULATED" if info.simulated else info.kind
    tp = p.latency_window.throughput_per_s or p.latency_total.throughput_per_s
    state = p.state.upper() if connected else (_lost(retry_in_s) if lost else "connecting…")
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
        lost=lost,
        reason=error if lost else None,
    )


def problem_lines(rows: list[FleetRow]) -> list[str]:
    """One line per lost device: its name and the whole reason (what the state column has no
    room for)."""
    return [f"{r.device}: {r.reason}" for r in rows if r.lost and r.reason]


def _lost(retry_in_s: float | None) -> str:
    return "LOST" if retry_in_s is None else f"LOST (retry {max(retry_in_s, 0.0):.0f} s)"
