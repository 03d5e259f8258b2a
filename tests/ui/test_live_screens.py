"""The one way the live app feeds its live screens (trtui.ui.live_screens): a screen opened with
`open_live` gets each update while it is on top, nothing while another screen covers it, and
nothing once dismissed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static
from ui_driver import Driver

from trtui.stats.update import Update
from trtui.ui.live_screens import LiveModal, LiveScreens


class Recorder(LiveModal):
    """Keeps what it was shown."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[Update | None] = []

    def compose(self) -> ComposeResult:
        yield Static("live")

    def show(self, update: Update | None) -> None:
        self.shown.append(update)


class Cover(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("over it")


class Host(LiveScreens):
    def compose(self) -> ComposeResult:
        yield Static("main")


async def test_only_the_live_screen_on_top_gets_updates_until_dismissed() -> None:
    app = Host()
    driver = Driver()
    u1, u2, u3, u4 = (driver.step() for _ in range(4))
    async with app.run_test() as pilot:
        app.show_live(u1)  # nothing open: nobody to feed
        live = Recorder()
        app.open_live(live)
        await pilot.pause()
        app.show_live(u2)
        assert live.shown == [u2]
        app.push_screen(Cover())
        await pilot.pause()
        app.show_live(u3)  # covered: keeps what it drew
        assert live.shown == [u2]
        app.pop_screen()
        await pilot.pause()
        app.show_live(u3)
        assert live.shown == [u2, u3]
        live.dismiss(None)
        await pilot.pause()
        second = Recorder()
        app.open_live(second)
        await pilot.pause()
        app.show_live(u4)
        assert live.shown == [u2, u3] and second.shown == [u4]
