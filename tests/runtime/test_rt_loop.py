"""The inference loop against a fake driver with a virtual GPU clock (no CUDA needed)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
import rt_fakes as fk

from trtui.core.model import SourceBatch
from trtui.gpu.runtime.loop import InferenceLoop
from trtui.gpu.runtime.loop_types import Lane, LoopConfig, LoopError


@pytest.fixture(autouse=True)
def _reset() -> None:
    fk.reset()


class Work:
    """One fake inference: `ms` of GPU time on the stream; stops the loop after `limit` calls."""

    def __init__(self, ms: float, stop: threading.Event, limit: int, fail: set[int] | None = None,
                 always_fail_from: int | None = None) -> None:
        self.ms, self.stop, self.limit = ms, stop, limit
        self.calls = 0
        self.fail = fail or set()
        self.always_fail_from = always_fail_from

    def __call__(self, handle: int) -> bool:
        self.calls += 1
        if self.calls >= self.limit:
            self.stop.set()
        failing = self.always_fail_from is not None and self.calls >= self.always_fail_from
        if self.calls in self.fail or failing:
            return False
        fk.STREAMS[handle].enqueue(self.ms)
        return True


class Profiled:
    def __init__(self, ms: float, names: tuple[str, ...]) -> None:
        self.ms, self.names = ms, names
        self.launches = 0
        self._stream: fk.FakeStream | None = None
        self._end = 0.0

    def launch(self, stream: int) -> bool:
        self.launches += 1
        self._stream = fk.STREAMS[stream]
        self._stream.enqueue(self.ms)
        self._end = self._stream.tail
        return True

    def collect(self) -> tuple[tuple[str, ...], list[float]]:
        s = self._stream
        assert s is not None and s.synced >= self._end, "collect before completion"
        return self.names, [self.ms / len(self.names)] * len(self.names)


def run_loop(works: list[Work], stop: threading.Event, *, graphs: Any = None, profiled: Any = None,
             **cfg: Any) -> tuple[InferenceLoop, list[SourceBatch]]:
    driver = fk.FakeDriver()
    lanes = [Lane(index=i, stream=driver.Stream(), work=w) for i, w in enumerate(works)]
    out: list[SourceBatch] = []
    config = LoopConfig(**{"warmup_s": 0.0, "flush_s": 0.0, "profile_every": 0, **cfg})
    loop = InferenceLoop(driver, lanes, config, out.append, graphs=graphs, profiled=profiled)
    loop.run(stop, threading.Event())
    return loop, out


def lat(out: list[SourceBatch]) -> np.ndarray:
    return np.concatenate([b.latencies_ms for b in out]) if out else np.array([])


def test_latencies_are_the_gpu_time_of_each_inference() -> None:
    stop = threading.Event()
    work = Work(0.5, stop, 200)
    loop, out = run_loop([work], stop, use_graphs=False)
    lats = lat(out)
    assert lats.size >= 190  # every inference but the first run (and what the limit cut off)
    np.testing.assert_allclose(lats, 0.5)
    assert sum(b.timing_wall_s for b in out) > 0
    assert all(b.latency_streams is None for b in out)
    assert loop.stats.iterations == lats.size
    assert loop.stats.idle_ms == 0  # back to back on the virtual GPU


def test_enqueue_ahead_keeps_depth_inferences_in_flight() -> None:
    stop = threading.Event()
    work = Work(0.5, stop, 50)
    driver = fk.FakeDriver()
    lane = Lane(index=0, stream=driver.Stream(), work=work)
    seen: list[int] = []

    def spy(handle: int) -> bool:
        seen.append(len(lane.inflight))  # in flight when the next one is enqueued
        return work(handle)

    lane.work = spy
    loop = InferenceLoop(driver, [lane], LoopConfig(warmup_s=0, depth=3, use_graphs=False, profile_every=0),
                         lambda b: None)
    loop.run(stop, threading.Event())
    assert max(seen) == 2 and seen.count(2) > 40  # 2 queued + the one being enqueued = depth 3


def test_depth_grows_for_short_inferences() -> None:
    stop = threading.Event()
    work = Work(0.1, stop, 10_000)
    loop, _ = run_loop([work], stop, use_graphs=False, warmup_s=0.01, queue_ms=2.0)
    assert loop.depth == 21  # 2 ms of queued work / 0.1 ms + 1


def test_streams_are_reported_per_latency() -> None:
    stop = threading.Event()
    works = [Work(0.5, stop, 100), Work(0.25, stop, 10**9)]
    _, out = run_loop(works, stop, use_graphs=False)
    lats = lat(out)
    streams = np.concatenate([b.latency_streams for b in out if b.latency_streams is not None])
    assert streams.size == lats.size
    np.testing.assert_allclose(lats[streams == 0], 0.5)
    np.testing.assert_allclose(lats[streams == 1], 0.25)
    assert abs(int((streams == 0).sum()) - int((streams == 1).sum())) <= 1


def test_graphs_replay_without_calling_the_work() -> None:
    stop = threading.Event()
    work = Work(0.5, stop, 10**9)
    graphs = fk.FakeGraphs()
    driver = fk.FakeDriver()
    loop = InferenceLoop(driver, [Lane(0, driver.Stream(), work)],
                         LoopConfig(warmup_s=0, flush_s=0, profile_every=0), lambda b: None, graphs=graphs)
    loop.prepare()
    assert loop.graphs_on and graphs.captures == 1
    assert work.calls == 2  # the first run, then the capture
    t = threading.Timer(0.05, stop.set)
    t.start()
    loop.run(stop, threading.Event())
    # every launch is a graph replay; the first of the run started on an idle stream and is not reported
    assert work.calls == 2 and graphs.launches == loop.stats.iterations + 1 > 10
    loop.close()
    assert graphs.live == 0


def test_capture_failure_falls_back_with_a_notice() -> None:
    stop = threading.Event()

    class NoCapture(Work):
        def __call__(self, handle: int) -> bool:
            if fk.STREAMS[handle].capturing is not None:
                return False
            return super().__call__(handle)

    work = NoCapture(0.5, stop, 100)
    loop, out = run_loop([work], stop, graphs=fk.FakeGraphs())
    notices = [n for b in out for n in b.notices]
    assert any(n.startswith("CUDA graph capture failed") for n in notices)
    assert not loop.graphs_on and loop.graph_note == "capture failed"
    assert lat(out).size > 50


def test_reconfigure_recaptures() -> None:
    stop = threading.Event()
    work = Work(0.5, stop, 10**9)
    graphs = fk.FakeGraphs()
    driver = fk.FakeDriver()
    changed = []
    loop = InferenceLoop(driver, [Lane(0, driver.Stream(), work)],
                         LoopConfig(warmup_s=0, flush_s=0, profile_every=0), lambda b: None, graphs=graphs)
    loop.reconfigure(lambda: changed.append(work.calls))
    threading.Timer(0.05, stop.set).start()
    loop.run(stop, threading.Event())
    assert changed == [2]  # after the first run and the first capture
    assert graphs.captures == 2 and graphs.live == 1
    loop.close()


def test_profiled_inferences_run_alone_and_never_count_as_latency() -> None:
    stop = threading.Event()
    works = [Work(0.5, stop, 300), Work(0.5, stop, 10**9)]
    prof = Profiled(2.0, ("a", "b", "c", "d"))
    loop, out = run_loop(works, stop, use_graphs=False, profiled=prof, profile_every=10, profile_budget=1.0)
    its = [p for b in out for p in b.profiled]
    assert len(its) >= 20
    assert all(p.names == ("a", "b", "c", "d") and p.gpu_ms == pytest.approx(2.0) for p in its)
    np.testing.assert_allclose(lat(out), 0.5)  # no 2 ms latency anywhere
    # one inference in 10 is profiled: 9 timed ones between two, rounded up to whole rounds of 2 lanes
    assert loop.stats.iterations / len(its) == pytest.approx(10, rel=0.15)


@pytest.mark.parametrize(("every", "timed_between"), [(10, 9), (4, 3), (2, 1), (1, 1)])
def test_one_inference_in_n_is_profiled(every: int, timed_between: int) -> None:
    """"profiling 1 in N" counts inferences: N-1 timed inferences (at least one) between profiled ones."""
    stop = threading.Event()
    order: list[str] = []
    work = Work(0.5, stop, 400)
    launch_timed = work.__call__

    def timed(stream: int) -> bool:
        order.append("t")
        return launch_timed(stream)

    prof = Profiled(2.0, ("a",))
    launch_prof = prof.launch

    def profiled(stream: int) -> bool:
        order.append("p")
        return launch_prof(stream)

    prof.launch = profiled  # type: ignore[method-assign]
    run_loop([timed], stop, use_graphs=False, profiled=prof, profile_every=every, profile_budget=1.0)  # type: ignore[list-item]
    assert order[:2] == ["t", "p"]  # prepare(): the first run, the first (cold) profiled run
    runs = "".join(order[2:]).split("p")[:-1]  # the timed runs before each profiled inference
    assert len(runs) > 20
    assert {len(r) for r in runs} == {timed_between}


def test_profiled_inference_is_ordered_alone_on_the_gpu_without_draining() -> None:
    stop = threading.Event()
    driver = fk.FakeDriver()
    works = [Work(0.5, stop, 400), Work(0.3, stop, 10**9), Work(0.2, stop, 10**9)]
    lanes = [Lane(index=i, stream=driver.Stream(), work=w) for i, w in enumerate(works)]
    prof = Profiled(2.0, ("a",))
    windows: list[tuple[float, float]] = []
    launch = prof.launch

    def spy(stream: int) -> bool:
        s0 = fk.STREAMS[stream]
        others = [ln.stream.tail for ln in lanes[1:]]
        start = s0.tail
        ok = launch(stream)
        # stream 0 waited for everything queued on the other streams before the profiled inference
        assert start >= max(others)
        windows.append((start, s0.tail))
        return ok

    prof.launch = spy  # type: ignore[method-assign]
    out: list[SourceBatch] = []
    loop = InferenceLoop(driver, lanes, LoopConfig(warmup_s=0, flush_s=0, profile_every=5, profile_budget=1.0,
                                                   use_graphs=False), out.append, profiled=prof)
    loop.run(stop, threading.Event())
    n = len(windows) - 1  # the first, cold profiled run in prepare() is not reported
    assert n > 10 and loop.stats.profiled == n
    # the other streams waited for each profiled inference: their next work starts after it ended
    assert all(ln.stream.waits >= n for ln in lanes[1:])
    assert lanes[0].stream.waits >= 2 * n


def test_profile_budget_limits_profiling_time() -> None:
    stop = threading.Event()
    work = Work(0.5, stop, 2000)
    prof = Profiled(2.0, ("a",))
    ticks = iter(range(10**9))
    driver = fk.FakeDriver()
    out: list[SourceBatch] = []

    def clock() -> float:  # every clock read is 1 ms: profiling windows cost a few reads
        return next(ticks) * 1e-3

    loop = InferenceLoop(driver, [Lane(0, driver.Stream(), work)],
                         LoopConfig(warmup_s=0, flush_s=1.0, profile_every=1, profile_budget=0.1,
                                    use_graphs=False), out.append, profiled=prof, clock=clock)
    loop.run(stop, threading.Event())
    assert loop.stats.profiled > 0
    share = loop.stats.profile_wall_s / (loop.stats.profile_wall_s + loop.stats.timing_wall_s)
    assert share <= 0.12


def test_a_failing_enqueue_is_reported_and_survived() -> None:
    stop = threading.Event()
    work = Work(0.5, stop, 200, fail={50})
    loop, out = run_loop([work], stop, use_graphs=False)
    notices = [n for b in out for n in b.notices]
    assert notices == ["inference failed on stream 0: enqueue returned False"]
    assert lat(out).size >= 190
    assert loop.stats.failures == 1


def test_an_enqueue_that_keeps_failing_stops_the_loop() -> None:
    stop = threading.Event()
    work = Work(0.5, stop, 10**9, always_fail_from=30)
    with pytest.raises(LoopError, match="inference keeps failing on stream 0: enqueue returned False"):
        run_loop([work], stop, use_graphs=False, max_failures=3)


def test_a_raising_enqueue_is_a_failure_with_its_reason() -> None:
    stop = threading.Event()

    def work(handle: int) -> bool:
        raise RuntimeError("cudaErrorIllegalAddress")

    with pytest.raises(LoopError, match="first inference failed on stream 0: RuntimeError: cudaError"):
        run_loop([work], stop)  # type: ignore[list-item]


def test_pause_stops_launching() -> None:
    stop, paused = threading.Event(), threading.Event()
    work = Work(0.5, stop, 10**9)
    driver = fk.FakeDriver()
    loop = InferenceLoop(driver, [Lane(0, driver.Stream(), work)],
                         LoopConfig(warmup_s=0, flush_s=0, profile_every=0, use_graphs=False), lambda b: None)
    th = threading.Thread(target=loop.run, args=(stop, paused))
    th.start()
    try:
        while work.calls < 20:
            pass
        paused.set()
        import time

        time.sleep(0.1)
        calls = work.calls
        time.sleep(0.1)
        assert work.calls == calls
        paused.clear()
        time.sleep(0.05)
        assert work.calls > calls
    finally:
        stop.set()
        th.join(5)


# ---------------------------------------------------------------- several inferences per graph launch


class Cycling(Work):
    """GPU time per call cycles through `costs`: each inference in a captured graph keeps its own."""

    def __init__(self, costs: list[float], stop: threading.Event, limit: int) -> None:
        super().__init__(costs[0], stop, limit)
        self.costs = costs

    def __call__(self, handle: int) -> bool:
        self.ms = self.costs[self.calls % len(self.costs)]
        return super().__call__(handle)


def run_for(loop: InferenceLoop, seconds: float) -> None:
    stop = threading.Event()
    t = threading.Timer(seconds, stop.set)
    t.start()
    loop.run(stop, threading.Event())
    t.cancel()


def batch_loop(work: Work, graphs: Any, **cfg: Any) -> tuple[InferenceLoop, list[SourceBatch]]:
    driver = fk.FakeDriver()
    out: list[SourceBatch] = []
    config = LoopConfig(**{"warmup_s": 0.02, "flush_s": 0.0, "profile_every": 0, **cfg})
    loop = InferenceLoop(driver, [Lane(0, driver.Stream(), work)], config, out.append, graphs=graphs)
    return loop, out


def test_short_inferences_run_several_per_graph_launch() -> None:
    """A 0.1 ms inference: one launch carries ~1 ms (10 inferences); the queue is sized in time
    (8 ms: 8 launches + 1); each inference's latency is its own GPU time."""
    work = Work(0.1, threading.Event(), 10**9)
    graphs = fk.FakeBatchGraphs()
    loop, out = batch_loop(work, graphs, queue_ms=8.0, launch_ms=1.0)
    run_for(loop, 0.3)
    assert (loop.stats.per_launch, loop.depth) == (10, 9)
    lats = lat(out)
    np.testing.assert_allclose(lats, 0.1)
    assert lats.size == loop.stats.iterations > 1000
    assert lats.size == 10 * (graphs.batch_launches - 1)  # the first launch of the run is cold
    calls = work.calls
    assert calls == 2 + 10 * 10  # first run + one-inference graph + a ring of 10 graphs of 10: no more
    run_for(loop, 0.05)
    assert work.calls == calls  # only graph replays
    loop.close()
    assert graphs.live == 0


