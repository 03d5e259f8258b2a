"""How a row of the hotspot table is drawn: the style of each kind of cell, a cell fitted to its
width, and the cells of a row joined into as few segments as their styles allow."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style

from trtui.common import format as fmt

# Styles use the 16 ANSI colours (readable on 16-colour terminals; Textual maps them up elsewhere).
PLAIN = Style()
DIM = Style(dim=True)
BOLD = Style(bold=True)
TYPE = Style(color="cyan")
PREC = Style(color="magenta")
HOT = Style(color="yellow")
BAR = Style(color="green")
SPARK = Style(color="blue")
WORSE = Style(color="red", bold=True)
BETTER = Style(color="green", bold=True)
CURSOR = Style(reverse=True)
CURSOR_BLUR = Style(underline=True)


def fit_cell(text: str, width: int, align: str) -> str:
    """`text` in exactly `width` cells: padded on the side `align` leaves free, or cut with "…".
    Control characters of a name (ESC...) are shown escaped, never sent to the terminal."""
    text = fmt.safe(text)
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…" if width > 0 else ""
    return text.rjust(width) if align == ">" else text.ljust(width)


def join_cells(cells: Sequence[tuple[str, Style]], row_style: Style, selected: bool) -> list[Segment]:
    """The cells separated by one space in `row_style` (the cursor row's style added to every cell
    of the selected row); neighbours of one style (the same Style object: comparing styles by value
    costs more than it saves) become one segment (fewer segments: less work for every later stage,
    Textual's line filters and the terminal output included)."""
    segments: list[Segment] = []
    parts: list[str] = []
    current = row_style
    for k, (text, style) in enumerate(cells):
        if k:
            if row_style is not current:
                segments.append(Segment("".join(parts), current))
                parts, current = [], row_style
            parts.append(" ")
        cell_style = style + row_style if selected else style
        if cell_style is not current:
            if parts:
                segments.append(Segment("".join(parts), current))
            parts, current = [], cell_style
        parts.append(text)
    if parts:
        segments.append(Segment("".join(parts), current))
    return segments
