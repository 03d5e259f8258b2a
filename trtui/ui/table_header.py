"""The line above the hotspot table: column titles (with the sort arrow) and what the table shows
now (grouped by type, a filter and its count, the pinned baseline) when there is room."""

from __future__ import annotations

from rich.text import Text

from trtui.ui.layer_view import LayerView


def table_header_text(view: LayerView, width: int, room: int) -> Text:
    """The header for a table `width` cells wide; the notes are added when the header line has
    `room` cells for them."""
    text = view.header_text(width)
    extra = []
    if view.grouped:
        extra.append("grouped by type")
    if view.filter_text:
        extra.append(f"filter '{view.filter_text}': {len(view.order)} of {len(view.table)}")
    if view.baseline:
        extra.append("Δ vs pinned baseline")
    note = "  " + " · ".join(extra)
    if extra and len(note) <= room - len(text.rstrip()):
        header = Text(text.rstrip(), style="bold", no_wrap=True, overflow="ellipsis")
        header.append(note, style="italic")
        return header
    return Text(text, style="bold", no_wrap=True, overflow="ellipsis")
