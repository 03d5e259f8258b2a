"""What the sweep and tune screens share on narrow terminals: below a width the table takes the
whole width and `v` swaps it with the plot (which then has the whole width too); the title keeps
the SIMULATED badge first, so that it is never the part cut off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.app import App

    _Base = App[Any]
else:
    _Base = object


def badge_title(simulated: bool, badge: str, heading: str, note: str, width: int | None) -> Text:
    """`heading` behind a ` SIMULATED … ` `badge` when simulated, with `note` only where it fits in
    `width` columns (None: as wide as needed)."""
    title = Text(no_wrap=True, overflow="ellipsis")
    if simulated:
        title.append(f" {badge} ", style="bold black on yellow")
        title.append(" ")
    title.append(heading, style="bold")
    if simulated and (width is None or title.cell_len + len(note) <= width - 2):
        title.append(note, style="dim")
    return title


class NarrowPlot(_Base):
    """Mixin for an app with a `#title` Static, a table and a plot. The app sets `NARROW` and
    implements `title_text(width)` and `_refresh_plot()`; binding `v` to `toggle_plot` is its own."""

    NARROW = 120  # below this width the plot is behind `v` instead of beside the table

    def title_text(self, width: int | None = None) -> Text:
        """The title line for a terminal `width` cells wide (None: as wide as needed)."""
        raise NotImplementedError

    def _refresh_plot(self) -> None:
        raise NotImplementedError

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#title", Static).update(self.title_text(event.size.width))
        narrow = event.size.width < self.NARROW
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            self.refresh_bindings()
        self.call_after_refresh(self._refresh_plot)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`v` (table/plot) is offered only on a narrow terminal; every other action always."""
        if action == "toggle_plot":
            return self.has_class("-narrow")  # only narrow terminals need it (hidden otherwise)
        return True

    def action_toggle_plot(self) -> None:
        self.toggle_class("-show-plot")
        self.call_after_refresh(self._refresh_plot)
