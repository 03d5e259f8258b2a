"""The live profiler app: composition of the screen, and the bridge from the session thread."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from dataclasses import dataclass

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.widgets import Footer, Static

from trtui.errors import UserError
from trtui.options import RunOptions
from trtui.session import Session, Update
from trtui.sources.protocol import ProfileSource
from trtui.telemetry.sample import TelemetrySource
from trtui.ui.layer_view import LayerView
from trtui.ui.panels import HeaderBar, gpu_text, header_text, latency_text

SORT_CYCLE = ("share", "mean", "median", "p99", "name", "order")
NARROW = 110  # below this width the side panels move under the table


@dataclass
class UpdateReady(Message):
    """One combined update per refresh tick; a newer one replaces a queued older one."""

    update: Update

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, UpdateReady)


class TrtuiApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "trtui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("p", "pause", "Pause"),
        Binding("r", "reset", "Reset stats"),
        Binding("b", "baseline", "Pin baseline"),
        Binding("s", "sort", "Sort"),
        Binding("t", "top", "Top hotspot"),
    ]

    def __init__(
        self, session: Session, refresh_s: float = 0.5, cpu_budget_pct: float = 10.0, autostart: bool = True
    ) -> None:
        super().__init__()
        self.session = session
        self.requested_refresh_s = refresh_s
        self.cpu_budget_pct = cpu_budget_pct
        self.autostart = autostart
        self.last_update: Update | None = None
        self.updates_applied = 0
        self.own_cpu_pct: float | None = None
        self.error: str | None = None
        self._cpu_mark = (time.process_time(), time.monotonic())
        self._sort_pos = 0
        session.refresh_s = refresh_s

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        with Horizontal(id="main"):
            with Vertical(id="table-box"):
                yield Static(id="table-header")
                yield LayerView(id="layers")
            with Vertical(id="side"):
                yield Static(id="latency")
                yield Static(id="gpu")
        yield Footer()

    # -- lifecycle -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.query_one(LayerView).set_infos(self.session.source.info.layers)
        self.query_one(LayerView).focus()
        self.session.on_update = self._from_session_thread
        if self.autostart:
            self.session.start()
        self.set_interval(2.0, self._measure_own_cost)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            # Not available off the main thread (tests) or on some platforms: then the default applies.
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._on_signal)

    def _on_signal(self) -> None:
        self.exit(0)

    def on_unmount(self) -> None:
        self.session.stop()

    def _from_session_thread(self, update: Update) -> None:
        self.post_message(UpdateReady(update))  # post_message is thread-safe

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    # -- updates ---------------------------------------------------------------------------------

    def on_update_ready(self, message: UpdateReady) -> None:
        self.apply_update(message.update)

    def apply_update(self, update: Update) -> None:
        self.last_update = update
        self.updates_applied += 1
        p = update.profile
        if p.state == "error" and p.latency_total.count == 0 and p.layers_total.iterations == 0:
            self.error = p.error or "the source failed"
            self.exit(2)
            return
        view = self.query_one(LayerView)
        view.show(p.layers_window if p.layers_window.iterations else p.layers_total)
        self._refresh_panels()

    def _refresh_panels(self) -> None:
        update = self.last_update
        if update is None:
            return
        p = update.profile
        self.query_one(HeaderBar).update(header_text(p, self.own_cpu_pct, self.session.refresh_s))
        view = self.query_one(LayerView)
        self.query_one("#table-header", Static).update(view.header_text(view.size.width))
        side = self.query_one("#side")
        width = side.size.width or 40
        self.query_one("#latency", Static).update(latency_text(p, width))
        self.query_one("#gpu", Static).update(gpu_text(update, width))

    def _measure_own_cost(self) -> None:
        """trtui's own CPU share; slow the refresh down when it exceeds the budget."""
        cpu, wall = time.process_time(), time.monotonic()
        c0, w0 = self._cpu_mark
        self._cpu_mark = (cpu, wall)
        if wall - w0 <= 0:
            return
        self.own_cpu_pct = 100.0 * (cpu - c0) / (wall - w0)
        refresh = self.session.refresh_s
        if self.own_cpu_pct > self.cpu_budget_pct:
            self.session.refresh_s = min(refresh * 1.5, 5.0)
        elif self.own_cpu_pct < self.cpu_budget_pct / 2 and refresh > self.requested_refresh_s:
            self.session.refresh_s = max(refresh / 1.5, self.requested_refresh_s)

    # -- actions ---------------------------------------------------------------------------------

    def action_pause(self) -> None:
        self.session.set_paused(not self.session.paused)
        self.notify("paused: the GPU is idle" if self.session.paused else "resumed", timeout=2)

    def action_reset(self) -> None:
        self.session.reset()
        self.notify("statistics reset", timeout=2)

    def action_baseline(self) -> None:
        if self.last_update is None:
            return
        table = self.last_update.profile.layers_window
        view = self.query_one(LayerView)
        view.baseline = {name: float(table.mean_ms[i]) for i, name in enumerate(table.names)}
        view.refresh()
        self.notify("baseline pinned: mean times now colour against it", timeout=2)

    def action_sort(self) -> None:
        self._sort_pos = (self._sort_pos + 1) % len(SORT_CYCLE)
        view = self.query_one(LayerView)
        view.set_sort(SORT_CYCLE[self._sort_pos])
        self._refresh_panels()

    def action_top(self) -> None:
        view = self.query_one(LayerView)
        view.set_sort("share")
        self._sort_pos = 0
        view.cursor = 0
        self._refresh_panels()

    @on(LayerView.Selected)
    def _layer_selected(self, message: LayerView.Selected) -> None:
        self.notify(message.name, title="layer", timeout=3)


def run_app(
    source: ProfileSource,
    telemetry: TelemetrySource | None,
    options: RunOptions,
    refresh_s: float = 0.5,
    cpu_budget_pct: float = 10.0,
) -> int:
    session = Session(source, telemetry, options, refresh_s=refresh_s)
    app = TrtuiApp(session, refresh_s=refresh_s, cpu_budget_pct=cpu_budget_pct)
    try:
        code = app.run()
    finally:
        session.stop()
    if app.error:
        raise UserError(app.error)
    return int(code or 0)
