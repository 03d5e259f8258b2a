"""The hotspot table: a virtualised view of every layer (only visible rows are rendered).

A plain DataTable rewriting every cell of 20,000 rows costs half a CPU core; this view keeps the
current snapshot and an order (indices), and renders just the rows on screen with the Line API.
Work that depends only on the layer names (types, lower-case names, filter masks, name/type
orders) is cached until the layer set changes, so a refresh costs one argsort plus the visible rows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from trtui.common import format as fmt
from trtui.core.model import LayerInfo
from trtui.core.precision import layer_label
from trtui.stats.groups import group_by_type, layer_type
from trtui.stats.snapshot import LayerTable
from trtui.ui.grouping import baseline_array, change_pct
from trtui.ui.layer_order import (
    COLUMNS,
    DROP_ORDER,
    MIN_NAME,
    PREC_WIDTH,
    PREC_WIDTH_MAX,
    SIGNIFICANT_CHANGE,
    STICKY_SORTS,
    TEXT_SORTS,
    Column,
    NameCache,
    order_for,
)
from trtui.ui.layer_order import SORT_KEYS as SORT_KEYS  # table_keys imports it from here
from trtui.ui.steady_values import HeldColumns, SparkTrail
from trtui.ui.sticky_sort import StickyOrder, noise
from trtui.ui.table_cells import (
    BAR,
    BETTER,
    BOLD,
    CURSOR,
    CURSOR_BLUR,
    DIM,
    HOT,
    PLAIN,
    PREC,
    SPARK,
    TYPE,
    WORSE,
    fit_cell,
    join_cells,
)


class LayerView(ScrollView, can_focus=True):
    """Rows of layers with a cursor; keyboard: up/down/pgup/pgdown/home/end, enter = details."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "Top", show=False),
        Binding("end", "jump(-1)", "Bottom", show=False),
        Binding("enter", "select", "Details", show=False),
    ]

    cursor = reactive(0)

    class Selected(Message):
        """Enter on a layer row (`group` is False) or on a type row in group mode."""

        def __init__(self, name: str, group: bool = False) -> None:
            super().__init__()
            self.name = name
            self.group = group

    class Reordered(Message):
        """The rows were sorted, filtered or regrouped again: the table's header (sort arrow,
        columns) is redrawn by the app. A queued one is replaced by a newer one."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, LayerView.Reordered)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.layer_table: LayerTable = LayerTable.empty()  # the per-layer table, as received
        self.empty_text: str | None = "loading engine…"  # what an empty table says (None: nothing)
        self.table: LayerTable = LayerTable.empty()  # what is displayed (layers or type groups)
        self.infos: dict[str, LayerInfo] = {}
        self.order: npt.NDArray[Any] = np.arange(0)
        self.sort_key = "share"
        self.sort_reverse = False
        self.filter_text = ""
        self.grouped = False
        self.group_sizes: tuple[int, ...] = ()
        self.group_precisions: tuple[str, ...] = ()
        self.baseline: dict[str, float] = {}  # layer name -> pinned mean ms
        self.baseline_groups: dict[str, float] = {}  # layer type -> pinned summed mean ms
        self.delta: npt.NDArray[Any] = np.zeros(0)
        self._max_share = 0.0
        self._cursor_name: str | None = None
        self._last_layer: str | None = None  # the layer under the cursor before grouping
        self._layer_cache = NameCache((), {})
        self._group_cache = NameCache((), {})
        self._cols_key: tuple[int, bool, bool, int, bool] | None = None
        self.prec_width = PREC_WIDTH  # the precision column: wider for labels like "INT8→FP32"
        self._cols: list[tuple[Column, int]] = []
        self._sticky = StickyOrder()
        self.held = HeldColumns()  # the figures shown, moved only beyond their noise
        self.trail = SparkTrail()  # the "Recent" column: one point per refresh
        self.lean = False  # the low-bandwidth mode: no per-row sparklines
        self._undrawn = False  # statistics taken but not sorted/drawn (`show(..., draw=False)`)
        self._new_infos = False  # layer infos set since the last rebuild
        self.renders = 0  # lines rendered (for tests and the cost meter)

    # -- data ------------------------------------------------------------------------------------

    def set_infos(self, layers: tuple[LayerInfo, ...]) -> None:
        """Take the engine's layer descriptions (types, precisions); used at the next `show`."""
        self.infos = {layer.name: layer for layer in layers}
        self._layer_cache = NameCache((), {})
        self._new_infos = True
        longest = max((len(layer_label(x) or "") for x in layers), default=0)
        self.prec_width = min(max(PREC_WIDTH, longest), PREC_WIDTH_MAX)

    def show(self, table: LayerTable, draw: bool = True) -> None:
        """Take a new layer table. `draw=False` (hidden, or under a modal): the statistics are taken
        (details read them); rows are sorted and drawn at `redraw()` (at once if the names changed)."""
        if table is self.layer_table and not self._new_infos and not (draw and self._undrawn):
            return  # the same snapshot again (a window that did not move): nothing changed
        self.layer_table = table
        self._rebuild(reorder=draw)

    def redraw(self) -> None:
        """Re-sort and draw what `show(..., draw=False)` left undrawn (the view is shown again)."""
        if self._undrawn:
            self._reorder()

    def _rebuild(self, reorder: bool = True) -> None:
        self._new_infos = False
        layers = self.layer_table
        renamed = False  # the rows' names changed: the order's indices are stale, sort now
        if not self._layer_cache.matches(layers.names):
            self._layer_cache = NameCache(layers.names, self.infos)
            renamed = True
        if self.grouped:
            cache = self._layer_cache
            groups = group_by_type(layers, self.infos, cache.types, cache.precisions)
            self.table = groups.table
            self.group_sizes, self.group_precisions = groups.sizes, groups.precisions
            if not self._group_cache.matches(self.table.names):
                infos = {
                    t: LayerInfo(name=t, type=t, precision=p)
                    for t, p in zip(self.table.names, groups.precisions, strict=True)
                }
                self._group_cache = NameCache(self.table.names, infos)
                renamed = True
            base = self.baseline_groups
        else:
            self.table = layers
            base = self.baseline
        t = self.table
        self.held.update(t)
        self.trail.update(t.names, t.recent_ms)
        self.delta = change_pct(t.mean_ms, baseline_array(t.names, base)) if base else np.full(len(t), np.nan)
        shares = self.held.values["share"]
        finite = shares[np.isfinite(shares)] if len(shares) else shares
        self._max_share = float(finite.max()) if len(finite) else 0.0
        if reorder or renamed:
            self._reorder()
        else:
            self._undrawn = True

    @property
    def name_cache(self) -> NameCache:
        return self._group_cache if self.grouped else self._layer_cache

    def _reorder(self) -> None:
        self._undrawn = False
        cache = self.name_cache
        sticky = None  # the settled order, when noise must not reshuffle the rows
        if self.sort_key in STICKY_SORTS:
            t = self.table
            col = {"share": t.share_pct, "mean": t.mean_ms, "median": t.median_ms, "p99": t.p99_ms}
            sticky = self._sticky.update(
                t.names, self.sort_key, self.sort_reverse, col[self.sort_key], noise(t, self.sort_key)
            )
        self.order = order_for(
            self.table,
            self.infos,
            self.sort_key,
            self.sort_reverse,
            self.filter_text,
            self.delta,
            cache,
            sticky,
        )
        self.virtual_size = Size(self.row_width, len(self.order))
        # Keep the cursor on the same layer while the order changes under it.
        if self._cursor_name is not None and len(self.order):
            i = cache.index.get(self._cursor_name)
            if i is not None:
                pos = np.flatnonzero(self.order == i)
                if len(pos):
                    self.set_reactive(LayerView.cursor, int(pos[0]))
        self.cursor = min(self.cursor, max(len(self.order) - 1, 0))
        self.scroll_to_region_y(self.cursor)
        self.refresh()
        self.post_message(self.Reordered())

    def set_sort(self, key: str, reverse: bool = False) -> None:
        """Sort by `key` (one of `SORT_KEYS`; ValueError otherwise), reversed on request."""
        if key not in SORT_KEYS:
            raise ValueError(f"unknown sort key {key!r}")
        self.sort_key, self.sort_reverse = key, reverse
        self._reorder()

    def set_filter(self, text: str) -> None:
        """Show only rows whose name or type contains `text` (case-insensitive; empty: all)."""
        self.filter_text = text.strip()
        self._reorder()
        if self._cursor_name is not None and self.selected_name != self._cursor_name:
            self.cursor = 0

    def set_grouped(self, grouped: bool) -> None:
        """One row per layer type (summed per iteration), or back to layers; the cursor follows
        the selected layer's type, and back to that layer."""
        if grouped == self.grouped:
            return
        previous = self.selected_name
        self.grouped = grouped
        if grouped and previous is not None:
            self._last_layer = previous
            self._cursor_name = layer_type(self.infos.get(previous))
        elif not grouped:
            self._cursor_name = self._last_layer
        self._rebuild()

    def set_baseline(self, table: LayerTable) -> None:
        """Pin `table`'s mean times as the baseline of the change column (layers and types)."""
        self.baseline = {name: float(table.mean_ms[i]) for i, name in enumerate(table.names)}
        groups = group_by_type(table, self.infos).table
        self.baseline_groups = {name: float(groups.mean_ms[i]) for i, name in enumerate(groups.names)}
        self._cols_key = None
        self._rebuild()

    def clear_baseline(self) -> None:
        """Drop the pinned baseline (the change column goes empty)."""
        self.baseline, self.baseline_groups = {}, {}
        self._cols_key = None
        self._rebuild()

    @property
    def selected_name(self) -> str | None:
        """The row under the cursor (a layer, or a type when grouped); None when no row is shown."""
        if not len(self.order):
            return None
        return self.table.names[int(self.order[min(self.cursor, len(self.order) - 1)])]

    def move_to(self, name: str) -> bool:
        """Put the cursor on the row called `name` if it is shown."""
        i = self.name_cache.index.get(name)
        if i is None:
            return False
        pos = np.flatnonzero(self.order == i)
        if not len(pos):
            return False
        self.cursor = int(pos[0])
        return True

    def row_values(self, name: str) -> dict[str, float] | None:
        """The displayed statistics of the row `name` (layer or type), for details and tests."""
        i = self.name_cache.index.get(name)
        if i is None or i >= len(self.table):
            return None
        t = self.table
        return {
            "mean": float(t.mean_ms[i]),
            "median": float(t.median_ms[i]),
            "p90": float(t.p90_ms[i]),
            "p99": float(t.p99_ms[i]),
            "share": float(t.share_pct[i]),
            "delta": float(self.delta[i]) if len(self.delta) > i else math.nan,
        }

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
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        if len(self.order):
            self.cursor = min(max(self.cursor + delta, 0), len(self.order) - 1)

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.size.height - 1, 1))

    def action_jump(self, where: int) -> None:
        if len(self.order):
            self.cursor = 0 if where == 0 else len(self.order) - 1

    def action_select(self) -> None:
        """Enter: post `Selected` for the row under the cursor (nothing when no row is shown)."""
        name = self.selected_name
        if name is not None:
            self.post_message(self.Selected(name, self.grouped))

    # -- rendering -------------------------------------------------------------------------------

    @property
    def row_width(self) -> int:
        """Cells available to a row (the widget's width less the vertical scrollbar)."""
        return self.scrollable_content_region.width

    def _width(self, c: Column) -> int:
        return self.prec_width if c.key == "precision" else c.width

    def visible_columns(self, width: int) -> list[Column]:
        cols = [
            c
            for c in COLUMNS
            if (c.key != "delta" or self.baseline)
            and (c.key != "type" or not self.grouped)
            and (c.key != "spark" or not self.lean)
        ]
        for key in DROP_ORDER:
            fixed = sum(self._width(c) + 1 for c in cols if c.width)
            if width - fixed >= MIN_NAME:
                break
            cols = [c for c in cols if c.key != key]
        return cols

    def column_widths(self, width: int) -> list[tuple[Column, int]]:
        key = (width, bool(self.baseline), self.grouped, self.prec_width, self.lean)
        if key != self._cols_key:
            cols = self.visible_columns(width)
            fixed = sum(self._width(c) + 1 for c in cols if c.width)
            flex = max(width - fixed, 12)
            self._cols = [(c, self._width(c) or flex) for c in cols]
            self._cols_key = key
        return self._cols

    def no_match_text(self) -> str:
        """What the empty table says when the filter matches nothing."""
        what = "type" if self.grouped else "layer"
        return f"   no {what} matches '{self.filter_text}' (name or type; Esc clears the filter)"

    def header_text(self, width: int) -> str:
        """The column titles for a table `width` cells wide, with the sort arrow."""
        parts = []
        for c, w in self.column_widths(width):
            title = "Type (layers)" if c.key == "name" and self.grouped else c.title
            if c.sort is not None and c.sort == self.sort_key:
                title = title + ("▲" if self.sort_reverse == (c.sort not in TEXT_SORTS) else "▼")
            parts.append(fit_cell(title, w, c.align))
        return " ".join(parts)

    def render_line(self, y: int) -> Strip:
        self.renders += 1
        row = self.scroll_offset.y + y
        width = self.row_width
        if row >= len(self.order):
            if row == 0 and self.filter_text and len(self.table):  # say why the table is empty
                return Strip([Segment(fit_cell(self.no_match_text(), width, "left"), DIM)])
            if row == 0 and self.empty_text and not len(self.table):  # still loading
                return Strip([Segment(fit_cell(f"   {self.empty_text}", width, "left"), DIM)])
            return Strip.blank(width)
        i = int(self.order[row])
        t = self.table
        cache = self.name_cache
        held = self.held
        share = held.get("share", i)
        cells: list[tuple[str, Style]] = []
        for c, w in self.column_widths(width):
            style = PLAIN
            key = c.key
            if key == "rank":
                text = str(row + 1)
                style = DIM
            elif key == "name":
                text = t.names[i]
                if self.grouped and i < len(self.group_sizes):
                    text = f"{text} ×{self.group_sizes[i]}"
                    style = BOLD
            elif key == "type":
                text = "" if self.grouped else cache.types[i]
                style = TYPE
            elif key == "precision":
                text = cache.precisions[i]
                style = PREC
            elif key == "mean":
                text = fmt.ms(held.get("mean", i))
            elif key == "median":
                text = fmt.ms(held.get("median", i))
            elif key == "p99":
                text = fmt.ms(held.get("p99", i))
            elif key == "share":
                text = fmt.share(share)
                style = BOLD if share >= 5.0 else PLAIN
            elif key == "bar":
                text = fmt.bar(share / self._max_share if self._max_share > 0 else 0.0, w)
                style = HOT if share >= 5.0 else BAR
            elif key == "delta":
                change = float(self.delta[i]) if len(self.delta) > i else math.nan
                text = fmt.change(change)
                if math.isfinite(change) and abs(change) >= SIGNIFICANT_CHANGE:
                    style = WORSE if change > 0 else BETTER
                else:
                    style = DIM
            else:  # spark
                text = self.trail.text(i, w)
                style = SPARK
            cells.append((fit_cell(text, w, c.align), style))
        selected = row == self.cursor
        row_style = (CURSOR if self.has_focus else CURSOR_BLUR) if selected else PLAIN
        return Strip(join_cells(cells, row_style, selected)).adjust_cell_length(width, row_style)
