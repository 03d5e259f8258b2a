"""The live sweep screen (`trtui sweep` in a terminal): the point being measured with its progress,
every point's row as it ends, the throughput-vs-p99 plot, and the knee / best point so far.

The sweep runs in a Textual thread worker (`SweepRunner.run`); the worker only posts messages, so
the screen never blocks. `c` cancels (the points measured so far are kept); `q` cancels and quits.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, ProgressBar, Static

from trtui.sweep.analysis import Verdict, verdict
from trtui.sweep.plan import SweepPoint
from trtui.sweep.plot import fit_plot
from trtui.sweep.point import PointResult
from trtui.sweep.results import STOPPED_TEXT, TABLE_COLUMNS, SweepResult, describe, point_row
from trtui.sweep.runner import SweepListener, SweepRunner
from trtui.ui.guard import GuardedApp, run_guarded
from trtui.ui.narrow_plot import NarrowPlot, badge_title


@dataclass
class PointStarted(Message, bubble=False):
    """The sweep's point `index` began (posted from the worker thread)."""

    index: int
    point: SweepPoint


@dataclass
class PointProgressed(Message, bubble=False):
    """Point `index` is `fraction` through `phase`; a queued one is replaced by a newer one."""

    index: int
    phase: str
    fraction: float
    inferences: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PointProgressed)


@dataclass
class PointFinished(Message, bubble=False):
    """Point `index` was measured (or failed: `result` says)."""

    index: int
    result: PointResult


@dataclass
class SweepFinished(Message, bubble=False):
    """The sweep ended with `result` (its status says whether it was cancelled)."""

    result: SweepResult


@dataclass
class SweepFailed(Message, bubble=False):
    """The sweep stopped on an error (one line)."""

    error: str


class _Bridge(SweepListener):
    def __init__(self, app: SweepApp) -> None:
        self.app = app

    def point_started(self, index: int, point: SweepPoint) -> None:
        self.app.post_message(PointStarted(index, point))

    def point_progress(self, index: int, phase: str, fraction: float, inferences: int) -> None:
        self.app.post_message(PointProgressed(index, phase, fraction, inferences))

    def point_finished(self, index: int, result: PointResult) -> None:
        self.app.post_message(PointFinished(index, result))


