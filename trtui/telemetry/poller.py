"""TelemetryPoller: samples a `TelemetrySource` on a background thread, off the UI thread.

The newest sample is available at any time (`latest`), an optional callback receives each one
(for example to post a message to the UI; the callback runs on the poller thread). When the
display is paused (terminal not redrawn) `set_paused(True)` stretches the interval so that
sampling costs next to nothing; unpausing samples at once and returns to the normal interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from trtui.telemetry.sample import TelemetrySample, TelemetrySource

DEFAULT_INTERVAL_S = 0.5
MIN_INTERVAL_S = 0.05


class TelemetryPoller:
    def __init__(
        self,
        source: TelemetrySource,
        interval_s: float = DEFAULT_INTERVAL_S,
        paused_interval_s: float | None = None,
        on_sample: Callable[[TelemetrySample], None] | None = None,
        name: str = "trtui-telemetry",
    ) -> None:
        self.source = source
        self._interval = _check_interval(interval_s)
        self._paused_interval = None if paused_interval_s is None else _check_interval(paused_interval_s)
        self._on_sample = on_sample
        self._name = name
        self._lock = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._latest: TelemetrySample | None = None
        self._paused = False
        self.samples = 0
        self.errors = 0
        self.last_error: str | None = None
        self.last_cost_ms: float | None = None  # CPU time of the last sample, on the poller thread

    # ---- control -------------------------------------------------------------------------
    @property
    def interval_s(self) -> float:
        return self._interval

    @property
    def paused_interval_s(self) -> float:
        """The interval while paused: as given, else 4x the interval and at least 2 s."""
        if self._paused_interval is not None:
            return self._paused_interval
        return max(4 * self._interval, 2.0)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def current_interval_s(self) -> float:
        return self.paused_interval_s if self._paused else self._interval

    def set_interval(self, interval_s: float) -> None:
        self._interval = _check_interval(interval_s)
        self._wake.set()

    def set_paused(self, paused: bool) -> None:
        was = self._paused
        self._paused = bool(paused)
        if was and not self._paused:
            self._wake.set()  # resume: sample now rather than at the end of a long wait

    def start(self) -> TelemetryPoller:
        if self._thread is not None:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop the thread; True when it has ended. The source stays open (see close())."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    def close(self) -> None:
        """Stop the thread and close the source (stops tegrastats, shuts NVML down)."""
        self.stop()
        self.source.close()

    def __enter__(self) -> TelemetryPoller:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- results -------------------------------------------------------------------------
    @property
    def latest(self) -> TelemetrySample | None:
        with self._lock:
            return self._latest

    def wait_for_sample(self, after: int = 0, timeout_s: float = 5.0) -> TelemetrySample | None:
        """Block until more than `after` samples have been taken; the newest, or None on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self.samples <= after:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._lock.wait(left)
            return self._latest

    # ---- the thread ----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.thread_time()
            try:
                sample = self.source.sample()
            except Exception as err:  # a source must not kill the poller
                self.errors += 1
                self.last_error = f"{type(err).__name__}: {err}"
                sample = None
            self.last_cost_ms = (time.thread_time() - started) * 1000.0
            if sample is not None:
                with self._lock:
                    self._latest = sample
                    self.samples += 1
                    self._lock.notify_all()
                if self._on_sample is not None:
                    try:
                        self._on_sample(sample)
                    except Exception as err:
                        self.errors += 1
                        self.last_error = f"callback: {type(err).__name__}: {err}"
            if self._stop.is_set():
                break
            self._wake.wait(self.current_interval_s)
            self._wake.clear()


def _check_interval(value: float) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"telemetry interval must be a number of seconds, not {value!r}") from None
    if not seconds >= MIN_INTERVAL_S or seconds == float("inf"):
        raise ValueError(f"telemetry interval must be at least {MIN_INTERVAL_S} s, not {value!r}")
    return seconds
