"""The live screen's batch/streams picker (key `c`): change the batch size (within the engine's
optimization profile) and the number of concurrent contexts while the engine runs.

The change goes through the source's `reconfigure` (one engine, new contexts, CUDA graphs captured
again, warm-up) in a Textual thread worker; then the statistics restart, and the screen says so.
A configuration that does not fit is reported and the previous one keeps running.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from trtui.common.errors import UserError
from trtui.core.model import SourceInfo
from trtui.core.reconfig import DoesNotFit
from trtui.pipeline.update_feed import UpdateFeed

Choice = tuple[int | None, int | None]  # (batch or None to keep, streams or None to keep)
MAX_STREAMS = 64


def parse_choice(batch_text: str, streams_text: str) -> Choice:
    """What the two fields ask for; empty keeps the current value. Raises ValueError (one line)."""

    def one(text: str, what: str, hi: int | None) -> int | None:
        text = text.strip()
        if not text:
            return None
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"{what}: a whole number of 1 or more, not {text!r}")
        if hi is not None and int(text) > hi:
            raise ValueError(f"{what}: at most {hi}")
        return int(text)

    return one(batch_text, "batch", None), one(streams_text, "streams", MAX_STREAMS)


def current_batch(info: Any) -> int | None:
    """The batch the source runs now: the first dimension of its first input of rank 2 or more."""
    for _name, shape in getattr(info, "shapes", ()):
        if len(shape) >= 2:
            return int(shape[0])
    return None


class ReconfigureScreen(ModalScreen[Choice | None]):
    """Two fields; Enter applies, Esc closes."""

    CSS_PATH = "reconfigure.tcss"
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, batch: int | None, streams: int, simulated: bool) -> None:
        super().__init__()
        self._batch = batch
        self._streams = streams
        self._simulated = simulated

    def compose(self) -> ComposeResult:
        with Vertical(id="reconfigure-box"):
            yield Static("Batch size (the first dimension of dynamic-batch inputs; empty keeps it):")
            yield Input(value="" if self._batch is None else str(self._batch), id="reconfigure-batch")
            yield Static("Concurrent contexts (streams):")
            yield Input(value=str(self._streams), id="reconfigure-streams")
            note = (
                "simulated engine: the change is modelled"
                if self._simulated
                else ("the engine reconfigures its contexts, captures CUDA graphs again and warms up")
            )
            yield Static(f"Statistics restart after the change ({note}).", id="reconfigure-hint")
            yield Static("", id="reconfigure-error")

    def on_mount(self) -> None:
        box = self.query_one("#reconfigure-box")
        box.border_title = "Batch / streams"
        box.border_subtitle = "Enter: apply · Tab: next field · Esc: cancel"
        self.query_one("#reconfigure-batch", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        batch = self.query_one("#reconfigure-batch", Input).value
        streams = self.query_one("#reconfigure-streams", Input).value
        try:
            choice = parse_choice(batch, streams)
        except ValueError as err:
            self.query_one("#reconfigure-error", Static).update(str(err))
            return
        self.dismiss(choice)

    def action_close(self) -> None:
        self.dismiss(None)


def open_reconfigure(app: App[Any], feed: UpdateFeed, info: SourceInfo | None) -> None:
    """The app's action: the picker, then the change in a thread worker (`RunKeys.action_reconfigure`, key c).
    What runs now comes from the last published update; the change goes through the feed."""
    if not feed.can_reconfigure or info is None:
        app.notify(
            "this source cannot change its batch or streams (a recording replays as recorded)",
            severity="warning",
            timeout=4,
        )
        return

    def chosen(choice: Choice | None) -> None:
        if choice is None:
            return
        batch, streams = choice
        if batch == current_batch(info):
            batch = None
        if streams == info.streams:
            streams = None
        if batch is None and streams is None:
            app.notify("nothing changed", timeout=2)
            return
        app.notify("reconfiguring…", timeout=2)
        _apply(app, feed, batch, streams, info.simulated)

    app.push_screen(ReconfigureScreen(current_batch(info), info.streams, info.simulated), chosen)


def _apply(app: App[Any], feed: UpdateFeed, batch: int | None, streams: int | None, simulated: bool) -> None:
    """The change may take seconds (new contexts, graph capture, warm-up): a thread worker."""
    app.run_worker(
        lambda: apply_change(app, feed, batch, streams, simulated),
        thread=True,
        exclusive=True,
        group="reconfigure",
        exit_on_error=False,
    )


def apply_change(
    app: App[Any], feed: UpdateFeed, batch: int | None, streams: int | None, simulated: bool = False
) -> None:
    """Reconfigure the run (the feed restarts the statistics) and say so (runs in a worker thread)."""
    try:
        done = feed.reconfigure(batch, streams)
    except DoesNotFit as err:
        app.call_from_thread(
            app.notify,
            f"{err}; the previous configuration keeps running",
            title="does not fit",
            severity="error",
            timeout=6,
        )
        return
    except UserError as err:
        app.call_from_thread(app.notify, str(err), title="reconfigure failed", severity="error", timeout=6)
        return
    what = "batch " + ("-" if done.batch is None else str(done.batch))
    what += f", {done.streams} stream{'s' if done.streams != 1 else ''}"
    sim = " (simulated)" if simulated else ""
    app.call_from_thread(app.notify, f"now running {what}{sim}: statistics restarted", timeout=4)
