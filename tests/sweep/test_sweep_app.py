"""The live sweep screen, driven with Textual's Pilot over the simulated engine."""

from __future__ import annotations

import time

from textual.widgets import DataTable, Static

from trtui.sources.simulated import SimulatedSource
from trtui.sweep.plan import plan_points
from trtui.sweep.runner import SweepRunner, settings_for
from trtui.ui.sweep_app import SweepApp

SIZE = (160, 44)


def _runner(batches: tuple[int, ...], duration: float = 0.1) -> SweepRunner:
    src = SimulatedSource()
    settings = settings_for("demo", "resnet50 (simulated)", True, plan_points(batches, (1,)),
                            duration_s=duration, warmup_s=0.02, until_stable=False, budget_ms=2.0,
                            knee_gain=0.10)
    return SweepRunner(src, settings)


async def wait_for(pilot, cond, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.05)


def text_of(app: SweepApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def test_the_screen_shows_every_point_the_plot_and_the_verdict() -> None:
    app = SweepApp(_runner((1, 2, 4, 8, 16, 128)))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.pause()
        assert "SIMULATED" in text_of(app, "#title")
        table = app.query_one("#points", DataTable)
        assert table.row_count == 6
        last = [str(c) for c in table.get_row_at(5)]
        assert last[0] == "128" and "does not fit" in last[-1]
        plot = text_of(app, "#plot")
        assert "samples/s" in plot and "1×1" in plot
        verdict = text_of(app, "#verdict")
        assert "knee: batch" in verdict and "best under 2 ms: batch" in verdict
        assert "sweep finished" in text_of(app, "#point-label")
        await pilot.press("q")
    assert app.return_value is not None and len(app.return_value.points) == 6


async def test_cancel_keeps_the_points_measured_so_far() -> None:
    app = SweepApp(_runner((1, 2, 4, 8, 16, 32, 64), duration=0.3))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.points) >= 2)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.result is not None)
        assert app.result is not None and app.result.stopped == "cancelled"
        assert 2 <= len(app.result.points) < 7
        await pilot.press("q")
