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
    def can_control(self) -> bool:
        """True when pause, resume and reset act on the run; False for a read-only feed, whose
        control calls do nothing."""
        ...

    def start(self, on_update: Callable[[Update], None]) -> None:
        """Begin publishing; called once, and returns without waiting for the run. `on_update`
        then receives every `Update`; a run that ends says so in the last one's state."""
        ...

    def stop(self, timeout: float = 5.0) -> None:
        """Stop publishing and end the feed's thread, waiting at most `timeout` seconds (a local run
        stops its source; a remote feed only disconnects). Idempotent, safe before `start`."""
        ...

    def set_paused(self, paused: bool) -> None:
        """Pause or resume inferences. Asynchronous: a later `Update`'s state shows it."""
        ...

    def reset(self) -> None:
        """Forget the statistics gathered so far; the next `Update`s count from the reset."""
        ...

    @property
    def can_reconfigure(self) -> bool:
        """True when the run can change its batch or number of contexts (`reconfigure`)."""
        ...

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
        """Switch the run to `batch` and/or `streams` (None: keep) and restart the statistics;
        blocks until it runs (call it from a worker thread). Raises `DoesNotFit` (the previous
        configuration keeps running) or `UserError`."""
        ...
