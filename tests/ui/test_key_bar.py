"""The key bar (trtui.ui.key_bar) shows every key at any width."""

from __future__ import annotations

import pytest
from ui_driver import Driver

from trtui.ui.key_bar import KeyBar
from trtui.ui.screens import HelpScreen

SIZE = (120, 40)


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
