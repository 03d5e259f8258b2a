"""Modal screens that follow the run while they are open (layer details, all kernels, the engine
card), and the one way the live app feeds them.

Attributes down: such a screen gets what it shows in its constructor and from `show(update)`,
which the app calls; it never reaches back into the app. The app opens each one through
`LiveScreens.open_live`, which remembers it until it is dismissed, and hands every applied update
to the one in sight (`show_live`): a live screen under another screen (help, the command palette)
keeps what it drew until it is on top again and the next update arrives.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from trtui.stats.update import Update
from trtui.ui.guard import GuardedApp
from trtui.ui.live_text import LiveText


class LiveModal(ModalScreen[None]):
    """A modal screen that shows the newest update; dismissed with None."""

    def show(self, update: Update | None) -> None:
        """Draw `update` (None: no data yet). Called by the app on every update it applies while
        this screen is on top; cheap when nothing changed."""
        raise NotImplementedError


class LiveTextModal(LiveModal):
    """A live modal drawn in one scrolling text box (`#<BOX>-box`, styled in app.tcss, holding the
    `LiveText` `#<BOX>-body`), "Esc closes", first drawn once mounted. A subclass names its box,
    gives its title and draws in `show`."""

    BOX: ClassVar[str]
    FOCUS_BOX: ClassVar[bool] = True  # the box takes the keys (scrolling) once mounted

    def __init__(self, update: Update | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._update = update  # drawn once mounted

    def box_title(self) -> str:
        """The box's border title."""
        raise NotImplementedError

    @property
    def body(self) -> LiveText:
        """The text the screen draws into."""
        return self.query_one(f"#{self.BOX}-body", LiveText)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id=f"{self.BOX}-box"):
            yield LiveText(id=f"{self.BOX}-body")

    def on_mount(self) -> None:
        box = self.query_one(f"#{self.BOX}-box")
        box.border_title = self.box_title()
        box.border_subtitle = "Esc closes"
        if self.FOCUS_BOX:
            box.focus()
        self.show(self._update)

    def action_close(self) -> None:
        self.dismiss(None)


class LiveScreens(GuardedApp[int]):
    """A base of the live app: opens live screens and feeds the one in sight."""

    def __init__(self) -> None:
        super().__init__()
        self._live_screens: list[LiveModal] = []  # open, oldest first

    def open_live(self, screen: LiveModal) -> None:
        """Push `screen`; it gets every update applied while it is on top, until dismissed."""
        self._live_screens.append(screen)

        def closed(_: None) -> None:
            if screen in self._live_screens:
                self._live_screens.remove(screen)

        self.push_screen(screen, closed)

    def show_live(self, update: Update | None) -> None:
        """Hand `update` to the live screen in sight, if one is."""
        top = self.screen
        for screen in self._live_screens:
            if screen is top:
                screen.show(update)
