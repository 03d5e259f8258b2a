"""How often the live screen shows an update, and trtui's own CPU budget.

Updates arrive on the statistics' fixed tick (or a remote run's pace). The screen shows at most one
per refresh period on average: one that arrives before it is due is held, and a newer one arriving
meanwhile replaces it (counted as merged). The due times keep to a grid (the next is due one
period after the last was due), so a timer that fires a little late does not push every later
refresh back, and updates on a tick equal to the period are all shown. The CPU budget changes only
the period, never the statistics. No Textual here: the app hands in the times (arrival, its own
CPU time, wall time) and arms the timers.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

MAX_REFRESH_S = 5.0  # the budget never slows the screen below one refresh in 5 s
SLOWER = 1.5  # over budget: the period grows by this factor per measure
ACHIEVED_WINDOW_S = 10.0  # the refreshes actually shown per second are counted over this window
U = TypeVar("U")


class RefreshPacer(Generic[U]):
    """Holds the newest update until the screen's refresh period has passed; measures trtui's CPU
    share and adapts the period to the budget (never faster than the requested period)."""

    def __init__(
        self, refresh_s: float, cpu_budget_pct: float, cpu: float, wall: float, skip_first: bool = True
    ) -> None:
        self.requested_refresh_s = refresh_s
        self.refresh_s = refresh_s
        self.cpu_budget_pct = cpu_budget_pct
        self.own_cpu_pct: float | None = None
        self.merged = 0  # updates replaced by a newer one before they were shown
        self.skip_first = skip_first  # the first measure holds start-up work: shown, not acted on
        self._pending: U | None = None
        self._timer_armed = False
        self._due = float("-inf")  # when the next update may be shown
        self._shown: deque[float] = deque()  # when updates were shown, over the last window
        self._first_shown: float | None = None
        self._cpu_mark = (cpu, wall)
        self._measures = 0

    # -- merging ---------------------------------------------------------------------------------

    def offer(self, update: U, now: float, final: bool = False) -> float | None:
        """Hold `update`, replacing a held older one. Returns 0.0 when it is to be shown now (a
        final update always is), the seconds to wait when a timer is to be armed for it, or None
        when a timer is already armed (it will show the newest held update)."""
        if self._pending is not None:
            self.merged += 1
        self._pending = update
        wait = self._due - now
        if wait <= 0 or final:
            return 0.0
        if self._timer_armed:
            return None
        self._timer_armed = True
        return wait

    def take(self, now: float) -> U | None:
        """The held update to show now (None when there is none); the timer, if any, has fired."""
        self._timer_armed = False
        update, self._pending = self._pending, None
        if update is None:
            return None
        # On the grid while it is less than a period late; after a pause in the feed, from now.
        base = self._due if now - self._due < self.refresh_s else now
        self._due = base + self.refresh_s
        self._shown.append(now)
        if self._first_shown is None:
            self._first_shown = now
        while self._shown and self._shown[0] <= now - ACHIEVED_WINDOW_S:
            self._shown.popleft()
        return update

    def achieved_per_s(self, now: float) -> float | None:
        """Updates shown per second over the last ACHIEVED_WINDOW_S (since the first one shown
        while the window is not full yet); None before two have been shown."""
        first = self._first_shown
        if first is None:
            return None
        while self._shown and self._shown[0] <= now - ACHIEVED_WINDOW_S:
            self._shown.popleft()
        if now - first >= ACHIEVED_WINDOW_S:
            return len(self._shown) / ACHIEVED_WINDOW_S
        if len(self._shown) < 2 or now <= first:
            return None
        return (len(self._shown) - 1) / (now - first)  # the first one opens the span

    # -- CPU budget ------------------------------------------------------------------------------

    def restart_cost(self, cpu: float, wall: float) -> None:
        """Start the next CPU measure here (imports and set-up before it are not running cost)."""
        self._cpu_mark = (cpu, wall)

    def measure_cost(self, cpu: float, wall: float) -> None:
        """trtui's own CPU share (all threads) since the last measure; slow the refresh down when
        it exceeds the budget, speed it back up (never faster than requested) when well under it."""
        c0, w0 = self._cpu_mark
        self._cpu_mark = (cpu, wall)
        if wall - w0 <= 0:
            return
        self.own_cpu_pct = 100.0 * (cpu - c0) / (wall - w0)
        self._measures += 1
        if self._measures == 1 and self.skip_first:
            return
        refresh = self.refresh_s
        if self.own_cpu_pct > self.cpu_budget_pct:
            self.refresh_s = min(refresh * SLOWER, MAX_REFRESH_S)
        elif self.own_cpu_pct < self.cpu_budget_pct / 2 and refresh > self.requested_refresh_s:
            self.refresh_s = max(refresh / SLOWER, self.requested_refresh_s)
