"""Held figures (move only beyond their noise), the per-refresh Recent trail, and the lean mode."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from rich.color import ColorSystem
from ui_driver import Driver

from trtui.ui import app as app_module
from trtui.ui.cell_diff import CellOutput
from trtui.ui.steady_values import HeldColumns, SparkTrail


def test_held_figures_ignore_noise_and_follow_real_changes() -> None:
    driver = Driver(seed=1)
    for _ in range(20):
        table = driver.step().profile.layers_window
    held = HeldColumns()
    held.update(table)
    first = held.values["mean"].copy()
    se = np.asarray(table.std_ms) / np.sqrt(np.maximum(np.asarray(table.count), 1))
    noisy = replace(table, mean_ms=table.mean_ms + 0.1 * se)
    held.update(noisy)
    assert np.array_equal(held.values["mean"], first)  # within the noise: nothing moves
    moved = replace(table, mean_ms=table.mean_ms * 1.5)
    held.update(moved)
    assert np.allclose(held.values["mean"], table.mean_ms * 1.5)


def test_trail_is_still_for_a_steady_row_and_shows_a_step() -> None:
    rng = np.random.default_rng(0)
    trail = SparkTrail()
    names = ["a", "b"]
    texts = []
    for k in range(30):
        level = 1.0 if k < 25 else 1.6  # row 0 slows down by 60% at the 26th refresh
        recent = np.column_stack(
            [level + 0.02 * rng.standard_normal(32), 2.0 + 0.02 * rng.standard_normal(32)]
        )
        trail.update(names, recent)
        texts.append((trail.text(0, 10), trail.text(1, 10)))
    assert len({t[1] for t in texts[12:]}) == 1  # steady: the same cells refresh after refresh
    assert len(set(texts[24][0])) == 1  # row 0 flat before the step...
    assert len(set(texts[-1][0][-5:])) == 1 and texts[-1][0][-1] > texts[-1][0][0]  # ...and a step up
    trail.update(names, recent)  # the same iterations again (paused): no new point
    assert (trail.text(0, 10), trail.text(1, 10)) == texts[-1]


async def test_lean_mode_drops_sparklines_says_so_and_uses_256_colours() -> None:
    driver = Driver(seed=2)
    app = app_module.TrtuiApp(driver.session, autostart=False, cost_interval_s=None, lean="on")
    async with app.run_test(size=(160, 40)) as pilot:
        app.apply_update(driver.step())
        await pilot.pause()
        assert "Recent" not in app.view.header_text(app.view.row_width)
        assert app.lean_note == "lean terminal"
        assert "lean terminal" in str(app._last_header)
        assert app.cell_output is not None and app.cell_output.forced is ColorSystem.EIGHT_BIT


async def test_auto_lean_mode_switches_on_above_the_budget(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    clock = [0.0]
    driver = Driver(seed=2)
    app = app_module.TrtuiApp(
        driver.session, autostart=False, cost_interval_s=None, lean="auto", wall_time=lambda: clock[0]
    )
    async with app.run_test(size=(160, 40)) as pilot:
        app.apply_update(driver.step())
        await pilot.pause()
        out = app.cell_output
        assert isinstance(out, CellOutput)
        app._check_output_rate()
        clock[0] += 10.0
        out.bytes_written += int(app_module.LEAN_BUDGET_BPS * 10 * 0.5)  # under the budget
        app._check_output_rate()
        assert app.lean_note is None and "Recent" in app.view.header_text(app.view.row_width)
        clock[0] += 10.0
        out.bytes_written += int(app_module.LEAN_BUDGET_BPS * 10 * 1.5)  # over it
        app._check_output_rate()
        await pilot.pause()
        assert app.lean_note is not None and "SSH" in app.lean_note
        assert "Recent" not in app.view.header_text(app.view.row_width)
