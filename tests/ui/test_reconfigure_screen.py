"""The live screen's batch/streams picker (key c): the change goes through the source's reconfigure,
the statistics restart and the screen says so; what does not fit is reported and nothing changes."""

from __future__ import annotations

import threading
import time

import pytest
from textual.widgets import Input
from ui_driver import Driver

from trtui.pipeline.session import Session
from trtui.sources.simulated import SimulatedSource
from trtui.ui.app import TrtuiApp
from trtui.ui.reconfigure_screen import ReconfigureScreen, current_batch, parse_choice

SIZE = (120, 40)


def test_parse_choice() -> None:
    assert parse_choice("16", "2") == (16, 2)
    assert parse_choice(" ", "") == (None, None)
    for batch, streams, needle in (("0", "1", "batch"), ("x", "1", "batch"), ("4", "65", "at most 64")):
        with pytest.raises(ValueError, match=needle):
            parse_choice(batch, streams)


async def _wait(pilot, cond, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.05)


class _SessionThread:
    """The part of the session thread a reconfiguration needs (the driver steps the rest by hand)."""

    def __init__(self, session: Session) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(session,), daemon=True)

    def _run(self, session: Session) -> None:
        while not self._stop.wait(0.02):
            session._apply_reconfigs()

    def __enter__(self) -> _SessionThread:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)


def _messages(app: TrtuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_picker_reconfigures_and_restarts_statistics(driver: Driver) -> None:
    app = driver.app()
    with _SessionThread(driver.session):
        async with app.run_test(size=SIZE) as pilot:
            app.apply_update(driver.step(ticks=4))
            before = driver.session.latency.total().count
            assert before > 1000
            await pilot.press("c")
            assert isinstance(app.screen, ReconfigureScreen)
            assert app.screen.query_one("#reconfigure-batch", Input).value == "8"
            assert app.screen.query_one("#reconfigure-streams", Input).value == "1"
            app.screen.query_one("#reconfigure-batch", Input).value = "32"
            app.screen.query_one("#reconfigure-streams", Input).value = "2"
            await pilot.press("enter")
            await _wait(pilot, lambda: any("statistics restarted" in m for m in _messages(app)))
            assert any("now running batch 32, 2 streams (simulated)" in m for m in _messages(app))
            assert (driver.source.batch, driver.source.streams) == (32, 2)
            assert current_batch(driver.source.info) == 32
            update = driver.step()
            assert update.profile.info.streams == 2
            assert any(n.startswith("reconfigured: batch 32, 2 stream(s)") for n in update.profile.notices)
            assert 0 < update.profile.latency_total.count < before / 4  # counted afresh, at the new rate


async def test_what_does_not_fit_is_reported_and_nothing_changes(driver: Driver) -> None:
    app = driver.app()
    with _SessionThread(driver.session):
        async with app.run_test(size=SIZE) as pilot:
            app.apply_update(driver.step())
            await pilot.press("c")
            app.screen.query_one("#reconfigure-batch", Input).value = "512"
            await pilot.press("enter")
            await _wait(pilot, lambda: any("does not fit" in m or "outside" in m for m in _messages(app)))
            assert any("previous configuration keeps running" in m for m in _messages(app))
            assert (driver.source.batch, driver.source.streams) == (8, 1)
            assert not driver.session._reset_requested.is_set()


async def test_escape_closes_the_picker_without_change(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step())  # what runs now comes from the published update
        await pilot.press("c")
        assert isinstance(app.screen, ReconfigureScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, ReconfigureScreen)
        assert (driver.source.batch, driver.source.streams) == (8, 1)


class _NotReconfigurable:
    """A source without reconfigure (like a recording)."""

    def __init__(self) -> None:
        self._sim = SimulatedSource()
        self.info = self._sim.info

    def start(self) -> None:
        pass

    def read(self, timeout: float):  # type: ignore[no-untyped-def]
        return self._sim.read(timeout)

    def set_paused(self, paused: bool) -> None:
        pass

    def stop(self) -> None:
        pass


async def test_a_source_that_cannot_change_says_so() -> None:
    app = TrtuiApp(Session(_NotReconfigurable()), autostart=False, cost_interval_s=None)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert not isinstance(app.screen, ReconfigureScreen)
        assert any("cannot change its batch or streams" in m for m in _messages(app))
