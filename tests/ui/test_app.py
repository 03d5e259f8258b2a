"""Pilot tests of the live app (trtui.ui.app): help and quit, exports and the focus after them,
the command palette (its entries run the keys' actions), resizes and zoom, the CPU budget, what a
replay calls itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from ui_driver import Driver

from trtui.ui.app import TrtuiApp
from trtui.ui.details import DetailsScreen
from trtui.ui.key_bar import KeyBar
from trtui.ui.layer_view import LayerView
from trtui.ui.palette import LIVE_COMMANDS
from trtui.ui.screens import ExportScreen, HelpScreen

SIZE = (120, 40)


@pytest.mark.parametrize("zoomed", [False, True], ids=["table", "panels-only"])
@pytest.mark.parametrize("kind", ["csv", "cancel"])
async def test_focus_returns_to_the_table_after_an_export(
    driver: Driver, tmp_path: Path, kind: str, zoomed: bool
) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.pause()
        view = app.query_one(LayerView)
        if zoomed:  # panels only: the table is hidden while exporting
            await pilot.press("z", "z")
            await pilot.pause()
            assert not app.query_one("#table-box").display
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        if kind == "cancel":
            await pilot.press("escape")
        else:
            await pilot.press({"svg": "home", "csv": "down", "recording": "end"}[kind], "enter")
            assert screen.kind == kind
            screen.query_one(Input).value = str(tmp_path / f"out.{kind}")
            await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        if zoomed:
            assert app.focused is None  # keys reach the screen's bindings, not a hidden input
            await pilot.press("z")  # back to the table, which takes the focus again
            await pilot.pause()
        assert app.focused is view
        shown = len(view.order)
        await pilot.press("c", "o", "n", "v")  # not typed into a hidden filter box
        await pilot.pause()
        assert view.filter_text == "" and len(view.order) == shown
        assert not app.query_one("#filter", Input).display


async def test_panels_only_zoom_uses_the_rows_at_80x24(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.press("z", "z")
        await pilot.pause()
        latency = app.query_one("#latency")
        assert latency.size.height >= 18  # the whole screen less header and footer
        lines = [latency.render_line(y).text for y in range(latency.size.height)]
        assert sum(1 for line in lines if not line.strip()) <= 3  # not 11 rows of panel, 10 blank


async def test_the_table_shows_rows_at_60x15(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=(60, 15)) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.pause()
        view = app.query_one(LayerView)
        assert view.size.height >= 8
        rows = [view.render_line(y).text for y in range(view.size.height)]
        assert sum(1 for r in rows if r.strip()) >= 8
        await pilot.press("z", "z")  # the panels are one zoom away
        await pilot.pause()
        assert app.query_one("#side").display and app.query_one("#latency").size.height >= 10


def _tiny_recording(folder: Path) -> Path:
    """A small trtexec recording written here (profile + times, trtexec's layouts)."""
    import json

    profile = [
        {"count": 51},
        {"name": "conv1", "timeMs": 102.0, "averageMs": 2.0, "medianMs": 2.0, "percentage": 66.7},
        {"name": "conv2", "timeMs": 51.0, "averageMs": 1.0, "medianMs": 1.0, "percentage": 33.3},
    ]
    times = [
        {"startComputeMs": 10.0 * i, "endComputeMs": 10.0 * i + 3.0, "latencyMs": 3.0 + (i % 5) * 0.1}
        for i in range(51)
    ]
    folder.mkdir()
    (folder / "m.engine.profile.json").write_text(json.dumps(profile))
    (folder / "m.engine.timing.json").write_text(json.dumps(times))
    return folder


async def test_a_replay_says_what_it_is(tmp_path: Path) -> None:
    from trtui.pipeline.session import Session
    from trtui.recording.source import open_recording
    from trtui.ui.app import TrtuiApp
    from trtui.ui.panels import header_text, latency_text

    source = open_recording(_tiny_recording(tmp_path / "rec"))
    clock = [100.0]
    session = Session(source, None, clock=lambda: clock[0])
    session.open()
    app = TrtuiApp(session, autostart=False, cost_interval_s=None)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            clock[0] += 0.5
            session.ingest(source.read(0))
            update = session.build_update()
            app.apply_update(update)
        await pilot.pause()
        header = header_text(update.profile, None, 0.5).plain
        assert "REPLAY" in header and "RUNNING" not in header and "PAUSED" not in header
        assert update.profile.elapsed_s == pytest.approx(0.503)  # the trace, not the replay
        latency = latency_text(update, 40).plain
        assert "rolling" not in latency and "recorded" in latency
        assert app.check_action("pause", ()) is False  # no "p Pause" in the footer
        bar = str(app.query_one(KeyBar).render())
        assert "Pause" not in bar and "r Reset" in bar
        await pilot.press("p")
        await pilot.pause()
        assert not session.paused
        messages = " ".join(n.message for n in app._notifications)
        assert "paused" not in messages.replace("nothing to pause", "") and "resumed" not in messages
        details = app.details_for("conv1", False, 80).plain
        assert "builds up" not in details


async def test_help_and_quit(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step())
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_e_exports_an_svg_screenshot_atomically(driver: Driver, tmp_path: Path) -> None:
    app = driver.app()
    target = tmp_path / "screen.svg"
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        assert not list(tmp_path.iterdir())  # nothing written before the user confirms
        await pilot.press("enter")  # choose the first kind (SVG); focus moves to the path
        box = app.screen.query_one(Input)
        box.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
    assert target.read_text().startswith("<svg")
    assert [p.name for p in tmp_path.iterdir()] == ["screen.svg"]  # no temp file left behind
    assert app.exported == [("svg", str(target))]


async def test_export_to_a_missing_folder_notifies_instead_of_crashing(
    driver: Driver, tmp_path: Path
) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step())
        app.export("svg", str(tmp_path / "nope" / "x.svg"))
        await pilot.pause()
        assert app.exported == []
        assert any("does not exist" in n.message for n in app._notifications)


