"""The fleet overview of `trtui attach URL URL ...`: one row per device (engine, p50/p99,
throughput, GPU util, power, temperature, state), fed by one feed each. Enter ends the overview
with that device's index (the command layer, `trtui.commands.attach`, then shows its full live
screen and, on q there, a new overview with every device's last numbers kept). A lost connection
shows as LOST with its retry time, and its whole reason under the table; the feeds reconnect by
themselves.

The overview never builds a feed: the command layer builds them (`RemoteFeed`) and hands them in.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from trtui.common import format as fmt
from trtui.remote.fleet import COLUMNS, WIDTHS, FleetRow, fleet_row, problem_lines
from trtui.stats.update import Update
from trtui.ui.guard import GuardedApp

NUMERIC = {"p50 ms", "p99 ms", "inf/s", "GPU util", "power", "temp"}


class DeviceFeed(Protocol):
    """One device's feed as the overview reads it (a remote run's `RemoteFeed`): updates are
    published to one callback from the feed's own thread; the state below is read on the UI's
    thread (plain attribute reads; a row may lag one refresh)."""

    @property
    def name(self) -> str:
        """The device as the table names it (host:port)."""
        ...

    @property
    def last_update(self) -> Update | None:
        """The newest update the device sent (None: none yet)."""
        ...

    @property
    def connected(self) -> bool:
        """The device answers now."""
        ...

    @property
    def last_error(self) -> str | None:
        """Why the connection is lost, one line (None: it is not)."""
        ...

    @property
    def retry_at(self) -> float | None:
        """`time.monotonic()` of the next connection attempt while lost (None: not lost)."""
        ...

    def start(self, on_update: Callable[[Update], None]) -> None:
        """Connect and publish every update to `on_update`, from the feed's thread; once."""
        ...

    def stop(self, timeout: float = 5.0) -> None:
        """Stop, waiting at most `timeout` s for the feed's thread; idempotent."""
        ...


@dataclass
class DeviceUpdate(Message):
    """Device `index`'s feed published `update` (posted from the feed's thread)."""

    index: int
    update: Update


class FleetApp(GuardedApp[int | None]):
    """The overview of the devices `feeds` read; returns the index of the device to open, or
    None to quit. It starts the feeds when mounted (`autostart`) and stops them when it ends."""

    CSS_PATH = "fleet.tcss"
    TITLE = "trtui fleet"
    BINDINGS = [Binding("q", "quit_fleet", "Quit"), Binding("enter", "open", "Open device", show=True)]

    def __init__(self, feeds: Sequence[DeviceFeed], refresh_s: float = 0.5, autostart: bool = True) -> None:
        """`feeds`: one per device, not started; a feed's `last_update` may already hold the
        device's newest update from an earlier overview or device screen, shown (and kept while
        the device is lost) until the feed brings a newer one."""
        super().__init__()
        self.feeds = list(feeds)
        self.refresh_s = refresh_s
        self.autostart = autostart
        self.rows: list[FleetRow] = [fleet_row(f.name, f.last_update, False) for f in self.feeds]

    def compose(self) -> ComposeResult:
        yield Static(f"trtui fleet: {len(self.feeds)} devices", id="fleet-title")
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

