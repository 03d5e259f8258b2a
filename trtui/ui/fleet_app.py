"""The fleet overview of `trtui attach URL URL ...`: one row per device (engine, p50/p99,
throughput, GPU util, power, temperature, state), fed by one `RemoteFeed` each. Enter leaves the
overview for that device's full live screen; q there comes back here, with every device's last
numbers kept. A lost connection shows as LOST with its retry time, and its whole reason under the
table; the feeds reconnect by themselves."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from trtui.common import format as fmt
from trtui.remote.feed import RemoteFeed
from trtui.remote.fleet import COLUMNS, WIDTHS, FleetRow, fleet_row, problem_lines
from trtui.stats.update import Update
from trtui.ui.guard import GuardedApp, run_guarded

NUMERIC = {"p50 ms", "p99 ms", "inf/s", "GPU util", "power", "temp"}


@dataclass
class DeviceUpdate(Message):
    index: int
    update: Update


class FleetApp(GuardedApp[int | None]):
    """Returns the index of the device to open, or None to quit."""

    CSS_PATH = "fleet.tcss"
    TITLE = "trtui fleet"
    BINDINGS = [Binding("q", "quit_fleet", "Quit"), Binding("enter", "open", "Open device", show=True)]

    def __init__(
        self,
        urls: list[str],
        token: str | None,
        refresh_s: float = 0.5,
        autostart: bool = True,
        remembered: Sequence[Update | None] = (),
    ) -> None:
        """`remembered`: each device's newest update from an earlier overview or device screen,
        shown (and kept while the device is lost) until its feed brings a newer one."""
        super().__init__()
        self.urls = urls
        self.feeds = [RemoteFeed(url, token) for url in urls]
        for feed, update in zip(self.feeds, remembered, strict=False):
            feed.last_update = update
        self.refresh_s = refresh_s
        self.autostart = autostart
        self.rows: list[FleetRow] = [fleet_row(f.name, f.last_update, False) for f in self.feeds]

    def compose(self) -> ComposeResult:
        yield Static(f"trtui fleet: {len(self.urls)} devices", id="fleet-title")
        yield DataTable(id="fleet-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="fleet-problems")
        yield Static("Enter: open the device's live screen (q there comes back) · q: quit", id="fleet-hint")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name, width in zip(COLUMNS, WIDTHS, strict=True):
            table.add_column(name, key=name, width=width)
        for i, row in enumerate(self.rows):
            table.add_row(*self._cells(row), key=str(i))
        table.focus()
        if self.autostart:
            for i, feed in enumerate(self.feeds):
                feed.start(self._poster(i))
        self.set_interval(self.refresh_s, self.refresh_rows)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, lambda: self.exit(None))

    def _poster(self, index: int) -> Callable[[Update], None]:
        def post(update: Update) -> None:
            self.post_message(DeviceUpdate(index, update))  # thread-safe

        return post

    def on_unmount(self) -> None:
        for feed in self.feeds:
            feed.stop(timeout=0.0)  # all of them stop at once...
        for feed in self.feeds:
            feed.stop(timeout=1.0)  # ...then each thread is waited for

    @staticmethod
    def _cells(row: FleetRow) -> list[Text]:
        out = []
        for name, value in zip(COLUMNS, row.cells(), strict=True):
            style = "bold red" if name == "state" and row.lost else ("yellow" if value == "SIMULATED" else "")
            cell = fmt.safe(value)  # labels and reasons come from the servers
            out.append(Text(cell, style=style, justify="right" if name in NUMERIC else "left"))
        return out

    def on_device_update(self, message: DeviceUpdate) -> None:
        self.refresh_row(message.index)

    def refresh_rows(self) -> None:
        for i in range(len(self.feeds)):
            self.refresh_row(i)

    def refresh_row(self, i: int) -> None:
        feed = self.feeds[i]
        retry = None if feed.retry_at is None else feed.retry_at - time.monotonic()
        row = fleet_row(feed.name, feed.last_update, feed.connected, feed.last_error, retry)
        if row == self.rows[i]:
            return
        self.rows[i] = row
        table = self.query_one(DataTable)
        for name, cell in zip(COLUMNS, self._cells(row), strict=True):
            table.update_cell(str(i), name, cell)
        problems = problem_lines(self.rows)
        box = self.query_one("#fleet-problems", Static)
        box.display = bool(problems)
        box.update(Text("\n".join(problems), style="red"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.exit(int(str(event.row_key.value)))

    def action_open(self) -> None:
        self.exit(self.query_one(DataTable).cursor_row)

    def action_quit_fleet(self) -> None:
        self.exit(None)


def run_fleet(
    urls: list[str], token: str | None, refresh_s: float = 0.5, cpu_budget_pct: float = 10.0
) -> int:
    """The overview until q; Enter shows one device's live screen, whose q comes back here.
    SIGTERM or SIGHUP (an SSH disconnect) ends both."""
    from trtui.ui.app import TrtuiApp

    remembered: list[Update | None] = [None] * len(urls)  # every device's newest numbers, kept
    while True:
        app = FleetApp(urls, token, refresh_s=refresh_s, remembered=remembered)
        choice = run_guarded(app)
        remembered = [feed.last_update for feed in app.feeds]
        if choice is None:
            return 0
        feed = RemoteFeed(urls[choice], token)
        feed.last_update = remembered[choice]
        device = TrtuiApp(feed, refresh_s=refresh_s, cpu_budget_pct=cpu_budget_pct)
        try:
            run_guarded(device)
        finally:
            feed.stop()
            remembered[choice] = feed.last_update
        if device.signalled:
            return 0
        # A run that failed showed its error on its screen; back to the overview either way.
