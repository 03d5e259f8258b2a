"""Layer details (Enter on a row): what the engine says about the layer, its recent history,
the ONNX nodes fused into it, and for fused Myelin blocks a ready-to-paste `nsys` command."""

from __future__ import annotations

import math
import re
import shlex
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding

from trtui.common import format as fmt
from trtui.core.model import LayerInfo, SourceInfo, TensorInfo
from trtui.core.precision import layer_label
from trtui.stats.update import Update
from trtui.ui.kernels_screen import kernel_section
from trtui.ui.layer_view import LayerView
from trtui.ui.live_screens import LiveTextModal

HISTORY_POINTS = 120  # per layer
HISTORY_LAYERS = 16  # layers remembered (least recently selected are forgotten)


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """A layer's figures at one refresh (times in ms, share in percent of the layer time)."""

    elapsed_s: float
    mean_ms: float
    share_pct: float
    p99_ms: float


class LayerHistory:
    """A small per-layer history, kept only for layers the user selected (bounded)."""

    def __init__(self, points: int = HISTORY_POINTS, layers: int = HISTORY_LAYERS) -> None:
        self.points = points
        self.layers = layers
        self._data: OrderedDict[str, deque[HistoryPoint]] = OrderedDict()

    def add(self, name: str, point: HistoryPoint) -> None:
        """Append `point` to `name`'s series (a point at the same `elapsed_s` replaces the last);
        the least recently added-to layer is forgotten beyond `layers`."""
        series = self._data.get(name)
        if series is None:
            series = self._data[name] = deque(maxlen=self.points)
            while len(self._data) > self.layers:
                self._data.popitem(last=False)
        else:
            self._data.move_to_end(name)
        if series and series[-1].elapsed_s == point.elapsed_s:
            series[-1] = point
        else:
            series.append(point)

    def get(self, name: str) -> tuple[HistoryPoint, ...]:
        """`name`'s points, oldest first (empty when none are kept)."""
        return tuple(self._data.get(name, ()))

    def clear(self) -> None:
        """Forget every layer (the statistics were reset)."""
        self._data.clear()


def is_fused_myelin(info: LayerInfo | None, name: str) -> bool:
    """A Myelin-compiled block (`{ForeignNode[...]}`): its inside is only visible in nsys."""
    kind = (info.type if info is not None else None) or ""
    return "myelin" in kind.lower() or "foreignnode" in kind.lower() or "ForeignNode" in name


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
    return (s[:40] or "layer").lower()


def nsys_commands(name: str, source: SourceInfo) -> tuple[str, str]:
    """Two shell lines: capture a short trtexec run with CUDA-graph nodes and NVTX traced, then
    the per-kernel summary of just this layer's NVTX range (TensorRT names its ranges after layers)."""
    engine = source.path if source.kind == "engine" and source.path else "ENGINE.plan"
    out = f"trtui-{_slug(name)}"
    capture = (
        f"nsys profile --trace=cuda,nvtx --cuda-graph-trace=node -o {shlex.quote(out)} "
        f"trtexec --loadEngine={shlex.quote(engine)} --warmUp=500 --iterations=100 --duration=0"
    )
    stats = (
        f"nsys stats --report cuda_gpu_kern_sum --filter-nvtx={shlex.quote(name)} {shlex.quote(out)}.nsys-rep"
    )
    return capture, stats


def _tensor(t: TensorInfo) -> str:
    shape = "x".join(str(d) for d in t.shape) if t.shape is not None else "?"
    parts = [fmt.safe(t.name), shape]
    if t.dtype:
        parts.append(t.dtype)
    line = "  ".join(parts)
    if t.format:
        line += f"\n      {t.format}"
    return line


