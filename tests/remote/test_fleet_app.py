"""The fleet overview's screen in process (Textual pilot): rows follow the feeds' state, Enter
returns the chosen device, q returns None."""

from __future__ import annotations

from remote_support import demo_updates
from textual.widgets import DataTable

from trtui.ui.fleet_app import FleetApp

UPDATE = demo_updates(4)[-1]
URLS = ["http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"]


async def test_rows_follow_the_feeds_and_enter_picks_a_device() -> None:
    app = FleetApp(URLS, None, autostart=False)
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(DataTable)
        assert table.row_count == 3
        assert str(table.get_cell("0", "state")) == "connecting…"
        feed = app.feeds[1]
        feed.last_update, feed.connected = UPDATE, True
        app.feeds[2].last_error = "Connection refused"
        app.refresh_rows()
        assert str(table.get_cell("1", "state")) == "RUNNING"
        assert str(table.get_cell("1", "kind")) == "SIMULATED"
        assert str(table.get_cell("2", "state")).startswith("LOST")
        await pilot.press("down", "enter")
    assert app.return_value == 1


async def test_q_quits_the_overview() -> None:
    app = FleetApp(URLS, None, autostart=False)
    async with app.run_test(size=(140, 20)) as pilot:
        await pilot.press("q")
    assert app.return_value is None
