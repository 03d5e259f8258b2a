"""The inference loop's vocabulary: its configuration, lanes, counters and the protocols of what it
drives (the work, the profiled inference, the CUDA graph backend). No CUDA here."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

Work = Callable[[int], bool]  # enqueue one inference on this raw stream handle; False = failed
MAX_DEPTH = 32  # launches in flight per stream (a launch is one inference, or a graph of several)


class LoopError(Exception):
    """The loop cannot go on (repeated enqueue failures, a CUDA error); the message is one line."""


class ProfiledWork(Protocol):
    """The profiled inference the loop schedules: a context of its own with a profiler attached and
    `enqueue_emits_profile` False. Called on the loop thread only.
    """

    def launch(self, stream: int) -> bool:
        """Enqueue one profiled inference on `stream`."""
        ...

    def collect(self) -> tuple[tuple[str, ...], list[float]]:
        """After that inference completed: report to the profiler and return (names, times_ms)."""
        ...


class GraphBackend(Protocol):
    """Captures, launches and destroys CUDA graphs on raw stream handles (`CudaGraphs`, or a fake in tests).
    Called on the loop thread only, with the CUDA context current.
    """

    def capture(self, stream: int, work: Work) -> Any:
        """A graph of one `work(stream)` (the work already ran once outside the capture). Raises when capture
        fails; the loop then runs the plain enqueue."""
        ...

    def launch(self, g: Any, stream: int) -> None:
        """Launch `g` on `stream` without waiting. Raises when the launch fails."""
        ...

    def destroy(self, g: Any) -> None:
        """Free `g`; called once per graph, after its launches completed."""
        ...


class BatchGraphBackend(GraphBackend, Protocol):
    """A backend that also captures several inferences into one graph, with timing events between
    them (`trtui.gpu.runtime.cuda_graphs.CudaGraphs`)."""

    def capture_batch(self, stream: int, work: Work, inferences: int) -> Any:
        """A graph of `inferences` runs of `work`, with a timing event before, between and after them. Raises
        when capture fails."""
        ...

    def batch_times(self, g: Any) -> list[float]:
        """Each inference's GPU time (ms) in the last launch of `g`, which has completed."""
        ...


@dataclass(frozen=True, slots=True)
class LoopConfig:
    """How the inference loop runs; fixed for its life. A run sets graphs and profiling from its options;
    the rest are defaults that tests and the build measurement change."""

    depth: int = 2  # minimum launches in flight per stream
    # Grow the depth until this much GPU work is queued per stream: the GPU rides out a host pause
    # this long (the GPU process's own Python: encoding a batch at 20k layers takes a few ms).
    queue_ms: float = 20.0
    use_graphs: bool = True
    # Short inferences: one graph launch runs several of them (timing events between them), so that
    # one launch carries about `launch_ms` of GPU work; at most `max_per_graph` inferences.
    launch_ms: float = 1.0
    max_per_graph: int = 32
    profile_every: int = 10  # one profiled inference in N inferences (0: never); see ProfileScheduler
    profile_budget: float = 0.2  # at most this fraction of wall time in profiling windows
    warmup_s: float = 0.2  # inferences in this time after start are not reported
    flush_s: float = 0.05  # hand results to the consumer at least this often
    max_failures: int = 3  # consecutive failed enqueues before the loop gives up


class Launch(NamedTuple):
    """One launch in flight: CUDA events around it, whether a gap before it is measured, whether its
    stream may have been idle (its start may fire early), and the multi-inference graph it ran."""

    start: Any
    end: Any
    no_gap: bool
    cold: bool
    batch: Any = None  # a graph of several inferences (its own events time each one), or None


@dataclass
class Lane:
    """One stream with its work."""

    index: int
    stream: Any  # pycuda Stream (or a fake with .handle and .synchronize())
    work: Work
    graph: Any = None  # one inference per launch
    batches: list[Any] = field(default_factory=list)  # graphs of several inferences, used in turn
    next_batch: int = 0
    events: list[Any] = field(default_factory=list)
    inflight: deque[Launch] = field(default_factory=deque)
    prev_end: Any = None
    new_segment: bool = True  # the next inference follows no measured one (no gap to measure)
    cold: bool = True  # the stream may be idle: the next inference's start event may fire early
    launched: int = 0

    @property
    def handle(self) -> int:
        """The stream's raw handle, as `Work` and the graph backend take it."""
        return int(self.stream.handle)


@dataclass
class LoopStats:
    """Counters for tests and benchmarks (not part of what the UI shows)."""

    iterations: int = 0  # reported timing inferences
    busy_ms: float = 0.0  # GPU time of timing launches that followed another on the same stream
    idle_ms: float = 0.0  # GPU idle time between those consecutive launches
    timing_wall_s: float = 0.0
    profiled: int = 0
    profile_wall_s: float = 0.0
    graph_captures: int = 0
    graph_fallbacks: int = 0
    failures: int = 0
    depth: int = 0  # launches in flight per stream
    per_launch: int = 1  # inferences per launch (graphs of several inferences)

    @property
    def idle_fraction(self) -> float:
        total = self.busy_ms + self.idle_ms
        return self.idle_ms / total if total > 0 else 0.0
