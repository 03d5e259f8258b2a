"""The inference loop: keeps the GPU busy and measures it, independent of TensorRT.

It drives, per stream ("lane"), a callable that enqueues one inference on a raw stream handle and
returns False on failure (`execute_async_v3`, or a synthetic workload in the tests). Per lane:

- CUDA events recorded around every inference; up to `depth` inferences in flight (enqueue-ahead);
  the loop waits on the oldest end event (pycuda's `Event.synchronize` releases the GIL), never per
  layer. The depth grows for short inferences so that the queued work covers `queue_ms`.
- CUDA graphs (optional): the work runs once, then is captured through cuda-python and replayed
  with one launch; if capture fails the loop says so in a notice and runs the plain enqueue.
  `reconfigure()` (e.g. new input shapes) drains, runs the change, and captures again.
- Profiling: one inference in `profile_every` is profiled: after N-1 timed inferences (at least one;
  checked between rounds, so with several streams rounded up to a whole round) one profiled inference
  (the caller's `ProfiledWork`: a
  context with a profiler attached and `enqueue_emits_profile` False) is queued on stream 0 to run
  alone, ordered on the GPU rather than by draining from the host: stream 0 waits for the other
  streams' queued work, and the other streams wait for the profiled inference, so the GPU never
  idles and nothing overlaps it. Once its end event has completed (polled; the host never blocks
  on it while timing work is queued), `collect()` calls `report_to_profiler()` and returns the
  layer times. Latency is never taken from profiled inferences, and their GPU time is taken off
  the timing wall time, so throughput = latencies / `timing_wall_s` stays honest. Profiling takes
  at most `profile_budget` of the time.

Everything CUDA happens on the thread that calls `run()` (the GPU worker).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from trtui.kernel_records import KernelCapture
from trtui.kernels.tracer import KernelTracer
from trtui.model import ProfiledIteration, SourceBatch, frozen_array

Work = Callable[[int], bool]  # enqueue one inference on this raw stream handle; False = failed
MAX_DEPTH = 32


class LoopError(Exception):
    """The loop cannot go on (repeated enqueue failures, a CUDA error); the message is one line."""


class ProfiledWork(Protocol):
    def launch(self, stream: int) -> bool:
        """Enqueue one profiled inference on `stream`."""
        ...

    def collect(self) -> tuple[tuple[str, ...], list[float]]:
        """After that inference completed: report to the profiler and return (names, times_ms)."""
        ...


class GraphBackend(Protocol):
    def capture(self, stream: int, work: Work) -> Any: ...

    def launch(self, g: Any, stream: int) -> None: ...

    def destroy(self, g: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class LoopConfig:
    depth: int = 2  # minimum inferences in flight per stream
    queue_ms: float = 8.0  # grow the depth until this much GPU work is queued per stream
    use_graphs: bool = True
    profile_every: int = 10  # one profiled inference in N inferences (0: never); see _profile_due
    profile_budget: float = 0.2  # at most this fraction of wall time in profiling windows
    warmup_s: float = 0.2  # inferences in this time after start are not reported
    flush_s: float = 0.05  # hand results to the consumer at least this often
    max_failures: int = 3  # consecutive failed enqueues before the loop gives up


@dataclass
class Lane:
    """One stream with its work."""

    index: int
    stream: Any  # pycuda Stream (or a fake with .handle and .synchronize())
    work: Work
    graph: Any = None
    events: list[Any] = field(default_factory=list)
    inflight: deque[tuple[Any, Any, bool, bool]] = field(default_factory=deque)  # start, end, no gap, cold
    prev_end: Any = None
    new_segment: bool = True  # the next inference follows no measured one (no gap to measure)
    cold: bool = True  # the stream may be idle: the next inference's start event may fire early
    launched: int = 0

    @property
    def handle(self) -> int:
        return int(self.stream.handle)


@dataclass
class LoopStats:
    """Counters for tests and benchmarks (not part of what the UI shows)."""

    iterations: int = 0  # reported timing inferences
    busy_ms: float = 0.0  # GPU time of timing inferences that followed another on the same stream
    idle_ms: float = 0.0  # GPU idle time between those consecutive inferences
    timing_wall_s: float = 0.0
    profiled: int = 0
    profile_wall_s: float = 0.0
    graph_captures: int = 0
    graph_fallbacks: int = 0
    failures: int = 0
    depth: int = 0

    @property
    def idle_fraction(self) -> float:
        total = self.busy_ms + self.idle_ms
        return self.idle_ms / total if total > 0 else 0.0


class InferenceLoop:
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
    ) -> None:
        if not lanes:
            raise ValueError("the loop needs at least one lane")
        self._driver = driver
        self.lanes = list(lanes)
        self.config = config
        self._emit = emit
        self._graphs = graphs if config.use_graphs else None
        self._profiled = profiled if config.profile_every > 0 else None
        self._clock = clock
        self._tracer = kernel_tracer  # --kernels: traces the profiled inferences only
        self.stats = LoopStats()
        self.depth = max(1, config.depth)
        self.graphs_on = False
        self.graph_note: str | None = None  # why graphs are off, when they are
        # pending output
        self._lat: list[float] = []
        self._lat_lane: list[int] = []
        self._profiled_out: list[ProfiledIteration] = []
        self._notices: list[str] = []
        self._timing_wall = 0.0
        self._last_flush = clock()
        # segment state
        self._seg_t0: float | None = None  # start of the not yet accounted part of the segment
        self._seg_start: float | None = None  # start of the current timing segment
        self._warm_lat: list[float] = []
        self._reporting = False
        self._since_profile = 0  # timed inferences launched since the last profiled one
        self._last_profile_cost = 0.0
        self._last_profile_t: float | None = None
        self._pending_profile = False
        self._timing_debt = 0.0  # GPU seconds of profiled inferences still to take off the timing wall
        self._failures = 0
        self._reconfig: list[Callable[[], None]] = []
        self._reconfig_lock = threading.Lock()
        self._prepared = False
        self._warm_until = 0.0
        blocking = getattr(getattr(driver, "event_flags", None), "BLOCKING_SYNC", 0)
        self._event_flags = int(blocking)
        ring = 2 * (MAX_DEPTH + 2)
        for lane in self.lanes:
            lane.events = [driver.Event(self._event_flags) for _ in range(ring)]
        self._pevents = [driver.Event(self._event_flags) for _ in range(2)]

    # ---------------------------------------------------------------- public

    def notice(self, text: str) -> None:
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
        ring = 2 * (MAX_DEPTH + 2)
        for lane in lanes:
            if not lane.events:
                lane.events = [self._driver.Event(self._event_flags) for _ in range(ring)]
        self.lanes = list(lanes)

    def prepare(self) -> None:
        """First runs (outside any measurement) and graph capture. Raises LoopError."""
        for lane in self.lanes:
            self._first_run(lane)
        if self._profiled is not None:
            ok = self._call(lambda: self._profiled.launch(self.lanes[0].handle))  # type: ignore[union-attr]
            self._sync(self.lanes[0].stream)
            if ok is not True:
                self.notice(f"the profiled run failed ({ok}); per-layer times are off")
                self._profiled = None
            else:
                self._profiled.collect()  # discard the first (cold) report
        self._capture_all()
        self._prepared = True

    def run(self, stop: threading.Event, paused: threading.Event) -> None:
        """Loop until `stop` is set. Raises LoopError if inference cannot go on."""
        if not self._prepared:
            self.prepare()
        self._warm_until = self._clock() + self.config.warmup_s
        self._reporting = self.config.warmup_s <= 0
        while not stop.is_set():
            if not self._reporting and self._clock() >= self._warm_until:
                self._end_segment()
                self._adapt_depth()
                self._reporting = True
            if self._reconfig:  # also while paused (the change is applied, then the pause goes on)
                self._apply_reconfig()
                continue
            if paused.is_set():
                self._end_segment()
                self._flush(force=True)
                while paused.is_set() and not stop.is_set() and not self._reconfig:
                    stop.wait(0.05)
                continue
            if self._pending_profile:
                self._collect_profiled(wait=False)
            if self._reporting and self._profile_due():
                self._launch_profiled()
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
                self._sync(lane.stream)
            lane.inflight.clear()
            lane.prev_end = None
            if lane.graph is not None and self._graphs is not None:
                try:
                    self._graphs.destroy(lane.graph)
                except Exception as exc:
                    self.notice(f"destroying a CUDA graph failed: {exc}")
            lane.graph = None
            lane.events = []
            lane.work = _closed_work
        self.lanes = []  # drop the streams: they must go before the context is popped
        self._pevents = []
        self._profiled = None
        self._pending_profile = False

    # ---------------------------------------------------------------- internals

    def _call(self, fn: Callable[[], bool]) -> bool | str:
        """True, or a short reason why the call failed."""
        try:
            ok = fn()
        except Exception as exc:
            return f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        return True if ok is not False else "enqueue returned False"

    def _sync(self, stream: Any) -> None:
        stream.synchronize()

    def _first_run(self, lane: Lane) -> None:
        ok = self._call(lambda: lane.work(lane.handle))
        if ok is not True:
            raise LoopError(f"the first inference failed on stream {lane.index}: {ok}")
        try:
            self._sync(lane.stream)
        except Exception as exc:
            raise LoopError(f"the first inference failed on stream {lane.index}: {exc}") from None

    def _capture_all(self) -> None:
        self.graphs_on = False
        if self._graphs is None:
            if self.config.use_graphs and self.graph_note is None:
                self.graph_note = "cuda-python not available"
            return
        for lane in self.lanes:
            try:
                lane.graph = self._graphs.capture(lane.handle, lane.work)
                self.stats.graph_captures += 1
            except Exception as exc:
                reason = " ".join(str(exc).split()) or type(exc).__name__
                self._drop_graphs()
                self.graph_note = "capture failed"
                self.stats.graph_fallbacks += 1
                self.notice(f"CUDA graph capture failed ({reason}); running without CUDA graphs")
                return
        self.graphs_on = True
        self.graph_note = None

    def _drop_graphs(self) -> None:
        for lane in self.lanes:
            if lane.graph is not None and self._graphs is not None:
                with contextlib.suppress(Exception):
                    self._graphs.destroy(lane.graph)
            lane.graph = None
        self.graphs_on = False

    def _launch(self, lane: Lane) -> bool | str:
        if lane.graph is not None and self._graphs is not None:
            graphs = self._graphs
            graph = lane.graph

            def launch_graph() -> bool:
                graphs.launch(graph, lane.handle)
                return True

            ok = self._call(launch_graph)
            if ok is not True:
                self._drop_graphs()
                self.graph_note = "launch failed"
                self.stats.graph_fallbacks += 1
                self.notice(f"CUDA graph launch failed ({ok}); running without CUDA graphs")
                return self._call(lambda: lane.work(lane.handle))
            return True
        return self._call(lambda: lane.work(lane.handle))

    def _step(self, lane: Lane) -> None:
        while len(lane.inflight) >= self.depth:
            self._complete(lane)
        slot = (lane.launched % (MAX_DEPTH + 2)) * 2
        start, end = lane.events[slot], lane.events[slot + 1]
        if self._seg_t0 is None:
            self._seg_t0 = self._seg_start = self._clock()
        no_gap, cold = lane.new_segment, lane.cold
        start.record(lane.stream)
        ok = self._launch(lane)
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
        lane.inflight.append((start, end, no_gap, cold))
        lane.new_segment = lane.cold = False
        lane.launched += 1
        self._since_profile += 1

    def _complete(self, lane: Lane) -> None:
        start, end, no_gap, cold = lane.inflight.popleft()
        try:
            end.synchronize()
            ms = float(start.time_till(end))
            gap = None
            if lane.prev_end is not None and not no_gap:
                gap = float(lane.prev_end.time_till(start))
        except Exception as exc:
            raise LoopError(f"CUDA error on stream {lane.index}: {' '.join(str(exc).split())}") from None
        lane.prev_end = end
        if cold:
            return  # its start event was recorded on a possibly idle stream: not a clean latency
        if self._reporting:
            self._lat.append(ms)
            self._lat_lane.append(lane.index)
            self.stats.iterations += 1
            if gap is not None:
                self.stats.busy_ms += ms
                self.stats.idle_ms += max(gap, 0.0)
        else:
            self._warm_lat.append(ms)

    def _drain(self) -> None:
        for lane in self.lanes:
            while lane.inflight:
                self._complete(lane)

    def _end_segment(self) -> None:
        """Drain every lane and close the current timing segment."""
        self._drain()
        if self._pending_profile:
            self._collect_profiled(wait=True)
        if self._seg_t0 is not None:
            if self._reporting:
                self._timing_wall += self._clock() - self._seg_t0
            self._seg_t0 = self._seg_start = None
        for lane in self.lanes:
            lane.prev_end = None
            lane.new_segment = lane.cold = True  # no gap is measured across segments

    def _adapt_depth(self) -> None:
        """Queue enough work per stream to ride out host hiccups (GIL, UI redraws)."""
        warm = self._warm_lat
        self._warm_lat = []
        if not warm:
            return
        typical = float(np.median(warm))
        want = math.ceil(self.config.queue_ms / max(typical, 1e-3) - 1e-9) + 1
        self.depth = int(min(MAX_DEPTH, max(self.config.depth, want)))
        self.stats.depth = self.depth

    def _profile_due(self) -> bool:
        """One inference in `profile_every` is profiled (N-1 timed ones, at least one, between two
        profiled ones), and profiling takes at most `profile_budget` of the time."""
        timed_between = max(self.config.profile_every - 1, 1)
        if self._profiled is None or self._pending_profile or self._since_profile < timed_between:
            return False
        if self._last_profile_t is None:
            return True
        elapsed = self._clock() - self._last_profile_t
        budget = max(self.config.profile_budget, 1e-3)
        return elapsed * budget >= self._last_profile_cost * (1 - budget)

    def _launch_profiled(self) -> None:
        """Queue one profiled inference on stream 0, alone on the GPU (ordered by stream waits)."""
        assert self._profiled is not None
        lane0 = self.lanes[0]
        s0 = lane0.stream
        for lane in self.lanes[1:]:
            if lane.inflight:
                s0.wait_for_event(lane.inflight[-1][1])  # after everything queued on the other streams
        pstart, pend = self._pevents
        pstart.record(s0)
        profiled = self._profiled
        if self._tracer is not None:
            self._tracer.begin()
        ok = self._call(lambda: profiled.launch(lane0.handle))
        if self._tracer is not None:
            self._tracer.end()
        if ok is not True:
            self.notice(f"the profiled inference failed ({ok}); per-layer times are off")
            self._profiled = None
            return
        pend.record(s0)
        for lane in self.lanes[1:]:
            lane.stream.wait_for_event(pend)  # nothing overlaps the profiled inference
        for lane in self.lanes:
            lane.new_segment = True  # the gap across the profiled inference is not idle time
        self._pending_profile = True
        self._since_profile = 0
        self._last_profile_t = self._clock()

    def _collect_profiled(self, wait: bool) -> None:
        """Report the profiled inference once its end event has completed (or wait for it)."""
        pstart, pend = self._pevents
        try:
            if not wait and not pend.query():
                return
            t0 = self._clock()
            pend.synchronize()
            gpu_ms: float | None = float(pstart.time_till(pend))
        except Exception as exc:
            raise LoopError(f"CUDA error in the profiled inference: {' '.join(str(exc).split())}") from None
        self._pending_profile = False
        assert self._profiled is not None
        names, times = self._profiled.collect()
        kernels = self._collect_kernels()
        if names:
            self._profiled_out.append(
                ProfiledIteration(names=names, times_ms=frozen_array(times), gpu_ms=gpu_ms, kernels=kernels)  # type: ignore[arg-type]
            )
            self.stats.profiled += 1
        elif self.stats.profiled == 0 and not any("no layer times" in n for n in self._notices):
            self.notice("the profiler reported no layer times")
        gpu_s = (gpu_ms or 0.0) / 1000
        self._timing_debt += gpu_s
        cost = gpu_s + (self._clock() - t0)
        self._last_profile_cost = cost
        self.stats.profile_wall_s += cost

    def _collect_kernels(self) -> KernelCapture | None:
        """The kernel tracer's records of the profiled inference that just completed."""
        if self._tracer is None:
            return None
        try:
            return self._tracer.collect()
        except Exception as exc:
            self.notice(f"kernel tracing stopped: {' '.join(str(exc).split()) or type(exc).__name__}")
            self._tracer = None
            return None

    def _apply_reconfig(self) -> None:
        self._end_segment()
        self._flush(force=True)  # what ran before the change is reported apart from what runs after
        with self._reconfig_lock:
            changes, self._reconfig = self._reconfig, []
        self._drop_graphs()
        for change in changes:
            change()
        for lane in self.lanes:
            self._first_run(lane)
        self._capture_all()
        if self.config.warmup_s > 0:  # warm up again (and fit the queue depth to the new work)
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
        pay = min(self._timing_debt, self._timing_wall)
        self._timing_wall -= pay
        self._timing_debt -= pay
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
        self._lat, self._lat_lane, self._profiled_out, self._notices = [], [], [], []
        self._timing_wall = 0.0
        self._last_flush = now
        self._emit(batch)


def _closed_work(stream: int) -> bool:
    return False
