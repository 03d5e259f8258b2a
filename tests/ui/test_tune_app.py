"""The interactive tuner screen, driven with Textual's Pilot: against the simulated builder, and against
real child processes for cancel and quit (the child must die)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable, ProgressBar, Static

from trtui.tune.child import ChildProcessBuilder, ChildRequest
from trtui.tune.plan import make_plan
from trtui.tune.session import TuneSession
from trtui.tune.simulated import SimulatedBuilder, demo_model
from trtui.tune.sizes import GIB, WORKSPACE
from trtui.ui.tune_app import BuildProgressed, TuneApp

FAKE = str(Path(__file__).resolve().parents[1] / "tune" / "fake_child.py")
SIZE = (150, 42)


def demo_session() -> TuneSession:
    plan = make_plan(WORKSPACE, int(5.85 * GIB), "test budget")
    return TuneSession(plan, SimulatedBuilder(demo_model(WORKSPACE, plan)), "demo")


async def wait_for(pilot, cond, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.05)


def text_of(app: TuneApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def test_runs_the_simulated_search_and_shows_the_choice() -> None:
    app = TuneApp(demo_session(), "demo (simulated)")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.pause()
        result = app.result
        assert result is not None and result.verdict.attempt is not None
        assert "SIMULATED" in text_of(app, "#title")
        assert f"at most {result.plan.max_builds} builds" in text_of(app, "#plan")
        table = app.query_one("#attempts", DataTable)
        assert table.row_count == len(result.attempts)
        results = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert "crashed" in results and "timeout" in results and "built" in results
        verdict = text_of(app, "#verdict")
        chosen = result.verdict.attempt
        assert "chosen: workspace" in verdict and "--memPoolSize=workspace:" in verdict
        assert str(table.get_row_at(table.cursor_row)[0]) == str(chosen.index)
        plot = text_of(app, "#plot")
        assert "latency" in plot and "device memory" in plot and "×" in plot
        await pilot.press("q")
    assert app.return_value is result


async def test_at_80_columns_the_table_has_the_width_and_v_swaps_in_the_plot() -> None:
    app = TuneApp(demo_session(), "demo (simulated)")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.pause()
        table = app.query_one("#attempts", DataTable)
        side = app.query_one("#side")
        assert table.display and not side.display
        assert table.size.width == 80  # the whole width: no side panel squeezing it
        assert "v" in app.active_bindings  # offered in the footer
        await pilot.press("v")
        await pilot.pause()
        assert side.display and not table.display
        plot = text_of(app, "#plot")
        assert "latency" in plot and "device memory" in plot
        assert max(len(line) for line in plot.splitlines()) > 60  # drawn for the width it now has
        await pilot.press("v")
        await pilot.pause()
        assert table.display and not side.display
        await pilot.resize_terminal(150, 42)
        await pilot.pause()
        assert table.display and side.display  # wide: both, side by side
        assert "v" not in app.active_bindings  # not offered where it has nothing to do
        await pilot.press("q")


async def test_progress_events_drive_the_bar() -> None:
    app = TuneApp(demo_session(), "demo", autostart=False)
    async with app.run_test(size=SIZE) as pilot:
        app.running = 1  # as if build 1 had started
        app.post_message(BuildProgressed(0.25, "Timing tactics 3/12"))
        await pilot.pause()
        assert app.query_one("#progress", ProgressBar).progress == 25
        app.post_message(BuildProgressed(0.75, "Timing tactics 9/12"))
        await pilot.pause()
        assert app.query_one("#progress", ProgressBar).progress == 75
        assert "Timing tactics 9/12" in text_of(app, "#phase")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def hanging_session(tmp_path: Path) -> tuple[TuneSession, ChildProcessBuilder]:
    def argv(req: ChildRequest) -> list[str]:
        return [sys.executable, FAKE, "hang", str(req.engine_path)]

    builder = ChildProcessBuilder(argv, tmp_path, timeout_s=60.0)
    plan = make_plan(WORKSPACE, 2 * GIB, "test budget")
    return TuneSession(plan, builder, "m.onnx"), builder


@pytest.mark.skipif(os.name != "posix", reason="POSIX process handling")
async def test_cancel_key_kills_the_running_child(tmp_path: Path) -> None:
    session, builder = hanging_session(tmp_path)
    app = TuneApp(session, "m.onnx")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: builder.pid is not None)
        pid = builder.pid
        assert pid is not None and _alive(pid)
        # the child's progress-monitor lines reach the bar
        await wait_for(pilot, lambda: app.query_one("#progress", ProgressBar).progress > 0)
        t0 = time.monotonic()
        await pilot.press("c")
        await wait_for(pilot, lambda: app.result is not None, timeout=10)
        assert time.monotonic() - t0 < 5
        assert not _alive(pid)
        assert app.result is not None and app.result.stopped == "cancelled"
        assert [a.outcome for a in app.result.attempts] == ["cancelled"]
        table = app.query_one("#attempts", DataTable)
        assert str(table.get_row_at(0)[2]) == "cancelled"
        assert "no limit chosen" in text_of(app, "#verdict")
        await pilot.press("q")
    assert list(tmp_path.iterdir()) == []  # no half-written engine


@pytest.mark.skipif(os.name != "posix", reason="POSIX process handling")
async def test_quit_during_a_build_kills_the_child_and_returns_what_was_done(tmp_path: Path) -> None:
    session, builder = hanging_session(tmp_path)
    app = TuneApp(session, "m.onnx")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: builder.pid is not None)
        pid = builder.pid
        assert pid is not None
        await pilot.press("q")
    assert app.return_value is not None and app.return_value.stopped == "cancelled"
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not _alive(pid)


@pytest.mark.skipif(os.name != "posix", reason="POSIX process handling")
async def test_real_child_builds_fill_the_table_and_show_the_builders_memory_lines(tmp_path: Path) -> None:
    def argv(req: ChildRequest) -> list[str]:
        return [sys.executable, FAKE, "noisy-ok", str(req.engine_path)]

    plan = make_plan(WORKSPACE, 2 * GIB, "test budget", max_builds=3)
    app = TuneApp(TuneSession(plan, ChildProcessBuilder(argv, tmp_path, 30.0), "m.onnx"), "m.onnx")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None, timeout=20)
        await pilot.pause()
        assert app.result is not None and [a.outcome for a in app.result.attempts] == ["ok"] * 3
        assert "SIMULATED" not in text_of(app, "#title")
        assert "asked for 600 MiB" in text_of(app, "#log-line")  # the last memory line of the log
        table = app.query_one("#attempts", DataTable)
        assert [str(table.get_row_at(i)[7]) for i in range(3)] == ["1.250 ms"] * 3
        assert "chosen: workspace" in text_of(app, "#verdict")
        await pilot.press("q")


async def test_at_80_columns_the_title_keeps_the_simulated_badge_and_c_says_it_stops_the_search() -> None:
    label = "demo (Simulated GPU (8 GiB), simulated)"  # what `trtui tune demo` shows
    app = TuneApp(demo_session(), label, autostart=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        title = text_of(app, "#title")
        assert title.startswith(" SIMULATED builder ") and len(title) <= 78, title
        assert label in title
        shown = {b.binding.key: b.binding.description for b in app.active_bindings.values()}
        assert shown["c"] == "Stop search"
    app = TuneApp(demo_session(), "demo", autostart=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "(no engine is built)" in text_of(app, "#title")  # where there is room, the reason
