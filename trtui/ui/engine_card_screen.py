"""The engine card and the roofline (key `i`): what the engine is, and each layer against the GPU's
roofline at the clocks it runs at, most headroom first. Live: NVML's current clocks, so a throttled
GPU's roofline drops with it. Attributes down: the app hands each update to `show`."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.binding import Binding

from trtui.analysis.engine_card import card_lines
from trtui.analysis.engine_view import ROW_HEADERS, EngineView, engine_view, row_cells
from trtui.analysis.run import run_from_update
from trtui.stats.update import Update
from trtui.ui.live_screens import LiveTextModal

TOP_ROWS = 40


def engine_card_view(view: EngineView, width: int, top: int = TOP_ROWS) -> Group:
    """The card, then the roofline table (most headroom first)."""
    head = Text()
    if view.headroom_ms is not None:
        head.append(f"Total headroom {view.headroom_ms:.4f} ms per inference\n", style="bold")
    for line in card_lines(view.card):
        head.append(line + "\n")
    rf = view.roofline
    if rf is None:
        head.append(f"\nRoofline unavailable: {view.why_not}\n", style="yellow")
        return Group(head)
    bw = "bandwidth unknown" if rf.bandwidth_gbps is None else f"{rf.bandwidth_gbps:.0f} GB/s"
    head.append(
        f"\nRoofline at {rf.sm_clock_mhz:.0f} MHz SM ({rf.clocks_from}): FP32 {rf.peak_fp32_tflops:.1f} "
        f"TFLOPS, tensor up to {rf.peak_tensor_tflops:.1f} TFLOPS, {bw}\n",
        style="bold",
    )
    if rf.flagged:
        head.append(
            f"{len(rf.flagged)} layer(s) measured faster than their bound (a wrong peak or work count, or "
            "cached data): shown as 'below!'\n",
            style="yellow",
        )
    table = Table(title="Layers by headroom (ms per inference)", title_justify="left", box=None, expand=False)
    for h in ROW_HEADERS:
        table.add_column(h, justify="right" if h not in ("bound", "peak") else "left", no_wrap=True)
    table.add_column("layer", style="cyan", no_wrap=True, max_width=max(width - 90, 20))
    rows = [r for r in rf.by_headroom() if r.kind not in ("noop", "constant")][:top]
    for r in rows:
        cells = row_cells(r)
        style = "yellow" if r.faster_than_bound else None
        table.add_row(*cells, r.name, style=style)
    return Group(head, table)


class EngineCardScreen(LiveTextModal):
    """The engine card and the roofline; updates live; Esc closes."""

    BINDINGS = [Binding("escape,q,i", "close", "Close")]
    BOX = "engine-card"

    def __init__(self, update: Update | None) -> None:
        super().__init__(update)
        self._drawn: tuple[int, int] | None = None

    def box_title(self) -> str:
        """The box's border title."""
        return "Engine card and roofline"

    def show(self, update: Update | None) -> None:
        """Draw the card and roofline of `update` (the app calls this on every update)."""
        body = self.body
        width = body.size.width or 100
        key = (id(update), width)
        if self._drawn == key:
            return
        self._drawn = key
        if update is None:
            body.show(Text("No data yet.", style="dim"))
            return
        body.show(engine_card_view(engine_view(run_from_update(update)), width))
