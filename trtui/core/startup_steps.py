"""Timing a source's start-up steps: what a source (the GPU worker, the engine's process, the
simulated demo) reports as each step begins and ends, as `trtui.core.model.StartupStep` values."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from trtui.core.model import StartupStep

StepSink = Callable[[StartupStep], None]


def no_steps(step: StartupStep) -> None:
    """A sink that drops the steps (a source run without a listener)."""


class StepTimer:
    """Times start-up steps one at a time and hands each beginning (`duration_s` None) and end
    (its duration) to `sink`. `begin` ends the running step first; `end` ends it (a no-op when
    none runs). Not thread-safe: one thread times its own steps."""

    def __init__(self, sink: StepSink, clock: Callable[[], float] = time.perf_counter,
                 simulated: bool = False) -> None:
        self._sink = sink
        self._clock = clock
        self._simulated = simulated
        self._running: tuple[str, float] | None = None

    @property
    def running(self) -> str | None:
        """The step that began and has not ended, or None."""
        return self._running[0] if self._running is not None else None

    def begin(self, name: str) -> None:
        """Start timing step `name` (ending the running step first) and report its beginning."""
        self.end()
        self._running = (name, self._clock())
        self._sink(StartupStep(name, None, self._simulated))

    def end(self) -> None:
        """End the running step and report its duration in seconds; nothing when no step runs."""
        if self._running is None:
            return
        name, t0 = self._running
        self._running = None
        self._sink(StartupStep(name, max(self._clock() - t0, 0.0), self._simulated))

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """`begin(name)`, then `end()` when the block is left (also on an error: its time counts)."""
        self.begin(name)
        try:
            yield
        finally:
            if self.running == name:
                self.end()
