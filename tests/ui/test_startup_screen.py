"""Issue 24: the screen is up before the source is ready, and says which start-up step runs."""

from __future__ import annotations

import asyncio
import threading
import time

from trtui.core.model import SourceBatch, SourceInfo, StartupStep
from trtui.core.options import RunOptions
from trtui.pipeline.session import Session
from trtui.sources.protocol import StartupListener
from trtui.ui.app import TrtuiApp
from trtui.ui.panels import HeaderBar


class BlockingSource:
    """A source whose `start()` blocks until released, reporting a step ("deserialize") and ticks
    meanwhile, as the engine's GPU process does."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.in_start = threading.Event()
        self.listener: StartupListener | None = None
        self._info = SourceInfo(kind="engine", label="big.engine", simulated=False)

    @property
    def info(self) -> SourceInfo:
        return self._info

    def set_startup_listener(self, listener: StartupListener) -> None:
        self.listener = listener

    def start(self) -> None:
        assert self.listener is not None
        self.in_start.set()
        self.listener((StartupStep("deserialize"),))
        t0 = time.monotonic()
        while not self.release.wait(0.05):
            self.listener(())
        self.listener((StartupStep("deserialize", time.monotonic() - t0),))

    def read(self, timeout: float) -> SourceBatch:
        time.sleep(min(timeout, 0.02))
        return SourceBatch(t=time.monotonic())

    def set_paused(self, paused: bool) -> None:
        pass

    def stop(self) -> None:
        self.release.set()


def screen_text(app: TrtuiApp) -> str:
    return app.export_screenshot().replace("&#160;", " ")


async def wait_for(test: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if test():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_the_first_frame_is_drawn_before_the_source_is_ready() -> None:
    source = BlockingSource()
    source.release.clear()
    session = Session(source, None, RunOptions(), tick_s=0.2)
    app = TrtuiApp(session, refresh_s=0.1, cost_interval_s=None)
    gate = threading.Event()
    original = source.start

    def start_after_first_frame() -> None:  # the source does not even begin before the first frame
        gate.wait(10)
        original()

    source.start = start_after_first_frame  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        first = screen_text(app)
        assert "loading engine…" in first and "STARTING" in first  # header and empty table
        assert "Layer" in first or "layer" in first  # the table's column titles are there too
        gate.set()
        await wait_for(lambda: source.in_start.is_set())
        await wait_for(lambda: "loading: deserialize" in str(app.query_one(HeaderBar).render()))
        # the running step's seconds move on while start() still blocks
        await wait_for(lambda: "loading: deserialize 0.3 s" in str(app.query_one(HeaderBar).render())
                       or "loading: deserialize 0.4 s" in str(app.query_one(HeaderBar).render()))
        assert "big.engine" in screen_text(app)
        source.release.set()
        await wait_for(lambda: app.last_update is not None and app.last_update.profile.state == "running")
        await wait_for(lambda: "loading:" not in str(app.query_one(HeaderBar).render()))
        assert app.last_update is not None
        done = app.last_update.profile.startup
        assert [s.name for s in done] == ["deserialize"] and (done[0].duration_s or 0) >= 0.3
        assert "loading engine…" not in screen_text(app)
        await pilot.press("q")


async def test_the_first_numbers_are_shown_at_once_not_at_the_next_refresh() -> None:
    """An engine's start-up screens are paced like any update; the first update with numbers (the
    end of the warm-up) is drawn as soon as it arrives, not up to a refresh period later."""
    from ui_driver import Driver

    from trtui.ui.app import UpdateReady

    driver = Driver()
    starting = driver.session.build_update()
    assert starting.profile.latency_total.count == 0
    numbers = driver.step()
    later = driver.step()
    now = [100.0]
    app = TrtuiApp(driver.session, refresh_s=5.0, autostart=False, cost_interval_s=None,
                   wall_time=lambda: now[0])
    async with app.run_test(size=(120, 30)) as pilot:
        app.post_message(UpdateReady(starting))
        await pilot.pause()
        assert app.last_update is starting
        now[0] += 0.1  # well inside the 5 s refresh period
        app.post_message(UpdateReady(numbers))
        await pilot.pause()
        assert app.last_update is numbers  # at once
        now[0] += 0.1
        app.post_message(UpdateReady(later))
        await pilot.pause()
        assert app.last_update is numbers  # the next ones keep the refresh period
        await pilot.press("q")
