"""Turning SIGTERM and SIGHUP into a clean stop for headless commands."""

from __future__ import annotations

import contextlib
import signal
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
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
