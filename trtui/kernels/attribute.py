"""Attribute the kernels of one profiled inference to the layers that launched them.

1. NVTX ("nvtx"): TensorRT pushes one NVTX range per layer around the enqueue of that layer's
   kernels (engines built with profiling verbosity layer_names_only or detailed). A kernel's
   launch call (same correlation id) happened on the host at some time on some thread; the kernel
   belongs to the innermost range around that moment, on that thread, whose name is a layer name
   (outer ranges are tried when an inner one is not a layer: Myelin's own sub-ranges, an
   "enqueue" range). Kernels outside every layer range stay unattributed.
2. Stream order ("stream order", approximate): without ranges, the kernels, in GPU start order,
   are laid against the profiler's layer times: layer i covers the i-th slice of the inference,
   sized by its profiler time (scaled so the slices span first kernel start .. last kernel end),
   and a kernel goes to the slice that holds its midpoint.

Pure: no GPU import.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from trtui.core.kernel_records import KernelCapture, KernelRecord, NvtxRange

MAX_LOOKBACK = 256
Method = Literal["nvtx", "stream order", "none"]
METHOD_TEXT: dict[str, str] = {
    "nvtx": "by NVTX layer ranges",
    "stream order": "by stream order between the profiler's layer boundaries (approximate)",
    "none": "not attributed (no layer ranges and no layer times)",
}


@dataclass(frozen=True, slots=True)
class Attribution:
    """The kernels of one inference and the layer of each (index into `layers`, -1: none)."""

    method: Method
    layers: tuple[str, ...]
    layer_ms: tuple[float, ...]  # the profiler's time of each layer in this inference
    kernels: tuple[KernelRecord, ...]  # in GPU start order
    kernel_layer: tuple[int, ...]
    ranges: tuple[NvtxRange, ...] = ()  # the host's NVTX ranges (for the trace)

    @property
    def unattributed(self) -> int:
        """The number of kernels outside every layer."""
        return sum(1 for i in self.kernel_layer if i < 0)


def _by_nvtx(
    kernels: Sequence[KernelRecord], capture: KernelCapture, index: dict[str, int]
) -> list[int] | None:
    launches = {c.correlation_id: c for c in capture.launches}
    by_thread: dict[int, list[NvtxRange]] = {}
    for r in capture.ranges:
        if r.end_ns >= r.start_ns:
            by_thread.setdefault(r.thread, []).append(r)
    if not by_thread or not launches:
        return None
    launch_threads = {c.thread for c in launches.values()}
    if len(by_thread) == 1 and len(launch_threads) == 1 and not launch_threads & by_thread.keys():
        # one thread each, under two id schemes (a tracer may number threads differently for API
        # calls and for NVTX markers): the same thread
        (only,) = by_thread.values()
        by_thread = {next(iter(launch_threads)): only}
    starts: dict[int, list[int]] = {}
    for thread, rs in by_thread.items():
        rs.sort(key=lambda r: (r.start_ns, -r.end_ns))
        starts[thread] = [r.start_ns for r in rs]
    out: list[int] = []
    hits = 0
    for k in kernels:
        call = launches.get(k.correlation_id)
        layer = -1
        if call is not None and call.thread in by_thread:
            rs = by_thread[call.thread]
            t = call.start_ns
            # ranges that start at or before t, latest start (innermost) first; a few steps back
            # suffice, since per-layer ranges are sequential and enclosing ranges are few
            lo = bisect.bisect_right(starts[call.thread], t) - 1
            for j in range(lo, max(lo - MAX_LOOKBACK, -1), -1):
                r = rs[j]
                if r.end_ns >= t and r.name in index:
                    layer = index[r.name]
                    hits += 1
                    break
        out.append(layer)
    return out if hits else None


def _by_stream_order(kernels: Sequence[KernelRecord], layer_ms: Sequence[float]) -> list[int] | None:
    if not kernels or not layer_ms:
        return None
    layer_ms = [t if math.isfinite(t) and t > 0 else 0.0 for t in layer_ms]
    total = float(sum(layer_ms))
    if total <= 0:
        return None
    t0 = kernels[0].start_ns
    t1 = max(k.end_ns for k in kernels)
    span = max(t1 - t0, 1)
    bounds: list[float] = []
    acc = 0.0
    for t in layer_ms:
        acc += t
        bounds.append(t0 + span * acc / total)
    last = len(bounds) - 1
    out = []
    for k in kernels:
        mid = (k.start_ns + k.end_ns) / 2
        out.append(min(bisect.bisect_left(bounds, mid), last))
    return out


def attribute(capture: KernelCapture, layers: Sequence[str], layer_ms: Sequence[float]) -> Attribution:
    """The kernels of `capture` attributed to `layers` (the profiler's names and times, in order)."""
    kernels = tuple(sorted(capture.kernels, key=lambda k: (k.start_ns, k.correlation_id)))
    names = tuple(layers)
    times = tuple(float(t) for t in layer_ms)
    index: dict[str, int] = {}
    for i, n in enumerate(names):
        index.setdefault(n, i)
    got = _by_nvtx(kernels, capture, index)
    method: Method = "nvtx"
    if got is None:
        got = _by_stream_order(kernels, times)
        method = "stream order"
    if got is None:
        got, method = [-1] * len(kernels), "none"
    return Attribution(method, names, times, kernels, tuple(got), capture.ranges)
