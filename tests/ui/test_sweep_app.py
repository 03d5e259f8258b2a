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


async def test_at_80x24_the_table_and_the_plot_each_get_the_whole_width() -> None:
    app = SweepApp(_runner((1, 2, 4, 8)))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.pause()
        assert text_of(app, "#title").startswith(" SIMULATED engine ")
        table = app.query_one("#points", DataTable)
        assert table.size.width >= 76  # "samples/s" is not cut to "samples" by a squeezed table
        header = [str(c.label) for c in table.columns.values()]
        assert "samples/s" in header
        await pilot.press("v")
        await pilot.pause()
        plot = app.query_one("#plot", Static)
        assert not table.display
        width = plot.content_size.width
        assert width >= 70
        lines = text_of(app, "#plot").split("\n")
        assert all(len(line) <= width for line in lines), lines  # nothing wraps
        axis = next(line for line in lines if "└" in line)
        assert axis.count("─") >= 60  # the plot has the width, not ~12 columns
        at = axis.index("└")
        for line in lines:
            for label in ("1×1", "2×1", "4×1", "8×1"):
                if label in line:
                    assert line.index(label) > at  # right of the axis
        x_labels = next(line for line in lines if " ms" in line and "└" not in line)
        assert x_labels.count(" ms") == 2  # both x labels on one line
        await pilot.press("v")
        await pilot.pause()
        assert table.display and table.size.width >= 76
        await pilot.press("q")
