"""The interface every timing source implements (simulator, TensorRT runner, recording replay)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from trtui.core.model import SourceBatch, SourceInfo, StartupStep

StartupListener = Callable[[tuple[StartupStep, ...]], None]


class ProfileSource(Protocol):
    """A producer of `SourceBatch`es.

    Lifecycle: `start()` once (may raise `UserError`), then `read()` repeatedly from one consumer
    thread, then `stop()` (idempotent, also after a failed start; frees every resource).
    Sources that need a thread of their own (the GPU worker) run it between start and stop.
    """

    @property
    def info(self) -> SourceInfo:
        """What the source runs (label, device, layers, mode). Read by the consumer thread at every tick; a
        source may replace it when it learns more (after `start()`) or is reconfigured."""
        ...

    def start(self) -> None:
        """Make the source produce; called once, on the consumer thread. Raises `UserError` with one line
        when it cannot run; it may block for the whole start-up (an engine load takes seconds)."""
        ...

    def read(self, timeout: float) -> SourceBatch:
        """Everything produced since the last read; waits up to `timeout` s for something."""
        ...

    def set_paused(self, paused: bool) -> None:
        """Stop/resume producing (the GPU goes idle while paused)."""
        ...

    def stop(self) -> None:
        """Stop producing and free every resource (threads, processes, GPU memory). Idempotent; safe after a
        failed or missing `start()`."""
        ...


@runtime_checkable
class ReportsStartup(Protocol):
    """A source that reports its start-up steps while `start()` runs (an engine: seconds of CUDA
    context, deserialization, inspector, first runs). The listener is called on the thread that
    called `start()`, from inside it: with the steps that began or ended, and at least every
    quarter of a second meanwhile (an empty tuple: still the same step). Steps after `start()`
    returned (warm-up, first profiled batch) arrive in `SourceBatch.startup`."""

    def set_startup_listener(self, listener: StartupListener) -> None:
        """Set the listener before `start()`; the source calls it as the class docstring says."""
        ...


def listen_to_startup(source: object, listener: StartupListener) -> bool:
    """Hand `listener` to a source that reports its start-up steps; False for one that does not."""
    if isinstance(source, ReportsStartup):
        source.set_startup_listener(listener)
        return True
    return False
