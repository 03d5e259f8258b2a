"""One tuning run: the search drives a builder, one build at a time, and tells a listener.

The session is independent of the UI: the headless command and the Textual screen both run it
(the screen from a thread worker) and hear about it through a `TuneListener`.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from trtui.tune.attempt import BuildAttempt, Builder, BuildEvent
from trtui.tune.plan import TunePlan
from trtui.tune.results import Stopped, TuneResult, choose
from trtui.tune.search import Step, next_step


class TuneListener:
    """Callbacks from the session's thread. The default methods do nothing."""

    def attempt_started(self, index: int, step: Step) -> None:
        """Build number `index` (1-based) starts at `step.limit_bytes`."""

    def build_event(self, event: BuildEvent) -> None:
        """A progress or log event of the running build."""

    def attempt_finished(self, attempt: BuildAttempt) -> None:
        """A build ended (in any outcome)."""


class TuneSession:
    """Runs the search for one plan on one builder, on the thread that calls `run`; `cancel` may
    come from any thread. `source` (the ONNX path, or "demo") is carried into the result."""

    def __init__(
        self,
        plan: TunePlan,
        builder: Builder,
        source: str,
        builder_info: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.plan = plan
        self.builder = builder
        self.source = source
        self.builder_info = builder_info
        self._cancelled = threading.Event()
        self._attempts: list[BuildAttempt] = []

    @property
    def attempts(self) -> tuple[BuildAttempt, ...]:
        """The attempts finished so far, in build order, numbered and with their phase."""
        return tuple(self._attempts)

    def cancel(self) -> None:
        """Stop: kills the running build (if any) and starts no other. Any thread may call it."""
        self._cancelled.set()
        self.builder.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def run(self, listener: TuneListener | None = None) -> TuneResult:
        """Search until done, the build limit, a cancel or a fatal error. Never raises for a failed
        build (failures are attempts); the builder is left open (the caller closes it)."""
        listener = listener or TuneListener()
        stopped: Stopped = "converged"
        while True:
            if self._cancelled.is_set():
                stopped = "cancelled"
                break
            step = next_step(self.plan, self._attempts)
            if step is None:
                break
            if len(self._attempts) >= self.plan.max_builds:
                stopped = "max_builds"
                break
            index = len(self._attempts) + 1
            listener.attempt_started(index, step)
            attempt = self.builder.build(step.limit_bytes, on_event=listener.build_event)
            attempt = replace(attempt, index=index, phase=step.phase)
            self._attempts.append(attempt)
            listener.attempt_finished(attempt)
            if attempt.outcome == "cancelled":
                stopped = "cancelled"
                break
            if attempt.outcome == "fatal":
                stopped = "fatal"
                break
        return self.result(stopped)

    def result(self, stopped: Stopped) -> TuneResult:
        """The run so far as a result, marked `stopped`, with the attempt `choose` picks."""
        attempts = tuple(self._attempts)
        return TuneResult(
            plan=self.plan,
            attempts=attempts,
            verdict=choose(self.plan, attempts, stopped),
            stopped=stopped,
            simulated=self.builder.simulated,
            source=self.source,
            builder_info=self.builder_info,
        )
