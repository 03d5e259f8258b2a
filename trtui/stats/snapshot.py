"""Immutable statistics snapshots handed from the aggregators to the UI and the exporters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from trtui.core.model import FloatArray, IntArray, SourceInfo, StartupStep, frozen_array

if TYPE_CHECKING:
    from trtui.kernels.snapshot_values import KernelSnapshot

RunState = Literal["starting", "running", "paused", "finished", "error"]

LAYER_STAT_COLUMNS = (
    "last_ms",
    "mean_ms",
    "median_ms",
    "p90_ms",
    "p99_ms",
    "min_ms",
    "max_ms",
    "std_ms",
    "total_ms",
    "share_pct",
)


@dataclass(frozen=True, slots=True)
class LayerRow:
    """One layer's statistics, as a row (built on demand from a `LayerTable`)."""

    index: int
    name: str
    count: int
    last_ms: float
    mean_ms: float
    median_ms: float
    p90_ms: float
    p99_ms: float
    min_ms: float
    max_ms: float
    std_ms: float
    total_ms: float
    share_pct: float


@dataclass(frozen=True, slots=True)
class LayerTable:
    """Per-layer statistics, column-oriented (cheap to build at 20,000 layers).

    Arrays are read-only and aligned with `names` (engine order of first appearance). NaN means
    unknown (no sample yet, or the source does not say, e.g. p99 of a trtexec recording).
    `recent_ms` holds the last K profiled iterations (K x layers, oldest first, NaN-padded) for
    per-layer sparklines. `share_pct` is relative to the sum of all layers' time.
    """

    names: tuple[str, ...]
    count: IntArray
    last_ms: FloatArray
    mean_ms: FloatArray
    median_ms: FloatArray
    p90_ms: FloatArray
    p99_ms: FloatArray
    min_ms: FloatArray
    max_ms: FloatArray
    std_ms: FloatArray
    total_ms: FloatArray
    share_pct: FloatArray
    iterations: int
    recent_ms: FloatArray

    def __len__(self) -> int:
        return len(self.names)

    def row(self, i: int) -> LayerRow:
        return LayerRow(
            i,
            self.names[i],
            int(self.count[i]),
            *(float(getattr(self, c)[i]) for c in LAYER_STAT_COLUMNS),
        )

    def rows(self) -> list[LayerRow]:
        """Every layer's row, in table order (one object per layer: for small tables and tests)."""
        return [self.row(i) for i in range(len(self.names))]

    @property
    def sum_mean_ms(self) -> float:
        """Sum of the layers' mean times: the "sum of layer times" per iteration."""
        return float(np.nansum(self.mean_ms)) if len(self.names) else 0.0

    @staticmethod
    def empty() -> LayerTable:
        """A table of no layers and no iterations."""
        z = frozen_array(())
        return LayerTable(
            (), frozen_array((), np.int64), z, z, z, z, z, z, z, z, z, z, 0, frozen_array(np.empty((0, 0)))
        )


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """End-to-end statistics of unprofiled inferences (ms); None when there are none."""

    count: int
    last: float | None = None
    mean: float | None = None
    median: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    min: float | None = None
    max: float | None = None
    std: float | None = None
    throughput_per_s: float | None = None

    @staticmethod
    def empty() -> LatencyStats:
        """No inferences: count 0, every figure None."""
        return LatencyStats(0)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One refresh tick's latency summary, for sparklines and spike detection."""

    t: float  # session clock (time.monotonic) at the tick
    p50: float | None
    p99: float | None
    throughput_per_s: float | None


@dataclass(frozen=True, slots=True)
class ProfileSnapshot:
    """The run's statistics as of one tick: what the screen, the summary and the exports read.

    Built by the session from its aggregators; immutable (its arrays are read-only), so any thread
    may keep and read it. Times in ms unless named otherwise; None: unknown or not measured.
    """

    info: SourceInfo
    seq: int  # counts the session's snapshots from 1 (never reset; 0: a placeholder)
    t: float  # source clock at the snapshot
    elapsed_s: float  # since the run started (a replay: the recorded run's duration)
    state: RunState
    layers_window: LayerTable  # over the rolling window of profiled iterations
    layers_total: LayerTable  # since start (percentiles from a bounded reservoir sample)
    latency_window: LatencyStats
    latency_total: LatencyStats
    per_stream: tuple[LatencyStats, ...]  # one per stream when there are several
    recent_latencies_ms: FloatArray  # the rolling window of unprofiled latencies, oldest first
    trend: tuple[TrendPoint, ...]  # one per tick that had latencies, oldest first (bounded)
    layer_sum_ms: float | None  # mean sum of layer times per profiled iteration (window)
    profiled_gpu_ms: float | None  # mean CUDA-event time of profiled iterations (window)
    profiler_tax_ms: float | None  # profiled_gpu_ms (or layer sum) - unprofiled mean latency
    profiler_tax_pct: float | None  # profiler_tax_ms as a share of the unprofiled mean latency
    notices: tuple[str, ...]
    error: str | None = None
    kernels: KernelSnapshot | None = None  # --kernels: per-layer and engine-wide kernel statistics
    startup: tuple[StartupStep, ...] = ()  # the start-up steps done so far, with their durations
    startup_running: StartupStep | None = None  # the step running now (its time so far), if any

    @property
    def sum_is_latency(self) -> bool:
        """False when layers may overlap (auxiliary streams): then the layer sum is no latency."""
        return self.info.aux_streams == 0
