"""The live screen's pacing (trtui/ui/refresh_pacer.py): merging, the due-time grid, the refreshes
actually shown per second, and the CPU budget. Pure: times are handed in."""

from __future__ import annotations

import pytest
from ui_driver import Driver

from bench.ui import parse_refresh
from trtui.ui.panels import header_text
from trtui.ui.refresh_pacer import ACHIEVED_WINDOW_S, MAX_REFRESH_S, RefreshPacer


def pacer(refresh_s: float = 0.5, budget: float = 10.0) -> RefreshPacer[int]:
    return RefreshPacer(refresh_s, budget, cpu=0.0, wall=0.0)


def run(p: RefreshPacer[int], arrivals: list[float], timer_delay: float = 0.0) -> list[tuple[float, int]]:
    """Feed updates 0, 1, 2... at `arrivals`; a timer fires `timer_delay` late. (time, update) shown."""
    shown: list[tuple[float, int]] = []
    timer_at: float | None = None
    for n, t in enumerate(arrivals):
        if timer_at is not None and timer_at <= t:
            got = p.take(timer_at)
            if got is not None:
                shown.append((timer_at, got))
            timer_at = None
        wait = p.offer(n, t)
        if wait == 0.0:
            got = p.take(t)
            assert got is not None
            shown.append((t, got))
        elif wait is not None:
            timer_at = t + wait + timer_delay
    if timer_at is not None:
        got = p.take(timer_at)
        if got is not None:
            shown.append((timer_at, got))
    return shown


def test_updates_sooner_than_the_period_are_merged_newest_wins() -> None:
    p = pacer(0.5)
    shown = run(p, [0.0, 0.1, 0.2, 0.3])
    assert shown == [(0.0, 0), (0.5, 3)]  # 1 and 2 replaced by 3, shown when due
    assert p.merged == 2


def test_a_final_update_is_shown_at_once() -> None:
    p = pacer(0.5)
    assert p.offer(0, 0.0) == 0.0 and p.take(0.0) == 0
    assert p.offer(1, 0.1) == pytest.approx(0.4)
    assert p.offer(2, 0.2, final=True) == 0.0  # does not wait for the armed timer
    assert p.take(0.2) == 2
    assert p.take(0.5) is None  # the timer fires with nothing held


@pytest.mark.parametrize("jitter", [0.0, -0.004, 0.004])
def test_a_tick_equal_to_the_period_shows_every_update_despite_late_timers(jitter: float) -> None:
    # Statistics every 0.5 s with a little jitter, timers that fire 5 ms late: nothing is merged,
    # and the shown rate is the tick's (before the grid, each late timer pushed the next due time
    # back until an update was merged away).
    arrivals = [0.5 * k + (jitter if k % 2 else 0.0) for k in range(200)]
    p = pacer(0.5)
    shown = run(p, arrivals, timer_delay=0.005)
    assert p.merged == 0
    assert [n for _, n in shown] == list(range(200))
    now = shown[-1][0]
    assert p.achieved_per_s(now) == pytest.approx(2.0, abs=0.1)


def test_never_more_than_one_refresh_per_period_on_average() -> None:
    arrivals = [0.1 * k for k in range(300)]  # a feed at 10/s, refresh 0.5 s
    p = pacer(0.5)
    shown = run(p, arrivals)
    span = shown[-1][0] - shown[0][0]
    assert (len(shown) - 1) / span <= 2.0 + 1e-9
    assert len(shown) >= 0.95 * (span / 0.5)


def test_a_pause_in_the_feed_restarts_the_grid_from_now() -> None:
    p = pacer(0.5)
    assert run(p, [0.0]) == [(0.0, 0)]
    assert p.offer(1, 10.0) == 0.0 and p.take(10.0) == 1
    assert p.offer(2, 10.2) == pytest.approx(0.3)  # due 10.5, not 0.5 + k * 0.5


def test_achieved_rate_counts_what_was_shown() -> None:
    p = pacer(0.5)
    assert p.achieved_per_s(0.0) is None
    run(p, [float(k) for k in range(30)])  # one update per second although 2/s would be allowed
    assert p.achieved_per_s(29.0) == pytest.approx(1.0, abs=0.1)
    assert p.achieved_per_s(29.0 + ACHIEVED_WINDOW_S) == 0.0  # nothing shown over the last window


def test_cpu_budget_slows_the_period_and_recovers_never_faster_than_requested() -> None:
    p = pacer(0.5, budget=10.0)
    p.measure_cost(cpu=1.0, wall=2.0)  # the first measure holds start-up work: shown only
    assert p.own_cpu_pct == pytest.approx(50.0) and p.refresh_s == 0.5
    cpu, wall = 1.0, 2.0
    for _ in range(20):
        cpu, wall = cpu + 0.6, wall + 2.0
        p.measure_cost(cpu, wall)
    assert p.refresh_s == MAX_REFRESH_S
    for _ in range(20):
        cpu, wall = cpu + 0.02, wall + 2.0
        p.measure_cost(cpu, wall)
    assert p.refresh_s == 0.5


def test_the_header_shows_the_refreshes_shown_the_way_the_benchmark_reads_them(driver: Driver) -> None:
    profile = driver.step().profile
    assert parse_refresh(header_text(profile, 3.0, 0.5, 10.0, 1.3).plain) == (0.5, 1.3)
    unmeasured = header_text(profile, None, 0.5).plain  # tests and snapshots: no rate, no reading
    assert "refresh 0.5s" in unmeasured and parse_refresh(unmeasured) is None


async def test_the_live_app_counts_what_it_showed_in_its_header(driver: Driver) -> None:
    from trtui.ui.app import TrtuiApp, UpdateReady
    from trtui.ui.panels import HeaderBar

    wall = [100.0]
    app = TrtuiApp(driver.session, autostart=False, cost_interval_s=60.0, wall_time=lambda: wall[0])
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(25):  # one update every 0.5 s, as the session's tick sends them
            app.post_message(UpdateReady(driver.step()))
            await pilot.pause()
            wall[0] += 0.5
        header = str(app.query_one(HeaderBar).render())
        assert app.updates_applied == 25 and app.updates_merged == 0
        assert parse_refresh(header) == (0.5, 2.0)
