"""The fleet overview's screen in process (Textual pilot): rows follow the feeds' state, Enter
returns the chosen device, q returns None."""

from __future__ import annotations

from collections.abc import Callable

from remote_support import demo_updates
from textual.widgets import DataTable, Static

from trtui.remote.feed import RemoteFeed
from trtui.stats.update import Update
from trtui.ui.fleet_app import FleetApp

UPDATE = demo_updates(4)[-1]
URLS = ["http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"]


def feeds(remembered: list[Update | None] | None = None) -> list[RemoteFeed]:
    """One feed per URL, as the command layer builds them (holding the numbers remembered)."""
    out = [RemoteFeed(url, None) for url in URLS]
    for feed, update in zip(out, remembered or [None] * len(URLS), strict=True):
        feed.last_update = update
    return out


async def test_rows_follow_the_feeds_and_enter_picks_a_device() -> None:
    app = FleetApp(feeds(), autostart=False)
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(DataTable)
        assert table.row_count == 3
        assert str(table.get_cell("0", "state")) == "connecting…"
        feed = app.feeds[1]
        feed.last_update, feed.connected = UPDATE, True
        app.feeds[2].last_error = "connection refused: nothing listens at 127.0.0.1:3"
        app.refresh_rows()
        assert str(table.get_cell("1", "state")) == "RUNNING"
        assert str(table.get_cell("1", "kind")) == "SIMULATED"
        assert str(table.get_cell("2", "state")).startswith("LOST")
        problems = str(app.query_one("#fleet-problems", Static).render())
        assert "127.0.0.1:3: connection refused: nothing listens at 127.0.0.1:3" in problems
        await pilot.press("down", "enter")
    assert app.return_value == 1


async def test_q_quits_the_overview() -> None:
    app = FleetApp(feeds(), autostart=False)
    async with app.run_test(size=(140, 20)) as pilot:
        await pilot.press("q")
    assert app.return_value is None


async def test_remembered_numbers_are_shown_and_kept_while_lost() -> None:
    # What run_fleet hands a new overview after Enter on one device and q back.
    app = FleetApp(feeds([None, UPDATE, None]), autostart=False)
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(DataTable)
        assert str(table.get_cell("1", "p99 ms")) != "n/a"
        app.feeds[1].last_error = "the server reset the connection"
        app.refresh_rows()
        await pilot.pause()
        assert str(table.get_cell("1", "state")).startswith("LOST")
        assert str(table.get_cell("1", "p99 ms")) == str(table.get_cell("1", "p99 ms")) != "n/a"
        assert str(table.get_cell("1", "inf/s")) != "n/a"


class FakeFeed:
    """A device feed as the overview reads it (`DeviceFeed`), driven by the test."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.last_update: Update | None = None
        self.connected = False
        self.last_error: str | None = None
        self.retry_at: float | None = None
        self.publish: Callable[[Update], None] | None = None
        self.stopped = False

    def start(self, on_update: Callable[[Update], None]) -> None:
        self.publish = on_update

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped = True


async def test_the_overview_runs_the_feeds_it_is_given_and_stops_them() -> None:
    given = [FakeFeed("jetson-01:9464"), FakeFeed("jetson-02:9464")]
    app = FleetApp(given)
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(DataTable)
        assert str(table.get_cell("0", "device")) == "jetson-01:9464"
        publish = given[1].publish
        assert publish is not None and given[0].publish is not None  # both started
        given[1].last_update, given[1].connected = UPDATE, True
        publish(UPDATE)  # as the feed's thread does
        await pilot.pause()
        assert str(table.get_cell("1", "state")) == "RUNNING"
        await pilot.press("q")
    assert all(feed.stopped for feed in given)
