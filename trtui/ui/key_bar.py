"""The live screen's key bar: every key of the screen, on as many lines as the width needs (one at
120 columns, two at 80), instead of a footer that drops what does not fit on one line.

An item is shown while its action is available (`App.check_action`: no Pause for a replay); a
click on an item runs its action, as a footer key does.
"""

from __future__ import annotations

from rich.text import Text
from textual.events import Click
from textual.geometry import Size
from textual.widget import Widget

# (keys shown, label, the action the item runs and whose availability shows it)
ITEMS: tuple[tuple[str, str, str], ...] = (
    ("q", "Quit", "quit"),
    ("p", "Pause", "pause"),
    ("r", "Reset", "reset"),
    ("b/B", "Baseline", "baseline"),
    ("s/S/o", "Sort", "sort"),
    ("/", "Filter", "filter"),
    ("g", "Group", "group"),
    ("t", "Top", "top"),
    ("z", "Zoom", "zoom"),
    ("e", "Export", "export"),
    ("c", "Batch/streams", "reconfigure"),
    ("K", "Kernels", "kernels"),
    ("i", "Engine card", "engine_card"),
    ("?", "Help", "help"),
    ("^p", "Palette", "command_palette"),
)
GAP = 2


Item = tuple[str, str, str]


def layout_items(items: list[Item], width: int) -> list[list[tuple[int, Item]]]:
    """The items in lines of at most `width` cells, in order: each line a list of (x, item)."""
    lines: list[list[tuple[int, Item]]] = [[]]
    x = 1
    for item in items:
        size = len(item[0]) + 1 + len(item[1])
        if lines[-1] and x + size > width:
            lines.append([])
            x = 1
        lines[-1].append((x, item))
        x += size + GAP
    return lines


class KeyBar(Widget):
    """Every available key of the screen, wrapped over lines (see the module's docstring)."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        background: $panel;
    }
    """

    def available(self) -> list[Item]:
        """The items whose action the app allows now (`check_action`: a replay has no Pause)."""
        return [item for item in ITEMS if self.app.check_action(item[2], ()) is not False]

    def _lines(self, width: int) -> list[list[tuple[int, Item]]]:
        return layout_items(self.available(), max(width, 10))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many rows as the items need at `width` (Textual's layout asks)."""
        return len(self._lines(width))

    def render(self) -> Text:
        """The items, keys in bold, wrapped at whole items."""
        t = Text(no_wrap=True, overflow="ellipsis", end="")
        for n, line in enumerate(self._lines(self.size.width)):
            if n:
                t.append("\n")
            x = 0
            for at, (keys, label, _) in line:
                t.append(" " * (at - x))
                t.append(keys, style="bold yellow")
                t.append(f" {label}")
                x = at + len(keys) + 1 + len(label)
        return t

    def action_at(self, x: int, y: int) -> str | None:
        """The action of the item at (x, y) of the bar, if any."""
        lines = self._lines(self.size.width)
        if not 0 <= y < len(lines):
            return None
        for at, (keys, label, action) in lines[y]:
            if at <= x < at + len(keys) + 1 + len(label):
                return action
        return None

    async def on_click(self, event: Click) -> None:
        action = self.action_at(event.x, event.y)
        if action is not None:
            await self.app.run_action(action)
