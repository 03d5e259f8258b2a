"""Kernels in the live UI: the section the layer details show (Enter on a layer), and the
all-kernels view (key `K`; `k` moves the cursor up): top kernels across the engine and time by kernel family.

Everything is built from the `KernelSnapshot` the session publishes (`--kernels`); simulated
kernels are labelled simulated.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.binding import Binding

from trtui.common import format as fmt
from trtui.kernels.names import distinct_short_names
from trtui.kernels.snapshot_values import KernelSnapshot, LayerKernels
from trtui.stats.update import Update
from trtui.ui.live_screens import LiveTextModal

OFF_HINT = (
    "Kernels are off. Run with --kernels (an engine: needs cupti-python, pip install 'trtui[kernels]'; "
    "the demo simulates them) to see the kernels of every layer."
)
TOP_KERNELS = 30


def _us(ms: float | None) -> str:
    return "n/a" if ms is None else f"{ms * 1000:.1f}"


def kernel_section(lk: LayerKernels | None, snap: KernelSnapshot | None, width: int) -> Text:
    """The "Kernels" part of a layer's details (empty text when kernels are off)."""
    t = Text()
    if snap is None:
        return t
    tag = " (simulated)" if snap.simulated else ""
    t.append(f"\nKernels{tag}", style="bold")
    t.append(f"  attributed {snap.method_text}; last {snap.captures} profiled inferences\n", style="dim")
    if lk is None or not lk.kernels:
        t.append("  no kernel was attributed to this layer\n", style="dim")
        return t
    gap = lk.gap_ms
    t.append(
        f"  {lk.launches:.1f} launches per inference, kernel sum {fmt.ms(lk.kernel_sum_ms)} ms"
        + (f" of {fmt.ms(lk.layer_ms)} ms layer time; launch gap {fmt.ms(gap)} ms" if gap is not None else "")
        + "\n"
    )
    name_w = max(width - 36, 20)
    t.append(f"  {'share':>6} {'mean µs':>8} {'median':>7} {'count':>5}  kernel\n", style="dim")
    shorts = distinct_short_names([r.name for r in lk.kernels], name_w)
    for r, short in zip(lk.kernels, shorts, strict=True):
        share = fmt.pct(r.share_pct, 6, 1)
        t.append(f"  {share} {_us(r.mean_ms):>8} {_us(r.median_ms):>7} {r.per_inference:5.1f}  ")
        t.append(short + "\n", style="cyan")
    longer = [r for r, short in zip(lk.kernels, shorts, strict=True) if short != r.name]
    if longer:
        t.append("  full names\n", style="dim")
        for r in longer:
            t.append(f"    {fmt.safe(r.name)}\n", style="dim")
    return t


def kernels_view(snap: KernelSnapshot | None, width: int, top: int = TOP_KERNELS) -> Group | Text:
    """The all-kernels view: top kernels by total time per inference, then kernel families."""
    if snap is None:
        return Text(OFF_HINT, style="dim")
    tag = " (simulated)" if snap.simulated else ""
    head = Text()
    n = sum(lk.launches for lk in snap.layers)
    head.append(f"All kernels{tag}: ", style="bold")
    head.append(
        f"{n:.1f} launches per inference, kernel sum {fmt.ms(snap.kernel_sum_ms)} ms; attributed "
        f"{snap.method_text}; last {snap.captures} of {snap.total_captures} profiled inferences\n"
    )
    head.append(
        f"tracing cost {snap.cost_ms:.3f} ms host time per profiled inference; timed inferences are never "
        "traced, so latency is untouched\n",
        style="dim",
    )
    if snap.unattributed is not None:
        outside = snap.unattributed.launches
        head.append(f"{outside:.1f} launches per inference outside any layer\n", style="yellow")
    kernels = Table(title="Top kernels (per inference)", title_justify="left", expand=False, box=None)
    kernels.add_column("share", justify="right")
    kernels.add_column("ms", justify="right")
    kernels.add_column("count", justify="right")
    kernels.add_column("mean µs", justify="right")
    kernels.add_column("layers", justify="right")
    kernels.add_column("family", style="magenta", no_wrap=True, max_width=24)
    kernels.add_column("kernel", style="cyan", no_wrap=True)
    name_w = max(width - 70, 20)
    rows = snap.top[:top]
    for r, short in zip(rows, distinct_short_names([r.name for r in rows], name_w), strict=True):
        kernels.add_row(
            fmt.pct(r.share_pct, 6, 1), f"{r.total_ms:.4f}", f"{r.per_inference:.1f}", _us(r.mean_ms),
            str(r.layers), r.family, short,
        )
    fams = Table(title="\nTime by kernel family", title_justify="left", expand=False, box=None)
    fams.add_column("share", justify="right")
    fams.add_column("ms", justify="right")
    fams.add_column("kernels", justify="right")
    fams.add_column("family", style="magenta")
    for f in snap.families:
        fams.add_row(fmt.pct(f.share_pct, 6, 1), f"{f.total_ms:.4f}", str(f.kernels), f.family)
    return Group(head, kernels, fams)


class KernelsScreen(LiveTextModal):
    """All kernels across the engine; updates live; Esc closes. Attributes down: the app hands
    the update to the constructor and each newer one to `show`."""

    BINDINGS = [Binding("escape,q,K", "close", "Close")]
    BOX = "kernels"

    def __init__(self, update: Update | None) -> None:
        super().__init__(update)
        self._drawn: tuple[KernelSnapshot | None, int] | None = None

    def box_title(self) -> str:
        """The box's border title."""
        return "Kernels"

    def show(self, update: Update | None) -> None:
        """Draw the kernels of `update` (the off hint without a kernel snapshot); nothing is
        redrawn for the same snapshot at the same width."""
        snap = update.profile.kernels if update is not None else None
        body = self.body
        width = body.size.width
        drawn = self._drawn
        if drawn is not None and drawn[0] is snap and drawn[1] == width and width:
            return  # the same snapshot at the same width: nothing to draw
        self._drawn = (snap, width)
        body.show(kernels_view(snap, body.size.width or 100))

    def action_close(self) -> None:
        self.dismiss(None)
