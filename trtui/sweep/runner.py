"""Run a sweep: for each point, reconfigure the source, warm up, measure, summarize.

Works with any source that can be reconfigured (`trtui.sources.reconfigurable`): the simulator and
the TensorRT engine source. One source start for the whole sweep. A point that does not fit is
recorded as such and the sweep goes on; an error that ends the source ends the sweep (the points
measured so far are kept). The runner is independent of the UI: the headless command and the
Textual screen both run it and hear about it through a `SweepListener`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.common.errors import UserError
from trtui.core.model import SourceBatch
from trtui.sources.reconfigurable import DoesNotFit, ReconfigurableSource, Reconfigured
from trtui.sweep.plan import SweepPoint
from trtui.sweep.point import PointResult, does_not_fit, failed, is_stable, summarize
from trtui.sweep.results import Stopped, SweepResult, SweepSettings
from trtui.telemetry.sample import TelemetrySample, TelemetrySource

READ_S = 0.05  # longest wait for the source in one read
STABLE_CHECK_S = 0.25  # --until-stable: how often the p99's interval is checked
MIN_STABLE_S = 0.5  # ... and never before this much measuring time
TELEMETRY_EVERY_S = 0.25
FIRST_RESULT_S = 30.0  # a point whose first inference does not report within this long failed


class SweepListener:
    """Callbacks from the runner's thread. The default methods do nothing."""

    def point_started(self, index: int, point: SweepPoint) -> None:
        """Point number `index` (0-based) is being set up."""

    def point_progress(self, index: int, phase: str, fraction: float, inferences: int) -> None:
        """`phase` is "warm-up" or "measuring"; `fraction` of its time is done."""

    def point_finished(self, index: int, result: PointResult) -> None:
        """A point ended (measured, does not fit, or failed)."""


class SourceEnded(Exception):
    """The source stopped (an error or the end of its data); the sweep cannot go on."""


class SweepRunner:
    """Measures the planned points on one reconfigurable source, one after another, on the
    thread that calls `run`; `cancel` may come from any thread."""

    def __init__(
        self,
        source: ReconfigurableSource,
        settings: SweepSettings,
        telemetry: TelemetrySource | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.settings = settings
        self.telemetry = telemetry
        self._clock = clock
        self._cancel = threading.Event()
        self._points: list[PointResult] = []
        self._error: str | None = None

    @property
    def points(self) -> tuple[PointResult, ...]:
        """The points finished so far, in the order run."""
        return tuple(self._points)

    def cancel(self) -> None:
        """Stop after (or during) the current point; its partial measurement is dropped."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def result(self, stopped: Stopped) -> SweepResult:
        """The sweep so far as a result, marked `stopped`."""
        return SweepResult(self.settings, tuple(self._points), stopped, self._error)

    # ------------------------------------------------------------------ running

    def run(self, listener: SweepListener | None = None, started: bool = False) -> SweepResult:
        """Measure every planned point. Starts the source unless `started` (a bad source raises
        UserError); never stops it (the caller does)."""
        listener = listener or SweepListener()
        if not started:
            self.source.start()
        stopped: Stopped = "done"
        for index, point in enumerate(self.settings.planned):
            if self._cancel.is_set():
                stopped = "cancelled"
                break
            listener.point_started(index, point)
            try:
                result = self._point(index, point, listener)
            except SourceEnded as err:
                self._error = str(err)
                stopped = "error"
                break
            if result is None:  # cancelled while measuring
                stopped = "cancelled"
                break
            self._points.append(result)
            listener.point_finished(index, result)
        return self.result(stopped)

    def _read(self) -> SourceBatch:
        batch = self.source.read(READ_S)
        if batch.error:
            raise SourceEnded(batch.error)
        if batch.finished:
            raise SourceEnded("the source finished")
        return batch

    def _point(self, index: int, point: SweepPoint, listener: SweepListener) -> PointResult | None:
        sim = self.settings.simulated
        try:
            setup: Reconfigured = self.source.reconfigure(point.batch, point.streams)
        except DoesNotFit as err:
            return does_not_fit(point, str(err), sim)
        except UserError as err:
            return failed(point, str(err), sim)
        # warm-up: the new configuration runs, nothing is kept
        warm = self.settings.warmup_s
        t0 = self._clock()
        while (elapsed := self._clock() - t0) < warm:
            if self._cancel.is_set():
                return None
            self._read()
            listener.point_progress(index, "warm-up", min(1.0, elapsed / warm) if warm > 0 else 1.0, 0)
        return self._measure(index, point, setup, listener)

    def _measure(
        self, index: int, point: SweepPoint, setup: Reconfigured, listener: SweepListener
    ) -> PointResult | None:
        s = self.settings
        pieces: list[npt.NDArray[Any]] = []
        count = 0
        timing = 0.0
        tel: list[TelemetrySample] = []
        stable: bool | None = None
        began = self._clock()
        t0: float | None = None  # the measuring time starts with the first reported inference
        next_tel = next_check = 0.0
        while True:
            if self._cancel.is_set():
                return None
            batch = self._read()
            now = self._clock()
            if t0 is None:
                if not batch.latencies_ms.size:
                    if now - began > max(FIRST_RESULT_S, s.duration_s):
                        break
                    continue
                t0 = now
                next_tel = now
                next_check = now + MIN_STABLE_S
            if batch.latencies_ms.size:
                pieces.append(np.asarray(batch.latencies_ms))
                count += int(batch.latencies_ms.size)
            timing += batch.timing_wall_s
            if self.telemetry is not None and now >= next_tel:
                tel.append(self.telemetry.sample())
                next_tel = now + TELEMETRY_EVERY_S
            elapsed = now - t0
            listener.point_progress(index, "measuring", min(1.0, elapsed / s.duration_s), count)
            if s.until_stable and now >= next_check:
                next_check = now + STABLE_CHECK_S
                if is_stable(np.concatenate(pieces) if pieces else np.empty(0)):
                    stable = True
                    break
            if elapsed >= s.duration_s:
                stable = False if s.until_stable else None
                break
        lat = np.concatenate(pieces) if pieces else np.empty(0)
        return summarize(
            point,
            batch=setup.batch,
            streams=setup.streams,
            latencies_ms=lat,
            timing_s=timing,
            telemetry=tel,
            memory_per_context_mib=setup.memory_per_context_mib,
            stable=stable,
            simulated=s.simulated,
        )


def settings_for(
    source_spec: str,
    label: str,
    simulated: bool,
    planned: Sequence[SweepPoint],
    *,
    duration_s: float,
    warmup_s: float,
    until_stable: bool,
    budget_ms: float | None,
    knee_gain: float,
) -> SweepSettings:
    """The settings of a sweep of `planned` on the source the user named `source_spec`."""
    return SweepSettings(source_spec, label, simulated, duration_s, warmup_s, until_stable, budget_ms,
                         knee_gain, tuple(planned))
