"""When and how the inference loop runs its profiled inferences.

One inference in `profile_every` is profiled: after N-1 timed inferences (at least one; checked
between launches, so with several streams or several inferences per launch rounded up to a whole
round) one profiled inference (the caller's `ProfiledWork`: a context with a profiler attached and
`enqueue_emits_profile` False) is queued on stream 0 to run alone, ordered on the GPU rather than by
draining from the host: stream 0 waits for the other streams' queued work, and the other streams
wait for the profiled inference, so the GPU never idles and nothing overlaps it. Once its end event
has completed (polled; the host never blocks on it while timing work is queued), `collect()` calls
`report_to_profiler()` and returns the layer times.

With CUDA graphs on (and no kernel tracer), the profiled inference is itself captured as a graph
after its first run, as trtexec does with a profiler attached: TensorRT records its per-layer timing
events inside the graph, and `report_to_profiler()` after the graph launch reads them. Enqueued
without a graph, each of its kernels and events pays the stream-launch gap that the timed inferences,
replayed as graphs, do not; that difference was most of the profiler tax on a real ResNet-18 (the
layer sum 38% above the latency). What remains is TensorRT's own: an event record before and after
every layer. If the graph's launch reports no layer times, the profiled inference goes back to the
plain enqueue with a notice. Latency is never taken from profiled inferences, and their GPU time is
owed to the timing wall time (`debt_s`), so throughput =
latencies / `timing_wall_s` stays honest. Profiling takes at most `profile_budget` of the time.
With `--kernels`, the kernel tracer records around the profiled enqueue only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from trtui.core.kernel_records import KernelCapture
from trtui.core.model import ProfiledIteration, frozen_array
from trtui.gpu.runtime.loop_types import GraphBackend, Lane, LoopConfig, LoopError, LoopStats, ProfiledWork
from trtui.kernels.tracer import KernelTracer

Call = Callable[[Callable[[], bool]], "bool | str"]


class ProfileScheduler:
    """Decides when the loop runs its profiled inference, queues it, and turns its report into a
    `ProfiledIteration` (see the module docstring). Loop thread only; `work` is None when profiling is
    off or failed.
    """

    def __init__(
        self,
        work: ProfiledWork | None,
        events: list[Any],
        config: LoopConfig,
        stats: LoopStats,
        notice: Callable[[str], None],
        clock: Callable[[], float],
        tracer: KernelTracer | None = None,
        graphs: GraphBackend | None = None,
    ) -> None:
        self.work = work if config.profile_every > 0 else None
        # kernels traced by NVTX ranges need the enqueue itself (a graph launch emits no ranges)
        self._graphs = graphs if config.use_graphs and tracer is None else None
        self._graph: Any = None
        self.graph_note: str | None = None  # why the profiled inference is not a graph, when it is not
        self._events = events  # start, end of the profiled inference
        self._config = config
        self._stats = stats
        self._notice = notice
        self._clock = clock
        self._tracer = tracer
        self.pending = False
        self.since = 0  # timed inferences launched since the last profiled one
        self.debt_s = 0.0  # GPU seconds of profiled inferences still to take off the timing wall
        self._last_t: float | None = None
        self._last_cost = 0.0
        self._said_empty = False

    def first_run(self, call: Call, stream: Any, handle: int) -> None:
        """The first (cold) profiled run, outside any measurement; its report is discarded."""
        work = self.work
        if work is None:
            return
        ok = call(lambda: work.launch(handle))
        stream.synchronize()
        if ok is not True:
            self._notice(f"the profiled run failed ({ok}); per-layer times are off")
            self.work = None
        else:
            work.collect()
            self.capture(stream, handle)

    @property
    def traced(self) -> bool:
        """Whether a kernel tracer records the profiled inferences."""
        return self._tracer is not None

    @property
    def graphed(self) -> bool:
        """Whether profiled inferences run as a CUDA graph."""
        return self._graph is not None

    def capture(self, stream: Any, handle: int) -> None:
        """Capture the profiled inference as a graph and check, with one launch, that TensorRT reports
        layer times from it; otherwise it stays a plain enqueue (`graph_note` says why)."""
        self.drop_graph()
        backend, work = self._graphs, self.work
        if backend is None or work is None:
            return
        try:
            g = backend.capture(handle, work.launch)
        except Exception as exc:
            self.graph_note = f"capture failed ({' '.join(str(exc).split()) or type(exc).__name__})"
            return
        try:
            backend.launch(g, handle)
            stream.synchronize()
            names, _times = work.collect()
        except Exception as exc:
            names = ()
            self.graph_note = f"its launch failed ({' '.join(str(exc).split()) or type(exc).__name__})"
        if not names:
            backend.destroy(g)
            self.graph_note = self.graph_note or "TensorRT reported no layer times from a graph launch"
            self._notice(f"the profiled inference runs without a CUDA graph: {self.graph_note}")
            return
        self._graph = g
        self.graph_note = None

    def drop_graph(self) -> None:
        """Destroy the profiled inference's graph (before what it uses changes or goes)."""
        g, self._graph = self._graph, None
        if g is not None and self._graphs is not None:
            self._graphs.destroy(g)

    def due(self) -> bool:
        """N-1 timed inferences (at least one) since the last profiled one, within the budget."""
        timed_between = max(self._config.profile_every - 1, 1)
        if self.work is None or self.pending or self.since < timed_between:
            return False
        if self._last_t is None:
            return True
        elapsed = self._clock() - self._last_t
        budget = max(self._config.profile_budget, 1e-3)
        return elapsed * budget >= self._last_cost * (1 - budget)

    def launch(self, lanes: Sequence[Lane], call: Call) -> None:
        """Queue one profiled inference on stream 0, alone on the GPU (ordered by stream waits)."""
        work = self.work
        assert work is not None
        lane0 = lanes[0]
        s0 = lane0.stream
        for lane in lanes[1:]:
            if lane.inflight:
                s0.wait_for_event(lane.inflight[-1].end)  # after everything queued on the other streams
        pstart, pend = self._events
        pstart.record(s0)
        if self._tracer is not None:
            self._tracer.begin()
        g, backend = self._graph, self._graphs
        if g is not None and backend is not None:

            def launch_graph() -> bool:
                backend.launch(g, lane0.handle)
                return True

            ok = call(launch_graph)
        else:
            ok = call(lambda: work.launch(lane0.handle))
        if self._tracer is not None:
            self._tracer.end()
        if ok is not True:
            self._notice(f"the profiled inference failed ({ok}); per-layer times are off")
            self.work = None
            return
        pend.record(s0)
        for lane in lanes[1:]:
            lane.stream.wait_for_event(pend)  # nothing overlaps the profiled inference
        for lane in lanes:
            lane.new_segment = True  # the gap across the profiled inference is not idle time
        self.pending = True
        self.since = 0
        self._last_t = self._clock()

    def collect(self, wait: bool) -> ProfiledIteration | None:
        """The profiled inference once its end event has completed (or wait for it); None while it
        runs, or when the profiler reported nothing."""
        if not self.pending:
            return None
        pstart, pend = self._events
        try:
            if not wait and not pend.query():
                return None
            t0 = self._clock()
            pend.synchronize()
            gpu_ms = float(pstart.time_till(pend))
        except Exception as exc:
            raise LoopError(f"CUDA error in the profiled inference: {' '.join(str(exc).split())}") from None
        self.pending = False
        assert self.work is not None
        names, times = self.work.collect()
        kernels = self._kernels()
        out = None
        if names:
            out = ProfiledIteration(names=names, times_ms=frozen_array(times), gpu_ms=gpu_ms, kernels=kernels)  # type: ignore[arg-type]
            self._stats.profiled += 1
        elif self._stats.profiled == 0 and not self._said_empty:
            self._said_empty = True
            self._notice("the profiler reported no layer times")
        gpu_s = gpu_ms / 1000
        self.debt_s += gpu_s
        cost = gpu_s + (self._clock() - t0)
        self._last_cost = cost
        self._stats.profile_wall_s += cost
        return out

    def _kernels(self) -> KernelCapture | None:
        """The kernel tracer's records of the profiled inference that just completed."""
        if self._tracer is None:
            return None
        try:
            return self._tracer.collect()
        except Exception as exc:
            self._notice(f"kernel tracing stopped: {' '.join(str(exc).split()) or type(exc).__name__}")
            self._tracer = None
            return None

    def close(self) -> None:
        """Destroy the profiled inference's graph and stop profiling (the loop has drained). Idempotent."""
        self.drop_graph()
        self.work = None
        self.pending = False
        self._events = []
