"""The hotspot table's keys: sort (s, S, o), filter (/ and Esc), group by type (g), top hotspot (t),
baseline (b, B), and Enter on a row (a layer's details, or a type's layers in group mode).

A base of the live app (`TrtuiApp` in `trtui.ui.app`, which derives from it; this module never
imports the app): these act on the table widget only; the app adds the feed, the panels and the
rest of the keys.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.widgets import Input

from trtui.stats.update import Update
from trtui.ui.details import DetailsScreen, LayerHistory, layer_details
from trtui.ui.layer_view import SORT_KEYS, LayerView
from trtui.ui.live_screens import LiveScreens
from trtui.ui.screens import SortScreen

SORT_CYCLE = tuple(SORT_KEYS)


class TableKeys(LiveScreens):
    """The table's actions; the app that derives from it composes a `LayerView` and an Input
    with id "filter", and sets `last_update` and `layer_history`."""

    last_update: Update | None
    layer_history: LayerHistory

    @property
    def view(self) -> LayerView:
        """The hotspot table (the one `LayerView` the app composes)."""
        return self.query_one(LayerView)

    def details_for(self, name: str, group: bool, width: int) -> Text:
        """The details of layer `name` (or, `group`, of layer type `name`) as the table shows them
        now, `width` cells wide; "no data yet" before the first update."""
        return layer_details(self.view, self.layer_history, self.last_update, name, group, width)

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

    def action_sort_by(self, key: str) -> None:
        """Sort by one column (a palette entry); `key` one of `SORT_KEYS`."""
        self.view.set_sort(key)

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

    def action_details(self) -> None:
        """The details of the row under the cursor, as Enter on it (a palette entry)."""
        self.view.action_select()

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
        self.open_live(DetailsScreen(message.name, self.details_for))