def details_text(
    name: str,
    info: LayerInfo | None,
    stats: Mapping[str, float] | None,
    history: Sequence[HistoryPoint],
    source: SourceInfo,
    width: int,
    group_size: int | None = None,
    kernels: Text | None = None,
) -> Text:
    t = Text()
    name = fmt.safe(name)
    t.append(name + "\n", style="bold")
    if group_size is not None:
        t.append(f"all {group_size} layers of type {name} (sums per iteration)\n", style="dim")
    elif info is None:
        t.append("no layer information: the source gives timings only\n", style="dim")
    else:
        t.append("type      ", style="dim")
        t.append(f"{fmt.safe(info.type or 'n/a')}\n", style="cyan")
        t.append("precision ", style="dim")
        t.append(f"{layer_label(info) or 'n/a'}\n", style="magenta")
        t.append("tactic    ", style="dim")
        t.append(f"{fmt.safe(info.tactic or 'n/a')}\n")
        if info.origin:
            t.append(f"origin    {fmt.safe(info.origin)}\n", style="dim")
        if info.stream_id is not None:
            t.append(f"stream    aux {info.stream_id}\n", style="dim")
    if stats is not None:
        t.append("\n")
        t.append(
            f"mean {fmt.ms(stats.get('mean'))} ms  median {fmt.ms(stats.get('median'))}  "
            f"p99 {fmt.ms(stats.get('p99'))}  share {fmt.pct(stats.get('share'))}"
        )
        delta = stats.get("delta", math.nan)
        if math.isfinite(delta):
            t.append(f"  vs baseline {fmt.change(delta)}", style="red" if delta > 0 else "green")
        t.append("\n")
    spark_w = max(min(width - 14, 80), 8)
    if history:
        t.append("share hist ", style="dim")
        t.append(fmt.sparkline([h.share_pct for h in history], spark_w) + "\n", style="yellow")
        t.append("mean hist  ", style="dim")
        t.append(fmt.sparkline([h.mean_ms for h in history], spark_w) + "\n", style="blue")
        first, last = history[0], history[-1]
        t.append(
            f"           {len(history)} refreshes over {fmt.duration(last.elapsed_s - first.elapsed_s)}; "
            f"mean {fmt.ms(first.mean_ms)} -> {fmt.ms(last.mean_ms)} ms\n",
            style="dim",
        )
    elif source.kind == "recording":
        t.append("history   none: a recording holds one summary per layer, not a time series\n", style="dim")
    else:
        t.append("history   builds up while the layer is selected\n", style="dim")
    if info is not None and group_size is None:
        if info.inputs:
            t.append("\ninputs\n", style="bold")
            for ti in info.inputs:
                t.append(f"  {_tensor(ti)}\n")
        if info.outputs:
            t.append("outputs\n", style="bold")
            for ti in info.outputs:
                t.append(f"  {_tensor(ti)}\n")
        if info.onnx_nodes:
            t.append(f"\nONNX nodes fused into it ({len(info.onnx_nodes)})\n", style="bold")
            for node in info.onnx_nodes:
                t.append(f"  {node}\n")
        if kernels is not None:  # --kernels: beside the ONNX nodes (a Myelin block's inside)
            t.append_text(kernels)
        if info.params:
            t.append("\nparameters\n", style="bold")
            for k, v in list(info.params.items())[:20]:
                t.append(f"  {k}: {v}\n", style="dim")
    if group_size is None and is_fused_myelin(info, name):
        capture, stats_line = nsys_commands(name, source)
        t.append(
            "\nInside this fused block (Nsight Systems; TensorRT's NVTX ranges carry layer names)\n",
            style="bold",
        )
        t.append(capture + "\n", style="green")
        t.append(stats_line + "\n", style="green")
        t.append(
            "If the range shows no kernels, rerun trtexec without CUDA graphs (--noCudaGraph on 11.x).\n",
            style="dim",
        )
    return t


def layer_details(
    view: LayerView, history: LayerHistory, update: Update | None, name: str, group: bool, width: int
) -> Text:
    """The details of the layer (or, `group`, the layer type) `name` as the table shows it now."""
    if update is None:
        return Text("no data yet")
    info = view.infos.get(name) if not group else None
    stats = view.row_values(name) if view.grouped == group else None
    size = None
    if group and name in view.table.names:
        size = view.group_sizes[view.table.names.index(name)]
    points = history.get(f"type:{name}" if group else name)
    snap = update.profile.kernels
    kernels = None if group or snap is None else kernel_section(snap.for_layer(name), snap, width)
    return details_text(name, info, stats, points, update.profile.info, width, size, kernels)


Describe = Callable[[str, bool, int], Text]  # (name, group, width) -> the details as shown now


class DetailsScreen(LiveTextModal):
    """Details of one layer (or one layer type in group mode); Esc closes. Updates live: only
    when its text changed, without a layout pass unless its height changed (`LiveText`).

    `describe` builds the text (the app's `details_for`: the table's values, the layer's history
    and the update it holds); the screen calls it when mounted and on each `show`."""

    BINDINGS = [Binding("escape,q,enter", "close", "Close")]
    BOX = "details"
    FOCUS_BOX = False

    def __init__(self, name: str, describe: Describe, group: bool = False) -> None:
        super().__init__(id="details")
        self.layer_name = name
        self.group = group
        self._describe = describe

    def box_title(self) -> str:
        """The box's border title."""
        return "Layer type" if self.group else "Layer details"

    def show(self, update: Update | None) -> None:
        """Redraw the details (`describe` reads the update the app applied)."""
        body = self.body
        body.show(self._describe(self.layer_name, self.group, body.size.width or 76))
