"""The interactive tuner screen (`trtui tune`): the plan, the running build's progress, every attempt,
a plot of latency and device memory against the limit, and the chosen limit with its reason.

The search runs in a Textual thread worker (`TuneSession.run`); the worker only posts messages, so
the screen never blocks. `c` stops the search: the running build is cancelled (its child process is
killed), what was measured stays on screen with the best limit so far; `q` does the same and quits.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, ProgressBar, Static

from trtui.tune.attempt import OUTCOME_LABELS, BuildAttempt, BuildEvent, BuildLog, BuildProgress
from trtui.tune.logclass import classify_line
from trtui.tune.plot import render_plot
from trtui.tune.progress import ProgressTracker
from trtui.tune.results import (
    STOPPED_TEXT,
    TABLE_COLUMNS,
    TuneResult,
    attempt_row,
    choose,
    flags_for,
)
from trtui.tune.search import Step
from trtui.tune.session import TuneListener, TuneSession
from trtui.tune.sizes import format_size, trtexec_size
from trtui.ui.guard import GuardedApp
from trtui.ui.narrow_plot import NarrowPlot, badge_title

_PROGRESS_EVERY_S = 0.05
_LOG_EVERY_S = 0.1


# --- messages from the worker thread --------------------------------------------------------------


@dataclass
class AttemptStarted(Message, bubble=False):
    """Build `index` of the plan began, at `step` (posted from the worker thread)."""

    index: int
    step: Step


@dataclass
class BuildProgressed(Message, bubble=False):
    """The build in progress is `fraction` done (0..1), in the phase `label` names; a queued one
    is replaced by a newer one."""

    fraction: float
    label: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BuildProgressed)


@dataclass
class LogSeen(Message, bubble=False):
    """The builder's latest log line; a queued one is replaced by a newer one."""

    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LogSeen)


@dataclass
class AttemptFinished(Message, bubble=False):
    """A build ended (built and measured, or failed: `attempt` says)."""

    attempt: BuildAttempt


@dataclass
class TuneFinished(Message, bubble=False):
    """The tuner's run ended with `result` (its status says how)."""

    result: TuneResult


class _Bridge(TuneListener):
    """Runs in the worker thread: folds progress events and posts throttled messages."""

    def __init__(self, app: TuneApp) -> None:
        self.app = app
        self.tracker = ProgressTracker()
        self._last_progress = 0.0
        self._last_fraction = -1.0
        self._last_log = 0.0
        self._pending_log: str | None = None  # the newest memory line not shown (throttled)

    def attempt_started(self, index: int, step: Step) -> None:
        self.tracker.reset()
        self._last_fraction = -1.0
        self._last_log = 0.0
        self._pending_log = None
        self.app.post_message(AttemptStarted(index, step))

    def build_event(self, event: BuildEvent) -> None:
        now = time.monotonic()
        if isinstance(event, BuildProgress):
            self.tracker.update(event)
            fraction = self.tracker.fraction()
            # phase starts/ends, visible moves of the bar, and otherwise at most 20 updates a second
            if (
                event.kind != "step"
                or abs(fraction - self._last_fraction) >= 0.005
                or now - self._last_progress >= _PROGRESS_EVERY_S
            ):
                self._last_progress = now
                self._last_fraction = fraction
                self.app.post_message(BuildProgressed(fraction, self.tracker.label()))
        elif isinstance(event, BuildLog):
            line = classify_line(event.text, event.severity or None)
            if line.kind == "other":
                return
            text = _describe(line.kind, line.requested_bytes, line.available_bytes, event.text)
            if now - self._last_log >= _LOG_EVERY_S:
                self._last_log = now
                self._pending_log = None
                self.app.post_message(LogSeen(text))
            else:
                self._pending_log = text  # shown when the build ends, if nothing newer was shown

    def attempt_finished(self, attempt: BuildAttempt) -> None:
        if self._pending_log is not None:  # the build's last memory line is never lost to throttling
            self.app.post_message(LogSeen(self._pending_log))
            self._pending_log = None
        self.app.post_message(AttemptFinished(attempt))


