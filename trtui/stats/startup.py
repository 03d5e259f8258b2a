"""The start-up steps of a run as they arrive (the session's view of them)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from trtui.core.model import StartupStep


class StartupTracker:
    """Steps done (with the durations their source measured) and the one running, whose time so
    far is counted on this process's clock from when its beginning arrived (so no clock of another
    process is ever compared with this one)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._done: list[StartupStep] = []
        self._running: tuple[StartupStep, float] | None = None

    def add(self, steps: Iterable[StartupStep]) -> list[StartupStep]:
        """Take steps that began or ended, in order; returns those that ended."""
        ended: list[StartupStep] = []
        for step in steps:
            if step.duration_s is None:
                self._running = (step, self._clock())
                continue
            self._done.append(step)
            ended.append(step)
            if self._running is not None and self._running[0].name == step.name:
                self._running = None
        return ended

    def finish(self) -> None:
        """The run ended: no step runs any more (one that began and never ended is dropped)."""
        self._running = None

    @property
    def done(self) -> tuple[StartupStep, ...]:
        """The steps that ended, in the order they ended."""
        return tuple(self._done)

    def running(self) -> StartupStep | None:
        """The running step, with how long it has run so far; None when none runs."""
        if self._running is None:
            return None
        step, since = self._running
        return StartupStep(step.name, max(self._clock() - since, 0.0), step.simulated)
