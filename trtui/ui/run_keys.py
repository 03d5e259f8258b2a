"""The keys that act on the run itself, through the update feed: pause (p), reset (r), and the
batch/streams picker (c). A read-only remote run, a replay and a finished run say why not.

A base of the live app (`TrtuiApp` in `trtui.ui.app`, which derives from it; this module never
imports the app), above the table's keys (`TableKeys`).
"""

from __future__ import annotations

from trtui.pipeline.update_feed import UpdateFeed
from trtui.ui.table_keys import TableKeys


class RunKeys(TableKeys):
    """The run's actions; the app that derives from it sets `feed` and `paused_requested` (and
    `last_update` and `layer_history`, as for `TableKeys`)."""

    feed: UpdateFeed
    paused_requested: bool

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A replay has nothing to pause: no "p Pause" in the footer."""
        replay = self.last_update is not None and self.last_update.profile.info.kind == "recording"
        return not (action == "pause" and replay)

    def action_pause(self) -> None:
        if not self.feed.can_control:
            self.notify("read only: this run does not take control from here", timeout=3)
            return
        info = self.last_update.profile.info if self.last_update is not None else None
        if info is not None and info.kind == "recording":
            self.notify("a recording is read at once: nothing runs, nothing to pause", timeout=3)
            return
        if self.last_update is not None and self.last_update.profile.state in ("finished", "error"):
            self.notify(f"the run has {self.last_update.profile.state}: nothing to pause", timeout=3)
            return
        self.paused_requested = not self.paused_requested
        self.feed.set_paused(self.paused_requested)
        self.notify("paused: the GPU is idle" if self.paused_requested else "resumed", timeout=2)

    def action_reconfigure(self) -> None:
        """The batch/streams picker (trtui/ui/reconfigure_screen.py); statistics restart after it."""
        from trtui.ui.reconfigure_screen import open_reconfigure

        if not self.feed.can_control:
            self.notify("read only: this run does not take control from here", timeout=3)
            return
        open_reconfigure(self, self.feed, self.last_update.profile.info if self.last_update else None)

    def action_reset(self) -> None:
        if not self.feed.can_control:
            self.notify("read only: this run does not take control from here", timeout=3)
            return
        self.feed.reset()
        self.layer_history.clear()
        self.notify("statistics reset", timeout=2)
