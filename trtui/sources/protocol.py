"""The interface every timing source implements (simulator, TensorRT runner, recording replay)."""

from __future__ import annotations

from typing import Protocol

from trtui.model import SourceBatch, SourceInfo


class ProfileSource(Protocol):
    """A producer of `SourceBatch`es.

    Lifecycle: `start()` once (may raise `UserError`), then `read()` repeatedly from one consumer
    thread, then `stop()` (idempotent, also after a failed start; frees every resource).
    Sources that need a thread of their own (the GPU worker) run it between start and stop.
    """

    @property
    def info(self) -> SourceInfo: ...

    def start(self) -> None: ...

    def read(self, timeout: float) -> SourceBatch:
        """Everything produced since the last read; waits up to `timeout` s for something."""
        ...

    def set_paused(self, paused: bool) -> None:
        """Stop/resume producing (the GPU goes idle while paused)."""
        ...

    def stop(self) -> None: ...
