"""A deterministic live-screen driver: a session over the seeded simulator, driven by a fake clock
(no session thread, no wall-clock reads in what is drawn). Imported by the UI tests and their
conftest (a module of its own: `from conftest import ...` is ambiguous when several test folders run)."""

from __future__ import annotations

import io

from rich.console import Console

from trtui.core.options import RunOptions
from trtui.pipeline.session import Session
from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry
from trtui.stats.update import Update
from trtui.ui.app import TrtuiApp


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Driver:
    """Builds updates the way the session thread would, but step by step and deterministically."""

    def __init__(self, layers: int | None = None, seed: int = 0) -> None:
        self.clock = FakeClock()
        options = RunOptions(layers=layers, seed=seed)
        self.source = SimulatedSource(options, clock=self.clock)
        self.session = Session(
            self.source,
            SimulatedTelemetry(self.source, clock=self.clock),
            options,
            tick_s=0.5,
            clock=self.clock,
        )
        self.session.open()

    def step(self, seconds: float = 0.5, ticks: int = 1) -> Update:
        update = None
        for _ in range(ticks):
            self.clock.t += seconds
            self.session._apply_controls()
            if self.session._reset_requested.is_set():  # as the session loop does
                self.session._reset_requested.clear()
                self.session._reset_stats()
            self.session.ingest(self.source.simulate(seconds))
            self.session._sample_telemetry()
            update = self.session.build_update()
        assert update is not None
        return update

    def app(self) -> TrtuiApp:
        return TrtuiApp(self.session, autostart=False, cost_interval_s=None)


def render_text(obj: object, width: int) -> str:
    """`obj` (a rich renderable) as plain text, `width` cells wide."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(obj)
    return console.export_text()
