"""Turning SIGTERM and SIGHUP into a clean stop for headless commands."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupt_on_term() -> Iterator[None]:
    """Inside the block, SIGTERM and SIGHUP (an SSH disconnect) raise KeyboardInterrupt like Ctrl-C,
    so that `finally` blocks run: workers stop, child processes are killed, temp files go."""
    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    for s in old:
        signal.signal(s, _interrupt)
    try:
        yield
    except RuntimeError as err:
        # Python 3.10: an interrupt raised while `threading.Condition.wait` re-acquires its lock
        # leaves it unlocked, and leaving the `with` then fails with "release unlocked lock" (seen in
        # CI, a SIGHUP 67 ms into `trtui profile demo`): it is still the interrupt.
        if isinstance(err.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        raise
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def arm_exit_watchdog(seconds: float, code: int = 0) -> threading.Timer:
    """End the process after `seconds` if it has not ended by itself.

    For a lost terminal (SIGHUP, tmux killing the session): the screen's shutdown may block writing
    to a terminal that is gone. The engine is stopped before this is armed, and the GPU process also
    ends by itself when this process disappears, so nothing is left holding the GPU."""
    timer = threading.Timer(seconds, os._exit, args=(code,))
    timer.daemon = True
    timer.start()
    return timer
