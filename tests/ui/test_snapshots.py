"""SVG snapshots of the live screen (pytest-textual-snapshot), deterministic: seeded simulator,
fake clock, no session thread, no own-CPU readout."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_support import missing_shared
from textual.pilot import Pilot
from ui_driver import Driver

from trtui.pipeline.session import Session
from trtui.ui.app import TrtuiApp

SIZES = [(80, 24), (160, 50)]
FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "trtexec"


def injected(driver: Driver, ticks: int = 6, keys: tuple[str, ...] = ()) -> object:
    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, TrtuiApp)
        for _ in range(ticks):
            app.apply_update(driver.step())
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_demo(snap_compare: object, size: tuple[int, int]) -> None:
    driver = Driver()
    assert snap_compare(driver.app(), terminal_size=size, run_before=injected(driver))  # type: ignore[operator]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_details(snap_compare: object, size: tuple[int, int]) -> None:
    driver = Driver()
    run_before = injected(driver, keys=("down", "enter"))
    assert snap_compare(driver.app(), terminal_size=size, run_before=run_before)  # type: ignore[operator]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare: object, size: tuple[int, int]) -> None:
    driver = Driver()
    run_before = injected(driver, keys=("question_mark",))
    assert snap_compare(driver.app(), terminal_size=size, run_before=run_before)  # type: ignore[operator]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_engine_card(snap_compare: object, size: tuple[int, int]) -> None:
    driver = Driver()
    run_before = injected(driver, keys=("i",))
    assert snap_compare(driver.app(), terminal_size=size, run_before=run_before)  # type: ignore[operator]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_grouped_with_baseline(snap_compare: object, size: tuple[int, int]) -> None:
    driver = Driver()

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, TrtuiApp)
        for _ in range(4):
            app.apply_update(driver.step())
        app.action_baseline()
        app.clear_notifications()
        for _ in range(4):
            app.apply_update(driver.step())
        await pilot.press("g")
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(driver.app(), terminal_size=size, run_before=run_before)  # type: ignore[operator]


def _recording_fixture() -> Path | None:
    if not FIXTURES.is_dir():
        return None
    for candidate in sorted(FIXTURES.iterdir()):
        if candidate.is_dir():
            return candidate
    return None


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_recording(snap_compare: object, size: tuple[int, int]) -> None:
    folder = _recording_fixture()
    if folder is None:
        missing_shared(f"no trtexec fixture recordings under {FIXTURES}")
    from trtui.recording.source import open_recording

    clock = [100.0]
    source = open_recording(folder)
    session = Session(source, None, clock=lambda: clock[0])
    session.open()

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, TrtuiApp)
        for _ in range(4):
            clock[0] += 0.5
            session.ingest(source.read(0))
            app.apply_update(session.build_update())
        await pilot.pause()

    app = TrtuiApp(session, autostart=False, cost_interval_s=None)
    assert snap_compare(app, terminal_size=size, run_before=run_before)  # type: ignore[operator]
