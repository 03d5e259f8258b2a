"""Pilot tests: every key of the live screen, sort/filter/group/details/baseline, resize, CPU budget."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Input
from ui_driver import Driver

from trtui.ui.app import TrtuiApp
from trtui.ui.details import DetailsScreen
from trtui.ui.key_bar import KeyBar
from trtui.ui.layer_view import LayerView
from trtui.ui.screens import ExportScreen, HelpScreen, SortScreen
from trtui.ui.sticky_sort import noise

SIZE = (120, 40)


def shown_names(app: TrtuiApp) -> list[str]:
    view = app.query_one(LayerView)
    return [view.table.names[int(i)] for i in view.order]


def column(app: TrtuiApp, key: str) -> np.ndarray:
    view = app.query_one(LayerView)
    t = view.table
    col = {"share": t.share_pct, "mean": t.mean_ms, "p99": t.p99_ms, "median": t.median_ms}[key]
    return np.asarray(col)[view.order]


async def test_table_shows_every_layer_hottest_first(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.pause()
        view = app.query_one(LayerView)
        assert len(view.order) == len(driver.source.layers)
        shares = column(app, "share")
        # hottest first; neighbours within their noise keep their order (sticky_sort.py)
        tol = noise(view.table, "share")[view.order]
        assert np.all(np.diff(shares) <= tol[:-1] + tol[1:] + 1e-12)
        assert shares[0] >= shares.max() - 2 * tol.max()
        assert view.renders > 0  # rows were drawn
        assert view.renders < 200  # ...only the visible ones


async def test_s_cycles_sort_and_S_reverses(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.press("s")
        view = app.query_one(LayerView)
        assert view.sort_key == "mean"
        means = column(app, "mean")
        assert np.all(np.diff(means) <= 0)
        await pilot.press("S")
        assert view.sort_reverse
        means = column(app, "mean")
        assert np.all(np.diff(means) >= 0)
        await pilot.press("s", "s")  # median, p99; delta is skipped without a baseline
        assert view.sort_key == "p99"
        await pilot.press("s")
        assert view.sort_key == "name"
        names = shown_names(app)
        assert names == sorted(names, key=str.lower)


async def test_sort_menu_picks_any_column(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.press("o")
        assert isinstance(app.screen, SortScreen)
        # Options: share, mean, median, p99, delta, name, type, precision, order.
        await pilot.press("end", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, SortScreen)
        assert app.query_one(LayerView).sort_key == "order"
        assert shown_names(app) == [layer.info.name for layer in driver.source.layers]


async def test_filter_by_name_and_type_then_escape_clears(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.press("slash")
        assert app.focused is app.query_one("#filter", Input)
        await pilot.press(*"layer4.1")
        await pilot.pause()
        names = shown_names(app)
        assert names and all("layer4.1" in n for n in names)
        app.apply_update(driver.step())  # the filter holds across updates
        await pilot.pause()
        assert sorted(shown_names(app)) == sorted(names)
        await pilot.press("enter")
        assert isinstance(app.focused, LayerView)
        await pilot.press("escape")
        assert len(shown_names(app)) == len(driver.source.layers)
        # By type (case-insensitive).
        await pilot.press("slash", *"pooling")
        await pilot.pause()
        view = app.query_one(LayerView)
        types = {view.infos[n].type for n in shown_names(app)}
        assert types and all("pooling" in (t or "").lower() for t in types)


async def test_cursor_stays_on_the_same_layer_across_updates(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.press("down", "down", "down", "down", "down")
        view = app.query_one(LayerView)
        chosen = view.selected_name
        for _ in range(6):
            app.apply_update(driver.step())
            await pilot.pause()
            assert view.selected_name == chosen


async def test_t_jumps_to_the_top_hotspot(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.press("s", "end")
        view = app.query_one(LayerView)
        assert view.cursor > 0
        await pilot.press("t")
        assert view.sort_key == "share" and view.cursor == 0
        top = int(np.nanargmax(view.table.share_pct))
        assert view.selected_name == view.table.names[top]


async def test_g_groups_by_type_and_enter_drills_down(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.press("g")
        view = app.query_one(LayerView)
        assert view.grouped
        types = {layer.info.type for layer in driver.source.layers}
        assert set(view.table.names) == types
        assert sum(view.group_sizes) == len(driver.source.layers)
        assert math.isclose(float(np.nansum(view.table.share_pct)), 100.0, rel_tol=1e-6)
        top_type = view.selected_name
        assert top_type is not None
        await pilot.press("enter")  # drill down: that type's layers
        await pilot.pause()
        assert not view.grouped
        assert view.filter_text == top_type
        assert {view.infos[n].type for n in shown_names(app)} == {top_type}
        await pilot.press("escape", "g", "g")
        assert not view.grouped and len(view.order) == len(driver.source.layers)


async def test_b_pins_baseline_and_delta_column_follows(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.press("b")
        view = app.query_one(LayerView)
        assert len(view.baseline) == len(driver.source.layers)
        assert np.nanmax(np.abs(view.delta)) < 1e-9  # same numbers: no change yet
        assert "Δ base" in view.header_text(view.row_width)
        app.apply_update(driver.step(ticks=6))
        await pilot.pause()
        name = view.selected_name
        assert name is not None
        values = view.row_values(name)
        assert values is not None
        expected = (values["mean"] / view.baseline[name] - 1) * 100
        assert math.isclose(values["delta"], expected, rel_tol=1e-9)
        await pilot.press("B")
        assert not view.baseline and "Δ base" not in view.header_text(view.row_width)


async def test_enter_opens_details_and_escape_closes(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.press("down")
        name = app.query_one(LayerView).selected_name
        assert name is not None
        for _ in range(3):  # history of the selected layer builds up
            app.apply_update(driver.step())
        await pilot.press("enter")
        assert isinstance(app.screen, DetailsScreen)
        text = str(app.details_for(name, False, 100))
        info = app.query_one(LayerView).infos[name]
        assert name in text and (info.type or "") in text and (info.tactic or "") in text
        assert "inputs" in text and "outputs" in text and "share hist" in text
        assert len(app.layer_history.get(name)) >= 3
        app.apply_update(driver.step())  # the open details view keeps updating
        await pilot.pause()
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailsScreen)


async def test_p_pauses_and_resumes(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step())
        await pilot.press("p")
        update = driver.step()  # the session applies control requests at its next step
        assert driver.session.paused and driver.source._paused
        assert update.profile.state == "paused"
        await pilot.press("p")
        driver.step()
        assert not driver.session.paused and not driver.source._paused


async def test_r_resets_statistics(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        before = driver.session.layers.iterations
        count_before = driver.session.latency.count
        assert before > 0
        await pilot.press("r")
        app.apply_update(driver.step())  # the session resets at its next step
        assert driver.session.layers.iterations < before / 2
        assert driver.session.latency.count < count_before / 2


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


async def test_escape_while_typing_a_filter_clears_it(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.press("slash", *"maxpool")
        await pilot.pause()
        assert shown_names(app) == ["maxpool"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(shown_names(app)) == len(driver.source.layers)
        assert not app.query_one("#filter", Input).display
        assert isinstance(app.focused, LayerView)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
async def test_the_key_bar_shows_every_key_at_any_width(driver: Driver, size: tuple[int, int]) -> None:
    app = driver.app()
    async with app.run_test(size=size) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.pause()
        bar = app.query_one(KeyBar)
        lines = str(bar.render()).split("\n")
        assert all(len(line) <= size[0] for line in lines) and bar.size.height == len(lines)
        shown = " ".join(lines)
        for item in ("q Quit", "p Pause", "r Reset", "b/B Baseline", "s/S/o Sort", "/ Filter", "g Group",
                     "t Top", "z Zoom", "e Export", "c Batch/streams", "K Kernels", "? Help"):
            assert item in shown, (item, lines)
        x = lines[-1].index("? Help")  # a click runs the key's action, as on a footer
        assert bar.action_at(x, len(lines) - 1) == "help"
        await pilot.click(KeyBar, offset=(x, len(lines) - 1))
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_a_filter_that_matches_nothing_says_so(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        await pilot.press("slash", *"nosuchlayer")
        await pilot.pause()
        view = app.query_one(LayerView)
        assert len(view.order) == 0
        first_row = "".join(seg.text for seg in view.render_line(0))
        assert "no layer matches 'nosuchlayer'" in first_row and "Esc clears" in first_row
        await pilot.press("escape")
        await pilot.pause()
        assert "no layer matches" not in "".join(seg.text for seg in view.render_line(0))
