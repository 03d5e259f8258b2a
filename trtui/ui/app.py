"""The live profiler app: composition of the screen, and the bridge from an update feed.

The screen reads only the `Update`s its feed publishes (a local pipeline or a remote run): the
layer list, its details, shapes, mode and notices all arrive in them, may arrive late (an engine's
layers are known only once it is loaded on its GPU thread) and may change during a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from trtui.atomic import write_text_atomic
from trtui.errors import UserError
from trtui.feed import UpdateFeed
from trtui.signals import arm_exit_watchdog
from trtui.stats.update import Update
from trtui.ui.details import DetailsScreen, HistoryPoint, LayerHistory, details_text
from trtui.ui.grouping import placeholder_table
from trtui.ui.kernels_screen import KernelsScreen, kernel_section
from trtui.ui.layer_view import SORT_KEYS, LayerView
from trtui.ui.panels import HeaderBar, Panel, header_text
from trtui.ui.screens import ExportScreen, HelpScreen, SortScreen

SORT_CYCLE = tuple(SORT_KEYS)
NARROW = 125  # below this width the side panels move under the table
SHORT = 32  # below this height (when narrow) the panels get compact
TINY = 20  # below this height (when narrow) the table keeps the rows; z shows the panels
PANEL_OTHER_ROWS = 13  # header, footer and the latency panel's lines besides its histogram
PANEL_HIST_MAX = 16
ZOOMS = ("normal", "table", "panels")
MAX_REFRESH_S = 5.0


@dataclass
class UpdateReady(Message):
    """One combined update per statistics tick; a newer one replaces a queued older one."""

    update: Update

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, UpdateReady)


class TrtuiApp(App[int]):
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
    ) -> None:
        super().__init__()
        self.feed = feed
        self.requested_refresh_s = refresh_s
        # The screen's own refresh period: updates that arrive sooner are merged (the newest wins).
        # The CPU budget changes only this, never the statistics.
        self.refresh_s = refresh_s
        self.cpu_budget_pct = cpu_budget_pct
        self.autostart = autostart
        self.cost_interval_s = cost_interval_s
        self._process_time = process_time
        self._wall_time = wall_time
        self.last_update: Update | None = None
        self.updates_applied = 0
        self.own_cpu_pct: float | None = None
        self.error: str | None = None
        self.signalled = False  # it ended on SIGTERM/SIGHUP (the fleet overview then ends too)
        self._cpu_mark = (process_time(), wall_time())
        self._cost_measures = 0
        self._last_header: Text | None = None
        self._last_table_header: Text | None = None
        self.zoom = "normal"
        self.layer_history = LayerHistory()
        self.exported: list[tuple[str, str]] = []  # (kind, path) written, for tests and the report
        self.paused_requested = False
        self.updates_merged = 0  # updates replaced by a newer one before they were shown
        self._pending: Update | None = None
        self._pending_timer: Any = None
        self._last_apply = float("-inf")
        self._layers_shown: tuple[Any, ...] | None = None  # the layer infos the view holds

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        with Horizontal(id="main"):
            with Vertical(id="table-box"):
                yield Static(id="table-header")
                yield Input(placeholder="filter by name or type (Esc clears)", id="filter")
                yield LayerView(id="layers")
            with Vertical(id="side"):
                yield Panel("latency", id="latency")
                yield Panel("gpu", id="gpu")
        yield Footer()

    @property
    def view(self) -> LayerView:
        return self.query_one(LayerView)

    # -- lifecycle -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        view = self.view
        view.on_change = self._refresh_table_header
        view.focus()
        self.query_one("#filter", Input).display = False
        if self.autostart:
            self.feed.start(self._from_feed_thread)
        if self.cost_interval_s:
            self._cpu_mark = (self._process_time(), self._wall_time())  # imports are not running cost
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
        one arriving meanwhile replaces it). A final update (finished, error) is shown at once."""
        update = message.update
        if self._pending is not None:
            self.updates_merged += 1
        self._pending = update
        wait = self._last_apply + self.refresh_s - self._wall_time()
        if wait <= 0 or update.profile.state in ("finished", "error"):
            self._apply_pending()
        elif self._pending_timer is None:
            self._pending_timer = self.set_timer(wait, self._apply_pending)

    def _apply_pending(self) -> None:
        self._pending_timer = None
        update, self._pending = self._pending, None
        if update is not None:
            self._last_apply = self._wall_time()
            self.apply_update(update)

    def apply_update(self, update: Update) -> None:
        self.last_update = update
        self.updates_applied += 1
        p = update.profile
        if p.state == "error" and p.latency_total.count == 0 and p.layers_total.iterations == 0:
            self.error = p.error or "the source failed"
            self.exit(2)
            return
        view = self.view
        if p.info.layers is not self._layers_shown:  # layer details arrived or changed
            self._layers_shown = p.info.layers
            view.set_infos(p.info.layers)
            if p.info.layers and not len(view.layer_table):
                view.show(placeholder_table(p.info.layers))  # the layer list, before statistics
        table = p.layers_window if p.layers_window.iterations else p.layers_total
        if len(table) or not len(view.layer_table):
            view.show(table)
        self._remember_selected()
        self._refresh_panels()
        screen = self.screen
        if isinstance(screen, DetailsScreen):
            screen.refresh_details()
        if isinstance(screen, KernelsScreen):
            screen.refresh_kernels()

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

    def _refresh_table_header(self) -> None:
        view = self.view
        text = view.header_text(view.row_width or self.size.width)
        extra = []
        if view.grouped:
            extra.append("grouped by type")
        if view.filter_text:
            extra.append(f"filter '{view.filter_text}': {len(view.order)} of {len(view.table)}")
        if view.baseline:
            extra.append("Δ vs pinned baseline")
        header = Text(text, style="bold", no_wrap=True, overflow="ellipsis")
        note = "  " + " · ".join(extra)
        room = self.query_one("#table-header", Static).size.width - len(text.rstrip())
        if extra and len(note) <= room:
            header = Text(text.rstrip(), style="bold", no_wrap=True, overflow="ellipsis")
            header.append(note, style="italic")
        box = self.query_one("#table-header", Static)
        if header != self._last_table_header:  # an identical header costs no repaint
            self._last_table_header = header
            box.update(header, layout=False)  # fixed height: no layout pass

    def _refresh_panels(self) -> None:
        update = self.last_update
        if update is None:
            return
        p = update.profile
        header = header_text(p, self.own_cpu_pct, self.refresh_s, self.cpu_budget_pct)
        if header != self._last_header:
            self._last_header = header
            self.query_one(HeaderBar).update(header, layout=False)  # fixed height
        for panel in self.query(Panel):
            panel.show(update)

    def measure_own_cost(self) -> None:
        """trtui's own CPU share (all threads); slow the screen's refresh down when it exceeds the
        budget, speed it back up (never faster than --refresh) when well under it. Only how often
        updates are shown changes: the statistics keep their fixed tick."""
        cpu, wall = self._process_time(), self._wall_time()
        c0, w0 = self._cpu_mark
        self._cpu_mark = (cpu, wall)
        if wall - w0 <= 0:
            return
        self.own_cpu_pct = 100.0 * (cpu - c0) / (wall - w0)
        self._cost_measures += 1
        if self._cost_measures == 1 and self.cost_interval_s:
            return  # the first interval holds start-up work (first layout, first frames): show only
        refresh = self.refresh_s
        if self.own_cpu_pct > self.cpu_budget_pct:
            self.refresh_s = min(refresh * 1.5, MAX_REFRESH_S)
        elif self.own_cpu_pct < self.cpu_budget_pct / 2 and refresh > self.requested_refresh_s:
            self.refresh_s = max(refresh / 1.5, self.requested_refresh_s)

    # -- details ---------------------------------------------------------------------------------

    def details_for(self, name: str, group: bool, width: int) -> Text:
        view = self.view
        info = view.infos.get(name) if not group else None
        stats = view.row_values(name) if view.grouped == group else None
        size = None
        if group and name in view.table.names:
            size = view.group_sizes[view.table.names.index(name)]
        history = self.layer_history.get(f"type:{name}" if group else name)
        if self.last_update is None:
            return Text("no data yet")
        snap = self.last_update.profile.kernels
        kernels = None if group or snap is None else kernel_section(snap.for_layer(name), snap, width)
        return details_text(name, info, stats, history, self.last_update.profile.info, width, size, kernels)

    def action_kernels(self) -> None:
        """All kernels across the engine (--kernels)."""
        if not isinstance(self.screen, KernelsScreen):
            self.push_screen(KernelsScreen())

    @on(LayerView.Selected)
    def _layer_selected(self, message: LayerView.Selected) -> None:
        if message.group:
            # Drill down: the layers of that type, hottest first.
            view = self.view
            view.set_grouped(False)
            self._show_filter(message.name)
            view.set_sort("share")
            view.cursor = 0
            view.focus()
            return
        self.push_screen(DetailsScreen(message.name))

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A replay has nothing to pause: no "p Pause" in the footer."""
        replay = self.last_update is not None and self.last_update.profile.info.kind == "recording"
        return not (action == "pause" and replay)

    def action_pause(self) -> None:
        if not self.feed.can_control:
            self.notify("read only: this run does not take control from here", timeout=3)
            return
        info = self.last_update.profile.info if self.last_update is not None else None
        if info is not None and info.kind == "recording":
            self.notify("a recording is read at once: nothing runs, nothing to pause", timeout=3)
            return
        if self.last_update is not None and self.last_update.profile.state in ("finished", "error"):
            self.notify(f"the run has {self.last_update.profile.state}: nothing to pause", timeout=3)
            return
        self.paused_requested = not self.paused_requested
        self.feed.set_paused(self.paused_requested)
        self.notify("paused: the GPU is idle" if self.paused_requested else "resumed", timeout=2)

    def action_reconfigure(self) -> None:
        """The batch/streams picker (trtui/ui/reconfigure_screen.py); statistics restart after it."""
        from trtui.ui.reconfigure_screen import open_reconfigure

        if not self.feed.can_control:
            self.notify("read only: this run does not take control from here", timeout=3)
            return
        open_reconfigure(self, self.feed, self.last_update.profile.info if self.last_update else None)

    def action_reset(self) -> None:
        if not self.feed.can_control:
            self.notify("read only: this run does not take control from here", timeout=3)
            return
        self.feed.reset()
        self.layer_history.clear()
        self.notify("statistics reset", timeout=2)

    def action_baseline(self) -> None:
        if self.last_update is None:
            self.notify("no data yet to pin as a baseline", timeout=2)
            return
        p = self.last_update.profile
        table = p.layers_window if p.layers_window.iterations else p.layers_total
        self.view.set_baseline(table)
        self.notify("baseline pinned: the Δ column compares mean times with it (B drops it)", timeout=3)

    def action_clear_baseline(self) -> None:
        self.view.clear_baseline()
        self.notify("baseline dropped", timeout=2)

    def action_sort(self) -> None:
        view = self.view
        pos = SORT_CYCLE.index(view.sort_key) if view.sort_key in SORT_CYCLE else -1
        key = SORT_CYCLE[(pos + 1) % len(SORT_CYCLE)]
        if key == "delta" and not view.baseline:
            key = SORT_CYCLE[(SORT_CYCLE.index(key) + 1) % len(SORT_CYCLE)]
        view.set_sort(key)
        self.notify(f"sorted by {SORT_KEYS[key]}", timeout=1.5)

    def action_reverse_sort(self) -> None:
        view = self.view
        view.set_sort(view.sort_key, not view.sort_reverse)

    def action_sort_menu(self) -> None:
        def picked(key: str | None) -> None:
            if key:
                self.view.set_sort(key)

        self.push_screen(SortScreen(self.view.sort_key), picked)

    def action_top(self) -> None:
        view = self.view
        view.set_sort("share")
        view.cursor = 0
        view.scroll_to(y=0, animate=False, immediate=True)
        view.focus()

    def action_group(self) -> None:
        view = self.view
        view.set_grouped(not view.grouped)
        self.notify(
            "grouped by layer type (Enter shows a type's layers)" if view.grouped else "all layers", timeout=2
        )

    def action_filter(self) -> None:
        self._show_filter(self.view.filter_text)
        self.query_one("#filter", Input).focus()

    def _show_filter(self, text: str) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = text
        self.view.set_filter(text)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.view.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.display = False
        self.view.focus()

    def key_escape(self) -> None:
        """Esc on the main screen clears the filter (and leaves group mode last)."""
        box = self.query_one("#filter", Input)
        if box.display or self.view.filter_text:
            box.value = ""
            box.display = False
            self.view.set_filter("")
            self.view.focus()

    def action_zoom(self) -> None:
        self.zoom = ZOOMS[(ZOOMS.index(self.zoom) + 1) % len(ZOOMS)]
        for z in ZOOMS:
            self.set_class(self.zoom == z and z != "normal", f"-zoom-{z}")
        self._size_panels()
        self.call_after_refresh(self._refresh_table_header)
        self.call_after_refresh(self._refocus)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # -- export ----------------------------------------------------------------------------------

    def export_available(self) -> dict[str, str | None]:
        """kind -> None when it can be exported now, else why not."""
        module = _export_module()
        have: dict[str, str | None] = {"svg": None}
        for kind, fn in (("csv", "write_layers_csv"), ("recording", "export_recording")):
            if self.last_update is None:
                have[kind] = "no data yet"
            elif module is None or not hasattr(module, fn):
                have[kind] = "not in this build"
            else:
                have[kind] = None
        return have

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

        self.push_screen(ExportScreen(label.split(" ")[0], self.export_available()), chosen)

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
            if kind == "svg":
                write_text_atomic(target, self.export_screenshot(title="trtui"))
            else:
                module = _export_module()
                if module is None or self.last_update is None:
                    raise UserError("this export is not available")
                if kind == "csv":
                    module.write_layers_csv(self.last_update, target)
                else:
                    settings = dict(self.last_update.settings)
                    settings["refresh_s"] = str(self.refresh_s)
                    module.export_recording(self.last_update, target, settings)
        except (UserError, OSError) as err:
            self.notify(str(err), title="export failed", severity="error", timeout=6)
            return
        self.exported.append((kind, str(target)))
        self.notify(str(target), title=f"exported {kind}", timeout=4)

    # -- command palette ---------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Pause / resume", "pause or resume the engine (p)", self.action_pause)
        yield SystemCommand("Reset statistics", "forget all statistics (r)", self.action_reset)
        yield SystemCommand(
            "Pin baseline", "pin the current mean times as the Δ baseline (b)", self.action_baseline
        )
        yield SystemCommand("Drop baseline", "remove the pinned baseline (B)", self.action_clear_baseline)
        yield SystemCommand("Sort: next column", "cycle the sort column (s)", self.action_sort)
        yield SystemCommand("Sort: reverse", "reverse the sort direction (S)", self.action_reverse_sort)
        for key, label in SORT_KEYS.items():
            yield SystemCommand(
                f"Sort by {label}", f"sort the table by {label}", _bind(self.view.set_sort, key)
            )
        yield SystemCommand("Filter layers", "filter by name or type (/)", self.action_filter)
        yield SystemCommand("Group by layer type", "toggle per-type totals (g)", self.action_group)
        yield SystemCommand("Top hotspot", "jump to the layer with the largest share (t)", self.action_top)
        yield SystemCommand("Layer details", "details of the selected layer (Enter)", self.view.action_select)
        yield SystemCommand("Zoom", "cycle table+panels / table / panels (z)", self.action_zoom)
        yield SystemCommand(
            "Export", "recording folder, layers CSV, or SVG screenshot (e)", self.action_export
        )
        yield SystemCommand(
            "Kernels", "top kernels and kernel families across the engine (K)", self.action_kernels
        )
        yield SystemCommand("Help", "keys (?)", self.action_help)


def _bind(fn: Callable[[str], None], key: str) -> Callable[[], None]:
    return lambda: fn(key)


def _export_module() -> Any:
    try:
        return importlib.import_module("trtui.recording.export")
    except ImportError:
        return None


def run_app(feed: UpdateFeed, refresh_s: float = 0.5, cpu_budget_pct: float = 10.0) -> int:
    app = TrtuiApp(feed, refresh_s=refresh_s, cpu_budget_pct=cpu_budget_pct)
    try:
        code = app.run()
    finally:
        feed.stop()
    if app.error:
        raise UserError(app.error)
    return int(code or 0)
