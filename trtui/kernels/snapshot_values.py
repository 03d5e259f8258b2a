"""The kernel statistics' published values: an immutable `KernelSnapshot` (per layer, its kernels,
launches and the gap to the profiler's time; engine-wide, top kernels and kernel families). Built by
`trtui.kernels.aggregate.KernelAggregator`; read by the statistics snapshot, the kernel report and the
kernels screen. Values only, as `trtui.stats.snapshot` is to `trtui.stats.layers`.

Times are milliseconds per inference unless a name says "per launch".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trtui.kernels.attribute import METHOD_TEXT, Method

UNATTRIBUTED = ""  # the layer key of kernels outside every layer


@dataclass(frozen=True, slots=True)
class KernelRow:
    """One kernel (by name) within a layer, or across the engine (`layer` None)."""

    raw_name: str  # as recorded (maybe mangled)
    name: str  # demangled, full
    short: str
    family: str
    layer: str | None
    per_inference: float  # launches per inference
    mean_ms: float  # per launch
    median_ms: float  # per launch (recent launches)
    total_ms: float  # per inference (= mean_ms x per_inference)
    share_pct: float  # of the layer's profiler time (layer rows) or of all kernel time (engine rows)
    layers: int = 1  # engine rows: in how many layers it ran


@dataclass(frozen=True, slots=True)
class LayerKernels:
    """One layer's kernels: what they took per inference against the profiler's time for the layer."""

    layer: str
    kernels: tuple[KernelRow, ...]  # largest total first
    layer_ms: float | None  # the profiler's mean time of the layer (None: kernels outside layers)
    kernel_sum_ms: float  # per inference
    launches: float  # kernel launches per inference

    @property
    def gap_ms(self) -> float | None:
        """Layer time not covered by its kernels (launch gaps, profiler events); can be negative
        when kernels overlap."""
        return None if self.layer_ms is None else self.layer_ms - self.kernel_sum_ms


@dataclass(frozen=True, slots=True)
class FamilyRow:
    """One kernel family (named as `analyze` names tactic families) across the engine."""

    family: str
    kernels: int  # distinct kernel names
    total_ms: float  # per inference
    share_pct: float  # of all kernel time


@dataclass(frozen=True, slots=True)
class KernelSnapshot:
    """The kernel statistics at one moment, immutable: safe to hand to another thread. Times are ms per
    inference over the window unless a name says "per launch"; counters marked "since start" are not
    windowed."""

    simulated: bool
    method: Method  # of the latest capture
    method_counts: tuple[tuple[str, int], ...]  # captures per method, in the window
    captures: int  # in the window
    total_captures: int  # since start
    layers: tuple[LayerKernels, ...]  # engine order; the unattributed group (layer "") last
    top: tuple[KernelRow, ...]  # engine-wide, largest total first
    families: tuple[FamilyRow, ...]
    kernel_sum_ms: float  # all kernels, per inference
    cost_ms: float  # mean host cost of tracing per profiled inference (record + attribute + aggregate)
    total_cost_s: float  # since start
    dropped: int  # records the tracer lost, since start
    _by_layer: Mapping[str, LayerKernels] = field(default_factory=dict, repr=False, compare=False)

    @property
    def method_text(self) -> str:
        """How the latest capture was attributed to layers, in words."""
        return METHOD_TEXT[self.method]

    def for_layer(self, name: str) -> LayerKernels | None:
        """The named layer's kernels; None when no kernel in the window was attributed to it."""
        return self._by_layer.get(name)

    @property
    def unattributed(self) -> LayerKernels | None:
        """Kernels outside every layer; None when every kernel in the window was attributed."""
        return self._by_layer.get(UNATTRIBUTED)