def _describe(kind: str, requested: int | None, available: int | None, text: str) -> str:
    if kind == "device_request" and requested is not None:
        return f"a tactic asked for {format_size(requested)}, {format_size(available)} available"
    if kind == "skipped_tactic" and requested is not None:
        size = format_size(requested) if requested >= 1 << 20 else f"{requested} (bytes, or MiB on 8.x)"
        return f"skipped a tactic that asked for {size}"
    return " ".join(text.split())[:200]


# --- the app --------------------------------------------------------------------------------------


class TuneApp(NarrowPlot, GuardedApp[TuneResult]):
    """The tuner screen over a `TuneSession` (simulated or real builder)."""

    NARROW = 100

    CSS_PATH = "tune.tcss"
    TITLE = "trtui tune"
    BINDINGS = [
        Binding("c", "cancel", "Stop search"),
        Binding("v", "toggle_plot", "Table/plot"),
        Binding("q", "quit_tuner", "Quit"),
    ]

    def __init__(self, session: TuneSession, label: str, *, autostart: bool = True) -> None:
        super().__init__()
        self.session = session
        self.label = label
        self.autostart = autostart
        self.result: TuneResult | None = None
        self.attempts: list[BuildAttempt] = []
        self.running: int | None = None  # index of the build in progress
        self.cancel_requested = False

    @property
    def simulated(self) -> bool:
        """The builder is simulated (no engine is built): the screen says so first."""
        return self.session.builder.simulated

    # --- narrow terminals -----------------------------------------------------------------------

    def title_text(self, width: int | None = None) -> Text:
        """The title line for a terminal `width` wide (None: as wide as needed): the SIMULATED
        badge first, so that it is never the part cut off; its explanation only where it fits."""
        return badge_title(self.simulated, "SIMULATED builder", f"trtui tune — {self.label}",
                           "  (no engine is built)", width)

    # --- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self.title_text(), id="title")
        yield Static(Text(self.session.plan.describe()), id="plan")
        with Horizontal(id="current"):
            yield Static(Text("starting…"), id="build-label")
            yield Static(Text(""), id="phase")
            yield ProgressBar(total=100, show_eta=False, id="progress")
        yield Static(Text(""), id="log-line")
        with Horizontal(id="body"):
            yield DataTable(id="attempts", cursor_type="row", zebra_stripes=True)
            with Vertical(id="side"):
                yield Static(Text("no builds yet"), id="plot")
        yield Static(Text(""), id="verdict")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#attempts", DataTable)
        for name in TABLE_COLUMNS:
            table.add_column(name, key=name)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            # An SSH disconnect or a kill: cancel the build and quit cleanly (terminal restored).
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.action_quit_tuner)
        if self.autostart:
            self.start()

    def start(self) -> None:
        """Run the tuner in a thread worker (once; the mount does it unless `autostart` is off)."""
        self.run_tune()

    @work(thread=True, exclusive=True, group="tune", exit_on_error=False)
    def run_tune(self) -> None:
        result = self.session.run(_Bridge(self))
        self.post_message(TuneFinished(result))

    # --- messages ---------------------------------------------------------------------------------

    def on_attempt_started(self, msg: AttemptStarted) -> None:
        self.running = msg.index
        plan = self.session.plan
        limit = trtexec_size(msg.step.limit_bytes)
        label = (
            f"build {msg.index}/{plan.max_builds}: {plan.pool.name} {limit} [{msg.step.phase}] {msg.step.why}"
        )
        self.query_one("#build-label", Static).update(Text(label, no_wrap=True, overflow="ellipsis"))
        self.query_one("#progress", ProgressBar).update(progress=0)
        self.query_one("#phase", Static).update(Text(""))
        self.query_one("#log-line", Static).update(Text(""))
        table = self.query_one("#attempts", DataTable)
        cells = [str(msg.index), trtexec_size(msg.step.limit_bytes), "building…", "", "", "", "", "", ""]
        table.add_row(*(Text(c) for c in cells), key=str(msg.index))

    def on_build_progressed(self, msg: BuildProgressed) -> None:
        self.query_one("#progress", ProgressBar).update(progress=round(msg.fraction * 100, 1))
        if self.running is not None:
            self.query_one("#phase", Static).update(Text(msg.label, style="dim"))

    def on_log_seen(self, msg: LogSeen) -> None:
        self.query_one("#log-line", Static).update(
            Text("builder log: " + msg.text, style="yellow", no_wrap=True, overflow="ellipsis")
        )

    def on_attempt_finished(self, msg: AttemptFinished) -> None:
        a = msg.attempt
        self.attempts.append(a)
        self.running = None
        plan = self.session.plan
        table = self.query_one("#attempts", DataTable)
        row = attempt_row(a, plan)
        key = str(a.index)
        cells = [
            Text(value, style=_outcome_style(a) if name == "result" else "")
            for name, value in zip(TABLE_COLUMNS, row, strict=True)
        ]
        if key not in table.rows:
            table.add_row(*cells, key=key)
        else:
            for name, cell in zip(TABLE_COLUMNS, cells, strict=True):
                table.update_cell(key, name, cell, update_width=True)
        self.query_one("#progress", ProgressBar).update(progress=100 if a.ok else 0)
        self.query_one("#build-label", Static).update(
            Text(f"build {a.index}: {OUTCOME_LABELS[a.outcome]}" + (f" — {a.message}" if a.message else ""))
        )
        self._refresh_plot()
        verdict = choose(plan, self.attempts)
        if verdict.attempt is not None:
            self._show_verdict(
                f"best so far: {plan.pool.name} {trtexec_size(verdict.attempt.limit_bytes)}",
                verdict.reason,
                final=False,
            )

    def on_tune_finished(self, msg: TuneFinished) -> None:
        self.result = msg.result
        self.running = None
        self.query_one("#phase", Static).update(Text(""))
        r = msg.result
        plan = r.plan
        done = f"{STOPPED_TEXT[r.stopped]}: {len(r.attempts)} of at most {plan.max_builds} builds"
        self.query_one("#build-label", Static).update(Text(done + " — press q to quit"))
        v = r.verdict
        if v.attempt is not None:
            flags = flags_for(plan, v.attempt.limit_bytes)
            how = "  ".join(x for x in (flags["trtexec"], flags["polygraphy"]) if x)
            self._show_verdict(
                f"chosen: {plan.pool.name} {trtexec_size(v.attempt.limit_bytes)}",
                f"{v.reason}\n{how}",
                final=True,
            )
            self.query_one("#attempts", DataTable).move_cursor(row=self._row_of(v.attempt.index))
        else:
            self._show_verdict("no limit chosen", v.reason, final=True)

    def _row_of(self, index: int) -> int:
        table = self.query_one("#attempts", DataTable)
        for i, key in enumerate(table.rows):
            if key.value == str(index):
                return i
        return 0

    def _show_verdict(self, head: str, reason: str, final: bool) -> None:
        text = Text(head, style="bold green" if final else "bold")
        text.append(" — " + reason)
        widget = self.query_one("#verdict", Static)
        widget.update(text)
        widget.set_class(final, "final")

    def _refresh_plot(self) -> None:
        plot = self.query_one("#plot", Static)
        width = max(20, plot.size.width - 14) if plot.size.width else 40
        lines = render_plot(self.attempts, width=width, height=4)
        plot.update(Text("\n".join(lines) if lines else "no builds yet"))

    def on_unmount(self) -> None:
        # However the app ends (q, Ctrl-C, an error), no build may outlive it.
        if self.result is None:
            self.session.cancel()

    # --- actions --------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self.result is not None or self.cancel_requested:
            return
        self.cancel_requested = True
        self.session.cancel()  # kills the running child now
        self.query_one("#build-label", Static).update(Text("cancelling: the running build is being killed…"))

    def action_quit_tuner(self) -> None:
        if self.result is None:
            self.session.cancel()
        self.exit(self.result if self.result is not None else self.session.result("cancelled"))


def _outcome_style(a: BuildAttempt) -> str:
    if a.ok:
        return "green"
    if a.outcome in ("cancelled",):
        return "dim"
    return "red"