class SweepApp(NarrowPlot, GuardedApp[SweepResult]):
    """The sweep's live screen: runs `runner` in a thread worker (`autostart`), one row per point
    and the throughput-vs-p99 plot; returns the `SweepResult` (a cancelled sweep's too)."""

    CSS_PATH = "sweep.tcss"
    TITLE = "trtui sweep"
    BINDINGS = [
        Binding("c", "cancel", "Cancel sweep"),
        Binding("v", "toggle_plot", "Table/plot"),
        Binding("q", "quit_sweep", "Quit"),
    ]

    def __init__(self, runner: SweepRunner, *, autostart: bool = True) -> None:
        super().__init__()
        self.runner = runner
        self.autostart = autostart
        self.result: SweepResult | None = None
        self.points: list[PointResult] = []
        self.error: str | None = None
        self._point_text = ""

    # --- narrow terminals -----------------------------------------------------------------------

    def title_text(self, width: int | None = None) -> Text:
        """The title for a terminal `width` wide: the SIMULATED badge first (never the part cut
        off), its explanation only where it fits."""
        s = self.runner.settings
        return badge_title(s.simulated, "SIMULATED engine", f"trtui sweep — {s.label}",
                           "  (nothing is measured)", width)

    # --- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        s = self.runner.settings
        yield Static(self.title_text(), id="title")
        how = "until the p99 is stable, at most " if s.until_stable else ""
        budget = f"; p99 budget {s.budget_ms:g} ms" if s.budget_ms is not None else ""
        yield Static(Text(f"{len(s.planned)} points, {s.warmup_s:g} s warm-up and {how}{s.duration_s:g} s "
                          f"each{budget}"), id="plan")
        with Horizontal(id="current"):
            yield Static(Text("starting the engine…"), id="point-label")
            yield ProgressBar(total=100, show_eta=False, id="progress")
        with Horizontal(id="body"):
            yield DataTable(id="points", cursor_type="row", zebra_stripes=True)
            yield Static(Text("no point measured yet"), id="plot")
        yield Static(Text(""), id="verdict")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#points", DataTable)
        for i, name in enumerate(TABLE_COLUMNS):
            table.add_column(name or "note", key=str(i))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.action_quit_sweep)
        if self.autostart:
            self.run_sweep()

    @work(thread=True, exclusive=True, group="sweep", exit_on_error=False)
    def run_sweep(self) -> None:
        try:
            result = self.runner.run(_Bridge(self))
        except Exception as err:  # a source that cannot start: shown, never a traceback
            self.post_message(SweepFailed(" ".join(str(err).split()) or type(err).__name__))
            return
        self.post_message(SweepFinished(result))

    # --- messages ---------------------------------------------------------------------------------

    def on_point_started(self, msg: PointStarted) -> None:
        total = len(self.runner.settings.planned)
        p = msg.point
        what = f"batch {'-' if p.batch is None else p.batch}, {p.streams} stream(s)"
        self._point_text = f"point {msg.index + 1}/{total}: {what}"
        self.query_one("#point-label", Static).update(Text(f"{self._point_text} — setting up"))
        self.query_one("#progress", ProgressBar).update(progress=0)

    def on_point_progressed(self, msg: PointProgressed) -> None:
        extra = f" ({msg.inferences:,} inferences)" if msg.phase == "measuring" else ""
        self.query_one("#point-label", Static).update(Text(f"{self._point_text} — {msg.phase}{extra}"))
        self.query_one("#progress", ProgressBar).update(progress=round(100 * msg.fraction, 1))

    def on_point_finished(self, msg: PointFinished) -> None:
        self.points.append(msg.result)
        self._refresh()

    def on_sweep_finished(self, msg: SweepFinished) -> None:
        self.result = msg.result
        self.points = list(msg.result.points)
        self._refresh()
        text = STOPPED_TEXT[msg.result.stopped] + (f" ({msg.result.error})" if msg.result.error else "")
        self.query_one("#point-label", Static).update(Text(text + " — press q to quit"))

    def on_sweep_failed(self, msg: SweepFailed) -> None:
        self.error = msg.error
        self.result = self.runner.result("error")
        self.query_one("#point-label", Static).update(Text(f"error: {msg.error} — press q to quit",
                                                           style="bold red"))

    def _refresh(self) -> None:
        s = self.runner.settings
        v = verdict(self.points, s.budget_ms, s.knee_gain)
        table = self.query_one("#points", DataTable)
        table.clear()
        for i, p in enumerate(self.points):
            row = point_row(p, v.knee, v.best)
            style = "" if p.ok else "red"
            table.add_row(*(Text(c, style=style) for c in row), key=str(i))
        self._refresh_plot(v)
        parts = []
        if v.knee is not None:
            parts.append(f"knee: {describe(v.knee)}")
        if s.budget_ms is not None:
            parts.append(f"best under {s.budget_ms:g} ms: {describe(v.best)}" if v.best is not None
                         else f"best under {s.budget_ms:g} ms: none yet")
        self.query_one("#verdict", Static).update(Text("   ".join(parts), style="bold"))

    def _refresh_plot(self, v: Verdict | None = None) -> None:
        """The plot, fitted to the plot box's content (no line wraps: the box cuts none either)."""
        s = self.runner.settings
        if v is None:
            v = verdict(self.points, s.budget_ms, s.knee_gain)
        plot = self.query_one("#plot", Static)
        size = plot.content_size
        width = size.width if size.width else 60
        lines = fit_plot(self.points, v, width, max(4, size.height - 6) if size.height else 12)
        plot.update(Text("\n".join(lines) if lines else "no point measured yet", no_wrap=True,
                         overflow="ellipsis"))

    def on_unmount(self) -> None:
        if self.result is None:
            self.runner.cancel()

    # --- actions --------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self.result is None:
            self.runner.cancel()
            self.query_one("#point-label", Static).update(Text("cancelling: the current point is dropped…"))

    def action_quit_sweep(self) -> None:
        if self.result is None:
            self.runner.cancel()
        self.exit(self.result if self.result is not None else self.runner.result("cancelled"))


def run_sweep_app(runner: SweepRunner) -> SweepResult:
    """Run the screen; the result holds every point measured (cancelled when quit early)."""
    app = SweepApp(runner)
    result = run_guarded(app)
    if app.error is not None:
        from trtui.common.errors import UserError

        raise UserError(app.error)
    return result if result is not None else runner.result("cancelled")