def test_each_inference_in_a_graph_keeps_its_own_time() -> None:
    work = Cycling([0.1, 0.3], threading.Event(), 10**9)
    graphs = fk.FakeBatchGraphs()
    loop, out = batch_loop(work, graphs, queue_ms=4.0, launch_ms=1.0)
    run_for(loop, 0.3)
    assert loop.stats.per_launch > 1
    lats = lat(out)
    assert set(np.round(lats, 6).tolist()) == {0.1, 0.3}
    # in launch order, every graph's own per-inference times (the first launch is cold: not reported)
    np.testing.assert_allclose(lats, np.concatenate(graphs.reads[1:]))
    loop.close()


def test_long_inferences_keep_one_per_launch() -> None:
    work = Work(1.5, threading.Event(), 10**9)
    graphs = fk.FakeBatchGraphs()
    loop, out = batch_loop(work, graphs, queue_ms=8.0, launch_ms=1.0)
    run_for(loop, 0.2)
    assert (loop.stats.per_launch, loop.depth) == (1, 7)  # ceil(8 / 1.5) + 1
    assert graphs.batch_launches == 0 and lat(out).size > 10
    loop.close()


def test_a_graph_of_several_that_cannot_be_captured_falls_back_with_a_notice() -> None:
    work = Work(0.1, threading.Event(), 10**9)
    loop, out = batch_loop(work, fk.FakeBatchGraphs(fail_batches=True), queue_ms=2.0, launch_ms=1.0)
    run_for(loop, 0.2)
    notices = [n for b in out for n in b.notices]
    assert any(n.startswith("CUDA graphs of 10 inferences failed") for n in notices), notices
    assert (loop.stats.per_launch, loop.depth) == (1, 21)  # sized again for one per launch
    assert loop.graphs_on
    np.testing.assert_allclose(lat(out), 0.1)
    loop.close()


