"""`UpdateFeed`: what the live screen drives. A local pipeline (`trtui.pipeline.session.Session`) and a remote
run (`trtui attach`) both publish `Update`s through it; the screen never sees a source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from trtui.core.reconfig import Reconfigured
from trtui.stats.update import Update


class UpdateFeed(Protocol):
    """Publishes `Update`s to one callback, from a thread of its own.

    `start(on_update)` once; `on_update` is called from the feed's thread (the screen posts a
    message from it). Control calls may come from any thread and are no-ops where `can_control`
    is False (a read-only remote run). `stop()` is idempotent and returns within `timeout`.
    """

    @property
    def can_control(self) -> bool: ...

    def start(self, on_update: Callable[[Update], None]) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...

    def set_paused(self, paused: bool) -> None: ...

    def reset(self) -> None: ...

    @property
    def can_reconfigure(self) -> bool:
        """True when the run can change its batch or number of contexts (`reconfigure`)."""
        ...

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
        """Switch the run to `batch` and/or `streams` (None: keep) and restart the statistics;
        blocks until it runs (call it from a worker thread). Raises `DoesNotFit` (the previous
        configuration keeps running) or `UserError`."""
        ...
