"""A cell-level output layer under Textual's driver: send the terminal only the cells that changed.

Textual writes every changed line span again, with the colour codes of each segment and a reset
after it. Over a slow SSH link that is most of trtui's traffic: a refresh that moves one digit of a
row rewrites the row. This layer keeps the frame last sent as a grid of cells (character, style),
applies each compositor update to a copy, and writes only the cells that differ, as curses does:
short runs joined across small gaps, the cheapest cursor move (a relative step on the same line,
CR LF to the next one, else an absolute move), and a colour code only where the style changes
(never a reset after each segment).

It is used only for a real terminal (`TrtuiApp._display`); headless tests and snapshots go through
Textual's own path. `tests/ui/test_cell_diff.py` replays its output into a terminal emulator and
compares the screen with Textual's own output, frame after frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.app import App
from textual.strip import Strip

Cell = tuple[str, Style | None]
BLANK: Cell = (" ", None)
UNKNOWN: Cell = ("\x00", None)  # what the terminal shows is not known: always differs
GAP = 4  # unchanged cells between two changed runs that are rewritten rather than skipped


@lru_cache(maxsize=4096)
def _sgr(style: Style | None, color_system: ColorSystem) -> str:
    """The SGR parameters of a style, reset first ("0;..."), so nothing of the previous one stays."""
    if style is None:
        return "0"
    codes = Strip.render_ansi(style, color_system)
    return f"0;{codes}" if codes else "0"


class CellDiff:
    """The cells last sent to the terminal, and the changed cells of the next frame as escape codes.

    `put` writes segments into the next frame (clipped to the screen); `flush` returns the escape
    codes that turn the terminal's screen into that frame and records it as sent. `invalidate` (after
    a resize, or when anything else wrote to the screen) makes the next flush repaint every cell put.
    """

    def __init__(self, width: int, height: int, color_system: ColorSystem = ColorSystem.TRUECOLOR) -> None:
        self.color_system = color_system
        self.width = width
        self.height = height
        self._sent: list[list[Cell]] = [[UNKNOWN] * width for _ in range(height)]
        self._next: list[list[Cell]] = [row[:] for row in self._sent]
        self._dirty: dict[int, tuple[int, int]] = {}  # row -> (first x, end x) touched since the flush
        self._cursor: tuple[int, int] | None = None  # where the terminal's cursor is, when known
        self._style: str | None = None  # the SGR in effect on the terminal, when known

    def resize(self, width: int, height: int) -> None:
        """A new screen size: nothing on the terminal is known any more."""
        self.width, self.height = width, height
        self._sent = [[UNKNOWN] * width for _ in range(height)]
        self._next = [row[:] for row in self._sent]
        self._dirty.clear()
        self.invalidate()

    def invalidate(self) -> None:
        """Forget what the terminal shows (something else wrote to it): the next cells put are all sent."""
        for row in self._sent:
            row[:] = [UNKNOWN] * len(row)
        self._cursor = None
        self._style = None

    def put(self, x: int, y: int, segments: Iterable[Segment], end: int | None = None) -> None:
        """Write segments from (x, y) into the next frame, clipped at `end` and the screen's edge."""
        if not 0 <= y < self.height:
            return
        stop = self.width if end is None else min(end, self.width)
        row = self._next[y]
        start = x
        for text, style, control in segments:
            if control or x >= stop:
                continue
            for ch in text:
                w = cell_len(ch)
                if w == 0:  # a combining character joins the previous cell
                    if x > start and 0 < x <= stop:
                        prev, prev_style = row[x - 1]
                        row[x - 1] = (prev + ch, prev_style)
                    continue
                if x + w > stop:
                    x = stop
                    break
                if x >= 0:
                    row[x] = (ch, style)
                    if w == 2:
                        row[x + 1] = ("", style)
                x += w
        lo, hi = self._dirty.get(y, (start, x))
        self._dirty[y] = (max(0, min(lo, start)), min(self.width, max(hi, x)))

    def flush(self, cursor: tuple[int, int] | None = None) -> str:
        """Escape codes for every cell that differs from what was sent; ends with the cursor at `cursor`."""
        out: list[str] = []
        for y in sorted(self._dirty):
            lo, hi = self._dirty[y]
            sent, want = self._sent[y], self._next[y]
            x = lo
            while x < hi:
                if sent[x] == want[x]:
                    x += 1
                    continue
                run_end = x + 1  # extend the run over later changes separated by at most GAP cells
                probe = run_end
                while probe < hi:
                    if sent[probe] != want[probe]:
                        run_end = probe + 1
                        probe = run_end
                    elif probe - run_end >= GAP:
                        break
                    else:
                        probe += 1
                while x > 0 and want[x][0] == "":  # never start in the right half of a wide character
                    x -= 1
                self._write_run(out, x, y, want[x:run_end])
                sent[x:run_end] = want[x:run_end]
                x = run_end
        self._dirty.clear()
        if self._style not in (None, "0"):  # leave the terminal's style as Textual leaves it: reset
            out.append("\x1b[0m")
            self._style = "0"
        if cursor is not None:
            self._move(out, *cursor)
        return "".join(out)

    def _write_run(self, out: list[str], x: int, y: int, cells: list[Cell]) -> None:
        self._move(out, x, y)
        for ch, style in cells:
            if ch == "":
                continue  # the right half of a wide character, drawn with its left half
            sgr = _sgr(style, self.color_system)
            if sgr != self._style:
                out.append(f"\x1b[{sgr}m")
                self._style = sgr
            out.append(ch if ch != UNKNOWN[0] else " ")
        end = x + len(cells)
        # After the last column the cursor waits to wrap: its position is not known.
        self._cursor = (end, y) if end < self.width else None

    def _move(self, out: list[str], x: int, y: int) -> None:
        cur = self._cursor
        if cur == (x, y):
            return
        if cur is not None and cur[1] == y and x > cur[0]:
            step = x - cur[0]
            out.append("\x1b[C" if step == 1 else f"\x1b[{step}C")
        elif cur is not None and cur[1] + 1 == y and x == 0 and y < self.height:
            out.append("\r\n")
        elif x == 0:
            out.append(f"\x1b[{y + 1}H")
        else:
            out.append(f"\x1b[{y + 1};{x + 1}H")
        self._cursor = (x, y)


