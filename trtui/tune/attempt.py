"""What one build attempt produced, and the events a build reports while it runs.

These values cross from a builder (simulated, or the child-process runner) to the search, the
results and the UI. All frozen; `None` means "not known / not measured".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

MIB = 1024 * 1024

Outcome = Literal[
    "ok",  # built; measured where possible
    "no_implementation",  # "Could not find any implementation for node ...": too little of the pool
    "out_of_memory",  # the device (or host) ran out of memory during the build
    "killed",  # SIGKILL: on Jetson usually the kernel's OOM killer
    "crashed",  # another signal (segfault, abort) or an exit without a result
    "timeout",  # no result within the time limit: the build hung or was too slow; killed
    "cancelled",  # the user cancelled; killed
    "build_failed",  # the builder returned no engine for another reason
    "fatal",  # the input cannot build at any limit (ONNX parse error, bad shapes...): stop searching
]

OUTCOME_LABELS: dict[str, str] = {
    "ok": "built",
    "no_implementation": "no implementation",
    "out_of_memory": "out of memory",
    "killed": "killed",
    "crashed": "crashed",
    "timeout": "timeout",
    "cancelled": "cancelled",
    "build_failed": "build failed",
    "fatal": "error",
}


@dataclass(frozen=True, slots=True)
class TacticRequest:
    """A tactic the builder skipped for want of memory: how much it asked for, how much there was."""

    requested_bytes: int
    available_bytes: int | None = None
    exact: bool = True  # False: known only to the MiB ("Tactic Device request: 826MB" is rounded down)

    @property
    def enough_bytes(self) -> int:
        """A limit that surely covers the request."""
        return self.requested_bytes if self.exact else self.requested_bytes + MIB


@dataclass(frozen=True, slots=True)
class LogSummary:
    """What the builder's log said about memory (see `trtui.tune.logclass`)."""

    skipped_tactics: int = 0  # "Skipping tactic ... requested size" lines
    requests: tuple[TacticRequest, ...] = ()  # distinct requests, largest first (at most 16 kept)
    insufficient_workspace: bool = False  # "Some tactics do not have sufficient workspace memory"
    no_implementation_node: str | None = None  # node named in "Could not find any implementation"
    out_of_memory: bool = False  # OutOfMemory / "could not be allocated" / CUDA out of memory
    killed_line: bool = False  # a bare "Killed" (a shell reporting SIGKILL)
    errors: tuple[str, ...] = ()  # the first error lines, as printed
    fatal: str | None = None  # a parse/config error that no limit can fix

    @property
    def max_requested_bytes(self) -> int | None:
        """The largest request a skipped tactic made (bytes); None when the log named none."""
        return max((r.requested_bytes for r in self.requests), default=None)


@dataclass(frozen=True, slots=True)
class BuildAttempt:
    """One build at one limit, as the search and the results see it."""

    index: int  # 1-based order of the attempt (0 until the session numbers it)
    limit_bytes: int
    outcome: Outcome
    message: str = ""  # one line: why it failed, or notes on a success
    phase: str = ""  # the search phase that chose this limit: "start", "bisect", "refine"
    build_s: float | None = None
    engine_bytes: int | None = None
    device_memory_bytes: int | None = None  # engine.device_memory_size_v2
    weights_bytes: int | None = None  # None: not reported (TensorRT < 10.14): estimated from the file
    io_bytes: int | None = None
    latency_ms: float | None = None  # median GPU time of one inference
    engine_path: str | None = None  # the attempt's engine file (temporary), when built
    log: LogSummary = field(default_factory=LogSummary)
    exit_code: int | None = None  # the child's exit status; negative: killed by that signal
    simulated: bool = False

    @property
    def ok(self) -> bool:
        """True when the engine was built."""
        return self.outcome == "ok"

    def memory_needed(self, overhead_bytes: int) -> int | None:
        """Device memory needed to run the engine: weights + activations (device_memory_size_v2)
        + I/O buffers + CUDA context overhead. Weights fall back to the engine file size."""
        if not self.ok or self.device_memory_bytes is None:
            return None
        weights = self.weights_bytes if self.weights_bytes is not None else self.engine_bytes
        if weights is None:
            return None
        return weights + self.device_memory_bytes + (self.io_bytes or 0) + overhead_bytes


@dataclass(frozen=True, slots=True)
class BuildProgress:
    """A progress-monitor event: `phase_start` (total = steps), `step` or `phase_finish`."""

    kind: Literal["start", "step", "finish"]
    phase: str
    parent: str | None = None
    step: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class BuildLog:
    """One logger line from the builder (severity: E, W, I, V; "" when unknown)."""

    severity: str
    text: str


BuildEvent = BuildProgress | BuildLog
EventSink = Callable[[BuildEvent], None]


class Builder(Protocol):
    """Something that builds an engine at one pool limit. The search drives it one build at a time.

    `build` blocks until the attempt has a result (it never raises for a failed build: the failure
    is the attempt's outcome). `cancel` may be called from another thread: the running build stops
    as soon as possible (a child process is killed) and returns a "cancelled" attempt.
    """

    @property
    def simulated(self) -> bool:
        """True when the attempts are modelled, not built: every attempt says so, and the results
        may never be taken for measurements."""
        ...

    def build(self, limit_bytes: int, on_event: EventSink | None = None) -> BuildAttempt:
        """Build at `limit_bytes`; the session fills in the attempt's `index` and `phase`."""
        ...

    def cancel(self) -> None:
        """Stop the running build as soon as possible (any thread): it, and every later `build`,
        returns a "cancelled" attempt."""
        ...

    def close(self) -> None:
        """Free what the builder holds (kills a running child; temporary engines stay until the
        caller removes its work directory)."""
        ...


def null_sink(event: BuildEvent) -> None:
    """An `EventSink` that drops everything."""


class CancelFlag:
    """A thread-safe flag a builder polls (`is_set`) and a UI sets (`set`)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Raise the flag (any thread)."""
        self._event.set()

    def is_set(self) -> bool:
        """True once raised, until `clear`."""
        return self._event.is_set()

    def clear(self) -> None:
        """Lower the flag."""
        self._event.clear()

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the flag; True when it is raised."""
        return self._event.wait(timeout)
