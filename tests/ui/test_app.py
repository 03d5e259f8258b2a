"""Pilot tests of the small screen things: focus after an export, share at 20,000 layers, zoom at
80x24 and 60x15, what a replay calls itself, sort order that noise does not reshuffle."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Input
from ui_driver import Driver

from trtui.ui.layer_view import LayerView
from trtui.ui.screens import ExportScreen

SIZE = (120, 40)


@pytest.mark.parametrize("zoomed", [False, True], ids=["table", "panels-only"])
@pytest.mark.parametrize("kind", ["csv", "cancel"])
async def test_focus_returns_to_the_table_after_an_export(
    driver: Driver, tmp_path: Path, kind: str, zoomed: bool
) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.pause()
        view = app.query_one(LayerView)
        if zoomed:  # panels only: the table is hidden while exporting
            await pilot.press("z", "z")
            await pilot.pause()
            assert not app.query_one("#table-box").display
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        if kind == "cancel":
            await pilot.press("escape")
        else:
            await pilot.press({"svg": "home", "csv": "down", "recording": "end"}[kind], "enter")
            assert screen.kind == kind
            screen.query_one(Input).value = str(tmp_path / f"out.{kind}")
            await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        if zoomed:
            assert app.focused is None  # keys reach the screen's bindings, not a hidden input
            await pilot.press("z")  # back to the table, which takes the focus again
            await pilot.pause()
        assert app.focused is view
        shown = len(view.order)
        await pilot.press("c", "o", "n", "v")  # not typed into a hidden filter box
        await pilot.pause()
        assert view.filter_text == "" and len(view.order) == shown
        assert not app.query_one("#filter", Input).display


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


async def test_panels_only_zoom_uses_the_rows_at_80x24(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.press("z", "z")
        await pilot.pause()
        latency = app.query_one("#latency")
        assert latency.size.height >= 18  # the whole screen less header and footer
        lines = [latency.render_line(y).text for y in range(latency.size.height)]
        assert sum(1 for line in lines if not line.strip()) <= 3  # not 11 rows of panel, 10 blank


async def test_the_table_shows_rows_at_60x15(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=(60, 15)) as pilot:
        app.apply_update(driver.step(ticks=2))
        await pilot.pause()
        view = app.query_one(LayerView)
        assert view.size.height >= 8
        rows = [view.render_line(y).text for y in range(view.size.height)]
        assert sum(1 for r in rows if r.strip()) >= 8
        await pilot.press("z", "z")  # the panels are one zoom away
        await pilot.pause()
        assert app.query_one("#side").display and app.query_one("#latency").size.height >= 10


def _tiny_recording(folder: Path) -> Path:
    """A small trtexec recording written here (profile + times, trtexec's layouts)."""
    import json

    profile = [
        {"count": 51},
        {"name": "conv1", "timeMs": 102.0, "averageMs": 2.0, "medianMs": 2.0, "percentage": 66.7},
        {"name": "conv2", "timeMs": 51.0, "averageMs": 1.0, "medianMs": 1.0, "percentage": 33.3},
    ]
    times = [
        {"startComputeMs": 10.0 * i, "endComputeMs": 10.0 * i + 3.0, "latencyMs": 3.0 + (i % 5) * 0.1}
        for i in range(51)
    ]
    folder.mkdir()
    (folder / "m.engine.profile.json").write_text(json.dumps(profile))
    (folder / "m.engine.timing.json").write_text(json.dumps(times))
    return folder


async def test_a_replay_says_what_it_is(tmp_path: Path) -> None:
    from trtui.pipeline.session import Session
    from trtui.recording.source import open_recording
    from trtui.ui.app import TrtuiApp
    from trtui.ui.key_bar import KeyBar
    from trtui.ui.panels import header_text, latency_text

    source = open_recording(_tiny_recording(tmp_path / "rec"))
    clock = [100.0]
    session = Session(source, None, clock=lambda: clock[0])
    session.open()
    app = TrtuiApp(session, autostart=False, cost_interval_s=None)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            clock[0] += 0.5
            session.ingest(source.read(0))
            update = session.build_update()
            app.apply_update(update)
        await pilot.pause()
        header = header_text(update.profile, None, 0.5).plain
        assert "REPLAY" in header and "RUNNING" not in header and "PAUSED" not in header
        assert update.profile.elapsed_s == pytest.approx(0.503)  # the trace, not the replay
        latency = latency_text(update, 40).plain
        assert "rolling" not in latency and "recorded" in latency
        assert app.check_action("pause", ()) is False  # no "p Pause" in the footer
        bar = str(app.query_one(KeyBar).render())
        assert "Pause" not in bar and "r Reset" in bar
        await pilot.press("p")
        await pilot.pause()
        assert not session.paused
        messages = " ".join(n.message for n in app._notifications)
        assert "paused" not in messages.replace("nothing to pause", "") and "resumed" not in messages
        details = app.details_for("conv1", False, 80).plain
        assert "builds up" not in details


async def test_live_sorting_does_not_reshuffle_on_noise(driver: Driver) -> None:
    app = driver.app()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(6):
            app.apply_update(driver.step())
        await pilot.pause()
        view = app.query_one(LayerView)
        tops = []
        for _ in range(12):
            app.apply_update(driver.step())
            await pilot.pause()
            tops.append([view.table.names[int(i)] for i in view.order[:20]])
        shares = view.table.share_pct[view.order[:20]]
        assert float(shares.max() - shares.min()) < 0.2  # the top 20 are within noise of each other
        changes = sum(a != b for a, b in itertools.pairwise(tops))
        assert changes <= 2, changes  # was: every refresh


def test_a_real_change_still_moves_a_row_at_once() -> None:
    from trtui.ui.sticky_sort import StickyOrder

    names = ("a", "b", "c", "d")
    sticky = StickyOrder()
    tol = np.full(4, 0.1)

    def order(values: list[float]) -> list[str]:
        return [names[i] for i in sticky.update(names, "share", False, np.array(values), tol)]

    assert order([4.0, 3.0, 2.0, 1.0]) == ["a", "b", "c", "d"]
    assert order([3.9, 4.0, 2.05, 2.0]) == ["a", "b", "c", "d"]  # within noise: no reshuffle
    assert order([3.9, 4.0, 2.0, 9.0]) == ["d", "a", "b", "c"]  # d is clearly ahead: at once
    assert order([3.9, 4.0, 2.0, float("nan")]) == ["a", "b", "c", "d"]  # unknown sorts last


def _settle_by_full_passes(order: np.ndarray, keys: np.ndarray, tol: np.ndarray) -> np.ndarray | None:
    """The reference: odd-even passes over every pair until a pass swaps nothing."""
    from trtui.ui.sticky_sort import MAX_PASSES

    order = order.copy()
    for _ in range(MAX_PASSES):
        swapped = False
        for start in (0, 1):
            a = order[start:-1:2] if len(order) > start + 1 else order[:0]
            b = order[start + 1 :: 2][: len(a)]
            with np.errstate(invalid="ignore"):
                clear = keys[b] - keys[a] > tol[a] + tol[b]
            if clear.any():
                swapped = True
                ia = np.arange(start, start + 2 * len(a), 2)[clear]
                order[ia], order[ia + 1] = b[clear], a[clear]
        if not swapped:
            return order
    return None


def test_settling_only_the_pairs_that_can_change_makes_the_same_swaps_as_full_passes() -> None:
    from trtui.ui.sticky_sort import settle

    rng = np.random.default_rng(7)
    outcomes = {"settled": 0, "gave up": 0}
    for trial in range(600):
        n = int(rng.integers(0, 80)) if trial < 580 else 20_000
        keys = rng.normal(size=n)
        keys[rng.random(n) < 0.05] = -np.inf  # unknown values sort last
        tol = np.abs(rng.normal(scale=0.3, size=n))
        shuffle = float(rng.choice([0.01, 0.3, 1.0, 3.0]))  # from nearly settled to far off
        order = np.argsort(-(keys + rng.normal(scale=shuffle, size=n)), kind="stable")
        expected, got = _settle_by_full_passes(order, keys, tol), settle(order, keys, tol)
        if expected is None:
            assert got is None
            outcomes["gave up"] += 1
        else:
            assert got is not None and np.array_equal(got, expected)
            outcomes["settled"] += 1
    assert min(outcomes.values()) > 10  # both ways were exercised
