"""The hotspot table (trtui.ui.layer_view): the share's text at any scale and at 20,000 layers; a
new order is posted up as a message (the app redraws the header line above the table)."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Static
from ui_driver import Driver

from trtui.ui.layer_view import LayerView

SIZE = (120, 40)


def test_share_text_at_any_scale() -> None:
    from trtui.common import format as fmt

    assert [fmt.share(x) for x in (42.0, 2.345, 0.35, 0.01, 0.005, 0.0, float("nan"))] == [
        "42.0%", "2.3%", "0.35%", "0.01%", "<0.01%", "0%", "n/a"
    ]


async def test_share_at_20000_layers_is_not_zero_everywhere() -> None:
    driver = Driver(layers=20_000)
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.pause()
        view = app.query_one(LayerView)
        header = view.header_text(view.row_width)
        rows = [view.render_line(y).text for y in range(1, 12)]
        start = header.index("Share")
        shares = [r[start - 1 : start + 6].strip() for r in rows if r.strip()]
        assert shares and all(s in ("<0.01%",) or (s.endswith("%") and s != "0.0%") for s in shares), shares
        assert any(s == "<0.01%" or (s[0] == "0" and len(s.split(".")[-1]) == 3) for s in shares), shares


async def test_a_new_order_is_posted_up_and_the_app_redraws_the_table_header(driver: Driver) -> None:
    seen: list[Message] = []
    app = driver.app()
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.pause()
        header = app.query_one("#table-header", Static)
        before = str(header.render())
        seen.clear()
        app.query_one(LayerView).set_sort("mean")
        await pilot.pause()
        assert any(isinstance(m, LayerView.Reordered) for m in seen)
        after = str(header.render())
        assert "Share▼" in before and "Share▼" not in after and "Mean ms▼" in after, (before, after)
