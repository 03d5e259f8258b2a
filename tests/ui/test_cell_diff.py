"""The cell-diff output layer (trtui/ui/cell_diff.py) must not change what a terminal ends up showing.

Both byte streams, Textual's own (`render_segments` of every compositor update) and the diff
layer's, are replayed into terminal emulators (pyte); after every frame the two screens must be the
same, cell by cell (character, colours, attributes). Frames come from the live app over the seeded
simulator at several sizes, with keys that change the layout (sort, zoom, resize), and from random
grids of styled text (wide characters, clipped spans, resizes).
"""

from __future__ import annotations

import random
from typing import Any

import pyte
import pytest
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip
from ui_driver import Driver

from trtui.ui.app import TrtuiApp
from trtui.ui.cell_diff import _COLOR_SYSTEMS, CellDiff, CellOutput, apply_update

Screen = list[list[tuple[str, str, str, bool, bool, bool]]]


class Term:
    """A terminal emulator fed raw output."""

    def __init__(self, width: int, height: int) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self.screen)

    def feed(self, data: str) -> None:
        self.stream.feed(data)

    def cells(self) -> Screen:
        out = []
        for y in range(self.screen.lines):
            line = self.screen.buffer[y]
            row = []
            for x in range(self.screen.columns):
                c = line[x]
                row.append((c.data, c.fg, c.bg, c.bold, c.reverse, c.underscore))
            out.append(row)
        return out

    def text(self) -> str:
        return "\n".join(self.screen.display)


def first_difference(a: Screen, b: Screen) -> str | None:
    for y, (ra, rb) in enumerate(zip(a, b, strict=True)):
        for x, (ca, cb) in enumerate(zip(ra, rb, strict=True)):
            if ca != cb:
                return f"cell ({x}, {y}): textual {ca} vs diff {cb}"
    return None


def _forget_ansi_codes(update: LayoutUpdate | ChopsUpdate) -> None:
    """Rich caches a style's escape codes on the style object for the first colour system it was
    rendered with (`Style._ansi`), and Textual shares style objects between apps: after an SVG
    export (truecolor) in the same process, Textual's own output for this headless app (standard
    colours) would reuse truecolor codes. Forget them so that Textual's side is rendered with the
    app console's colour system, as the diff layer's side is."""
    lines = update.strips if isinstance(update, LayoutUpdate) else [list(c.values()) for c in update.chops]
    for line in lines:
        for strip in line:
            if strip is None:
                continue
            strip._render_cache = None
            for segment in strip:
                if segment.style is not None:
                    segment.style._ansi = None


