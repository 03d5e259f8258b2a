"""`LiveText`: a text widget for content that is rebuilt on every refresh (the layer details, the
kernels view), drawn at the least cost Textual allows.

`Static.update` lays out the whole screen by default; under a modal screen that means the screen
below is composited again too (measured: +60% of trtui's CPU with the details open at 20,000
layers). Here an unchanged content costs nothing, a changed one repaints this widget only, and a
layout pass happens only when the content's height at the current width changes (a scrolling
container then needs its new virtual size).
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.widgets import Static


class LiveText(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: RenderableType | None = None
        self.repaints = 0  # content changes drawn (for tests)
        self.layouts = 0  # of which needed a layout pass (the height changed)

    def show(self, content: RenderableType) -> bool:
        """Draw `content` unless it equals what is shown; True when something was drawn. Rich
        `Text` compares by value; other renderables (tables, groups) always count as changed."""
        if isinstance(content, Text) and content == self._shown:
            return False
        self._shown = content
        self.repaints += 1
        self.update(content, layout=False)
        width = self.content_size.width
        if not width or self.get_content_height(self.size, self.size, width) != self.content_size.height:
            self.layouts += 1
            self.refresh(layout=True)
        return True
