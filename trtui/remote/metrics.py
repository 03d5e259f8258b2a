"""Prometheus metrics of a served run, through `prometheus-client`.

`LatencyTap` wraps the run's source and counts every unprofiled latency into a cumulative
histogram (the only metric not in an `Update`: updates carry a rolling window, a histogram needs
every inference). `RunCollector` renders the newest `Update` at scrape time. Every series carries
`simulated="true"` or `"false"`, so a simulated run is never mistaken for a measured one.

Names (base units, as Prometheus prefers):
  trtui_info{engine,label,kind,trt_version,device,precision,mode,simulated} 1
  trtui_inference_latency_seconds (histogram, since the server started; unprofiled inferences)
  trtui_latency_p50_seconds, trtui_latency_p99_seconds, trtui_latency_mean_seconds (the window)
  trtui_throughput_inferences_per_second, trtui_inferences_total, trtui_profiled_inferences_total
  trtui_profiler_tax_ratio, trtui_layer_sum_seconds
  trtui_layer_mean_seconds{layer,rank}, trtui_layer_share_ratio{layer,rank} (top N by share)
  trtui_gpu_memory_used_bytes, trtui_gpu_memory_total_bytes, trtui_gpu_utilization_ratio,
  trtui_gpu_sm_clock_hertz, trtui_gpu_memory_clock_hertz, trtui_gpu_power_watts,
  trtui_gpu_power_limit_watts, trtui_gpu_temperature_celsius, trtui_gpu_throttled,
  trtui_gpu_throttle_reason{reason}, trtui_energy_per_inference_joules
  trtui_run_state{state}, trtui_run_elapsed_seconds
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from trtui.common import format as fmt
from trtui.core.model import SourceBatch, SourceInfo
from trtui.sources.protocol import ProfileSource
from trtui.stats.update import Update

# Bucket upper bounds in seconds: 50 us .. 2 s, dense where inference times are (0.5-50 ms).
LATENCY_BUCKETS_S = (
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02,
    0.0333, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.0,
)  # fmt: skip
DEFAULT_TOP_LAYERS = 20
MAX_LABEL = 200  # characters of a layer name in a label


def _label(text: str) -> str:
    """A label value from an untrusted name: control characters escaped, cut to MAX_LABEL."""
    return fmt.safe(text)[:MAX_LABEL]
STATES = ("starting", "running", "paused", "finished", "error")


class LatencyTap:
    """A `ProfileSource` that passes everything through and histograms the unprofiled latencies."""

    def __init__(self, source: ProfileSource) -> None:
        self.source = source
        self._edges_ms = np.array(LATENCY_BUCKETS_S) * 1000.0
        self._counts = np.zeros(len(LATENCY_BUCKETS_S) + 1, dtype=np.int64)  # last: above all
        self._sum_s = 0.0
        self._lock = threading.Lock()

    @property
    def info(self) -> SourceInfo:
        """The wrapped source's info."""
        return self.source.info

    def start(self) -> None:
        """Start the wrapped source."""
        self.source.start()

    def read(self, timeout: float) -> SourceBatch:
        """The wrapped source's batch, unchanged; its finite latencies are counted into the
        histogram first."""
        batch = self.source.read(timeout)
        lat = np.asarray(batch.latencies_ms, dtype=np.float64)
        if len(lat):
            lat = lat[np.isfinite(lat)]
            bins = np.searchsorted(self._edges_ms, lat, side="left")  # le: value <= edge
            counts = np.bincount(bins, minlength=len(self._counts))
            with self._lock:
                self._counts += counts
                self._sum_s += float(lat.sum()) / 1000.0
        return batch

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the wrapped source."""
        self.source.set_paused(paused)

    def stop(self) -> None:
        """Stop the wrapped source; the histogram keeps its counts."""
        self.source.stop()

    def histogram(self) -> tuple[list[tuple[str, float]], float]:
        """Cumulative (le, count) buckets ending with +Inf, and the sum of seconds."""
        with self._lock:
            cumulative = np.cumsum(self._counts)
            total = self._sum_s
        buckets = [(_le(b), float(n)) for b, n in zip(LATENCY_BUCKETS_S, cumulative[:-1], strict=True)]
        buckets.append(("+Inf", float(cumulative[-1])))
        return buckets, total


def _le(bound: float) -> str:
    return repr(float(bound))


def _s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000.0


class RunCollector(Collector):
    """Yields the metrics of the newest update (`latest()`), plus the tap's histogram."""

    def __init__(
        self, latest: Any, tap: LatencyTap | None, top_layers: int | None = DEFAULT_TOP_LAYERS
    ) -> None:
        self.latest = latest  # () -> Update | None
        self.tap = tap
        self.top_layers = top_layers  # None: every layer

    def collect(self) -> Iterator[Metric]:
        """The metrics of the newest update at scrape time; nothing before the first update.
        Unknown (None or non-finite) values are left out, not exported as 0."""
        update: Update | None = self.latest()
        if update is None:
            return
        p = update.profile
        info = p.info
        sim = "true" if info.simulated else "false"
        base = ["simulated"]

        def gauge(name: str, doc: str, value: float | None) -> Iterator[Metric]:
            if value is not None and np.isfinite(value):
                g = GaugeMetricFamily(name, doc, labels=base)
                g.add_metric([sim], float(value))
                yield g

        yield self._info(info, update, sim)
        if self.tap is not None:
            buckets, total = self.tap.histogram()
            h = HistogramMetricFamily(
                "trtui_inference_latency_seconds",
                "latency of unprofiled inferences since the server started (simulated=true: not measured)",
                labels=base,
            )
            h.add_metric([sim], buckets, total)
            yield h
        lat = p.latency_window
        yield from gauge("trtui_latency_p50_seconds", "median latency over the window", _s(lat.median))
        yield from gauge("trtui_latency_p99_seconds", "p99 latency over the window", _s(lat.p99))
        yield from gauge("trtui_latency_mean_seconds", "mean latency over the window", _s(lat.mean))
        tp = p.latency_total.throughput_per_s
        yield from gauge("trtui_throughput_inferences_per_second", "inferences per second", tp)
        for name, doc, value in (
            ("trtui_inferences", "unprofiled inferences since start or reset", p.latency_total.count),
            (
                "trtui_profiled_inferences",
                "profiled inferences since start or reset",
                p.layers_total.iterations,
            ),
        ):
            cm = CounterMetricFamily(name, doc, labels=base)
            cm.add_metric([sim], float(value))
            yield cm
        tax = None if p.profiler_tax_pct is None else p.profiler_tax_pct / 100.0
        yield from gauge("trtui_profiler_tax_ratio", "profiled / unprofiled time - 1", tax)
        yield from gauge(
            "trtui_layer_sum_seconds", "sum of layer mean times per iteration", _s(p.layer_sum_ms)
        )
        yield from self._layers(update, sim)
        yield from self._gpu(update, sim, gauge)
        state = GaugeMetricFamily("trtui_run_state", "1 for the run's current state", labels=[*base, "state"])
        for s in STATES:
            state.add_metric([sim, s], 1.0 if p.state == s else 0.0)
        yield state
        yield from gauge("trtui_run_elapsed_seconds", "seconds since the run started", p.elapsed_s)

    def _info(self, info: SourceInfo, update: Update, sim: str) -> Metric:
        device = info.device or (update.telemetry.device_name if update.telemetry else None)
        m = InfoMetricFamily(
            "trtui", "the run: engine, TensorRT, device, precision (simulated: not measured)"
        )
        m.add_metric(
            [],
            {
                "engine": info.path or info.label,
                "label": info.label,
                "kind": info.kind,
                "trt_version": info.trt_version or "",
                "device": device or "",
                "precision": info.precision or "",
                "mode": info.mode or "",
                "simulated": sim,
            },
        )
        return m

    def _layers(self, update: Update, sim: str) -> Iterator[Metric]:
        p = update.profile
        table = p.layers_window if p.layers_window.iterations else p.layers_total
        if not len(table):
            return
        share = np.nan_to_num(np.asarray(table.share_pct), nan=-1.0)
        order = np.argsort(-share, kind="stable")
        if self.top_layers is not None:
            order = order[: self.top_layers]
        labels = ["simulated", "layer", "rank"]
        mean = GaugeMetricFamily(
            "trtui_layer_mean_seconds", "a layer's mean time (top layers by share)", labels=labels
        )
        part = GaugeMetricFamily(
            "trtui_layer_share_ratio", "a layer's share of the layer time", labels=labels
        )
        for rank, i in enumerate(order, 1):
            key = [sim, _label(table.names[i]), str(rank)]
            m, s = float(table.mean_ms[i]), float(table.share_pct[i])
            if np.isfinite(m):
                mean.add_metric(key, m / 1000.0)
            if np.isfinite(s):
                part.add_metric(key, s / 100.0)
        yield mean
        yield part

    def _gpu(self, update: Update, sim: str, gauge: Any) -> Iterator[Metric]:
        s = update.telemetry
        if s is None:
            return
        mib = 1024.0 * 1024.0
        mhz = 1e6
        yield from gauge("trtui_gpu_memory_used_bytes", "GPU memory in use", _scale(s.mem_used_mib, mib))
        yield from gauge("trtui_gpu_memory_total_bytes", "GPU memory", _scale(s.mem_total_mib, mib))
        yield from gauge("trtui_gpu_utilization_ratio", "GPU busy share", _scale(s.gpu_util_pct, 0.01))
        yield from gauge("trtui_gpu_sm_clock_hertz", "SM clock", _scale(s.sm_clock_mhz, mhz))
        yield from gauge("trtui_gpu_memory_clock_hertz", "memory clock", _scale(s.mem_clock_mhz, mhz))
        yield from gauge("trtui_gpu_power_watts", "board power", s.power_w)
        yield from gauge("trtui_gpu_power_limit_watts", "power limit", s.power_limit_w)
        yield from gauge("trtui_gpu_temperature_celsius", "GPU temperature", s.temperature_c)
        if s.throttle_reasons is not None:
            yield from gauge(
                "trtui_gpu_throttled",
                "1 when a clock-lowering reason is active",
                float(bool(s.throttle_reasons)),
            )
            reasons = GaugeMetricFamily(
                "trtui_gpu_throttle_reason", "active throttle reasons", labels=["simulated", "reason"]
            )
            for reason in s.throttle_reasons[:32]:
                reasons.add_metric([sim, _label(reason)], 1.0)
            yield reasons
        window = update.energy.window if update.energy is not None else ()
        figures = [f for f in window if f.j_per_inference]
        if figures:  # the pipeline's energy over its window (NVML counter or Jetson rails), per scope
            energy = GaugeMetricFamily(
                "trtui_energy_per_inference_joules",
                "energy per inference over the energy window, per scope (gpu, module) and rail",
                labels=["simulated", "scope", "rail"],
            )
            for f in figures:
                energy.add_metric([sim, _label(f.scope), _label(f.rail)], float(f.j_per_inference or 0.0))
            yield energy
        else:
            p = update.profile
            tp = p.latency_window.throughput_per_s or p.latency_total.throughput_per_s
            if s.power_w is not None and tp:
                yield from gauge(
                    "trtui_energy_per_inference_joules", "board power / throughput", s.power_w / tp
                )


def _scale(x: float | None, factor: float) -> float | None:
    return None if x is None else x * factor


def registry_for(collector: RunCollector) -> CollectorRegistry:
    """A registry holding only `collector` (no process or platform metrics), for /metrics."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