def apply_update(diff: CellDiff, update: object) -> bool:
    """Put a Textual compositor update (a full layout or changed line spans) into the next frame.

    Mirrors what `LayoutUpdate.render_segments` and `ChopsUpdate.render_segments` would write. Returns
    False for any other kind of update (the caller lets Textual write it and invalidates the grid).
    """
    if isinstance(update, LayoutUpdate):
        x0 = update.region.x
        for y, line in enumerate(update.strips, update.region.y):
            x = x0
            for strip in line:
                diff.put(x, y, strip)
                x += strip.cell_length
        return True
    if isinstance(update, ChopsUpdate):
        for y, x1, x2 in update.spans:
            for end, (x, chop) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
                if chop is None or x > x2 or end <= x1:
                    continue
                diff.put(x, y, chop, end=min(end, x2))
        return True
    return False


_COLOR_SYSTEMS = {
    "standard": ColorSystem.STANDARD,
    "256": ColorSystem.EIGHT_BIT,
    "truecolor": ColorSystem.TRUECOLOR,
}


class CellOutput:
    """The hook in `App._display`: writes a compositor update to the real terminal as changed cells.

    `display` returns False when it did not write the frame (headless, inline, no driver, a kind
    of update it does not know, no colours): Textual's own path then writes it, and the grid is
    forgotten so that the next frame is sent whole. `color_system` forces a colour depth (the lean
    mode's 256 colours); by default the console's is used.
    """

    def __init__(self, color_system: ColorSystem | None = None) -> None:
        self.forced = color_system
        self.diff: CellDiff | None = None
        self.bytes_written = 0  # characters handed to the driver, for tests and the lean-mode budget

    def invalidate(self) -> None:
        """Something else wrote to the screen: send every cell of the next frame."""
        if self.diff is not None:
            self.diff.invalidate()

    def display(self, app: App[Any], renderable: object) -> bool:
        """Write `renderable` for `app` through the cell diff; False if the caller must write it."""
        driver = app._driver
        system = self.forced or _COLOR_SYSTEMS.get(app.console.color_system or "")
        if (
            renderable is None
            or app._batch_count
            or not app._running
            or app._closed
            or app.is_headless
            or driver is None
            or driver.is_inline
            or system is None
            or not isinstance(renderable, (LayoutUpdate, ChopsUpdate))
        ):
            if renderable is not None:
                self.invalidate()
            return False
        size = app.screen.outer_size
        if self.diff is None or (self.diff.width, self.diff.height) != (size.width, size.height):
            self.diff = CellDiff(size.width, size.height, system)
        self.diff.color_system = system
        cursor = size.clamp_offset(app.cursor_position)
        try:
            apply_update(self.diff, renderable)
            sequence = self.diff.flush((cursor.x, cursor.y))
        except Exception as error:  # as Textual's own path: an error in drawing ends the app
            self.invalidate()
            app._handle_exception(error)
            return True
        app._previous_cursor_position = cursor
        app._begin_update()
        try:
            driver.write(sequence)
        finally:
            app._end_update()
        driver.flush()
        self.bytes_written += len(sequence)
        app.post_display_hook()
        return True