class Recorder(CellOutput):
    """Sends every frame both ways: Textual's own sequence into one emulator, the diff's into another."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(ColorSystem.TRUECOLOR)
        self.textual = Term(width, height)
        self.mine = Term(width, height)
        self.frames = 0
        self.diff_chars = 0
        self.textual_chars = 0
        self.mismatch: str | None = None

    def resize(self, width: int, height: int) -> None:
        for term in (self.textual, self.mine):
            term.screen.resize(height, width)

    def display(self, app: Any, renderable: object) -> bool:
        if not isinstance(renderable, (LayoutUpdate, ChopsUpdate)):
            return False
        size = app.screen.outer_size
        if self.diff is None or (self.diff.width, self.diff.height) != (size.width, size.height):
            self.diff = CellDiff(size.width, size.height, _COLOR_SYSTEMS[app.console.color_system])
        _forget_ansi_codes(renderable)
        theirs = renderable.render_segments(app.console)
        apply_update(self.diff, renderable)
        mine = self.diff.flush()
        self.textual.feed(theirs)
        self.mine.feed(mine)
        self.frames += 1
        self.diff_chars += len(mine)
        self.textual_chars += len(theirs)
        if self.mismatch is None:
            diff = first_difference(self.textual.cells(), self.mine.cells())
            if diff is not None:
                self.mismatch = f"frame {self.frames}: {diff}\n{self.textual.text()}\n---\n{self.mine.text()}"
        return False  # Textual's own path still runs (headless: it writes nothing)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
async def test_live_app_replayed_matches_textual(size: tuple[int, int]) -> None:
    driver = Driver(seed=3)
    app: TrtuiApp = driver.app()
    recorder = Recorder(*size)
    app.cell_output = recorder
    async with app.run_test(size=size) as pilot:
        i = -1
        # at least 70 updates with the key presses and the resize among them, and at least 100 frames
        # drawn (a loaded machine merges some updates into one frame: then more updates are sent)
        while (i := i + 1) < 70 or (recorder.frames < 100 and i < 400):
            app.apply_update(driver.step())
            await pilot.pause()
            if i == 20:
                await pilot.press("s")  # a new order: many rows move
            if i == 35:
                await pilot.press("z")  # zoom: a new layout
            if i == 45:
                await pilot.press("z", "z")
            if i == 55:
                recorder.resize(size[0] - 7, size[1] - 3)
                await pilot.resize_terminal(size[0] - 7, size[1] - 3)
            await pilot.pause()
    assert recorder.frames >= 100
    assert recorder.mismatch is None, recorder.mismatch
    # and it is what the layer is for: fewer bytes than Textual's own output
    assert recorder.diff_chars < recorder.textual_chars / 2


STYLES = [
    None,
    Style(color="red"),
    Style(color="#102030", bgcolor="#405060", bold=True),
    Style(bgcolor="blue", reverse=True),
    Style(color="green", underline=True),
]
CHARS = "ab▁▂▃█ 0123456789.%…─é"
WIDE = "日本"


def random_strip(rng: random.Random, width: int) -> Strip:
    segments = []
    used = 0
    while used < width:
        n = min(rng.randint(1, 8), width - used)
        text = "".join(rng.choice(CHARS) for _ in range(n))
        if n >= 2 and rng.random() < 0.1:
            text = rng.choice(WIDE) + text[2:]
        segments.append(Segment(text, rng.choice(STYLES)))
        used += n
    return Strip(segments)


def test_random_updates_replayed_match_textual() -> None:
    rng = random.Random(7)
    from rich.console import Console

    console = Console(color_system="truecolor", force_terminal=True, width=90)
    for width, height in ((30, 8), (90, 30)):
        textual, mine = Term(width, height), Term(width, height)
        diff = CellDiff(width, height, ColorSystem.TRUECOLOR)
        full = LayoutUpdate([[random_strip(rng, width)] for _ in range(height)], Region(0, 0, width, height))
        for frame in range(300):
            if frame == 0:
                update: LayoutUpdate | ChopsUpdate = full
            else:  # a few changed spans per line, as the compositor sends them
                chops: list[dict[int, Strip | None]] = []
                ends: list[list[int]] = []
                spans = []
                for y in range(height):
                    if rng.random() < 0.5:
                        x = rng.randrange(width)
                        w = rng.randint(1, width - x)
                        chops.append({0: None, x: random_strip(rng, w)} if x else {0: random_strip(rng, w)})
                        ends.append([x, x + w] if x else [w])
                        spans.append((y, x, x + w))
                    else:
                        chops.append({})
                        ends.append([])
                if not spans:
                    continue
                update = ChopsUpdate(chops, spans, ends)
            apply_update(diff, update)
            textual.feed(update.render_segments(console))
            mine.feed(diff.flush((0, 0)))
            problem = first_difference(textual.cells(), mine.cells())
            assert problem is None, f"{width}x{height} frame {frame}: {problem}"


def test_unchanged_frame_sends_nothing_and_one_cell_is_short() -> None:
    diff = CellDiff(20, 3)
    line = Strip([Segment("hello world", Style(color="red")), Segment(" " * 9)])
    for y in range(3):
        diff.put(0, y, line)
    assert "hello world" in diff.flush()
    for y in range(3):
        diff.put(0, y, line)
    assert diff.flush() == ""
    diff.put(0, 1, Strip([Segment("hello wOrld", Style(color="red")), Segment(" " * 9)]))
    out = diff.flush()
    assert "O" in out and "hello" not in out and len(out) < 30


def test_invalidate_and_resize_send_everything_again() -> None:
    diff = CellDiff(10, 2)
    strip = Strip([Segment("abcdefghij")])
    diff.put(0, 0, strip)
    diff.flush()
    diff.invalidate()
    diff.put(0, 0, strip)
    assert "abcdefghij" in diff.flush()
    diff.resize(12, 2)
    diff.put(0, 0, strip)
    assert "abcdefghij" in diff.flush()