async def test_command_palette_lists_every_action(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step())
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for wanted in (
            "Pause / resume",
            "Reset statistics",
            "Pin baseline",
            "Sort: next column",
            "Filter layers",
            "Group by layer type",
            "Top hotspot",
            "Layer details",
            "Export",
            "Help",
            "Quit",
        ):
            assert any(wanted.lower() in t.lower() for t in titles), wanted


@pytest.mark.parametrize("size", [(80, 24), (160, 50), (60, 20)])
async def test_resizes_keep_every_column_in_the_row_width(driver: Driver, size: tuple[int, int]) -> None:
    app = driver.app()
    async with app.run_test(size=(160, 50)) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.resize_terminal(*size)
        await pilot.pause()
        view = app.query_one(LayerView)
        widths = sum(w + 1 for _, w in view.column_widths(view.row_width)) - 1
        assert widths <= max(view.row_width, 0) or view.row_width < 40
        assert app.has_class("-narrow") == (size[0] < 125)


async def test_z_zooms_so_panels_are_reachable_at_80x24(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.press("z")
        assert not app.query_one("#side").display
        await pilot.press("z")
        await pilot.pause()
        assert not app.query_one("#table-box").display
        assert app.query_one("#latency").size.height >= 10
        await pilot.press("z")
        assert app.query_one("#side").display and app.query_one("#table-box").display


def test_refresh_slows_down_over_the_cpu_budget_and_recovers(driver: Driver) -> None:
    cpu = [0.0]
    wall = [0.0]
    app = TrtuiApp(
        driver.session,
        refresh_s=0.5,
        cpu_budget_pct=10.0,
        autostart=False,
        process_time=lambda: cpu[0],
        wall_time=lambda: wall[0],
    )
    cpu[0] += 1.0  # start-up: shown, but the refresh is not slowed down for it
    wall[0] += 2.0
    app.measure_own_cost()
    assert app.own_cpu_pct == pytest.approx(50.0)
    assert app.refresh_s == pytest.approx(0.5)
    for _ in range(3):  # 30% of a core: over budget
        cpu[0] += 0.6
        wall[0] += 2.0
        app.measure_own_cost()
    assert app.own_cpu_pct == pytest.approx(30.0)
    assert app.refresh_s == pytest.approx(0.5 * 1.5**3)
    for _ in range(10):  # never slower than 5 s
        cpu[0] += 0.6
        wall[0] += 2.0
        app.measure_own_cost()
    assert app.refresh_s == pytest.approx(5.0)
    for _ in range(20):  # 1%: well under budget, back to --refresh and never faster
        cpu[0] += 0.02
        wall[0] += 2.0
        app.measure_own_cost()
    assert app.refresh_s == pytest.approx(0.5)
    assert driver.session.tick_s == pytest.approx(0.5)  # the statistics' tick never changed


@pytest.mark.parametrize("kind", ["csv", "recording"])
async def test_e_exports_csv_and_recording(driver: Driver, tmp_path: Path, kind: str) -> None:
    pytest.importorskip("trtui.recording.export", reason="the recording export module is not in this build")
    app = driver.app()
    target = tmp_path / ("layers.csv" if kind == "csv" else "rec")
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=3))
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        await pilot.press("down" if kind == "csv" else "end", "enter")
        assert screen.kind == kind
        screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
    assert app.exported == [(kind, str(target))]
    if kind == "csv":
        lines = target.read_text().splitlines()
        assert lines[0].startswith("index,name,type")
        assert len(lines) == 1 + len(driver.source.layers)
    else:
        names = sorted(p.name for p in target.iterdir())
        assert any(n.endswith(".profile.json") for n in names)
        assert not any(n.endswith(".tmp") for n in names)


async def test_help_scrolls_from_the_keyboard_at_80x24(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.apply_update(driver.step())
        await pilot.press("question_mark")
        box = app.screen.query_one("#help-box")
        assert box.max_scroll_y > 0  # more than fits
        await pilot.press("end")
        await pilot.pause()
        assert box.scroll_y == box.max_scroll_y  # ...and all of it is reachable


async def test_every_palette_entry_names_an_action_of_the_app(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE):
        for entry in LIVE_COMMANDS:
            name = entry.action.split("(", 1)[0]
            assert callable(getattr(app, f"action_{name}", None)), entry


async def test_palette_entries_run_what_their_keys_run(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.pause()
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        view = app.query_one(LayerView)
        await commands["Sort by mean time"].callback()
        assert view.sort_key == "mean"
        await commands["Pause / resume"].callback()
        assert app.paused_requested
        await commands["Layer details"].callback()
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen) and app.screen.layer_name == view.selected_name
