"""The live screen's entries in the command palette (Ctrl+P): every key's action, by name.

The entries are data: a title, a help line and the action they run (an action string, as a key
binding names it). The app binds them to itself (`TrtuiApp.get_system_commands`).
"""

from __future__ import annotations

from dataclasses import dataclass

from trtui.ui.layer_order import SORT_KEYS


@dataclass(frozen=True, slots=True)
class PaletteEntry:
    """One command of the palette."""

    title: str
    help: str
    action: str  # run by the app (`App.run_action`): "pause", "sort_by('mean')"


LIVE_COMMANDS: tuple[PaletteEntry, ...] = (
    PaletteEntry("Pause / resume", "pause or resume the engine (p)", "pause"),
    PaletteEntry("Reset statistics", "forget all statistics (r)", "reset"),
    PaletteEntry("Pin baseline", "pin the current mean times as the Δ baseline (b)", "baseline"),
    PaletteEntry("Drop baseline", "remove the pinned baseline (B)", "clear_baseline"),
    PaletteEntry("Sort: next column", "cycle the sort column (s)", "sort"),
    PaletteEntry("Sort: reverse", "reverse the sort direction (S)", "reverse_sort"),
    *(
        PaletteEntry(f"Sort by {label}", f"sort the table by {label}", f"sort_by({key!r})")
        for key, label in SORT_KEYS.items()
    ),
    PaletteEntry("Filter layers", "filter by name or type (/)", "filter"),
    PaletteEntry("Group by layer type", "toggle per-type totals (g)", "group"),
    PaletteEntry("Top hotspot", "jump to the layer with the largest share (t)", "top"),
    PaletteEntry("Layer details", "details of the selected layer (Enter)", "details"),
    PaletteEntry("Zoom", "cycle table+panels / table / panels (z)", "zoom"),
    PaletteEntry("Export", "recording folder, layers CSV, or SVG screenshot (e)", "export"),
    PaletteEntry("Kernels", "top kernels and kernel families across the engine (K)", "kernels"),
    PaletteEntry("Help", "keys (?)", "help"),
)
