"""Pilot tests of the hotspot table's keys (trtui.ui.table_keys): sort, filter, group, top hotspot,
baseline, Enter for a layer's details."""

from __future__ import annotations

import math

import numpy as np
from textual.widgets import Input
from ui_driver import Driver

from trtui.ui.app import TrtuiApp
from trtui.ui.details import DetailsScreen
from trtui.ui.layer_view import LayerView
from trtui.ui.screens import SortScreen
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
