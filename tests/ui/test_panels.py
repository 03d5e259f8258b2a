"""The side panels' text (trtui.ui.panels): latency histogram, spike marks, the GPU panel at any width."""

from __future__ import annotations

import numpy as np
import pytest
from ui_driver import Driver

from trtui.common import format as fmt
from trtui.stats.snapshot import TrendPoint
from trtui.telemetry.history import TelemetryEvent
from trtui.ui.panels import SPIKE_MARK, gpu_text, histogram_lines, latency_text, spike_marks


@pytest.mark.parametrize("width", [8, 20, 41])
def test_histogram_lines_fit_their_width(width: int) -> None:
    values = np.random.default_rng(0).normal(1.0, 0.05, 500)
    lines = histogram_lines(values, width, rows=3)
    assert len(lines) == 4 and all(len(line) == width for line in lines)
    assert histogram_lines(values[:1], width, rows=3) == []


def test_spike_marks_only_where_an_event_was_suspicious() -> None:
    trend = [TrendPoint(float(t), 1.0, 1.0, None) for t in range(6)]
    events = (
        TelemetryEvent(t=2.0, label="p99 jump", sample_t=2.0, suspicious=True),
        TelemetryEvent(t=4.0, label="p99 jump", sample_t=4.0, suspicious=False),
    )
    assert spike_marks(trend, events, 6) == f"  {SPIKE_MARK}   "
    assert spike_marks(trend, events, 4) == SPIKE_MARK + "   "  # the last 4 points
    assert spike_marks(trend, (), 6) == " " * 6


def test_panels_mark_a_throttle_spike(monkeypatch: pytest.MonkeyPatch) -> None:
    import trtui.sources.simulated as sim

    monkeypatch.setattr(sim, "THROTTLE_PERIOD_S", 6.0)
    monkeypatch.setattr(sim, "THROTTLE_LEN_S", 2.0)
    d = Driver()
    update = None
    for _ in range(40):
        update = d.step(0.25)
    assert update is not None and any(e.suspicious for e in update.events)
    lat = str(latency_text(update, 44))
    assert SPIKE_MARK in lat
    gpu = str(gpu_text(update, 44))
    assert "clock/thermal" in gpu and "SM clock" in gpu


def test_gpu_panel_shows_energy_per_inference_with_rail_and_window() -> None:
    d = Driver()
    first = d.step()
    assert "energy GPU collecting" in str(gpu_text(first, 60))  # under a second: no figure yet
    for _ in range(5):
        update = d.step()
    text = str(gpu_text(update, 60))
    assert update.energy is not None
    f = update.energy.figure("gpu")
    assert f is not None and f.inferences > 0
    assert "mJ/inf" in text and "inf/J" in text
    assert "simulated GPU power; integrated power; last 2.5 s" in text


@pytest.mark.parametrize("width", [30, 38, 44, 60, 80])
def test_no_gpu_panel_line_is_cut_at_any_width(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    import trtui.sources.simulated as sim

    monkeypatch.setattr(sim, "THROTTLE_PERIOD_S", 6.0)
    monkeypatch.setattr(sim, "THROTTLE_LEN_S", 2.0)
    d = Driver()
    for _ in range(40):
        update = d.step(0.25)
    text = gpu_text(update, width)
    lines = text.plain.split("\n")
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, too_long
    plain = " ".join(text.plain.split())
    tel = update.telemetry
    assert tel is not None and tel.mem_free_mib is not None
    assert fmt.mib(tel.mem_free_mib) + " free" in plain  # moved, not dropped
    assert "mJ/inf" in plain and "throttle" in plain and "temp" in plain
    if width >= 44:
        assert "integrated power; last" in plain
