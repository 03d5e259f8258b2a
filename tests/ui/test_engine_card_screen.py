"""The engine card and roofline screen (key `i`): the card, the roofline at the run's clocks, rows
most headroom first, live updates, Esc closes; a recording without device facts says why."""

from __future__ import annotations

from ui_driver import Driver, render_text

from trtui.analysis.engine_card import engine_card
from trtui.analysis.engine_view import EngineView
from trtui.core.model import LayerInfo
from trtui.ui.engine_card_screen import EngineCardScreen, engine_card_view

SIZE = (140, 45)


def render(obj: object, width: int = 140) -> str:
    return render_text(obj, width)


async def test_i_opens_the_card_with_the_roofline_and_it_updates_live() -> None:
    driver = Driver()
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EngineCardScreen)
        first = screen._drawn
        app.apply_update(driver.step(ticks=1))
        await pilot.pause()
        assert screen._drawn != first  # redrawn from the new update
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, EngineCardScreen)


def test_the_view_shows_card_roofline_and_rows_by_headroom() -> None:
    from trtui.analysis.engine_view import engine_view
    from trtui.analysis.run import run_from_update

    driver = Driver()
    view = engine_view(run_from_update(driver.step(ticks=2)))
    assert view.roofline is not None and view.roofline.clocks_from == "simulated"
    text = render(engine_card_view(view, 140))
    assert "Total headroom" in text and "Roofline at 1830 MHz SM (simulated)" in text
    assert "Layers by headroom" in text and "weights: 44.7 MB" in text
    heads = [r.headroom_ms for r in view.roofline.by_headroom() if r.headroom_ms is not None]
    assert heads == sorted(heads, reverse=True) and heads[0] > 0
    assert all(r.efficiency_pct is None or r.efficiency_pct <= 100 for r in view.roofline.rows)


def test_without_device_facts_the_screen_says_why() -> None:
    card = engine_card((LayerInfo("a", "Reformat"),), None)
    text = render(engine_card_view(EngineView(card, None, "no device facts"), 120))
    assert "Roofline unavailable: no device facts" in text and "TensorRT: unknown" in text
