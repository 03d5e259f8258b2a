"""A profiling session: one thread that drains a source, feeds the aggregators and publishes one
combined, immutable `Update` per refresh tick.

The session owns no GPU object (the GPU source has its own worker thread); it only reads batches,
so the UI thread never blocks on the GPU: it receives at most one `Update` per tick.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.errors import UserError
from trtui.kernels.aggregate import KernelAggregator
from trtui.model import SourceBatch
from trtui.options import RunOptions
from trtui.sources.protocol import ProfileSource
from trtui.stats.latency import LatencyAggregator
from trtui.stats.layers import LayerAggregator
from trtui.stats.snapshot import ProfileSnapshot, RunState, TrendPoint
from trtui.stats.spikes import is_spike
from trtui.telemetry.history import TelemetryEvent, TelemetryHistory, TelemetrySnapshot
from trtui.telemetry.sample import TelemetrySample, TelemetrySource

TREND_POINTS = 240
TELEMETRY_HISTORY = 240
MAX_NOTICES = 50
MAX_EVENTS = 20
TRACE_INFERENCES = 100  # profiled inferences kept for --trace
PAUSED_TELEMETRY_FACTOR = 4.0  # sample telemetry this much less often while paused


@dataclass(frozen=True, slots=True)
class Update:
    """Everything the UI shows, as of one tick."""

    profile: ProfileSnapshot
    telemetry: TelemetrySample | None
    telemetry_history: tuple[TelemetrySample, ...]
    cost_s: float  # CPU seconds the session thread spent building this update (own cost)
    telemetry_view: TelemetrySnapshot | None = None  # aligned series for sparklines
    # Latency spikes (p99 jumps) and what clocks/temperature/throttling did then; times are the
    # session clock (time.monotonic), the same as the telemetry samples' `t`.
    events: tuple[TelemetryEvent, ...] = ()


class Session:
    def __init__(
        self,
        source: ProfileSource,
        telemetry: TelemetrySource | None = None,
        options: RunOptions | None = None,
        on_update: Callable[[Update], None] | None = None,
        refresh_s: float = 0.5,
        telemetry_interval_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.telemetry = telemetry
        self.options = options or RunOptions()
        self.on_update = on_update
        self.refresh_s = refresh_s
        self.telemetry_interval_s = telemetry_interval_s
        self._clock = clock
        self.layers = LayerAggregator(window=self.options.window, seed=self.options.seed)
        self.latency = LatencyAggregator(seed=self.options.seed)
        self._trend: deque[TrendPoint] = deque(maxlen=TREND_POINTS)
        self._tick_latencies: list[npt.NDArray[Any]] = []
        self._notices: deque[str] = deque(maxlen=MAX_NOTICES)
        self._tel_history = TelemetryHistory(TELEMETRY_HISTORY)
        self._tel_latest: TelemetrySample | None = None
        self._events: deque[TelemetryEvent] = deque(maxlen=MAX_EVENTS)
        self._pending_spikes: deque[float] = deque(maxlen=MAX_EVENTS)
        self._profiled_gpu: deque[float] = deque(maxlen=256)
        self._state: RunState = "starting"
        self._error: str | None = None
        self._seq = 0
        self._t = 0.0
        self._t0: float | None = None
        self._stop = threading.Event()
        self._reset_requested = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False
        self._shown_data = False  # publish at once when the first data arrives
        self.last_update: Update | None = None
        # --kernels: kernel statistics of the profiled inferences (and what --trace writes)
        self.kernels: KernelAggregator | None = None
        if self.options.kernels:
            self.kernels = KernelAggregator(keep_for_trace=TRACE_INFERENCES if self.options.trace_path else 0)

    # -- control (any thread) --------------------------------------------------------------------

    def start(self) -> None:
        """Start the session thread (the source starts inside it)."""
        self._thread = threading.Thread(target=self._run, name="trtui-session", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def set_paused(self, paused: bool) -> None:
        if self._state in ("finished", "error"):
            return
        self.source.set_paused(paused)
        self._state = "paused" if paused else "running"

    @property
    def paused(self) -> bool:
        return self._state == "paused"

    def reset(self) -> None:
        """Forget all statistics (done in the session thread at its next step)."""
        self._reset_requested.set()

    # -- the loop --------------------------------------------------------------------------------

    def open(self) -> None:
        """Start the source (raises UserError on a bad source)."""
        self.source.start()
        self._started = True
        self._t0 = self._clock()
        if self._state == "starting":
            self._state = "running"

    def _run(self) -> None:
        try:
            try:
                self.open()
            except UserError as err:
                self._fail(str(err))
                return
            self.loop(until=None)
        except Exception as err:  # a bug or an unexpected driver error: show it, never crash the UI
            self._fail(f"{type(err).__name__}: {err}")
        finally:
            self.close()

    def _fail(self, message: str) -> None:
        self._state = "error"
        self._error = message
        self._publish()

    def loop(self, until: float | None) -> None:
        """Read, aggregate and publish until stopped, the source finishes, or `until` (clock)."""
        next_tick = self._clock()
        next_tel = next_tick
        while not self._stop.is_set():
            now = self._clock()
            if until is not None and now >= until:
                break
            if self._reset_requested.is_set():
                self._reset_requested.clear()
                self._reset_stats()
            wait = max(0.0, min(next_tick, next_tel) - now)
            if until is not None:
                wait = min(wait, max(0.0, until - now))
            batch = self.source.read(min(wait, 0.1))
            self.ingest(batch)
            now = self._clock()
            if self.telemetry is not None and now >= next_tel:
                self._sample_telemetry()
                factor = PAUSED_TELEMETRY_FACTOR if self.paused else 1.0
                next_tel = now + self.telemetry_interval_s * factor
            if batch.finished or batch.error:
                if batch.error:
                    self._state, self._error = "error", batch.error
                else:
                    self._state = "finished"
                self._publish()
                break
            if now >= next_tick or (not self._shown_data and (batch.profiled or len(batch.latencies_ms))):
                self._shown_data = self._shown_data or bool(batch.profiled or len(batch.latencies_ms))
                self._publish()
                next_tick = max(next_tick + self.refresh_s, now + self.refresh_s / 4)

    def close(self) -> None:
        try:
            self.source.stop()
        finally:
            if self.telemetry is not None:
                self.telemetry.close()

    def _sample_telemetry(self) -> None:
        assert self.telemetry is not None
        sample = self.telemetry.sample()
        if self._tel_latest is not None and sample.t < self._tel_latest.t:
            return  # a clock that went backwards: drop the sample rather than the history
        self._tel_latest = sample
        self._tel_history.push(sample)

    def _reset_stats(self) -> None:
        self.layers.reset()
        self.latency.reset()
        self._trend.clear()
        self._tick_latencies.clear()
        self._profiled_gpu.clear()
        if self.kernels is not None:
            self.kernels.reset()
        self._t0 = self._clock()

    def ingest(self, batch: SourceBatch) -> None:
        self._t = batch.t
        for it in batch.profiled:
            self.layers.add(it)
            if it.gpu_ms is not None:
                self._profiled_gpu.append(it.gpu_ms)
            if self.kernels is not None:
                self.kernels.add_iteration(it)
        if batch.summary is not None:
            self.layers.set_summary(batch.summary)
        self.latency.add(batch)
        if len(batch.latencies_ms):
            self._tick_latencies.append(np.asarray(batch.latencies_ms))
        self._notices.extend(batch.notices)

    # -- snapshots -------------------------------------------------------------------------------

    def _note_spike(self, t: float) -> None:
        """A p99 jump in the tick that ended at `t`: what the GPU was doing then is looked up once
        a telemetry sample taken at or after `t` exists (see `_resolve_spikes`)."""
        if self.telemetry is None:
            self._notices.append(f"p99 jump at {t - (self._t0 or t):.1f} s (no telemetry)")
            return
        self._pending_spikes.append(t)

    def _resolve_spikes(self) -> None:
        latest = self._tel_latest
        while self._pending_spikes and latest is not None and latest.t >= self._pending_spikes[0]:
            t = self._pending_spikes.popleft()
            (event,) = self._tel_history.correlate((t,))
            self._events.append(event)
            self._notices.append(event.describe(self._t0))

    def _publish(self) -> None:
        update = self.build_update()
        self.last_update = update
        if self.on_update is not None:
            self.on_update(update)

    def build_update(self) -> Update:
        cpu0 = time.thread_time()
        self._resolve_spikes()
        profile = self.snapshot()
        view = self._tel_history.snapshot() if self._tel_latest is not None else None
        cost = time.thread_time() - cpu0
        return Update(
            profile,
            self._tel_latest,
            self._tel_history.samples,
            cost,
            telemetry_view=view,
            events=tuple(self._events),
        )

    def snapshot(self) -> ProfileSnapshot:
        if self._tick_latencies:
            tick = np.concatenate(self._tick_latencies)
            self._tick_latencies.clear()
            p50, p99 = (float(v) for v in np.percentile(tick, (50, 99)))
            now = self._clock()
            self._trend.append(TrendPoint(now, p50, p99, self.latency.throughput_window()))
            if is_spike(self._trend):
                self._note_spike(now)
        layers_window = self.layers.window()
        layers_total = self.layers.total()
        lat_window = self.latency.window()
        layer_sum = layers_window.sum_mean_ms if len(layers_window) and layers_window.iterations else None
        prof_gpu = float(np.mean(self._profiled_gpu)) if self._profiled_gpu else None
        tax_ms = tax_pct = None
        profiled_cost = prof_gpu if prof_gpu is not None else layer_sum
        if profiled_cost is not None and lat_window.mean:
            tax_ms = profiled_cost - lat_window.mean
            tax_pct = 100.0 * tax_ms / lat_window.mean
        self._seq += 1
        elapsed = self._clock() - self._t0 if self._t0 is not None else 0.0
        return ProfileSnapshot(
            info=self.source.info,
            seq=self._seq,
            t=self._t,
            elapsed_s=elapsed,
            state=self._state,
            layers_window=layers_window,
            layers_total=layers_total,
            latency_window=lat_window,
            latency_total=self.latency.total(),
            per_stream=self.latency.per_stream(),
            recent_latencies_ms=self.latency.recent(),
            trend=tuple(self._trend),
            layer_sum_ms=layer_sum,
            profiled_gpu_ms=prof_gpu,
            profiler_tax_ms=tax_ms,
            profiler_tax_pct=tax_pct,
            notices=tuple(self._notices),
            error=self._error,
            kernels=self.kernels.snapshot() if self.kernels is not None else None,
        )
