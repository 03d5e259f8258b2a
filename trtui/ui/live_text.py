"""`LiveText`: a text widget for content that is rebuilt on every refresh (the layer details, the
kernels view), drawn at the least cost Textual allows.

`Static.update` lays out the whole screen by default; under a modal screen that means the screen
below is composited again too (measured: +60% of trtui's CPU with the details open at 20,000
layers). Here an unchanged content costs nothing; a changed one repaints only the rows that
changed (when the changed lines fit the width, each is one row), else the whole widget; and a
layout pass happens only when the content's height changes (a scrolling container
then needs its new virtual size).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import RenderableType
from rich.text import Text
from textual.content import Content
from textual.geometry import Region
from textual.widget import Widget


class LiveText(Widget):
    """Text rebuilt on every refresh, drawn only where it changed (`show`)."""

    DEFAULT_CSS = """
    LiveText {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._content: RenderableType = Text()
        self._diff = RowDiff()
        self.repaints = 0  # content changes drawn (for tests)
        self.layouts = 0  # of which needed a layout pass (the height changed)

    def render(self) -> RenderableType:
        """What `show` last took."""
        return self._content

    def show(self, content: RenderableType) -> bool:
        """Draw `content` unless it equals what is shown; True when something was drawn. Rich
        `Text` compares by value; other renderables (tables, groups) always count as changed."""
        old = self._content
        if isinstance(content, Text) and content == old:
            return False
        self._content = content
        self.repaints += 1
        width = self.content_size.width
        rows = self._diff.rows(content, width)
        if rows is None:
            self.refresh()
        elif rows:
            self.refresh(*(Region(0, y, width, 1) for y in rows))
        if not width or self.get_content_height(self.size, self.size, width) != self.content_size.height:
            self.layouts += 1
            self.refresh(layout=True)
        return True


class RowDiff:
    """The lines of the text on screen, to tell which screen rows a new text changes."""

    def __init__(self) -> None:
        self._lines: list[Text] | None = None
        self._no_wrap = False

    def rows(self, new: RenderableType, width: int) -> list[int] | None:
        """The rows where `new` differs from the text seen last (which `new` then becomes): every
        changed line must take one row (it fits in `width`, or the text does not wrap); an
        unchanged line may wrap (it takes the rows Textual wraps it to). None when that does not
        hold, or for the first text: repaint everything."""
        old, old_no_wrap = self._lines, self._no_wrap
        if not isinstance(new, Text):
            self._lines = None
            return None
        lines, no_wrap = list(new.split("\n", allow_blank=True)), bool(new.no_wrap)
        self._lines, self._no_wrap = lines, no_wrap
        if old is None or width <= 0 or old_no_wrap != no_wrap or len(old) != len(lines):
            return None
        rows: list[int] = []
        y = 0
        for before, after in zip(old, lines, strict=True):
            if before == after:
                y += 1 if no_wrap else _height(after, width)
            elif not no_wrap and (cell_len(before.plain) > width or cell_len(after.plain) > width):
                return None
            else:
                rows.append(y)
                y += 1
        return rows


def _height(line: Text, width: int) -> int:
    """Rows that one line of a wrapping text takes at `width` (Textual's own wrapping)."""
    if cell_len(line.plain) <= width:
        return 1
    return len(Content.from_rich_text(line).wrap(width))
