"""Pilot tests of the small screen things: focus after an export, share at 20,000 layers, zoom at
80x24 and 60x15, what a replay calls itself, sort order that noise does not reshuffle."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from ui_driver import Driver

from trtui.ui.layer_view import LayerView
from trtui.ui.screens import ExportScreen

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


def test_share_text_at_any_scale() -> None:
    from trtui import format as fmt

    assert [fmt.share(x) for x in (42.0, 2.345, 0.35, 0.01, 0.005, 0.0, float("nan"))] == [
        "42.0%", "2.3%", "0.35%", "0.01%", "<0.01%", "0%", "n/a"
    ]


async def test_share_at_20000_layers_is_not_zero_everywhere() -> None:
    driver = Driver(layers=20_000)
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.pause()
        view = app.query_one(LayerView)
        header = view.header_text(view.row_width)
        rows = [view.render_line(y).text for y in range(1, 12)]
        start = header.index("Share")
        shares = [r[start - 1 : start + 6].strip() for r in rows if r.strip()]
        assert shares and all(s in ("<0.01%",) or s.endswith("%") and s != "0.0%" for s in shares), shares
        assert any(s == "<0.01%" or (s[0] == "0" and len(s.split(".")[-1]) == 3) for s in shares), shares
