"""The inference loop's CUDA graphs, per lane: after the first runs, one graph of one inference;
after the warm-up, when inferences are short, a ring of graphs that each run several inferences
with timing events between them, so that the host launches once per ~`launch_ms` of GPU work (one
launch, two event records and one wait instead of that for every inference). A lane's graphs in the
ring are used in turn; the ring holds more graphs than launches in flight, so a graph is launched
again only after its events were read. A capture or launch that fails turns graphs off with a
notice; the loop runs the plain enqueue. Runs on the loop's thread."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any

from trtui.gpu.runtime.loop_types import MAX_DEPTH, GraphBackend, Lane, LoopConfig, LoopStats

Call = Callable[[Callable[[], bool]], "bool | str"]  # runs an enqueue: True, or why it failed


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def launch_plan(config: LoopConfig, typical_ms: float, batches: bool) -> tuple[int, int]:
    """(inferences per launch, launches in flight) for inferences of `typical_ms`: enough launches
    queued to cover `queue_ms` of GPU work, each carrying about `launch_ms` when `batches`."""
    typical = max(typical_ms, 1e-3)
    per = 1
    if batches:
        per = int(min(config.max_per_graph, max(1, round(config.launch_ms / typical))))
    want = math.ceil(config.queue_ms / (typical * per) - 1e-9) + 1
    return per, int(min(MAX_DEPTH, max(config.depth, want)))


class LoopGraphs:
    """The loop's CUDA graphs (see the module docstring). `on` says whether timed inferences run as graphs,
    `note` why not, `per_launch` how many inferences one launch runs.
    """

    def __init__(
        self,
        backend: GraphBackend | None,
        stats: LoopStats,
        notice: Callable[[str], None],
        drain: Callable[[], None],
    ) -> None:
        self._backend = backend
        self._drain = drain  # completes every launch in flight (their graphs' events are read)
        self._stats = stats
        self._notice = notice
        self.on = False
        self.note: str | None = None  # why graphs are off, when they are
        self.per_launch = 1

    @property
    def can_batch(self) -> bool:
        """True when graphs are on and the backend can capture several inferences per graph."""
        return self.on and hasattr(self._backend, "capture_batch")

    def capture(self, lanes: Sequence[Lane], wanted: bool) -> None:
        """One graph of one inference per lane (after the lanes' first runs)."""
        self.on = False
        self.per_launch = 1
        if self._backend is None:
            if wanted and self.note is None:
                self.note = "cuda-python not available"
            return
        for lane in lanes:
            try:
                lane.graph = self._backend.capture(lane.handle, lane.work)
                self._stats.graph_captures += 1
            except Exception as exc:
                self.drop(lanes)
                self.note = "capture failed"
                self._stats.graph_fallbacks += 1
                self._notice(f"CUDA graph capture failed ({_reason(exc)}); running without CUDA graphs")
                return
        self.on = True
        self.note = None

    def capture_batches(self, lanes: Sequence[Lane], per_launch: int, in_flight: int) -> None:
        """Rings of graphs of `per_launch` inferences (all lanes drained). On failure the lanes keep
        their one-inference graphs and a notice says why. Rings already of that shape are kept."""
        if per_launch == self.per_launch > 1 and all(len(lane.batches) == in_flight + 1 for lane in lanes):
            return
        self._drop_batches(lanes)
        self.per_launch = 1
        if per_launch <= 1 or not self.can_batch:
            return
        backend: Any = self._backend
        try:
            for lane in lanes:
                for _ in range(in_flight + 1):
                    lane.batches.append(backend.capture_batch(lane.handle, lane.work, per_launch))
                    self._stats.graph_captures += 1
        except Exception as exc:
            self._drop_batches(lanes)
            self._notice(
                f"CUDA graphs of {per_launch} inferences failed ({_reason(exc)}); one inference per launch"
            )
            return
        self.per_launch = per_launch

    def launch(self, lane: Lane, call: Call, lanes: Sequence[Lane]) -> tuple[bool | str, Any]:
        """Enqueue the lane's next launch: (True or why it failed, the multi-inference graph or None).
        A graph launch that fails turns graphs off for all `lanes` and runs the plain enqueue."""
        backend = self._backend
        if backend is not None and (lane.batches or lane.graph is not None):
            g = lane.batches[lane.next_batch] if lane.batches else lane.graph

            def launch_graph() -> bool:
                backend.launch(g, lane.handle)
                return True

            ok = call(launch_graph)
            if ok is True:
                if lane.batches:
                    lane.next_batch = (lane.next_batch + 1) % len(lane.batches)
                    return True, g
                return True, None
            self._drain()
            self.drop(lanes)
            self.note = "launch failed"
            self._stats.graph_fallbacks += 1
            self._notice(f"CUDA graph launch failed ({ok}); running without CUDA graphs")
        return call(lambda: lane.work(lane.handle)), None

    def batch_times(self, g: Any) -> list[float]:
        """Each inference's GPU time (ms) in the last completed launch of the multi-inference graph `g`."""
        backend: Any = self._backend
        times: list[float] = backend.batch_times(g)
        return times

    def drop(self, lanes: Sequence[Lane]) -> None:
        """Every graph of these lanes goes (all drained); graphs are off until captured again."""
        self._drop_batches(lanes)
        for lane in lanes:
            if lane.graph is not None and self._backend is not None:
                with contextlib.suppress(Exception):
                    self._backend.destroy(lane.graph)
            lane.graph = None
        self.on = False
        self.per_launch = 1

    def close(self, lanes: Sequence[Lane]) -> None:
        """At the end: like `drop`, but a failure to destroy is said; `on` keeps saying whether the
        run used graphs."""
        for lane in lanes:
            for g in [*lane.batches, *([lane.graph] if lane.graph is not None else [])]:
                if self._backend is None:
                    break
                try:
                    self._backend.destroy(g)
                except Exception as exc:
                    self._notice(f"destroying a CUDA graph failed: {exc}")
            lane.batches = []
            lane.graph = None

    def _drop_batches(self, lanes: Sequence[Lane]) -> None:
        for lane in lanes:
            for g in lane.batches:
                if self._backend is not None:
                    with contextlib.suppress(Exception):
                        self._backend.destroy(g)
            lane.batches = []
            lane.next_batch = 0
