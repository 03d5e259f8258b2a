"""The live screen's first frame, written straight to the terminal before anything heavy is imported.

Textual, numpy and the statistics take about half a second to import on a 2-core machine, and
Textual draws its first frame only after them. So `trtui FILE` / `trtui demo` first write a frame of
their own on the alternate screen (the header saying the engine is loading, where the table goes the
same words): the screen is up within a few hundredths of a second. Textual then takes the alternate
screen over and draws the real screen over it (the same words, plus the table's titles and the
panels); on exit it leaves the alternate screen and puts the cursor back where it was.

The cursor: saved (DECSC) and the alternate screen entered with its own save (1049), restored
(DECRC) after the frame, so that Textual's own 1049 saves the user's position again in terminals
that save it a second time (xterm) and finds it saved in those that do not (tmux). If the command
fails before Textual starts (a bad engine file), the alternate screen is left at once, before the
error line is printed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

ENTER = "\x1b7\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J"  # save cursor, alternate screen, hide cursor, clear
LEAVE = "\x1b[?1049l\x1b[?25h"  # the user's screen and cursor back
LOADING = "loading engine…"
OFF_ENV = "TRTUI_NO_EARLY_FRAME"  # 1: no early frame (Textual's own first frame only; benchmarks)


def frame_text() -> str:
    """The early frame: the header's first line as the live screen draws it before its first update
    (`trtui.ui.panels.loading_header_text`), and the empty table's words on its first row."""
    header = f" \x1b[1mtrtui\x1b[0m  \x1b[2mSTARTING\x1b[0m  \x1b[33m{LOADING}\x1b[0m"
    table = f"\x1b[4;1H\x1b[2m   {LOADING}\x1b[0m"
    return ENTER + header + table + "\x1b8"


def _write(fd: int, text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, text.encode("utf-8"))


@contextlib.contextmanager
def early_frame(enabled: bool, fd: int = 1) -> Iterator[None]:
    """Write the early frame on `fd` (a terminal) when `enabled`; if the block raises, leave the
    alternate screen before the error propagates (harmless when Textual already left it)."""
    if not enabled or os.environ.get(OFF_ENV) == "1":
        yield
        return
    _write(fd, frame_text())
    try:
        yield
    except BaseException:
        _write(fd, LEAVE)
        raise
