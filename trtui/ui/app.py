"""The live profiler app: composition of the screen, and the bridge from an update feed.

The screen reads only the `Update`s its feed publishes (a local pipeline or a remote run): the
layer list, its details, shapes, mode and notices all arrive in them, may arrive late (an engine's
layers are known only once it is loaded on its GPU thread) and may change during a run.

Attributes down, messages up: the app hands each update to its widgets and to the live screen on
top (details, kernels, engine card: `live_screens`); widgets post messages (`LayerView.Selected`,
`LayerView.Reordered`); no screen imports the app. The command layer builds the feed and the app.

Redraws cost only what changed: updates are paced (`refresh_pacer`); a widget that is hidden (zoom,
a small terminal) or under a modal screen takes the update's data without drawing it, and draws the
latest when it is shown again; panels and the details redraw only their changed lines, without a
layout pass unless their height changed (`panels`, `live_text`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rich.color import ColorSystem
from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from trtui.common import format as fmt
from trtui.common.errors import UserError
from trtui.common.signals import arm_exit_watchdog
from trtui.pipeline.update_feed import UpdateFeed
from trtui.remote.wire_decode import DROPPED_NOTICE
from trtui.stats.update import Update
from trtui.ui.cell_diff import CellOutput
from trtui.ui.details import HistoryPoint, LayerHistory
from trtui.ui.engine_card_screen import EngineCardScreen
from trtui.ui.exports import export_available, write_export
from trtui.ui.grouping import placeholder_table
from trtui.ui.guard import run_guarded
from trtui.ui.kernels_screen import KernelsScreen
from trtui.ui.key_bar import KeyBar
from trtui.ui.layer_view import LayerView
from trtui.ui.palette import LIVE_COMMANDS
from trtui.ui.panels import HeaderBar, Panel, header_text, loading_header_text
from trtui.ui.refresh_pacer import RefreshPacer
from trtui.ui.run_keys import RunKeys
from trtui.ui.screens import ExportScreen, HelpScreen
from trtui.ui.table_header import table_header_text

LEAN_BUDGET_BPS = 4000.0  # auto lean mode over SSH above this output rate (32 kbit/s)
LEAN_CHECK_S = 10.0  # the output rate is measured over this period
NARROW = 125  # below this width the side panels move under the table
SHORT = 32  # below this height (when narrow) the panels get compact
TINY = 20  # below this height (when narrow) the table keeps the rows; z shows the panels
PANEL_OTHER_ROWS = 13  # header, footer and the latency panel's lines besides its histogram
PANEL_HIST_MAX = 16
ZOOMS = ("normal", "table", "panels")


@dataclass
class UpdateReady(Message):
    """One combined update per statistics tick; a newer one replaces a queued older one."""

    update: Update

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, UpdateReady)


class TrtuiApp(RunKeys):
    """The live profiler's screen over one `UpdateFeed`: the hotspot table, the latency and GPU
    panels, and the keys. It starts the feed when mounted (`autostart`) and stops it when it ends.

    The feed's thread only posts `UpdateReady`; everything else runs on Textual's event loop.
    Updates are shown at most once per refresh period (`pacer`), slower while trtui's own CPU
    share exceeds `cpu_budget_pct`. Exits with 2 and `error` set when the source failed before any
    measurement; `signalled` when SIGTERM/SIGHUP ended it. Built by the command layer (`run_app`).
    """

    CSS_PATH = "app.tcss"
    TITLE = "trtui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("p", "pause", "Pause"),
        Binding("r", "reset", "Reset"),
        Binding("b", "baseline", "Baseline"),
        Binding("B", "clear_baseline", "Drop baseline", show=False),
        Binding("s", "sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False),
        Binding("o", "sort_menu", "Sort menu", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("g", "group", "Group"),
        Binding("t", "top", "Top"),
        Binding("z", "zoom", "Zoom"),
        Binding("e", "export", "Export"),
        Binding("c", "reconfigure", "Batch/streams", show=False),
        Binding("K", "kernels", "Kernels", show=False),
        Binding("i", "engine_card", "Engine card", show=False),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(
        self,
        feed: UpdateFeed,
        refresh_s: float = 0.5,
        cpu_budget_pct: float = 10.0,
        autostart: bool = True,
        cost_interval_s: float | None = 2.0,
        process_time: Callable[[], float] = time.process_time,
        wall_time: Callable[[], float] = time.monotonic,
        lean: str = "off",
    ) -> None:
        super().__init__()
        self.feed = feed
        self.autostart = autostart
        self.cost_interval_s = cost_interval_s
        self._process_time = process_time
        self._wall_time = wall_time
        # The screen's refresh period and CPU budget: updates that arrive sooner are merged (the
        # newest wins); the budget changes only that period, never the statistics.
        self.pacer: RefreshPacer[Update] = RefreshPacer(
            refresh_s, cpu_budget_pct, process_time(), wall_time(), skip_first=bool(cost_interval_s)
        )
        self.last_update: Update | None = None
        self.updates_applied = 0
        self.error: str | None = None
        self.signalled = False  # it ended on SIGTERM/SIGHUP (the fleet overview then ends too)
        self._last_header: Text | None = None
        self._last_table_header: Text | None = None
        self.zoom = "normal"
        self.layer_history = LayerHistory()
        self.exported: list[tuple[str, str]] = []  # (kind, path) written, for tests and the report
        self.paused_requested = False
        self._layers_shown: tuple[Any, ...] | None = None  # the layer infos the view holds
        self._panels: list[Panel] = []
        self.dropped_shown = False  # the notice that values from a server were dropped, shown once
        # A real terminal gets only the cells that changed (`cell_diff`); tests use Textual's path.
        self.cell_output: CellOutput | None = None if os.environ.get("TRTUI_FULL_REDRAW") else CellOutput()
        # The low-bandwidth mode: "on", "off", or "auto" (on over SSH once the output exceeds a budget).
        self.lean = lean
        self.lean_note: str | None = None
        self._lean_mark: tuple[float, int] | None = None  # (time, bytes written) at the last check

    def compose(self) -> ComposeResult:
        yield HeaderBar(loading_header_text(), id="header")  # until the first update
        with Horizontal(id="main"):
            with Vertical(id="table-box"):
                yield Static(id="table-header")
                yield Input(placeholder="filter by name or type (Esc clears)", id="filter")
                yield LayerView(id="layers")
            with Vertical(id="side"):
                yield Panel("latency", id="latency")
                yield Panel("gpu", id="gpu")
        yield KeyBar(id="keys")

    @property
    def refresh_s(self) -> float:
        """The screen's refresh period now (--refresh, slower while over the CPU budget)."""
        return self.pacer.refresh_s

    @property
    def own_cpu_pct(self) -> float | None:
        """trtui's own CPU share (all threads, percent of one core) over the last measure; None
        before the first."""
        return self.pacer.own_cpu_pct

    @property
    def updates_merged(self) -> int:
        """Updates replaced by a newer one before they were shown."""
        return self.pacer.merged

    # -- lifecycle -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.view.focus()
        self._panels = list(self.query(Panel))
        self.screen_change_signal.subscribe(self, self._redraw_shown)
        self.query_one("#filter", Input).display = False
        if self.lean == "on":
            self.use_lean_terminal("lean terminal")
        elif self.lean == "auto" and os.environ.get("SSH_CONNECTION"):
            self.set_interval(LEAN_CHECK_S, self._check_output_rate)
        if self.autostart:
            self.feed.start(self._from_feed_thread)
        if self.cost_interval_s:
            self.pacer.restart_cost(self._process_time(), self._wall_time())  # imports are not running cost
            self.set_interval(self.cost_interval_s, self.measure_own_cost)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            # Not available off the main thread (tests) or on some platforms: then the default applies.
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._on_signal)

    def _on_signal(self) -> None:
        # Stop the engine first (the feed stops its source), then leave the terminal. If the terminal
        # is gone (SIGHUP), leaving it can block on a write: the process ends within 1.5 s regardless.
        self.signalled = True
        arm_exit_watchdog(1.5)
        self.feed.stop(timeout=1.0)
        self.exit(0)

    def on_unmount(self) -> None:
        self.feed.stop()

    def _from_feed_thread(self, update: Update) -> None:
        self.post_message(UpdateReady(update))  # post_message is thread-safe

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW
        self.set_class(narrow, "-narrow")
        self.set_class(narrow and event.size.height < SHORT, "-short")
        self.set_class(narrow and event.size.height < TINY, "-tiny")
        self._size_panels()
        self.call_after_refresh(self._refresh_table_header)
        self.call_after_refresh(self._redraw_shown)

    def _size_panels(self) -> None:
        """Histogram rows: compact on short terminals; panels-only zoom uses the rows it has."""
        height = self.size.height
        rows = 2 if (self.has_class("-narrow") and height < SHORT) else 4
        if self.zoom == "panels":
            rows = max(rows, min(PANEL_HIST_MAX, height - PANEL_OTHER_ROWS))
        for panel in self.query(Panel):
            panel.hist_rows = rows

    # -- updates ---------------------------------------------------------------------------------

    def on_update_ready(self, message: UpdateReady) -> None:
        """Show an update now, or hold it until the screen's refresh period has passed (a newer
        one arriving meanwhile replaces it). A final update (finished, error) is shown at once, and
        so is the first one with numbers."""
        update = message.update
        final = update.profile.state in ("finished", "error")
        # the first update with numbers too: after an engine's start-up screens, numbers as soon as
        # they exist (not up to a refresh period later)
        first = _has_numbers(update) and (self.last_update is None or not _has_numbers(self.last_update))
        wait = self.pacer.offer(update, self._wall_time(), final or first)
        if wait == 0.0:
            self._apply_pending()
        elif wait is not None:
            self.set_timer(wait, self._apply_pending)

    def _apply_pending(self) -> None:
        update = self.pacer.take(self._wall_time())
        if update is not None:
            self.apply_update(update)

    def apply_update(self, update: Update) -> None:
        previous = self.last_update
        self.last_update = update
        self.updates_applied += 1
        p = update.profile
        if p.state == "error" and p.latency_total.count == 0 and p.layers_total.iterations == 0:
            self.error = p.error or "the source failed"
            self.exit(2)
            return
        if not self.dropped_shown:
            self._show_dropped(p.notices)
        if previous is None or previous.profile.info.kind != p.info.kind:
            self.query_one(KeyBar).refresh(layout=True)  # a replay has no Pause
        if p.error and p.state != "error" and (previous is None or previous.profile.error != p.error):
            # A new problem the run goes on through (a lost connection): the whole reason, wrapped,
            # also where a narrow header cuts it.
            self.notify(p.error, severity="error", timeout=8)
        view = self.view
        loading = "loading engine…" if p.state == "starting" else None
        if loading != view.empty_text:
            view.empty_text = loading
            view.refresh()
        if p.info.layers is not self._layers_shown:  # layer details arrived or changed
            self._layers_shown = p.info.layers
            view.set_infos(p.info.layers)
            if p.info.layers and not len(view.layer_table):
                view.show(placeholder_table(p.info.layers))  # the layer list, before statistics
        table = p.layers_window if p.layers_window.iterations else p.layers_total
        on_top = self._main_on_top()
        if len(table) or not len(view.layer_table):
            view.show(table, draw=on_top and _displayed(view))
        self._remember_selected()
        if on_top:  # under a modal, even a header update re-composites the whole screen below
            self._refresh_header()
        self._refresh_panels(on_top)
        self.show_live(update)  # the details, kernels or engine card screen, if one is on top

    def _remember_selected(self) -> None:
        """Keep a short history of the layer under the cursor (for the details view)."""
        update, view = self.last_update, self.view
        name = view.selected_name
        if update is None or name is None:
            return
        values = view.row_values(name)
        if values is None:
            return
        key = f"type:{name}" if view.grouped else name
        point = HistoryPoint(update.profile.elapsed_s, values["mean"], values["share"], values["p99"])
        self.layer_history.add(key, point)

    def on_layer_view_reordered(self, _: LayerView.Reordered) -> None:
        self._refresh_table_header()

    def _refresh_table_header(self) -> None:
        view = self.view
        box = self.query_one("#table-header", Static)
        header = table_header_text(view, view.row_width or self.size.width, box.size.width)
        if header != self._last_table_header:  # an identical header costs no repaint
            self._last_table_header = header
            box.update(header, layout=False)  # fixed height: no layout pass

    def _refresh_header(self) -> None:
        update = self.last_update
        if update is None:
            return
        shown = self.pacer.achieved_per_s(self._wall_time()) if self.cost_interval_s else None
        p, budget = update.profile, self.pacer.cpu_budget_pct
        header = header_text(p, self.own_cpu_pct, self.refresh_s, budget, shown, self.lean_note)
        if header != self._last_header:
            self._last_header = header
            self.query_one(HeaderBar).update(header, layout=False)  # fixed height

    def _refresh_panels(self, on_top: bool) -> None:
        """The side panels that are in sight; a hidden one (zoom, a tiny terminal, under a modal)
        only keeps the update, and draws it when it is shown again (`_redraw_shown`)."""
        update = self.last_update
        if update is None:
            return
        for panel in self._panels:
            panel.show(update, draw=on_top and _displayed(panel))

    def _main_on_top(self) -> bool:
        """The main screen is the one in sight (no modal screen over it)."""
        stack = self.screen_stack
        return len(stack) > 0 and stack[-1] is stack[0]

    def _redraw_shown(self, *_: object) -> None:
        """Draw what updates left undrawn while it was hidden or under a modal (a modal closed, a
        zoom or a resize showed it again), with the latest update."""
        if not self._main_on_top():
            return
        self._refresh_header()
        view = self.view
        if _displayed(view):
            view.redraw()
        for panel in self._panels:
            if _displayed(panel):
                panel.redraw()

    def measure_own_cost(self) -> None:
        """trtui's own CPU share (all threads); the pacer slows the screen's refresh down when it
        exceeds the budget. Only how often updates are shown changes: the statistics keep their tick."""
        self.pacer.measure_cost(self._process_time(), self._wall_time())

    # -- live screens ----------------------------------------------------------------------------

    def action_engine_card(self) -> None:
        """The engine card and every layer against the roofline (key i)."""
        if not isinstance(self.screen, EngineCardScreen):
            self.open_live(EngineCardScreen(self.last_update))

    def action_kernels(self) -> None:
        """All kernels across the engine (--kernels)."""
        if not isinstance(self.screen, KernelsScreen):
            self.open_live(KernelsScreen(self.last_update))

    # -- actions ---------------------------------------------------------------------------------

    def action_zoom(self) -> None:
        self.zoom = ZOOMS[(ZOOMS.index(self.zoom) + 1) % len(ZOOMS)]
        for z in ZOOMS:
            self.set_class(self.zoom == z and z != "normal", f"-zoom-{z}")
        self._size_panels()
        self.call_after_refresh(self._refresh_table_header)
        self.call_after_refresh(self._redraw_shown)
        self.call_after_refresh(self._refocus)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # -- export ----------------------------------------------------------------------------------

    def action_export(self) -> None:
        label = self.last_update.profile.info.label if self.last_update is not None else "trtui"

        def chosen(result: tuple[str, str] | None) -> None:
            self.call_after_refresh(self._refocus)  # not the hidden filter box
            if result is not None:
                kind, path = result
                if kind == "svg":
                    self.call_after_refresh(self.export, kind, path)  # the modal is gone by then
                else:
                    self.export(kind, path)

        self.push_screen(ExportScreen(label.split(" ")[0], export_available(self.last_update)), chosen)

    def _refocus(self) -> None:
        """Focus the table after a modal; nothing when it is hidden (panels-only zoom), so that
        keys go to the screen's bindings and never to a hidden input."""
        if self.query_one("#table-box").display:
            self.view.focus()
        else:
            self.set_focus(None)

    def export(self, kind: str, path: str) -> None:
        """Write one export; errors become a notification, never a crash."""
        target = Path(path).expanduser()
        try:
            shot = partial(self.export_screenshot, title="trtui")
            write_export(kind, target, self.last_update, self.refresh_s, shot)
        except (UserError, OSError) as err:
            self.notify(str(err), title="export failed", severity="error", timeout=6)
            return
        self.exported.append((kind, str(target)))
        self.notify(str(target), title=f"exported {kind}", timeout=4)

    def _show_dropped(self, notices: tuple[str, ...]) -> None:
        """A stream held numbers that are not measurements (NaN, infinite, negative times): say so
        once; the decoder dropped them, and the notice stays in the run's notices."""
        for notice in notices:
            if notice.startswith(DROPPED_NOTICE):
                self.dropped_shown = True
                self.notify(fmt.one_line(notice, 300), title="bad data", severity="warning", timeout=10)
                return

    # -- command palette ---------------------------------------------------------------------------

    def use_lean_terminal(self, note: str) -> None:
        """The low-bandwidth mode: no per-row sparklines, cold rows redrawn less often, 256 colours."""
        self.lean_note = note
        view = self.view
        view.lean = True
        view.held.lean = True
        if self.cell_output is not None:
            self.cell_output.forced = ColorSystem.EIGHT_BIT
            self.cell_output.invalidate()
        self.refresh(repaint=True)
        self._refresh_table_header()
        view.refresh()
        self._refresh_header()

    def _check_output_rate(self) -> None:
        """Auto lean mode: over SSH, once the terminal output rate exceeds LEAN_BUDGET_BPS."""
        if self.lean_note is not None or self.cell_output is None:
            return
        now, written = self._wall_time(), self.cell_output.bytes_written
        mark, self._lean_mark = self._lean_mark, (now, written)
        if mark is None or now <= mark[0]:
            return
        rate = (written - mark[1]) / (now - mark[0])
        if rate > LEAN_BUDGET_BPS:
            self.use_lean_terminal(
                f"lean terminal (SSH, {rate / 1000:.1f} > {LEAN_BUDGET_BPS / 1000:.0f} kB/s)"
            )

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        # The narrowest hook into Textual's output: the frame as cells, before it becomes bytes.
        if self.cell_output is None or not self.cell_output.display(self, renderable):
            super()._display(screen, renderable)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for entry in LIVE_COMMANDS:
            yield SystemCommand(entry.title, entry.help, partial(self.run_action, entry.action))


def _has_numbers(update: Update) -> bool:
    """Any measurement yet: a latency or a profiled inference."""
    p = update.profile
    return p.latency_total.count > 0 or p.layers_total.iterations > 0


def _displayed(widget: Widget) -> bool:
    """Neither the widget nor a container of it is hidden (`display: none`: zoom, small terminals)."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


def run_app(
    feed: UpdateFeed, refresh_s: float = 0.5, cpu_budget_pct: float = 10.0, lean: str = "auto"
) -> int:
    """Run the live screen over `feed` until the user quits; stops the feed whatever happens.
    Returns the exit code; raises `UserError` when the source failed before any measurement and
    `InternalError` on a crash (`run_guarded`)."""
    app = TrtuiApp(feed, refresh_s=refresh_s, cpu_budget_pct=cpu_budget_pct, lean=lean)
    try:
        code = run_guarded(app)
    finally:
        feed.stop()
    if app.error:
        raise UserError(app.error)
    return int(code or 0)
