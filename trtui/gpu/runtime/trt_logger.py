"""A TensorRT logger that keeps the messages (thread-safe) instead of printing them.

TensorRT's logger is a library-wide singleton called from internal threads; a Textual app hides
stderr, and a failed load explains itself only through the log. So: capture, bounded, under a
lock; `mark()` / `since(mark)` give the lines logged during one operation.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from types import ModuleType
from typing import Any

# TensorRT's ILogger.Severity values (the same in 8.x to 11.x).
INTERNAL_ERROR, ERROR, WARNING, INFO, VERBOSE = 0, 1, 2, 3, 4
SEVERITY_NAMES = {INTERNAL_ERROR: "internal error", ERROR: "error", WARNING: "warning", INFO: "info",
                  VERBOSE: "verbose"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class LogLine:
    """One captured log message; `seq` numbers messages in arrival order, `severity` as TensorRT's."""

    seq: int
    severity: int
    message: str


class LogStore:
    """The thread-safe part (independent of TensorRT, so it can be tested without it)."""

    def __init__(self, min_severity: int = INFO, capacity: int = 2000) -> None:
        self.min_severity = min_severity
        self._lines: deque[LogLine] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, severity: int, message: str) -> None:
        """Keep a message at least as severe as `min_severity` (lower is more severe); drop the rest.
        Any thread."""
        if severity > self.min_severity:
            return
        with self._lock:
            self._seq += 1
            self._lines.append(LogLine(self._seq, severity, str(message)))

    def mark(self) -> int:
        """The sequence number of the latest message: `since(mark)` gives what is logged after it."""
        with self._lock:
            return self._seq

    def since(self, mark: int = 0, max_severity: int = VERBOSE) -> list[LogLine]:
        """The kept messages after `mark`, at least as severe as `max_severity`, oldest first. Messages beyond
        `capacity` are lost."""
        with self._lock:
            return [ln for ln in self._lines if ln.seq > mark and ln.severity <= max_severity]

    def errors_since(self, mark: int = 0) -> list[str]:
        return [ln.message for ln in self.since(mark, ERROR)]

    def messages_since(self, mark: int = 0, max_severity: int = WARNING) -> list[str]:
        """The texts of `since(mark, max_severity)`: warnings and errors by default."""
        return [ln.message for ln in self.since(mark, max_severity)]


def make_logger(trt: ModuleType, store: LogStore | None = None) -> Any:
    """A `trt.ILogger` subclass instance that writes into `store` (has `.store`). Keep a reference
    for as long as any runtime made with it lives."""
    base = trt.ILogger

    class CapturingLogger(base):  # type: ignore[misc, valid-type]
        def __init__(self, s: LogStore) -> None:
            base.__init__(self)
            self.store = s

        def log(self, severity: Any, msg: str) -> None:
            try:
                level = int(severity)
            except (TypeError, ValueError):
                level = int(getattr(severity, "value", ERROR))
            self.store.add(level, msg)

    return CapturingLogger(store if store is not None else LogStore())
