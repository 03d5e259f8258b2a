"""The hotspot table: a virtualised view of every layer (only visible rows are rendered).

A plain DataTable rewriting every cell of 20,000 rows costs half a CPU core; this view keeps the
current snapshot and an order (indices), and renders just the rows on screen with the Line API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from trtui import format as fmt
from trtui.model import LayerInfo
from trtui.stats.snapshot import LayerTable

SORT_KEYS = ("share", "mean", "median", "p99", "name", "type", "order")


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # 0: flexible (takes the rest)
    align: str = ">"


COLUMNS = (
    Column("rank", "#", 4),
    Column("name", "Layer", 0, "<"),
    Column("type", "Type", 15, "<"),
    Column("precision", "Prec", 4, "<"),
    Column("mean", "Mean ms", 8),
    Column("median", "Median", 8),
    Column("p99", "P99", 8),
    Column("share", "Share", 6),
    Column("bar", "", 8, "<"),
    Column("spark", "Recent", 10, "<"),
)

# Columns dropped first when the table is too narrow for the layer name to get MIN_NAME cells.
DROP_ORDER = ("spark", "median", "type", "bar", "precision", "rank")
MIN_NAME = 28


def order_for(
    table: LayerTable, infos: dict[str, LayerInfo], key: str, reverse: bool, filter_text: str
) -> np.ndarray:
    """Row indices of `table` sorted by `key` (descending for numbers unless `reverse`),
    keeping only layers whose name or type contains `filter_text` (case-insensitive)."""
    n = len(table)
    idx = np.arange(n)
    if filter_text:
        f = filter_text.lower()
        keep: list[int] = [
            i
            for i in range(n)
            if f in table.names[i].lower()
            or f in ((infos.get(table.names[i]) or _NO_INFO).type or "").lower()
        ]
        idx = np.array(keep, dtype=np.int64)  # type: ignore[assignment]
    if key == "order" or len(idx) == 0:
        return idx[::-1] if reverse else idx
    if key in ("name", "type"):
        if key == "name":
            labels = [table.names[i].lower() for i in idx]
        else:
            labels = [((infos.get(table.names[i]) or _NO_INFO).type or "").lower() for i in idx]
        by_label = sorted(range(len(idx)), key=labels.__getitem__, reverse=reverse)
        return idx[np.array(by_label, dtype=np.int64)]
    col = {"share": table.share_pct, "mean": table.mean_ms, "median": table.median_ms, "p99": table.p99_ms}[
        key
    ]
    vals = np.nan_to_num(np.asarray(col)[idx], nan=-np.inf)
    o = np.argsort(vals, kind="stable")
    if not reverse:
        o = o[::-1]
    return idx[o]


_NO_INFO = LayerInfo(name="")


class LayerView(ScrollView, can_focus=True):
    """Rows of layers with a cursor; keyboard: up/down/pgup/pgdown/home/end, enter = details."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "Top", show=False),
        Binding("end", "jump(-1)", "Bottom", show=False),
        Binding("enter", "select", "Details", show=False),
    ]

    cursor = reactive(0)

    class Selected(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.table: LayerTable = LayerTable.empty()
        self.infos: dict[str, LayerInfo] = {}
        self.order: np.ndarray = np.arange(0)
        self.sort_key = "share"
        self.sort_reverse = False
        self.filter_text = ""
        self.baseline: dict[str, float] = {}
        self._cursor_name: str | None = None
        self.renders = 0  # lines rendered (for tests and the cost meter)

    # -- data ------------------------------------------------------------------------------------

    def set_infos(self, layers: tuple[LayerInfo, ...]) -> None:
        self.infos = {layer.name: layer for layer in layers}

    def show(self, table: LayerTable) -> None:
        self.table = table
        self._reorder()

    def _reorder(self) -> None:
        self.order = order_for(self.table, self.infos, self.sort_key, self.sort_reverse, self.filter_text)
        self.virtual_size = Size(self.size.width, len(self.order))
        # Keep the cursor on the same layer while the order changes under it.
        if self._cursor_name is not None and len(self.order):
            names = self.table.names
            for pos, i in enumerate(self.order):
                if names[i] == self._cursor_name:
                    self.set_reactive(LayerView.cursor, pos)
                    break
        self.cursor = min(self.cursor, max(len(self.order) - 1, 0))
        self.refresh()

    def set_sort(self, key: str, reverse: bool = False) -> None:
        self.sort_key, self.sort_reverse = key, reverse
        self._reorder()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self.cursor = 0
        self._cursor_name = None
        self._reorder()

    @property
    def selected_name(self) -> str | None:
        if not len(self.order):
            return None
        return self.table.names[int(self.order[self.cursor])]

    # -- cursor ----------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        if len(self.order):
            self._cursor_name = self.table.names[int(self.order[min(new, len(self.order) - 1)])]
        self.scroll_to_region_y(new)
        self.refresh()

    def scroll_to_region_y(self, row: int) -> None:
        top = self.scroll_offset.y
        height = max(self.size.height, 1)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        if len(self.order):
            self.cursor = min(max(self.cursor + delta, 0), len(self.order) - 1)

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.size.height - 1, 1))

    def action_jump(self, where: int) -> None:
        if len(self.order):
            self.cursor = 0 if where == 0 else len(self.order) - 1

    def action_select(self) -> None:
        name = self.selected_name
        if name is not None:
            self.post_message(self.Selected(name))

    # -- rendering -------------------------------------------------------------------------------

    def visible_columns(self, width: int) -> list[Column]:
        cols = list(COLUMNS)
        for key in DROP_ORDER:
            fixed = sum(c.width + 1 for c in cols if c.width)
            if width - fixed >= MIN_NAME:
                break
            cols = [c for c in cols if c.key != key]
        return cols

    def column_widths(self, width: int) -> list[tuple[Column, int]]:
        cols = self.visible_columns(width)
        fixed = sum(c.width + 1 for c in cols if c.width)
        flex = max(width - fixed, 12)
        return [(c, c.width or flex) for c in cols]

    def header_text(self, width: int) -> str:
        parts = []
        for c, w in self.column_widths(width):
            title = c.title
            if c.key == self.sort_key or (c.key == "bar" and self.sort_key == "share"):
                title = title + ("▲" if self.sort_reverse else "▼") if title else ""
            parts.append(_fit(title, w, c.align))
        return " ".join(parts)

    def render_line(self, y: int) -> Strip:
        self.renders += 1
        row = self.scroll_offset.y + y
        width = self.size.width
        if row >= len(self.order):
            return Strip.blank(width)
        i = int(self.order[row])
        t = self.table
        name = t.names[i]
        info = self.infos.get(name) or _NO_INFO
        share = float(t.share_pct[i]) if len(t.share_pct) else math.nan
        max_share = (
            float(np.nanmax(t.share_pct)) if len(t.share_pct) and np.isfinite(t.share_pct).any() else 0.0
        )
        cells: list[tuple[str, Style]] = []
        base = self.baseline.get(name)
        for c, w in self.column_widths(width):
            style = Style()
            if c.key == "rank":
                text = str(row + 1)
                style = Style(dim=True)
            elif c.key == "name":
                text = name
            elif c.key == "type":
                text = info.type or ""
                style = Style(color="cyan")
            elif c.key == "precision":
                text = info.precision or ""
                style = Style(color="magenta")
            elif c.key == "mean":
                text = fmt.ms(float(t.mean_ms[i]))
                if base is not None and base > 0 and math.isfinite(float(t.mean_ms[i])):
                    change = float(t.mean_ms[i]) / base - 1.0
                    if abs(change) >= 0.05:
                        style = Style(color="red" if change > 0 else "green", bold=True)
            elif c.key == "median":
                text = fmt.ms(float(t.median_ms[i]))
            elif c.key == "p99":
                text = fmt.ms(float(t.p99_ms[i]))
            elif c.key == "share":
                text = fmt.pct(share)
                style = Style(bold=share >= 5.0)
            elif c.key == "bar":
                text = fmt.bar(share / max_share if max_share > 0 else 0.0, w)
                style = Style(color="yellow" if share >= 5.0 else "green")
            else:  # spark
                recent = t.recent_ms[:, i] if t.recent_ms.ndim == 2 and t.recent_ms.shape[1] > i else ()
                text = fmt.sparkline(list(recent), w)
                style = Style(color="blue")
            cells.append((_fit(text, w, c.align), style))
        segments: list[Segment] = []
        selected = row == self.cursor
        row_style = (
            Style(reverse=True)
            if selected and self.has_focus
            else (Style(bgcolor="grey23") if selected else Style())
        )
        for k, (text, style) in enumerate(cells):
            if k:
                segments.append(Segment(" ", row_style))
            segments.append(Segment(text, row_style + style if not selected else style + row_style))
        strip = Strip(segments)
        return strip.adjust_cell_length(width, row_style)


def _fit(text: str, width: int, align: str) -> str:
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…" if width > 0 else ""
    return text.rjust(width) if align == ">" else text.ljust(width)
