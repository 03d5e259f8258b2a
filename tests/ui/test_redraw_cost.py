"""What a refresh of the live screen redraws (issue 12, cheaper redraws): the details panel without
a layout pass, nothing for an unchanged value, nothing hidden (zoomed away, under a modal), and
what was hidden catches up when it is shown again. Behaviour only: which calls happen, not timing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget
from ui_driver import Driver

from trtui.common import format as fmt
from trtui.ui.app import TrtuiApp
from trtui.ui.details import DetailsScreen
from trtui.ui.layer_view import LayerView
from trtui.ui.live_text import LiveText
from trtui.ui.panels import HeaderBar, Panel

SIZE = (120, 40)


class Calls:
    """Records the calls of one method of one object (the method still runs)."""

    def __init__(self, obj: Any, method: str) -> None:
        self.args: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        original: Callable[..., Any] = getattr(obj, method)

        def spy(*args: Any, **kwargs: Any) -> Any:
            self.args.append((args, kwargs))
            return original(*args, **kwargs)

        setattr(obj, method, spy)

    def __len__(self) -> int:
        return len(self.args)

    def clear(self) -> None:
        self.args.clear()


def layouts(screen: Screen[Any]) -> Calls:
    """The screen's layout passes (Textual's `_refresh_layout`), scroll-only updates left out."""
    return Calls(screen, "_refresh_layout")


def layout_passes(calls: Calls) -> int:
    return sum(1 for _, kw in calls.args if not kw.get("scroll"))


def refreshes(widget: Widget) -> Calls:
    return Calls(widget, "refresh")


def screen_lines(widget: Widget) -> str:
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


async def test_the_details_panel_updates_without_a_layout_pass(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(4):
            app.apply_update(driver.step())
        await pilot.press("enter")
        assert isinstance(app.screen, DetailsScreen)
        for _ in range(2):  # the history lines have appeared: the height is settled
            app.apply_update(driver.step())
            await pilot.pause()
        body = app.screen.query_one("#details-body", LiveText)
        height = body.size.height
        passes = {"main": layouts(app.screen_stack[0]), "details": layouts(app.screen)}
        repaints = refreshes(body)
        texts = []
        for _ in range(5):
            app.apply_update(driver.step())
            await pilot.pause()
            texts.append(screen_lines(body))
        assert len(set(texts)) == 5  # every update changed what the panel shows (live statistics)...
        assert len(repaints) >= 5 and not any(kw.get("layout") for _, kw in repaints.args)
        assert layout_passes(passes["details"]) == 0 and layout_passes(passes["main"]) == 0  # ...no layout
        assert body.size.height == height


class _ScrollText(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll(id="box"):
            yield LiveText(id="body")


def _lines(n: int, tag: str) -> Text:
    return Text("\n".join(f"{tag} line {i}" for i in range(n)))


async def test_live_text_lays_out_only_when_its_height_changes() -> None:
    app = _ScrollText()
    async with app.run_test(size=(40, 10)) as pilot:
        body = app.query_one(LiveText)
        box = app.query_one("#box", VerticalScroll)
        body.show(_lines(3, "a"))
        await pilot.pause()
        assert body.size.height == 3
        passes = layouts(app.screen)
        body.show(_lines(3, "b"))  # same height, new text
        await pilot.pause()
        assert layout_passes(passes) == 0 and "b line 2" in screen_lines(body)
        body.show(_lines(30, "c"))  # taller: the scroll container must learn its new size
        await pilot.pause()
        assert layout_passes(passes) >= 1
        assert body.size.height == 30 and box.max_scroll_y == 30 - box.size.height
        calls = refreshes(body)
        assert body.show(_lines(30, "c")) is False  # equal text: nothing at all
        await pilot.pause()
        assert len(calls) == 0


async def test_an_unchanged_update_redraws_nothing(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        update = driver.step(ticks=3)
        app.apply_update(update)
        await pilot.pause()
        widgets: list[Widget] = [*app.query(Panel), app.query_one(LayerView)]
        calls = [refreshes(w) for w in widgets]
        app.apply_update(update)  # e.g. a paused run: the same statistics again
        await pilot.pause()
        assert [len(c) for c in calls] == [0, 0, 0]
        app.apply_update(driver.step())
        await pilot.pause()
        assert all(len(c) >= 1 for c in calls)  # a new update does redraw them


async def test_a_layer_window_that_did_not_move_does_not_redraw_the_table() -> None:
    driver = Driver(layers=20_000)  # few profiled iterations: the window stays put for ticks
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        first = driver.step()
        app.apply_update(first)
        await pilot.pause()
        view = app.query_one(LayerView)
        rows, latency = Calls(view, "render_line"), refreshes(app.query_one("#latency", Panel))
        second = driver.step()
        assert second.profile.layers_window is first.profile.layers_window  # the premise
        app.apply_update(second)
        await pilot.pause()
        assert len(rows) == 0  # no row drawn again...
        assert len(latency) >= 1  # ...while the latency panel shows the new inferences


@pytest.mark.parametrize("panel_id", ["latency", "gpu"])
async def test_panels_repaint_only_changed_lines_and_show_what_a_full_repaint_shows(
    driver: Driver, panel_id: str
) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            app.apply_update(driver.step())
            await pilot.pause()
        panel = app.query_one(f"#{panel_id}", Panel)
        region = Region(0, 0, panel.size.width, panel.size.height)
        partial = 0
        for _ in range(4):
            rendered = Calls(panel, "render_line")
            app.apply_update(driver.step())
            await pilot.pause()
            partial += 0 < len(rendered) < panel.size.height
            shown = [strip.text for strip in panel.render_lines(region)]  # what the screen holds
            panel.refresh()
            await pilot.pause()
            assert [strip.text for strip in panel.render_lines(region)] == shown
        assert partial >= 2  # most updates change some lines of the panel, not all


async def test_hidden_panels_are_not_built_or_drawn_and_catch_up_when_shown(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.press("z")  # the table alone: the side panels are hidden
        await pilot.pause()
        assert not app.query_one("#side").display
        latency = app.query_one("#latency", Panel)
        renders = [Calls(p, "render") for p in app.query(Panel)]
        for _ in range(3):
            app.apply_update(driver.step())
            await pilot.pause()
        assert [len(r) for r in renders] == [0, 0]
        await pilot.press("z")  # the panels alone: shown again, with the latest update
        await pilot.pause()
        last = app.last_update
        assert last is not None and latency.data is last
        window = last.profile.latency_window
        assert f"p50 {fmt.ms(window.median)}" in screen_lines(latency)
        assert all(len(r) >= 1 for r in renders)


async def test_the_main_screen_is_not_redrawn_under_a_modal_and_catches_up_after(driver: Driver) -> None:
    app: TrtuiApp = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(4):
            app.apply_update(driver.step())
        await pilot.pause()
        view = app.query_one(LayerView)
        name = view.selected_name
        assert name is not None
        await pilot.press("enter")
        await pilot.pause()
        rows = Calls(view, "render_line")
        panels = [Calls(p, "render") for p in app.query(Panel)]
        view_refreshes = refreshes(view)
        header = app.query_one(HeaderBar)
        header_refreshes = refreshes(header)
        for _ in range(4):
            app.apply_update(driver.step())
            await pilot.pause()
        assert len(rows) == 0 and len(view_refreshes) == 0 and [len(p) for p in panels] == [0, 0]
        assert len(header_refreshes) == 0  # even the header: it would composite the screen again
        # what the details read is current all the same
        values = view.row_values(name)
        assert values is not None and values["mean"] == float(view.layer_table.mean_ms[
            view.layer_table.names.index(name)
        ])
        assert name in str(app.details_for(name, False, 100))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DetailsScreen)
        assert len(rows) > 0 and all(len(p) >= 1 for p in panels)  # drawn again, with the latest
        last = app.last_update
        assert last is not None and fmt.duration(last.profile.elapsed_s) in screen_lines(header)
        top = view.table.names[int(view.order[0])]
        i = view.table.names.index(top)
        assert fmt.ms(float(view.table.mean_ms[i])) in view.render_line(0).text


async def test_the_details_panel_repaints_only_changed_rows_and_shows_what_a_full_repaint_shows(
    driver: Driver,
) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(4):
            app.apply_update(driver.step())
        await pilot.press("enter")
        for _ in range(2):
            app.apply_update(driver.step())
            await pilot.pause()
        body = app.screen.query_one("#details-body", LiveText)
        region = Region(0, 0, body.size.width, body.size.height)
        for _ in range(3):
            rendered = Calls(body, "render_line")  # asked by Textual for the rows it repaints
            app.apply_update(driver.step())
            await pilot.pause()
            assert 0 < len(rendered) < body.size.height // 2  # the statistics rows, not the whole text
            shown = [strip.text for strip in body.render_lines(region)]  # what the screen holds
            body.refresh()  # everything drawn again from the current text
            await pilot.pause()
            assert [strip.text for strip in body.render_lines(region)] == shown
