"""The live screen's entries in the command palette (Ctrl+P): every key's action, by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from trtui.ui.layer_order import SORT_KEYS

if TYPE_CHECKING:
    from trtui.ui.app import TrtuiApp


def live_commands(app: TrtuiApp) -> Iterator[SystemCommand]:
    yield SystemCommand("Pause / resume", "pause or resume the engine (p)", app.action_pause)
    yield SystemCommand("Reset statistics", "forget all statistics (r)", app.action_reset)
    yield SystemCommand(
        "Pin baseline", "pin the current mean times as the Δ baseline (b)", app.action_baseline
    )
    yield SystemCommand("Drop baseline", "remove the pinned baseline (B)", app.action_clear_baseline)
    yield SystemCommand("Sort: next column", "cycle the sort column (s)", app.action_sort)
    yield SystemCommand("Sort: reverse", "reverse the sort direction (S)", app.action_reverse_sort)
    for key, label in SORT_KEYS.items():
        yield SystemCommand(f"Sort by {label}", f"sort the table by {label}", _bind(app.view.set_sort, key))
    yield SystemCommand("Filter layers", "filter by name or type (/)", app.action_filter)
    yield SystemCommand("Group by layer type", "toggle per-type totals (g)", app.action_group)
    yield SystemCommand("Top hotspot", "jump to the layer with the largest share (t)", app.action_top)
    yield SystemCommand("Layer details", "details of the selected layer (Enter)", app.view.action_select)
    yield SystemCommand("Zoom", "cycle table+panels / table / panels (z)", app.action_zoom)
    yield SystemCommand("Export", "recording folder, layers CSV, or SVG screenshot (e)", app.action_export)
    yield SystemCommand(
        "Kernels", "top kernels and kernel families across the engine (K)", app.action_kernels
    )
    yield SystemCommand("Help", "keys (?)", app.action_help)


def _bind(fn: Callable[[str], None], key: str) -> Callable[[], None]:
    return lambda: fn(key)