def test_a_failed_launch_drains_the_graphs_in_flight_first() -> None:
    """The ring's graphs in flight are read before they are destroyed; the plain enqueue goes on."""
    work = Work(0.1, threading.Event(), 10**9)
    graphs = fk.FakeBatchGraphs(fail_launch_after=40)
    loop, out = batch_loop(work, graphs, queue_ms=4.0, launch_ms=1.0)
    run_for(loop, 0.3)
    notices = [n for b in out for n in b.notices]
    assert any("CUDA graph launch failed" in n for n in notices)
    assert not loop.graphs_on and loop.graph_note == "launch failed" and graphs.live == 0
    np.testing.assert_allclose(lat(out), 0.1)
    assert lat(out).size > 40 * 10
    loop.close()


def test_profiling_with_several_inferences_per_launch() -> None:
    work = Work(0.1, threading.Event(), 10**9)
    prof = Profiled(0.4, ("a", "b"))
    driver = fk.FakeDriver()
    out: list[SourceBatch] = []
    cfg = LoopConfig(warmup_s=0.02, flush_s=0.0, profile_every=20, profile_budget=1.0, launch_ms=1.0)
    loop = InferenceLoop(driver, [Lane(0, driver.Stream(), work)], cfg, out.append,
                         graphs=fk.FakeBatchGraphs(), profiled=prof)
    run_for(loop, 0.3)
    assert loop.stats.per_launch == 10 and loop.stats.profiled > 10
    np.testing.assert_allclose(lat(out), 0.1)  # latency never comes from a profiled inference
    timed = lat(out).size
    assert timed / loop.stats.profiled == pytest.approx(20, rel=0.2)  # whole launches of 10 between
    loop.close()
