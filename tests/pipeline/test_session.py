"""The session: source -> aggregators -> one immutable update per tick."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from trtui.core.model import SourceBatch, SourceInfo, frozen_array
from trtui.core.options import RunOptions
from trtui.pipeline.session import Session
from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry
from trtui.stats.update import Update


def test_session_thread_publishes_updates_and_stops() -> None:
    src = SimulatedSource(RunOptions(seed=3))
    got: list[Update] = []
    ses = Session(
        src, SimulatedTelemetry(src), on_update=got.append, tick_s=0.05, telemetry_interval_s=0.05
    )
    ses.start()
    time.sleep(0.5)
    ses.stop()
    assert ses._thread is not None and not ses._thread.is_alive()
    assert len(got) >= 3
    last = got[-1].profile
    assert last.state == "running" and last.latency_total.count > 0
    assert len(last.layers_window) == len(src.layers)
    assert got[-1].telemetry is not None and got[-1].telemetry.simulated
    seqs = [u.profile.seq for u in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert last.profiler_tax_ms is not None and last.profiler_tax_ms > 0  # events cost time


def test_reset_and_pause() -> None:
    t = [0.0]
    src = SimulatedSource(clock=lambda: t[0])
    ses = Session(src, clock=lambda: t[0])
    ses.open()
    t[0] += 0.2
    ses.ingest(src.read(0))
    assert ses.snapshot().latency_total.count > 0
    ses.reset()
    ses._reset_requested.clear()
    ses._reset_stats()
    assert ses.snapshot().latency_total.count == 0
    ses.set_paused(True)
    assert not ses.paused  # a request from another thread: applied in the session thread
    ses._apply_controls()
    assert ses.paused and ses.snapshot().state == "paused"
    t[0] += 0.3
    ses.ingest(src.read(0))
    assert ses.snapshot().latency_total.count == 0


class _FailingSource:
    info = SourceInfo(kind="engine", label="bad.engine", simulated=False)

    def start(self) -> None:
        from trtui.common.errors import UserError

        raise UserError("bad.engine: not a TensorRT engine")

    def read(self, timeout: float) -> SourceBatch:
        raise AssertionError("never read after a failed start")

    def set_paused(self, paused: bool) -> None: ...

    def stop(self) -> None:
        self.stopped = True


def test_failed_start_is_reported_and_source_stopped() -> None:
    src = _FailingSource()
    done = threading.Event()
    got: list[Update] = []

    def on_update(u: Update) -> None:
        got.append(u)
        done.set()

    ses = Session(src, on_update=on_update)  # type: ignore[arg-type]
    ses.start()
    assert done.wait(5)
    ses.stop()
    assert got[0].profile.state == "error"
    assert got[0].profile.error == "bad.engine: not a TensorRT engine"
    assert src.stopped


class _OneShot:
    """A source that delivers one batch and finishes (like a recording)."""

    info = SourceInfo(kind="recording", label="rec", simulated=False)

    def start(self) -> None: ...

    def read(self, timeout: float) -> SourceBatch:
        return SourceBatch(
            t=1.0, latencies_ms=frozen_array([1.0, 2.0, 3.0]), timing_wall_s=0.006, finished=True
        )

    def set_paused(self, paused: bool) -> None: ...

    def stop(self) -> None: ...


def test_finished_source_ends_the_loop() -> None:
    ses = Session(_OneShot())  # type: ignore[arg-type]
    ses.open()
    ses.loop(until=time.monotonic() + 5)
    snap = ses.snapshot()
    assert snap.state == "finished"
    assert snap.latency_total.count == 3 and snap.latency_total.throughput_per_s == pytest.approx(500.0)
    np.testing.assert_allclose(snap.recent_latencies_ms, [1.0, 2.0, 3.0])


def test_the_startup_tracker_counts_the_running_step_on_its_own_clock() -> None:
    from trtui.core.model import StartupStep
    from trtui.stats.startup import StartupTracker

    now = [10.0]
    tracker = StartupTracker(lambda: now[0])
    assert tracker.running() is None and tracker.done == ()
    assert tracker.add([StartupStep("CUDA context")]) == []
    now[0] = 10.75
    assert tracker.running() == StartupStep("CUDA context", 0.75)
    ended = tracker.add([StartupStep("CUDA context", 0.7), StartupStep("deserialize")])
    assert ended == [StartupStep("CUDA context", 0.7)]  # the source's own measurement is kept
    assert tracker.running() == StartupStep("deserialize", 0.0)
    tracker.finish()
    assert tracker.running() is None and tracker.done == (StartupStep("CUDA context", 0.7),)


@pytest.mark.parametrize("every", [10, 0])
def test_the_simulated_source_reports_its_startup_steps_labelled_simulated(every: int) -> None:
    said: list[object] = []
    options = RunOptions(profile_every=every)
    session = Session(SimulatedSource(options), None, options, tick_s=0.1, on_step=said.append)
    update = session.run_for(0.5)
    steps = update.profile.startup
    expected = ["deserialize", "first profiled batch"] if every else ["deserialize"]
    assert [s.name for s in steps] == expected
    assert all(s.simulated and s.duration_s is not None and s.duration_s >= 0 for s in steps)
    assert said == list(steps)  # --verbose hears each one as it ends
    assert update.profile.startup_running is None
    from trtui.recording.summary import summary_dict

    assert [d["step"] for d in summary_dict(update)["startup"]] == expected
