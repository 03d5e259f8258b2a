"""The inference loop: keeps the GPU busy and measures it, independent of TensorRT.

It drives, per stream ("lane"), a callable that enqueues one inference on a raw stream handle and
returns False on failure (`execute_async_v3`, or a synthetic workload in the tests). Per lane:

- CUDA events recorded around every launch; up to `depth` launches in flight (enqueue-ahead); the
  loop waits on the oldest end event (pycuda's `Event.synchronize` releases the GIL), never per
  layer. After the warm-up the depth is sized in time: enough launches to cover `queue_ms` of GPU
  work (`loop_graphs.launch_plan`).
- CUDA graphs (optional, `loop_graphs`): the work runs once, then is captured through cuda-python and
  replayed with one launch; if capture fails the loop says so in a notice and runs the plain enqueue.
  For short inferences, one launch runs a graph of several inferences with timing events between
  them: each inference's latency is still a GPU-event measurement, read in a batch once the graph
  completed. `reconfigure()` (e.g. new input shapes) drains, runs the change, and captures again.
- Profiling (`loop_profiling.ProfileScheduler`): one inference in `profile_every` runs alone with a
  profiler attached; its GPU time is taken off the timing wall time; latency never comes from it.

Everything CUDA happens on the thread that calls `run()` (the GPU worker).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trtui.core.model import ProfiledIteration, SourceBatch, frozen_array
from trtui.core.startup_steps import StepTimer
from trtui.gpu.runtime.loop_graphs import LoopGraphs, launch_plan
from trtui.gpu.runtime.loop_profiling import ProfileScheduler
from trtui.gpu.runtime.loop_types import (
    MAX_DEPTH,
    GraphBackend,
    Lane,
    Launch,
    LoopConfig,
    LoopError,
    LoopStats,
    ProfiledWork,
)
from trtui.kernels.tracer import KernelTracer


class InferenceLoop:
    """Keeps one or more streams busy with inferences and reports their times (see the module docstring).

    Owns its events, graphs and the profiled inference's graph; `close()` frees them. Every method runs
    on the GPU worker thread, except `reconfigure`, which any thread may call. Results go out through
    `emit` as `SourceBatch` pieces, at least every `flush_s` while there is something to say.
    """

    def __init__(
        self,
        driver: Any,
        lanes: Sequence[Lane],
        config: LoopConfig,
        emit: Callable[[SourceBatch], None],
        *,
        graphs: GraphBackend | None = None,
        profiled: ProfiledWork | None = None,
        clock: Callable[[], float] = time.monotonic,
        kernel_tracer: KernelTracer | None = None,
        steps: StepTimer | None = None,
    ) -> None:
        if not lanes:
            raise ValueError("the loop needs at least one lane")
        self._driver = driver
        self.lanes = list(lanes)
        self.config = config
        self._emit = emit
        self._clock = clock
        self.stats = LoopStats()
        self.depth = max(1, config.depth)  # launches in flight per stream
        self._graphs = LoopGraphs(graphs if config.use_graphs else None, self.stats, self.notice, self._drain)
        # pending output
        self._lat: list[float] = []
        self._lat_lane: list[int] = []
        self._profiled_out: list[ProfiledIteration] = []
        self._notices: list[str] = []
        self._timing_wall = 0.0
        self._last_flush = clock()
        # segment state
        self._seg_t0: float | None = None  # start of the not yet accounted part of the segment
        self._warm_lat: list[float] = []
        self._reporting = False
        self._failures = 0
        self._reconfig: list[Callable[[], None]] = []
        self._reconfig_lock = threading.Lock()
        self._prepared = False
        self._warm_until = 0.0
        # start-up steps timed here (once, not after a reconfiguration): the warm-up, then the wait
        # for the first profiled inference's layer times
        self._steps = steps
        self._profiling = profiled is not None and config.profile_every > 0
        blocking = getattr(getattr(driver, "event_flags", None), "BLOCKING_SYNC", 0)
        self._event_flags = int(blocking)
        for lane in self.lanes:
            lane.events = self._new_events()
        pevents = [driver.Event(self._event_flags) for _ in range(2)]
        self._profile = ProfileScheduler(
            profiled, pevents, config, self.stats, self.notice, clock, kernel_tracer, graphs=graphs
        )

    @property
    def graphs_on(self) -> bool:
        """Whether timed inferences run as CUDA graphs now."""
        return self._graphs.on

    @property
    def profiled_graph(self) -> bool:
        """Whether profiled inferences replay a CUDA graph."""
        return self._profile.graphed

    @property
    def profiled_graph_note(self) -> str | None:
        """Why profiled inferences are not a graph while timed ones are; None otherwise."""
        if self._profile.graphed or not self._graphs.on:
            return None
        if self._profile.graph_note is not None:
            return self._profile.graph_note
        return "kernels are traced by NVTX ranges" if self._profile.traced else None

    @property
    def graph_note(self) -> str | None:
        """Why CUDA graphs are off, when they are."""
        return self._graphs.note

    # ---------------------------------------------------------------- public

    def notice(self, text: str) -> None:
        """Queue a one-line notice for the user; it goes out with the next batch. Loop thread only."""
        self._notices.append(text)

    def reconfigure(self, change: Callable[[], None]) -> None:
        """Run `change` on the loop thread once all lanes are drained, then capture graphs again
        (thread-safe; e.g. new input shapes)."""
        with self._reconfig_lock:
            self._reconfig.append(change)

    def set_lanes(self, lanes: Sequence[Lane]) -> None:
        """Replace the lanes (inside a `reconfigure` change, on the loop thread, after the old
        lanes were drained): new streams and their work, e.g. another number of contexts."""
        if not lanes:
            raise ValueError("the loop needs at least one lane")
        for lane in lanes:
            if not lane.events:
                lane.events = self._new_events()
        self.lanes = list(lanes)

    def prepare(self) -> None:
        """First runs (outside any measurement) and graph capture. Raises LoopError."""
        for lane in self.lanes:
            self._first_run(lane)
        self._profile.first_run(self._call, self.lanes[0].stream, self.lanes[0].handle)
        self._graphs.capture(self.lanes, self.config.use_graphs)
        self._prepared = True

    def run(self, stop: threading.Event, paused: threading.Event) -> None:
        """Loop until `stop` is set. Raises LoopError if inference cannot go on."""
        if not self._prepared:
            self.prepare()
        self._warm_until = self._clock() + self.config.warmup_s
        self._reporting = self.config.warmup_s <= 0
        steps, self._steps = self._steps, None  # the warm-up's timer, until the warm-up ends
        if steps is not None and self._reporting:  # no warm-up
            if self._profiling:
                steps.begin("first profiled batch")
                self._steps = steps
            steps = None
        elif steps is not None:
            steps.begin("warm-up")
        while not stop.is_set():
            if not self._reporting and self._clock() >= self._warm_until:
                self._end_segment()
                self._plan_launches()
                self._reporting = True
                if steps is not None:
                    steps.end()
                    if self._profiling:
                        steps.begin("first profiled batch")
                        self._steps = steps  # ended by the flush that sends the first one
                    steps = None
            if self._reconfig:  # also while paused (the change is applied, then the pause goes on)
                self._apply_reconfig()
                continue
            if paused.is_set():
                self._end_segment()
                self._flush(force=True)
                while paused.is_set() and not stop.is_set() and not self._reconfig:
                    stop.wait(0.05)
                continue
            self._take_profiled(wait=False)
            if self._reporting and self._profile.due():
                self._profile.launch(self.lanes, self._call)
            for lane in self.lanes:
                self._step(lane)
            self._flush()
        self._end_segment()
        self._flush(force=True)

    def close(self) -> None:
        """Drain, destroy graphs, drop events and work (call on the loop thread before freeing
        what the work uses). Safe to call more than once."""
        for lane in self.lanes:
            with contextlib.suppress(Exception):
                lane.stream.synchronize()
            lane.inflight.clear()
            lane.prev_end = None
        self._graphs.close(self.lanes)
        for lane in self.lanes:
            lane.events = []
            lane.work = _closed_work
        self.lanes = []  # drop the streams: they must go before the context is popped
        self._profile.close()

    # ---------------------------------------------------------------- internals

    def _new_events(self) -> list[Any]:
        return [self._driver.Event(self._event_flags) for _ in range(2 * (MAX_DEPTH + 2))]

    def _call(self, fn: Callable[[], bool]) -> bool | str:
        """True, or a short reason why the call failed."""
        try:
            ok = fn()
        except Exception as exc:
            return f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        return True if ok is not False else "enqueue returned False"

    def _first_run(self, lane: Lane) -> None:
        ok = self._call(lambda: lane.work(lane.handle))
        if ok is not True:
            raise LoopError(f"the first inference failed on stream {lane.index}: {ok}")
        try:
            lane.stream.synchronize()
        except Exception as exc:
            raise LoopError(f"the first inference failed on stream {lane.index}: {exc}") from None

    def _step(self, lane: Lane) -> None:
        while len(lane.inflight) >= self.depth:
            self._complete(lane)
        slot = (lane.launched % (MAX_DEPTH + 2)) * 2
        start, end = lane.events[slot], lane.events[slot + 1]
        if self._seg_t0 is None:
            self._seg_t0 = self._clock()
        no_gap, cold = lane.new_segment, lane.cold
        start.record(lane.stream)
        ok, batch = self._graphs.launch(lane, self._call, self.lanes)
        if ok is not True:
            self._failures += 1
            self.stats.failures += 1
            if self._failures == 1:
                self.notice(f"inference failed on stream {lane.index}: {ok}")
            if self._failures >= self.config.max_failures:
                raise LoopError(f"inference keeps failing on stream {lane.index}: {ok}")
            # The stream order is intact; the next inference starts a new gap measurement.
            lane.new_segment = True
            return
        self._failures = 0
        end.record(lane.stream)
        lane.inflight.append(Launch(start, end, no_gap, cold, batch))
        lane.new_segment = lane.cold = False
        lane.launched += 1
        self._profile.since += 1 if batch is None else self._graphs.per_launch

    def _complete(self, lane: Lane) -> None:
        start, end, no_gap, cold, batch = lane.inflight.popleft()
        try:
            end.synchronize()
            ms = float(start.time_till(end))
            gap = None
            if lane.prev_end is not None and not no_gap:
                gap = float(lane.prev_end.time_till(start))
            each = [ms] if batch is None else self._graphs.batch_times(batch)
        except Exception as exc:
            raise LoopError(f"CUDA error on stream {lane.index}: {' '.join(str(exc).split())}") from None
        lane.prev_end = end
        if cold:
            return  # its start event was recorded on a possibly idle stream: not a clean latency
        if not self._reporting:
            self._warm_lat.extend(each)
            return
        self._lat.extend(each)
        self._lat_lane.extend([lane.index] * len(each))
        self.stats.iterations += len(each)
        if gap is not None:
            self.stats.busy_ms += ms
            self.stats.idle_ms += max(gap, 0.0)

    def _drain(self) -> None:
        for lane in self.lanes:
            while lane.inflight:
                self._complete(lane)

    def _end_segment(self) -> None:
        """Drain every lane and close the current timing segment."""
        self._drain()
        self._take_profiled(wait=True)
        if self._seg_t0 is not None:
            if self._reporting:
                self._timing_wall += self._clock() - self._seg_t0
            self._seg_t0 = None
        for lane in self.lanes:
            lane.prev_end = None
            lane.new_segment = lane.cold = True  # no gap is measured across segments

    def _take_profiled(self, wait: bool) -> None:
        it = self._profile.collect(wait)
        if it is not None:
            self._profiled_out.append(it)

    def _plan_launches(self) -> None:
        """After the warm-up (all drained): inferences per launch and launches in flight, sized in
        time from the warm-up's latencies, so that the queued work rides out host pauses."""
        warm = self._warm_lat
        self._warm_lat = []
        if not warm:
            return
        typical = float(np.median(warm))
        per, self.depth = launch_plan(self.config, typical, self._graphs.can_batch)
        self._graphs.capture_batches(self.lanes, per, self.depth)
        if self._graphs.per_launch != per:  # one inference per launch after all: size again
            per, self.depth = launch_plan(self.config, typical, False)
        self.stats.depth = self.depth
        self.stats.per_launch = self._graphs.per_launch

    def _apply_reconfig(self) -> None:
        self._end_segment()
        self._flush(force=True)  # what ran before the change is reported apart from what runs after
        with self._reconfig_lock:
            changes, self._reconfig = self._reconfig, []
        self._graphs.drop(self.lanes)
        self._profile.drop_graph()
        for change in changes:
            change()
        for lane in self.lanes:
            self._first_run(lane)
        if self.lanes:
            self._profile.capture(self.lanes[0].stream, self.lanes[0].handle)
        self._graphs.capture(self.lanes, self.config.use_graphs)
        if self.config.warmup_s > 0:  # warm up again (and fit the launches to the new work)
            self._reporting = False
            self._warm_lat = []
            self._warm_until = self._clock() + self.config.warmup_s

    def _flush(self, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._last_flush < self.config.flush_s:
            return
        if self._seg_t0 is not None and self._reporting:
            self._timing_wall += now - self._seg_t0
            self._seg_t0 = now
        elif self._seg_t0 is not None:
            self._seg_t0 = now
        pay = min(self._profile.debt_s, self._timing_wall)
        self._timing_wall -= pay
        self._profile.debt_s -= pay
        if not (self._lat or self._profiled_out or self._notices or self._timing_wall):
            self._last_flush = now
            return
        multi = len(self.lanes) > 1
        batch = SourceBatch(
            t=now,
            latencies_ms=frozen_array(self._lat),  # type: ignore[arg-type]
            latency_streams=frozen_array(self._lat_lane, np.int64) if multi else None,  # type: ignore[arg-type]
            timing_wall_s=self._timing_wall,
            profiled=tuple(self._profiled_out),
            notices=tuple(self._notices),
        )
        self.stats.timing_wall_s += self._timing_wall
        if self._steps is not None and self._profiled_out:
            self._steps.end()  # the first profiled inference's times: the batch below carries them
            self._steps = None
        self._lat, self._lat_lane, self._profiled_out, self._notices = [], [], [], []
        self._timing_wall = 0.0
        self._last_flush = now
        self._emit(batch)


def _closed_work(stream: int) -> bool:
    return False
