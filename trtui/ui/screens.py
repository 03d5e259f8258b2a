"""Small modal screens: key help, the sort menu, and export."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from trtui.ui.layer_order import SORT_KEYS

# (keys, what they do): the help screen and the README table come from this list.
KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓ PgUp PgDn", "move in the hotspot table (also j / k, Home, End)"),
    ("Enter", "layer details (on a type row in group mode: show that type's layers)"),
    ("s", "sort: cycle share, mean, median, p99, Δ baseline, name, type, precision, engine order"),
    ("S", "reverse the sort direction"),
    ("o", "sort menu (pick any column)"),
    ("/", "filter by layer name or type (Enter keeps it, Esc clears it)"),
    ("g", "group by layer type (per-type totals) / back to layers"),
    ("t", "jump to the top hotspot (sort by share, cursor on the first row)"),
    ("b", "pin the current mean times as the baseline (Δ column); again to re-pin"),
    ("B", "drop the baseline"),
    ("p", "pause / resume the engine (the GPU goes idle)"),
    ("r", "reset all statistics"),
    ("z", "zoom: table and panels / the table alone / the panels alone"),
    ("e", "export: recording folder, layers CSV, or an SVG screenshot"),
    ("c", "batch / streams picker: another batch size or number of contexts (statistics restart)"),
    ("K", "kernels: top kernels and kernel families (--kernels; Enter on a layer lists its own)"),
    ("i", "engine card and roofline: I/O, layers, weights, memory; each layer's efficiency and headroom"),
    ("?", "this help"),
    ("Ctrl+P", "command palette (every action by name)"),
    ("q", "quit (also Ctrl+C)"),
)


def help_text() -> Group:
    keys = Table.grid(padding=(0, 2))
    keys.add_column(style="bold yellow", no_wrap=True)
    keys.add_column()
    for key, what in KEYS:
        keys.add_row(key, what)
    t = Text()
    t.append(
        "\nHeader: source, TensorRT, device, precision mix, shapes, mode, state, elapsed time,\n"
        "trtui's own CPU use, the refresh period and the refreshes shown per second (last 10 s).\n"
        "The refresh slows down by itself when trtui uses more than its CPU budget\n"
        "(--cpu-budget, default 10% of one core; --refresh sets the fastest rate).\n"
        "Latency is measured on unprofiled inferences only; the profiler tax compares profiled\n"
        "iterations with them. ▲ under the p99 sparkline: a p99 jump that coincided with a clock,\n"
        "thermal or throttle event.",
        style="dim",
    )
    return Group(keys, t)


class HelpScreen(ModalScreen[None]):
    """The live screen's keys and how to read what it shows (`help_text`); Esc, q or ? closes."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_text(), id="help-body")

    def on_mount(self) -> None:
        box = self.query_one("#help-box")
        box.border_title = "trtui keys"
        box.border_subtitle = "Esc closes"

    def action_close(self) -> None:
        self.dismiss(None)


class SortScreen(ModalScreen[str | None]):
    """Pick the sort column; returns its key (or None on Esc)."""

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        options = [
            Option(("● " if k == self.current else "  ") + label, id=k) for k, label in SORT_KEYS.items()
        ]
        yield OptionList(*options, id="sort-menu")

    def on_mount(self) -> None:
        menu = self.query_one(OptionList)
        menu.border_title = "Sort by"
        menu.highlighted = list(SORT_KEYS).index(self.current) if self.current in SORT_KEYS else 0
        menu.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)


EXPORT_KINDS = {
    "svg": "SVG screenshot of the screen",
    "csv": "layers CSV (the table's statistics)",
    "recording": "recording folder (trtexec-compatible JSON + telemetry)",
}


def default_export_path(kind: str, label: str, now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in label).strip("-") or "trtui"
    suffix = {"svg": ".svg", "csv": ".csv", "recording": ""}[kind]
    return str(Path.cwd() / f"trtui-{stem}-{stamp}{suffix}")


class ExportScreen(ModalScreen[tuple[str, str] | None]):
    """Choose what to export and where; returns (kind, path) or None."""

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, label: str, available: dict[str, str | None]) -> None:
        super().__init__()
        self.label = label
        self.available = available  # kind -> None if available, else the reason it is not

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            options = []
            for kind, what in EXPORT_KINDS.items():
                reason = self.available.get(kind)
                options.append(
                    Option(
                        what if reason is None else f"{what} ({reason})", id=kind, disabled=reason is not None
                    )
                )
            yield OptionList(*options, id="export-kind")
            yield Static("Path (Enter writes it; nothing is written until then):", id="export-hint")
            yield Input(id="export-path")

    def on_mount(self) -> None:
        box = self.query_one("#export-box")
        box.border_title = "Export"
        box.border_subtitle = "Enter: choose / write · Esc: cancel"
        menu = self.query_one(OptionList)
        menu.highlighted = 0
        menu.focus()
        self._set_kind("svg")

    def _set_kind(self, kind: str) -> None:
        self.kind = kind
        self.query_one(Input).value = default_export_path(kind, self.label)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._set_kind(event.option.id)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self._set_kind(event.option.id)
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if path:
            self.dismiss((self.kind, path))

    def action_close(self) -> None:
        self.dismiss(None)
