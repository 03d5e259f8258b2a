"""The pipeline runner: one thread that drains a source, feeds the aggregators and publishes one
combined, immutable `Update` per statistics tick.

The tick is fixed (`tick_s`): what the statistics are never depends on who reads them or how fast
(the screen's CPU budget merges or skips updates on its side). Control calls from other threads
(pause, reset, stop) go through a queue and an event, and take effect in the session thread.
The session owns no GPU object (an engine runs in its own thread or process); it only reads batches.
It implements `trtui.pipeline.update_feed.UpdateFeed` for the live screen.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.common.errors import UserError
from trtui.core.model import SourceBatch, StartupStep
from trtui.core.options import RunOptions
from trtui.core.reconfig import DoesNotFit, Reconfigured
from trtui.kernels.aggregate import KernelAggregator
from trtui.sources.protocol import ProfileSource, listen_to_startup
from trtui.stats.energy import EnergyTracker, point_from_sample
from trtui.stats.latency import LatencyAggregator
from trtui.stats.layers import LayerAggregator
from trtui.stats.snapshot import ProfileSnapshot, RunState, TrendPoint
from trtui.stats.spikes import is_spike
from trtui.stats.startup import StartupTracker
from trtui.stats.update import Update
from trtui.telemetry.history import SpikeEvents, TelemetryHistory
from trtui.telemetry.sample import TelemetrySample, TelemetrySource

TREND_POINTS = 240
TELEMETRY_HISTORY = 240
MAX_NOTICES = 50
MAX_EVENTS = 20
TRACE_INFERENCES = 100  # profiled inferences kept for --trace
PAUSED_TELEMETRY_FACTOR = 4.0  # sample telemetry this much less often while paused
TICK_S = 0.5  # the statistics tick: fixed for a run, whatever shows the updates
STARTING_PUBLISH_S = 0.2  # while the source starts, the running step's time is published this often



class _Reconfig:
    """A reconfiguration asked from another thread; the session thread fills in the answer."""

    def __init__(self, batch: int | None, streams: int | None) -> None:
        self.batch, self.streams = batch, streams
        self.result: Reconfigured | None = None
        self.error: Exception | None = None
        self.done = threading.Event()


class Session:
    """Runs one source through the aggregators and publishes an `Update` per statistics tick.

    Owns the source and the telemetry: `close()` stops the one and closes the other. Live: `start()`
    runs everything in a thread of its own and calls `on_update` from it (the `UpdateFeed` seam).
    Headless: `run_for()` runs in the caller's thread. Aggregators and snapshots are touched only by
    the thread that runs the loop; control calls (`set_paused`, `reset`, `reconfigure`, `stop`) are
    safe from any thread.
    """

    def __init__(
        self,
        source: ProfileSource,
        telemetry: TelemetrySource | None = None,
        options: RunOptions | None = None,
        on_update: Callable[[Update], None] | None = None,
        tick_s: float = TICK_S,
        telemetry_interval_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        on_step: Callable[[StartupStep], None] | None = None,
    ) -> None:
        self.source = source
        self.telemetry = telemetry
        self.options = options or RunOptions()
        self.on_update = on_update
        self.tick_s = tick_s
        self.telemetry_interval_s = telemetry_interval_s
        self._clock = clock
        self.layers = LayerAggregator(window=self.options.window, seed=self.options.seed)
        self.latency = LatencyAggregator(seed=self.options.seed)
        self._trend: deque[TrendPoint] = deque(maxlen=TREND_POINTS)
        self._tick_latencies: list[npt.NDArray[Any]] = []
        self._notices: deque[str] = deque(maxlen=MAX_NOTICES)
        self._tel_history = TelemetryHistory(TELEMETRY_HISTORY)
        self._tel_latest: TelemetrySample | None = None
        self._energy = EnergyTracker()
        self._spikes = SpikeEvents(MAX_EVENTS)
        self._profiled_gpu: deque[float] = deque(maxlen=256)
        self._state: RunState = "starting"
        self._error: str | None = None
        self._seq = 0
        self._t = 0.0
        self._t0: float | None = None
        self._stop = threading.Event()
        self._reset_requested = threading.Event()
        self._controls: queue.SimpleQueue[bool] = queue.SimpleQueue()  # pause requests
        self._reconfigs: queue.SimpleQueue[_Reconfig] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._started = False
        self._shown_data = False  # publish at once when the first data arrives
        # The source's start-up steps (an engine: CUDA context, deserialize, ...); `on_step` is told
        # of each one that ended (--verbose prints them).
        self.startup = StartupTracker(clock)
        self.on_step = on_step
        self._starting_published: float | None = None
        self._opened = 0.0  # when open() began (the source's start)
        self.last_update: Update | None = None
        self._settings = tuple(
            (k, str(v)) for k, v in dataclasses.asdict(self.options).items()
        ) + (("tick_s", str(tick_s)),)
        # --kernels: kernel statistics of the profiled inferences (and what --trace writes)
        self.kernels: KernelAggregator | None = None
        if self.options.kernels:
            self.kernels = KernelAggregator(keep_for_trace=TRACE_INFERENCES if self.options.trace_path else 0)

    # -- control (any thread) --------------------------------------------------------------------

    @property
    def can_control(self) -> bool:
        """Always True: a local run obeys pause, resume and reset."""
        return True

    def start(self, on_update: Callable[[Update], None] | None = None) -> None:
        """Start the session thread (the source starts inside it)."""
        if on_update is not None:
            self.on_update = on_update
        self._thread = threading.Thread(target=self._run, name="trtui-session", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end and wait up to `timeout` s for the thread (which then closes the source
        and telemetry). Idempotent. Before `start` it only marks the session stopped: nothing is
        closed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the source (takes effect in the session thread at its next step)."""
        self._controls.put(paused)

    @property
    def paused(self) -> bool:
        """True once the session thread has paused the source (not when a pause is only asked)."""
        return self._state == "paused"

    @property
    def can_reconfigure(self) -> bool:
        """True when the source can change its batch or number of contexts."""
        from trtui.sources.reconfigurable import can_reconfigure

        return can_reconfigure(self.source)

    def reconfigure(self, batch: int | None, streams: int | None, timeout: float = 600.0) -> Reconfigured:
        """Done in the session thread (which alone talks to the source), then statistics restart."""
        if not self.can_reconfigure:
            raise UserError("this source cannot change its batch or streams")
        request = _Reconfig(batch, streams)
        self._reconfigs.put(request)
        deadline = time.monotonic() + timeout
        while not request.done.wait(0.1):
            thread = self._thread
            if thread is not None and not thread.is_alive() and not request.done.is_set():
                raise UserError("the run has ended")
            if time.monotonic() > deadline:
                raise UserError("the reconfiguration did not finish")
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _apply_reconfigs(self) -> None:
        while True:
            try:
                request = self._reconfigs.get_nowait()
            except queue.Empty:
                return
            try:
                if self._state in ("finished", "error"):
                    raise UserError(f"the run has {self._state}")
                done = self.source.reconfigure(request.batch, request.streams)  # type: ignore[attr-defined]
                request.result = done
                self._reset_stats()
                batch = "-" if done.batch is None else str(done.batch)
                self._notices.append(
                    f"reconfigured: batch {batch}, {done.streams} stream(s); statistics restarted"
                )
            except (DoesNotFit, UserError) as err:
                request.error = err
            finally:
                request.done.set()

    def _apply_controls(self) -> None:
        self._apply_reconfigs()
        while True:
            try:
                paused = self._controls.get_nowait()
            except queue.Empty:
                return
            if self._state in ("finished", "error"):
                continue
            self.source.set_paused(paused)
            self._state = "paused" if paused else "running"

    def reset(self) -> None:
        """Forget all statistics (done in the session thread at its next step)."""
        self._reset_requested.set()

    # -- the loop --------------------------------------------------------------------------------

    def open(self) -> None:
        """Start the source (raises UserError on a bad source). A source that reports its start-up
        steps has them published while it starts (the screen says which step runs)."""
        self._measure_idle_baseline()
        self._opened = self._clock()
        listen_to_startup(self.source, self._on_startup)
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

    def _on_startup(self, steps: tuple[StartupStep, ...]) -> None:
        """From inside the source's `start()` (this thread): steps that began or ended, or a tick.
        Published once the start has taken STARTING_PUBLISH_S (a source that starts at once, the
        demo, shows its first numbers, not a start-up screen), then at once when a step changed,
        else every STARTING_PUBLISH_S (the running step's time on the screen)."""
        self._take_steps(steps)
        now = self._clock()
        last = self._starting_published
        if self.on_update is None or now - self._opened < STARTING_PUBLISH_S:
            return
        if steps or last is None or now - last >= STARTING_PUBLISH_S:
            self._starting_published = now
            self._publish()

    def _take_steps(self, steps: tuple[StartupStep, ...]) -> None:
        for step in self.startup.add(steps):
            if self.on_step is not None:
                self.on_step(step)

    def _fail(self, message: str) -> None:
        self._state = "error"
        self._error = message
        self.startup.finish()
        self._publish()

    def loop(self, until: float | None) -> None:
        """Read, aggregate and publish until stopped, the source finishes, or `until` (clock)."""
        next_tick = self._clock()
        next_tel = next_tick
        while not self._stop.is_set():
            now = self._clock()
            if until is not None and now >= until:
                break
            self._apply_controls()
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
                self.startup.finish()
                self._publish()
                break
            if now >= next_tick or (not self._shown_data and (batch.profiled or len(batch.latencies_ms))):
                self._shown_data = self._shown_data or bool(batch.profiled or len(batch.latencies_ms))
                self._publish()
                next_tick = max(next_tick + self.tick_s, now + self.tick_s / 4)

    def run_for(self, seconds: float) -> Update:
        """Headless: start the source, run the pipeline for `seconds` (a recording ends sooner), stop
        it, and return the last update. The caller handles interrupts (KeyboardInterrupt passes)."""
        try:
            self.open()
            self.loop(until=self._clock() + seconds)
            return self.build_update()
        finally:
            self.close()

    def close(self) -> None:
        """Stop the source, then close the telemetry (even when stopping the source raised)."""
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
        done = self.latency.count + self.layers.iterations
        self._energy.add(point_from_sample(sample, done, self.paused))

    def _measure_idle_baseline(self) -> None:
        seconds = self.options.idle_baseline_s
        if seconds > 0 and self.telemetry is not None:
            from trtui.pipeline.idle_baseline import apply_idle_baseline

            if (notice := apply_idle_baseline(self.telemetry, seconds, self._energy)) is not None:
                self._notices.append(notice)

    def _reset_stats(self) -> None:
        self.layers.reset()
        self.latency.reset()
        self._trend.clear()
        self._tick_latencies.clear()
        self._profiled_gpu.clear()
        self._energy.reset()
        if self.kernels is not None:
            self.kernels.reset()
        self._t0 = self._clock()

    def ingest(self, batch: SourceBatch) -> None:
        """Fold one batch into the statistics; publishes nothing. Called by the loop; a subclass may
        extend it to see every batch."""
        self._t = batch.t
        self.layers.add_many(batch.profiled)  # one tick's iterations, folded in as blocks
        for it in batch.profiled:
            if it.gpu_ms is not None:
                self._profiled_gpu.append(it.gpu_ms)
            if self.kernels is not None:
                self.kernels.add_iteration(it)
        if batch.summary is not None:
            self.layers.set_summary(batch.summary)
        if batch.profiled_gpu_ms is not None:  # a recording that carries it (trtui's exports)
            self._profiled_gpu.append(batch.profiled_gpu_ms)
        if batch.recorded_latency is not None:  # ditto: a run longer than its times file
            self.latency.set_recorded(batch.recorded_latency)
        self.latency.add(batch)
        if batch.startup:
            self._take_steps(batch.startup)
        if len(batch.latencies_ms):
            self._tick_latencies.append(np.asarray(batch.latencies_ms))
        self._notices.extend(batch.notices)

    # -- snapshots -------------------------------------------------------------------------------

    def _note_spike(self, t: float) -> None:
        """A p99 jump in the tick that ended at `t` (matched with telemetry in `build_update`)."""
        if self.telemetry is None:
            self._notices.append(f"p99 jump at {t - (self._t0 or t):.1f} s (no telemetry)")
            return
        self._spikes.note(t)

    def _publish(self) -> None:
        update = self.build_update()
        self.last_update = update
        if self.on_update is not None:
            self.on_update(update)

    def build_update(self) -> Update:
        """The current statistics and telemetry as one immutable `Update` (its `cost_s`: the CPU time
        this took). Ends the tick: the latencies since the last call become one trend point. Call it
        from the loop's thread, or after the loop ended."""
        cpu0 = time.thread_time()
        for event in self._spikes.resolve(self._tel_history, self._tel_latest):
            self._notices.append(event.describe(self._t0))
        profile = self.snapshot()
        cost = time.thread_time() - cpu0
        return Update(
            profile,
            self._tel_latest,
            self._tel_history.samples,
            cost,
            events=tuple(self._spikes.events),
            settings=self._settings,
            energy=self._energy.snapshot() if self._tel_latest is not None else None,
        )

    def snapshot(self) -> ProfileSnapshot:
        """The statistics as a `ProfileSnapshot`, ending the current tick (see `build_update`, which
        callers use)."""
        if self._tick_latencies:
            tick = np.concatenate(self._tick_latencies)
            self._tick_latencies.clear()
            p50, p99 = (float(v) for v in np.percentile(tick, (50, 99)))
            now = self._clock()
            self._trend.append(TrendPoint(now, p50, p99, self.latency.throughput_window()))
            if is_spike(self._trend):
                self._note_spike(now)
        layers_total = self.layers.total()
        lat_total = self.latency.total()
        if self.source.info.kind == "recording":
            # A replay is one finite file: every view of it (the screen's window included) is the
            # whole file, the same figures `trtui profile` and `trtui analyze` report.
            layers_window, lat_window = layers_total, lat_total
        else:
            layers_window = self.layers.window()
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
        if self.source.info.duration_s is not None:  # a replay: the recorded run's duration
            elapsed = self.source.info.duration_s
        return ProfileSnapshot(
            info=self.source.info,
            seq=self._seq,
            t=self._t,
            elapsed_s=elapsed,
            state=self._state,
            layers_window=layers_window,
            layers_total=layers_total,
            latency_window=lat_window,
            latency_total=lat_total,
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
            startup=self.startup.done,
            startup_running=self.startup.running(),
        )
