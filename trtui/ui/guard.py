"""Every trtui screen runs through `run_guarded`: an unexpected exception inside a Textual app
(a handler, a timer, a worker) ends the screen, and the process then exits non-zero with one line
on stderr instead of Textual's traceback and exit status 0.

Textual catches such an exception itself, restores the terminal, prints a traceback on its error
console and returns from `App.run()` with `return_code` 1. `GuardedApp` points that console at a
buffer; `run_guarded` saves the buffer to a file (TRTUI_DEBUG=1 also prints it) and raises
`InternalError`, which the CLI shows as one line with exit code 1.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from typing import Any, TypeVar

from rich.console import Console
from textual.app import App

from trtui.common.errors import InternalError
from trtui.common.format import one_line

ResultT = TypeVar("ResultT")
DEBUG_ENV = "TRTUI_DEBUG"


class GuardedApp(App[ResultT]):
    """The base of every trtui app: keeps a crash's traceback for `run_guarded` instead of
    printing it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crash_report = io.StringIO()
        self.error_console = Console(
            file=self.crash_report, width=160, markup=False, highlight=False, color_system=None
        )
        self.crash: BaseException | None = None

    def _handle_exception(self, error: Exception) -> None:
        # Textual's hook for an unhandled exception; only remembered here (for the one line).
        if self.crash is None:
            self.crash = error
        super()._handle_exception(error)


def crash_line(app: GuardedApp[Any]) -> str:
    """What went wrong, in one line: the exception's type and message."""
    if app.crash is not None:
        return one_line(f"{type(app.crash).__name__}: {app.crash}", 300)
    lines = [line for line in app.crash_report.getvalue().splitlines() if line.strip()]
    return one_line(lines[-1], 300) if lines else "unknown error"


def _save(report: str) -> str | None:
    try:
        fd, path = tempfile.mkstemp(prefix="trtui-crash-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(report)
    except OSError:
        return None
    return path


def run_guarded(app: GuardedApp[ResultT], **run_kwargs: Any) -> ResultT | None:
    """`app.run(**run_kwargs)`; if the app ended on an unexpected exception, raise `InternalError`
    (exit code 1) naming it and the file that holds its traceback."""
    result = app.run(**run_kwargs)
    if not app.return_code:
        return result
    report = app.crash_report.getvalue()
    if os.environ.get(DEBUG_ENV):
        sys.stderr.write(report)
    path = _save(report) if report else None
    where = f"; the traceback is in {path}" if path else ""
    raise InternalError(
        f"the screen stopped on an unexpected error (a bug in trtui): {crash_line(app)}{where}"
    )
