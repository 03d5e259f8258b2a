"""Benchmarks of the statistics pipeline (pure Python + numpy; no GPU, no terminal).

- layer-sample ingestion through `LayerAggregator.add`, against a bare Python callback that only
  appends `(name, ms)` to a list: the way TensorRT's IProfiler delivers layer times, one call per
  layer. A ratio above 1 means the aggregator takes samples faster than the bare callback alone.
- latency ingestion through `LatencyAggregator.add`, against a bare per-latency `list.append`.
- snapshot building, `window()` and `total()`, at 1k, 20k and 100k layers with full windows, against
  the 5 ms target at 20k (issue 12), and the memory the samples take.
- the session's cost per refresh tick (ingest one tick of the simulated engine + build the
  `Update`) at the demo size, 1k and 20k layers, and its share of one core at the default 0.5 s.

Timings are medians over repeats; CPU times (`time.thread_time`) where a cost is a CPU share.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from bench._timing import median_seconds
from trtui.core.model import ProfiledIteration, SourceBatch, frozen_array
from trtui.core.options import RunOptions
from trtui.pipeline.session import Session
from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry
from trtui.stats.latency import LatencyAggregator
from trtui.stats.layers import LayerAggregator

COMMAND = "python -m bench stats"
REFRESH_S = 0.5  # the UI's default refresh period
REPEATS = 5


def _median_time(fn: Callable[[], object]) -> float:
    return median_seconds(fn, REPEATS)


def _row(name: str, value: float, unit: str, note: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": float(value), "unit": unit, "command": COMMAND, "note": note, **extra}


def _iterate(n_layers: int, count: int, seed: int) -> Iterator[ProfiledIteration]:
    """Profiled iterations, one at a time (100,000 layers x 300 iterations would be 240 MB)."""
    rng = np.random.default_rng(seed)
    names = tuple(f"layer{i} conv+relu" for i in range(n_layers))
    base = rng.uniform(0.005, 0.2, n_layers)
    for _ in range(count):
        yield ProfiledIteration(names, frozen_array(base * rng.lognormal(0.0, 0.03, n_layers)))


def _iterations(n_layers: int, count: int, seed: int = 0) -> list[ProfiledIteration]:
    return list(_iterate(n_layers, count, seed))


# -- ingestion --------------------------------------------------------------------------------------


def layer_ingestion(n_layers: int, count: int) -> list[dict[str, Any]]:
    its = _iterations(n_layers, count)
    as_lists = [(it.names, it.times_ms.tolist()) for it in its]

    def aggregator() -> None:
        agg = LayerAggregator()
        for it in its:
            agg.add(it)

    def bare_callback() -> None:
        records: list[tuple[str, float]] = []

        def report_layer_time(name: str, ms: float) -> None:  # IProfiler.report_layer_time
            records.append((name, ms))

        for names, times in as_lists:
            records.clear()  # one iteration's reports at a time, as trtui's profiler holds them
            for name, ms in zip(names, times, strict=False):
                report_layer_time(name, ms)

    samples = n_layers * count
    rate = samples / _median_time(aggregator)
    base = samples / _median_time(bare_callback)
    base_name = f"bare append callback, {n_layers} layers"
    return [
        _row(
            base_name,
            base,
            "samples/s",
            "baseline: a Python IProfiler-style callback that only appends (name, ms) to a list, "
            "cleared before each iteration",
        ),
        _row(
            f"layer ingestion (LayerAggregator.add), {n_layers} layers",
            rate,
            "samples/s",
            f"{count} profiled iterations of {n_layers} layers into a fresh aggregator (window 256); "
            "ratio > 1: the aggregator keeps up with more than the bare callback can deliver",
            ratio=rate / base,
            baseline=base_name,
        ),
    ]


def latency_ingestion(batch: int = 1000, batches: int = 200) -> list[dict[str, Any]]:
    rng = np.random.default_rng(1)
    data = [
        SourceBatch(t=float(i), latencies_ms=frozen_array(rng.lognormal(0.0, 0.02, batch)), timing_wall_s=0.5)
        for i in range(batches)
    ]
    as_lists = [b.latencies_ms.tolist() for b in data]

    def aggregator() -> None:
        agg = LatencyAggregator()
        for b in data:
            agg.add(b)

    def bare_append() -> None:
        out: list[float] = []
        for values in as_lists:
            for v in values:
                out.append(v)  # noqa: PERF402 (the baseline is one call per latency)

    n = batch * batches
    rate = n / _median_time(aggregator)
    base = n / _median_time(bare_append)
    base_name = "bare per-latency append"
    return [
        _row(base_name, base, "latencies/s", "baseline: list.append of each latency, one at a time"),
        _row(
            "latency ingestion (LatencyAggregator.add)",
            rate,
            "latencies/s",
            f"{batches} batches of {batch} latencies (one UI tick of a fast engine each)",
            ratio=rate / base,
            baseline=base_name,
        ),
    ]


# -- snapshots --------------------------------------------------------------------------------------


TARGET_MS = 5.0  # issue 12: window() and total() at 20,000 layers within 5 ms each
TARGET_LAYERS = 20_000


def snapshot_building(n_layers: int) -> list[dict[str, Any]]:
    agg = LayerAggregator()
    rows = max(agg._rows_for(256, n_layers), 1)
    for it in _iterate(n_layers, rows + 50, seed=2):  # more than the window and the reservoir hold
        agg.add(it)

    # window()/total() return the previous table while no iteration arrived, and total() keeps
    # the reservoir's percentiles while the reservoir is unchanged: drop both caches so that each
    # call measures building a table from its samples (a tick where the reservoir changed).
    def rebuild_window() -> None:
        agg._cache.clear()
        agg._recent_rows = None  # the sparkline rows, shared by both tables of an iteration
        agg.window()

    def rebuild_total() -> None:
        agg._cache.clear()
        agg._reservoir_stats = None
        agg.total()

    w = _median_time(rebuild_window)
    t = _median_time(rebuild_total)
    held = agg.window_capacity
    mib = agg.sample_bytes / 2**20
    target = f"issue 12's target: <= {TARGET_MS:g} ms each at {TARGET_LAYERS} layers"

    def name(call: str, seconds: float) -> str:
        verdict = "met" if seconds * 1000 <= TARGET_MS else "NOT met"
        return f"snapshot {call} at {n_layers} layers (<= {TARGET_MS:g} ms: {verdict})"

    return [
        _row(
            name("window()", w),
            w * 1000,
            "ms",
            f"rolling-window table of {n_layers} layers x {held} iterations (count..p99, share); {target}",
            target_ms=TARGET_MS,
        ),
        _row(
            name("total()", t),
            t * 1000,
            "ms",
            f"since-start table of {n_layers} layers (exact moments + percentiles of a "
            f"{agg.reservoir_capacity}-iteration reservoir, rebuilt); {target}",
            target_ms=TARGET_MS,
        ),
        _row(
            f"layer sample memory at {n_layers} layers",
            mib,
            "MiB",
            f"window ({held} iterations) + reservoir ({agg.reservoir_capacity}) + sort buffer "
            "+ sparkline rows, float32; rule: trtui/stats/sample_ring.py",
        ),
    ]


def session_tick(n_layers: int | None, ticks: int = 24) -> list[dict[str, Any]]:
    source = SimulatedSource(RunOptions(layers=n_layers, seed=3))
    session = Session(source, SimulatedTelemetry(source), source.options, tick_s=REFRESH_S)
    session.open()
    # Warm up until the window and the reservoir are full (the most expensive steady state).
    while session.layers.iterations < 300:
        session.ingest(source.simulate(REFRESH_S))
    session.build_update()
    batches = [source.simulate(REFRESH_S) for _ in range(ticks)]  # the source's own cost excluded
    costs = []
    for b in batches:
        t0 = time.thread_time()
        session.ingest(b)
        session.build_update()
        costs.append(time.thread_time() - t0)
    session.close()
    cost = statistics.fmean(costs)  # the mean: ticks with a new profiled iteration cost more
    label = f"{n_layers} layers" if n_layers else f"demo size ({len(source.layers)} layers)"
    return [
        _row(
            f"session tick, {label}",
            cost * 1000,
            "ms CPU",
            "ingest one 0.5 s tick of the simulated engine + build the immutable Update (CPU time)",
        ),
        _row(
            f"session CPU share, {label}",
            100 * cost / REFRESH_S,
            "% of a core",
            "session tick cost / 0.5 s refresh period; the UI's drawing comes on top (targets for "
            "trtui's whole process, bench ui: <= 5% of a core at 1,000 layers, <= 10% at 20,000)",
        ),
    ]


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    rows += layer_ingestion(59, 2_000)
    rows += layer_ingestion(1_000, 200)
    rows += layer_ingestion(20_000, 40)
    rows += latency_ingestion()
    rows += snapshot_building(1_000)
    rows += snapshot_building(20_000)
    rows += snapshot_building(100_000)
    rows += session_tick(None)
    rows += session_tick(1_000)
    rows += session_tick(20_000)
    return rows
