"""The comparison screen of `trtui compare A B`: end-to-end and layer-sum deltas on top, then tabs
with the per-layer deltas (sortable), per-type and per-precision deltas, precision/tactic changes
and the layers found on one side only. Enter on a layer shows both sides of it; `?` lists the keys.

`CompareScreen` can also be pushed by another app; `CompareApp` shows it on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from trtui.analysis.compare import Comparison, GroupDelta, LayerDelta, OneSided
from trtui.analysis.report import clip, ms, pct, signed
from trtui.common import format as fmt
from trtui.core.tactic_family import tactic_family
from trtui.ui.guard import GuardedApp, run_guarded

_NUMERIC = re.compile(r"^([+-]?\d[\d.]*%?|n/a)$")
SORTS: tuple[tuple[str, Callable[[LayerDelta], object]], ...] = (
    ("largest change", lambda d: (-abs(d.delta_ms), d.name)),
    ("slower first", lambda d: (-d.delta_ms, d.name)),
    ("faster first", lambda d: (d.delta_ms, d.name)),
    ("change %", lambda d: (-(abs(d.delta_pct) if d.delta_pct is not None else -1.0), d.name)),
    ("engine order", lambda d: 0),
    ("name", lambda d: d.name),
)


def _cells(*values: str) -> tuple[Text, ...]:
    """Plain cells: layer names hold brackets ("[profile 1]", "{ForeignNode[...]}") that
    DataTable would otherwise read as markup."""
    return tuple(Text(v, justify="right" if _NUMERIC.match(v) else "left") for v in values)


def _how_cell(d: LayerDelta) -> str:
    """How the pair was matched, with the helper layers grouped in: "sequence +1/2"."""
    grouped = f" +{len(d.a_members)}/{len(d.b_members)}" if d.a_members or d.b_members else ""
    return d.how + grouped


def _precision_cell(d: LayerDelta) -> str:
    a, b = d.a_label or d.a_precision, d.b_label or d.b_precision
    if d.precision_changed or (a and b and a != b):
        return f"{a} -> {b}"
    return a or b or "?"


def _tactic_cell(d: LayerDelta) -> str:
    if not d.tactic_changed:
        return "same" if d.a_tactic else ""
    fa, fb = tactic_family(d.a_tactic), tactic_family(d.b_tactic)
    return f"{fa} -> {fb}" if fa != fb else "other kernel, same family"


def header_text(c: Comparison) -> str:
    parts = []
    for side, s in (("A", c.a), ("B", c.b)):
        sim = "  [SIMULATED]" if s.simulated else ""
        where = escape(fmt.safe(f"{s.label}  ({s.origin}{', ' + s.device if s.device else ''})"))
        parts.append(f"[b]{side}[/b]: {where}{sim}")
    return "\n".join(parts)


def summary_text(c: Comparison) -> str:
    """The end-to-end and layer-sum deltas as a small table that fits 80 columns."""

    def row(label: str, a: str, b: str, delta: str, change: str) -> str:
        return f"{label:<21}{a:>13}{b:>13}{delta:>10}{change:>9}"

    lines = [row("", "A", "B", "B-A", "change")]
    for s in c.end_to_end:
        if s.stat in ("mean", "p99", "throughput"):
            d = 1 if s.stat == "throughput" else 4
            unit = " inf/s" if s.stat == "throughput" else " ms"
            lines.append(row(f"end-to-end {s.stat}", ms(s.a, d) + unit, ms(s.b, d) + unit,
                             signed(s.delta, d), pct(s.delta_pct)))
    for e in c.energy:  # energy per inference, where either side measured it
        from trtui.stats.energy_report import j_text

        label = "energy/inf GPU" if e.scope == "gpu" else "energy/inf module"
        lines.append(row(label, j_text(e.a_j), j_text(e.b_j), j_text(e.delta_j), pct(e.delta_pct)))
    t = c.total
    lines.append(
        row("sum of layer times", ms(t.a) + " ms", ms(t.b) + " ms", signed(t.delta), pct(t.delta_pct))
    )
    lines.append(
        f"layers: {c.a.layers} in A, {c.b.layers} in B, {len(c.layers)} matched, {len(c.only_a)} only in A, "
        f"{len(c.only_b)} only in B; precision changed {len(c.precision_changes)}, "
        f"tactic changed {len(c.tactic_changes)}"
    )
    if c.matched_pct_a is not None and c.matched_pct_b is not None:
        lines.append(f"matched time: {c.matched_pct_a:.1f}% of A, {c.matched_pct_b:.1f}% of B")
    lines += [f"[i]note: {escape(n)}[/i]" for n in c.notices]
    return "\n".join(lines)


# (keys, what they do): the compare screen's help.
COMPARE_KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓ PgUp PgDn", "move in the table"),
    ("Enter", "both sides of the layer under the cursor (Layers, Changes and Unmatched tabs)"),
    ("s", "sort the layers: " + ", ".join(name for name, _ in SORTS)),
    ("1 … 5", "tabs: layers, by type, by precision, changes, unmatched (also Tab / click)"),
    ("Esc", "close a window; back to the screen this one was opened from"),
    ("?", "this help"),
    ("q", "quit"),
)


def keys_text(keys: tuple[tuple[str, str], ...]) -> Text:
    """A key table as plain lines: the key in bold, what it does after it."""
    t = Text()
    width = max(len(k) for k, _ in keys) + 2
    for key, what in keys:
        t.append(key.ljust(width), style="bold yellow")
        t.append(what + "\n")
    return t


def delta_details(d: LayerDelta) -> Text:
    """Both sides of one matched layer: names, times, type, precision, tactic, how it was matched."""
    t = Text(no_wrap=False)
    rows = (
        ("layer (A)", d.name),
        ("layer (B)", d.b_name if d.b_name != d.name else "= A"),
        ("time", f"A {ms(d.a_ms)} ms, B {ms(d.b_ms)} ms, B-A {signed(d.delta_ms)} ms ({pct(d.delta_pct)})"),
        ("type", f"A {d.a_type or '?'}, B {d.b_type or '?'}"),
        ("precision", f"A {d.a_label or d.a_precision or '?'}, B {d.b_label or d.b_precision or '?'}"
         + ("  (changed)" if d.precision_changed else "")),
        ("tactic", f"A {d.a_tactic or '?'}\nB {d.b_tactic or '?'}"
         + ("  (changed)" if d.tactic_changed else "")),
        ("matched by", _how_cell(d)),
    )
    for label, value in rows:
        t.append(f"{label:<11}", style="bold")
        t.append(value.replace("\n", "\n" + " " * 11) + "\n")
    for side, members in (("A", d.a_members), ("B", d.b_members)):
        if members:
            t.append(f"grouped in {side}: ", style="bold")
            t.append(", ".join(members) + "\n")
    return t


def one_sided_details(side: str, o: OneSided) -> Text:
    """A layer found on one side only."""
    t = Text(no_wrap=False)
    t.append(f"only in {side}\n", style="bold")
    t.append(f"{o.name}\n{ms(o.ms)} ms · {o.type or 'type ?'} · {o.precision or 'precision ?'}\n")
    return t


class TextModal(ModalScreen[None]):
    """A window of text over the compare screen (a layer's details, the keys); Esc, q or ? closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,enter", "close", "Close")]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="compare-modal-box"):
            yield Static(self.body, id="compare-modal-body")

    def on_mount(self) -> None:
        box = self.query_one("#compare-modal-box")
        box.border_title = self.title_text
        box.border_subtitle = "Esc closes"

    def action_close(self) -> None:
        self.dismiss(None)


class CompareScreen(Screen[None]):
    """Two engines compared (`trtui compare`): tabs of layers, types, precisions, changes and
    unmatched layers; Enter shows a layer's details (Layers, Changes or Unmatched tab)."""

    CSS_PATH = "compare.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sort", "Sort layers"),
        Binding("enter", "details", "Layer details", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("1", "tab('layers')", "Layers", show=False),
        Binding("2", "tab('types')", "Types", show=False),
        Binding("3", "tab('precisions')", "Precisions", show=False),
        Binding("4", "tab('changes')", "Changes", show=False),
        Binding("5", "tab('unmatched')", "Unmatched", show=False),
        Binding("escape", "close", "Back"),
    ]

    def __init__(self, comparison: Comparison, name: str | None = None) -> None:
        super().__init__(name=name)
        self.comparison = comparison
        self.sort_pos = 0

    def compose(self) -> ComposeResult:
        c = self.comparison
        with Vertical(id="compare-top"):
            yield Static(header_text(c), id="compare-header")
            yield Static(summary_text(c), id="compare-summary")
        with TabbedContent(initial="layers", id="compare-tabs"):
            with TabPane(f"Layers ({len(c.layers)})", id="layers"):
                yield Static("", id="layers-caption")
                yield DataTable(id="layer-table", zebra_stripes=True, cursor_type="row")
            with TabPane("By type", id="types"):
                yield DataTable(id="type-table", zebra_stripes=True, cursor_type="row")
            with TabPane("By precision", id="precisions"):
                yield DataTable(id="precision-table", zebra_stripes=True, cursor_type="row")
            changes = len(c.precision_changes) + len(c.tactic_changes)
            with TabPane(f"Changes ({changes})", id="changes"):
                yield DataTable(id="change-table", zebra_stripes=True, cursor_type="row")
            with TabPane(f"Unmatched ({len(c.only_a)}/{len(c.only_b)})", id="unmatched"):
                yield DataTable(id="unmatched-table", zebra_stripes=True, cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        c = self.comparison
        lt = self.query_one("#layer-table", DataTable)
        lt.add_columns(
            "layer", "A ms", "B ms", "B-A ms", "change", "precision", "tactic", "matched by", "B layer"
        )
        self.fill_layers()
        for table_id, groups in (("#type-table", c.by_type), ("#precision-table", c.by_precision)):
            t = self.query_one(table_id, DataTable)
            t.add_columns("group", "A n", "B n", "A ms", "B ms", "B-A ms", "change")
            t.add_rows([_cells(*row) for row in self._group_rows(groups)])
        ch = self.query_one("#change-table", DataTable)
        ch.add_columns("layer", "what", "A", "B")
        for d in c.precision_changes:
            ch.add_row(*_cells(clip(d.name), "precision", d.a_label or "", d.b_label or ""))
        for d in c.tactic_changes:
            ch.add_row(*_cells(clip(d.name), "tactic", d.a_tactic or "", d.b_tactic or ""))
        self._change_rows: list[LayerDelta] = [*c.precision_changes, *c.tactic_changes]
        for r in c.residuals:  # where the residual Adds / element-wise layers run, on each side
            a = f"{r.a_precision or '?'} (in {r.a_inputs or '?'})" if r.a_name else "-"
            b = f"{r.b_precision or '?'} (in {r.b_inputs or '?'})" if r.b_name else "-"
            ch.add_row(*_cells(clip(r.a_name or r.b_name or ""), "element-wise", a, b))
        un = self.query_one("#unmatched-table", DataTable)
        un.add_columns("side", "layer", "ms", "type", "precision")
        for side, only in (("A", c.only_a), ("B", c.only_b)):
            for o in only:
                un.add_row(*_cells(side, clip(o.name), ms(o.ms), o.type or "", o.precision or ""))
        lt.focus()

    @staticmethod
    def _group_rows(groups: tuple[GroupDelta, ...]) -> list[tuple[str, ...]]:
        return [
            (
                clip(g.key, 40),
                str(g.a_layers),
                str(g.b_layers),
                ms(g.a_ms),
                ms(g.b_ms),
                signed(g.delta_ms),
                pct(g.delta_pct),
            )
            for g in groups
        ]

    @property
    def sort_name(self) -> str:
        return SORTS[self.sort_pos][0]

    def sorted_layers(self) -> list[LayerDelta]:
        layers = list(self.comparison.layers)
        _, key = SORTS[self.sort_pos]
        if self.sort_name != "engine order":
            layers.sort(key=key)  # type: ignore[arg-type]
        return layers

    def fill_layers(self) -> None:
        lt = self.query_one("#layer-table", DataTable)
        lt.clear()
        for d in self.sorted_layers():
            lt.add_row(
                *_cells(
                    clip(d.name),
                    ms(d.a_ms),
                    ms(d.b_ms),
                    signed(d.delta_ms),
                    pct(d.delta_pct),
                    _precision_cell(d),
                    _tactic_cell(d),
                    _how_cell(d),
                    "=" if d.b_name == d.name else clip(d.b_name),
                ),
                key=d.name,
            )
        self.query_one("#layers-caption", Static).update(f"sorted by {self.sort_name} (s: next order)")

    def action_sort(self) -> None:
        self.sort_pos = (self.sort_pos + 1) % len(SORTS)
        self.fill_layers()

    def action_tab(self, tab: str) -> None:
        self.query_one("#compare-tabs", TabbedContent).active = tab

    def _pushed_over_another(self) -> bool:
        return len(self.app.screen_stack) > 2

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc ("Back") exists only where there is a screen to go back to; on its own, q quits."""
        if action == "close":
            return self._pushed_over_another()
        return True

    def action_close(self) -> None:
        if self._pushed_over_another():
            self.dismiss(None)

    def action_help(self) -> None:
        self.app.push_screen(TextModal("trtui compare keys", keys_text(COMPARE_KEYS)))

    def selected(self) -> tuple[str, Text] | None:
        """(title, details) of the row under the cursor of the active tab, or None where the row
        is not a layer (the type and precision tabs, an element-wise pair, an empty table)."""
        tab = self.query_one("#compare-tabs", TabbedContent).active
        c = self.comparison
        if tab == "layers":
            table = self.query_one("#layer-table", DataTable)
            layers = self.sorted_layers()
            row = table.cursor_row
            if 0 <= row < len(layers) and table.row_count:
                return layers[row].name, delta_details(layers[row])
        elif tab == "changes":
            row = self.query_one("#change-table", DataTable).cursor_row
            if 0 <= row < len(self._change_rows):
                d = self._change_rows[row]
                return d.name, delta_details(d)
        elif tab == "unmatched":
            row = self.query_one("#unmatched-table", DataTable).cursor_row
            sided = [("A", o) for o in c.only_a] + [("B", o) for o in c.only_b]
            if 0 <= row < len(sided):
                side, o = sided[row]
                return o.name, one_sided_details(side, o)
        return None

    def action_details(self) -> None:
        picked = self.selected()
        if picked is None:
            self.notify("Enter shows a layer: on the Layers, Changes or Unmatched tab", timeout=4)
            return
        title, body = picked
        self.app.push_screen(TextModal(clip(title, 60), body))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()


class CompareApp(GuardedApp[int]):
    """The compare screen as an app; the comparison is computed before it starts."""

    TITLE = "trtui compare"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def __init__(self, comparison: Comparison) -> None:
        super().__init__()
        self.comparison = comparison

    def on_mount(self) -> None:
        self.push_screen(CompareScreen(self.comparison))


def run_compare_app(comparison: Comparison, *_: object) -> int:
    """Show `comparison` until q; returns 0, raises `InternalError` on a crash."""
    result = run_guarded(CompareApp(comparison))
    return int(result or 0)
