"""TelemetryPoller: background sampling, pause back-off, clean stop."""

from __future__ import annotations

import threading
import time

import pytest

from trtui.telemetry.poller import TelemetryPoller
from trtui.telemetry.sample import TelemetrySample


class CountingSource:
    def __init__(self, fail_every: int = 0) -> None:
        self.calls = 0
        self.closed = False
        self.fail_every = fail_every
        self.threads: set[str] = set()

    def sample(self) -> TelemetrySample:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        if self.fail_every and self.calls % self.fail_every == 0:
            raise RuntimeError("boom")
        return TelemetrySample(t=float(self.calls), gpu_util_pct=float(self.calls))

    def close(self) -> None:
        self.closed = True


def test_samples_off_the_calling_thread_and_stops() -> None:
    src = CountingSource()
    poller = TelemetryPoller(src, interval_s=0.05).start()
    try:
        first = poller.wait_for_sample(0, timeout_s=5.0)
        assert first is not None
        third = poller.wait_for_sample(2, timeout_s=5.0)
        assert third is not None and third.t >= 3.0
        assert poller.latest is not None and poller.latest.t >= third.t
        assert src.threads == {"trtui-telemetry"}
        assert poller.last_cost_ms is not None and poller.last_cost_ms >= 0.0
    finally:
        assert poller.stop(timeout_s=5.0)
    calls = src.calls
    time.sleep(0.15)
    assert src.calls == calls  # really stopped
    assert not src.closed  # stop() leaves the source open; close() closes it
    poller.close()
    assert src.closed


def test_pause_backs_off_and_resume_samples_at_once() -> None:
    src = CountingSource()
    poller = TelemetryPoller(src, interval_s=0.05, paused_interval_s=10.0).start()
    try:
        assert poller.wait_for_sample(0, timeout_s=5.0) is not None
        poller.set_paused(True)
        assert poller.current_interval_s == 10.0
        time.sleep(0.1)  # let an in-flight wait finish
        before = src.calls
        time.sleep(0.4)
        assert src.calls - before <= 1  # ~8 samples at 0.05 s if it had not backed off
        started = time.monotonic()
        n = poller.samples
        poller.set_paused(False)
        assert poller.wait_for_sample(n, timeout_s=5.0) is not None
        assert time.monotonic() - started < 2.0  # not the 10 s paused interval
    finally:
        poller.close()


def test_default_paused_interval_and_set_interval() -> None:
    poller = TelemetryPoller(CountingSource())
    assert poller.interval_s == 0.5
    assert poller.paused_interval_s == 2.0
    poller.set_interval(1.0)
    assert poller.paused_interval_s == 4.0
    poller.set_paused(True)
    assert poller.paused and poller.current_interval_s == 4.0


@pytest.mark.parametrize("bad", [0, -1, 0.001, float("nan"), float("inf"), "x"])
def test_bad_intervals(bad: object) -> None:
    with pytest.raises(ValueError):
        TelemetryPoller(CountingSource(), interval_s=bad)  # type: ignore[arg-type]


def test_source_errors_do_not_kill_the_thread_and_callback_gets_samples() -> None:
    got: list[float] = []
    src = CountingSource(fail_every=2)
    poller = TelemetryPoller(src, interval_s=0.05, on_sample=lambda s: got.append(s.t)).start()
    try:
        assert poller.wait_for_sample(3, timeout_s=5.0) is not None
    finally:
        poller.close()
    assert poller.errors >= 1 and poller.last_error is not None and "boom" in poller.last_error
    assert got and all(t % 2 == 1 for t in got)  # the failing calls produced no sample


def test_wait_times_out_without_samples() -> None:
    poller = TelemetryPoller(CountingSource())
    assert poller.wait_for_sample(0, timeout_s=0.05) is None
    assert poller.stop()  # never started
