"""Rolling kernel statistics: per layer (its kernels, launch count per inference, mean/median time,
share of the layer, the gap between the layer's profiler time and its kernels' sum) and engine-wide
(top kernels by total time, time by kernel family). Pure; fed with one `Attribution` per profiled
inference, read as an immutable `KernelSnapshot`.

Statistics cover the last `window` captures (counts and sums exactly; medians from the last
`MEDIAN_SAMPLES` launches of each kernel). Times in the snapshot are milliseconds per inference
unless a name says "per launch".
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from trtui.core.model import ProfiledIteration
from trtui.kernels.attribute import Attribution, Method, attribute
from trtui.kernels.names import demangle_all, kernel_family, short_name
from trtui.kernels.snapshot_values import (
    UNATTRIBUTED,
    FamilyRow,
    KernelRow,
    KernelSnapshot,
    LayerKernels,
)

MEDIAN_SAMPLES = 32
REBUILD_FACTOR = 10.0  # rebuild the snapshot at most once per 10x its own cost (<= ~10% of a core)
DEFAULT_WINDOW = 64


class _Acc:
    __slots__ = ("count", "recent", "sum_ns")

    def __init__(self) -> None:
        self.count = 0
        self.sum_ns = 0
        self.recent: deque[int] = deque(maxlen=MEDIAN_SAMPLES)


@dataclass(slots=True)
class _Reduced:
    per_key: dict[tuple[str, str], tuple[int, int]]  # (layer, raw name) -> (launches, sum ns)
    layer_ms: dict[str, float]
    method: Method
    cost_s: float


class KernelAggregator:
    """Not thread-safe: one consumer thread (the session's) adds and snapshots."""

    def __init__(
        self,
        window: int = DEFAULT_WINDOW,
        keep_for_trace: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self.window = max(1, window)
        self.keep_for_trace = keep_for_trace
        self.reset()

    def reset(self) -> None:
        """Forget every capture: the window, the totals, the tracing cost and the captures kept for the
        trace."""
        self._keys: dict[tuple[str, str], _Acc] = {}
        self._layer_sum: dict[str, float] = {}
        self._layer_n: dict[str, int] = {}
        self._order: dict[str, int] = {}  # layer -> engine order (first seen)
        self._win: deque[_Reduced] = deque()
        self._names: dict[str, str] = {}
        self._label_cache: dict[str, tuple[str, str, str]] = {}
        self._total = 0
        self._total_cost = 0.0
        self._dropped = 0
        self._simulated = False
        self._last_method: Method = "none"
        self._trace: list[Attribution] = []
        self._cached: KernelSnapshot | None = None
        self._stale: KernelSnapshot | None = None
        self._next_build = 0.0

    @property
    def total_captures(self) -> int:
        """Captures added since the start (or the last `reset`), beyond the window too."""
        return self._total

    def trace_captures(self) -> tuple[Attribution, ...]:
        """The first `keep_for_trace` attributed inferences (for `--trace`)."""
        return tuple(self._trace)

    def add_iteration(self, it: ProfiledIteration) -> None:
        """Attribute and add the kernels of a profiled iteration (nothing if it has none)."""
        cap = it.kernels
        if cap is None:
            return
        cpu0 = time.thread_time()
        att = attribute(cap, it.names, it.times_ms.tolist())
        cost = cap.cost_s + (time.thread_time() - cpu0)
        self.add(att, cost_s=cost, simulated=cap.simulated, dropped=cap.dropped)

    def add(self, att: Attribution, cost_s: float = 0.0, simulated: bool = False, dropped: int = 0) -> None:
        """Add one attributed inference; the oldest leaves the window once it is full. `cost_s`: host
        time already spent recording and attributing it (this call's own time is added); `dropped`:
        records the tracer lost."""
        cpu0 = time.thread_time()
        self._cached = None  # (`_stale` stays: it may be handed out until the next rebuild is due)
        self._simulated = self._simulated or simulated
        self._dropped += dropped
        if len(self._trace) < self.keep_for_trace:
            self._trace.append(att)
        per_key: dict[tuple[str, str], tuple[int, int]] = {}
        for k, li in zip(att.kernels, att.kernel_layer, strict=True):
            layer = att.layers[li] if li >= 0 else UNATTRIBUTED
            key = (layer, k.name)
            n, s = per_key.get(key, (0, 0))
            per_key[key] = (n + 1, s + k.duration_ns)
            acc = self._keys.get(key)
            if acc is None:
                acc = self._keys[key] = _Acc()
            acc.recent.append(k.duration_ns)
        for key, (n, s) in per_key.items():
            acc = self._keys[key]
            acc.count += n
            acc.sum_ns += s
        layer_ms = {n: ms for n, ms in zip(att.layers, att.layer_ms, strict=True) if math.isfinite(ms)}
        for name, ms in layer_ms.items():
            self._order.setdefault(name, len(self._order))
            self._layer_sum[name] = self._layer_sum.get(name, 0.0) + ms
            self._layer_n[name] = self._layer_n.get(name, 0) + 1
        new_names = [k.name for k in att.kernels if k.name not in self._names]
        if new_names:
            self._names.update(demangle_all(new_names))
        self._last_method = att.method
        self._total += 1
        red = _Reduced(per_key, layer_ms, att.method, 0.0)
        self._win.append(red)
        if len(self._win) > self.window:
            self._evict(self._win.popleft())
        red.cost_s = cost_s + (time.thread_time() - cpu0)
        self._total_cost += red.cost_s

    def _evict(self, old: _Reduced) -> None:
        for key, (n, s) in old.per_key.items():
            acc = self._keys[key]
            acc.count -= n
            acc.sum_ns -= s
            if acc.count <= 0:
                del self._keys[key]
        for name, ms in old.layer_ms.items():
            self._layer_sum[name] -= ms
            self._layer_n[name] -= 1
            if self._layer_n[name] <= 0:
                del self._layer_sum[name], self._layer_n[name]

    def _labels(self, raw: str) -> tuple[str, str, str]:
        """(demangled, short, family) of a recorded kernel name, computed once per name."""
        got = self._label_cache.get(raw)
        if got is None:
            full = self._names.get(raw, raw)
            got = self._label_cache[raw] = (full, short_name(full), kernel_family(full))
        return got

    def snapshot(self) -> KernelSnapshot | None:
        """None before the first capture; the same object until something new arrives, and at
        most one rebuild per `REBUILD_FACTOR` x the last rebuild's cost (big engines: the kernel
        statistics then refresh less often than the layer table, keeping their CPU share bounded)."""
        if not self._total:
            return None
        if self._stale is not None and self._clock() < self._next_build:
            return self._stale
        if self._cached is not None:
            return self._cached
        cpu0 = time.thread_time()
        wall0 = self._clock()
        n_cap = len(self._win)
        layer_mean = {n: self._layer_sum[n] / self._layer_n[n] for n in self._layer_sum}
        rows_by_layer: dict[str, list[KernelRow]] = {}
        engine: dict[str, list[float]] = {}  # raw -> [launches, sum_ns, layers]
        engine_recent: dict[str, list[int]] = {}
        live = [(key, acc) for key, acc in self._keys.items() if acc.count > 0]
        recent = np.full((len(live), MEDIAN_SAMPLES), np.nan)
        for i, (_key, acc) in enumerate(live):
            recent[i, : len(acc.recent)] = acc.recent
        medians = np.nanmedian(recent, axis=1) / 1e6 if len(live) else recent[:, 0]
        for i, ((layer, raw), acc) in enumerate(live):
            full, short, family = self._labels(raw)
            mean_ms = acc.sum_ns / acc.count / 1e6
            per_inf = acc.count / n_cap
            total = acc.sum_ns / n_cap / 1e6
            lm = layer_mean.get(layer)
            share = 100.0 * total / lm if lm else 0.0
            rows_by_layer.setdefault(layer, []).append(
                KernelRow(
                    raw, full, short, family, layer or None, per_inf, mean_ms, float(medians[i]), total, share
                )
            )
            e = engine.setdefault(raw, [0.0, 0.0, 0.0])
            e[0] += acc.count
            e[1] += acc.sum_ns
            e[2] += 1
            engine_recent.setdefault(raw, []).extend(acc.recent)
        all_ns = sum(e[1] for e in engine.values())
        all_ms = all_ns / n_cap / 1e6
        layers: list[LayerKernels] = []
        for layer in sorted(rows_by_layer, key=lambda n: (n == UNATTRIBUTED, self._order.get(n, 0))):
            rows = sorted(rows_by_layer[layer], key=lambda r: (-r.total_ms, r.short))
            layers.append(
                LayerKernels(
                    layer,
                    tuple(rows),
                    layer_mean.get(layer) if layer != UNATTRIBUTED else None,
                    sum(r.total_ms for r in rows),
                    sum(r.per_inference for r in rows),
                )
            )
        top: list[KernelRow] = []
        for raw, (launches, sum_ns, nl) in engine.items():
            full, short, family = self._labels(raw)
            total = sum_ns / n_cap / 1e6
            top.append(
                KernelRow(
                    raw, full, short, family, None, launches / n_cap,
                    sum_ns / launches / 1e6, statistics.median(engine_recent[raw]) / 1e6, total,
                    100.0 * sum_ns / all_ns if all_ns else 0.0, int(nl),
                )
            )
        top.sort(key=lambda r: (-r.total_ms, r.short))
        fam: dict[str, list[float]] = {}
        for r in top:
            f = fam.setdefault(r.family, [0.0, 0.0])
            f[0] += 1
            f[1] += r.total_ms
        families = sorted(
            (FamilyRow(k, int(v[0]), v[1], 100.0 * v[1] / all_ms if all_ms else 0.0) for k, v in fam.items()),
            key=lambda f: (-f.total_ms, f.family),
        )
        methods = Counter(r.method for r in self._win)
        cost_now = time.thread_time() - cpu0
        self._total_cost += cost_now
        mean_cost = (sum(r.cost_s for r in self._win) + cost_now) / n_cap
        by_layer = {lk.layer: lk for lk in layers}
        done = self._clock()
        self._next_build = done + REBUILD_FACTOR * (done - wall0)
        self._cached = self._stale = KernelSnapshot(
            simulated=self._simulated,
            method=self._last_method,
            method_counts=tuple(sorted(methods.items())),
            captures=n_cap,
            total_captures=self._total,
            layers=tuple(layers),
            top=tuple(top),
            families=tuple(families),
            kernel_sum_ms=all_ms,
            cost_ms=1000.0 * mean_cost,
            total_cost_s=self._total_cost,
            dropped=self._dropped,
            _by_layer=MappingProxyType(by_layer),
        )
        return self._cached
