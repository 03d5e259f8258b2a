"""Pilot tests of the keys that act on the run (trtui.ui.run_keys): pause and reset."""

from __future__ import annotations

from ui_driver import Driver

SIZE = (120, 40)


async def test_p_pauses_and_resumes(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step())
        await pilot.press("p")
        update = driver.step()  # the session applies control requests at its next step
        assert driver.session.paused and driver.source._paused
        assert update.profile.state == "paused"
        await pilot.press("p")
        driver.step()
        assert not driver.session.paused and not driver.source._paused


async def test_r_resets_statistics(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=4))
        before = driver.session.layers.iterations
        count_before = driver.session.latency.count
        assert before > 0
        await pilot.press("r")
        app.apply_update(driver.step())  # the session resets at its next step
        assert driver.session.layers.iterations < before / 2
        assert driver.session.latency.count < count_before / 2
