"""Numbers from a `trtui serve` stream are checked at the boundary: NaN, infinity or an
out-of-range value is dropped (unknown, or removed from the samples) with one notice, and the
live screen shows that notice once and stays up (issue 22: one NaN ended `attach` with a traceback
and exit status 0)."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np
from remote_support import demo_updates

from trtui.remote.wire import WireEncoder
from trtui.remote.wire_decode import DROPPED_NOTICE, WireDecoder
from trtui.stats.update import Update
from trtui.ui.app import TrtuiApp

UPDATES = demo_updates(4)


def _b64(values: list[float], dt: str) -> dict[str, Any]:
    arr = np.asarray(values, dtype=np.dtype(dt).newbyteorder("<"))
    return {"dt": dt, "shape": list(arr.shape), "b64": base64.b64encode(arr.tobytes()).decode()}


def _hostile(enc: WireEncoder | None = None, index: int = -1) -> dict[str, Any]:
    msg = json.loads((enc or WireEncoder()).encode_line(UPDATES[index]))
    msg["profile"]["recent_latencies_ms"] = _b64([1.0, math.nan, 2.0, math.inf, -math.inf, -3.0, 1.5], "f4")
    n = msg["layers_window"]["n"]
    mean = [1.0] * n
    mean[0], mean[1] = math.inf, -2.0
    msg["layers_window"]["mean_ms"] = _b64(mean, "f4")
    msg["profile"]["latency_window"]["p99"] = math.nan  # JSON's NaN token
    msg["profile"]["latency_window"]["mean"] = -1.0
    msg["telemetry"]["power_w"] = math.inf
    return msg


def test_non_finite_and_out_of_range_numbers_are_dropped_with_one_notice() -> None:
    line = json.dumps(_hostile())  # allow_nan: NaN and Infinity tokens, as a hostile server sends
    got = WireDecoder().decode_line(line)
    p = got.profile
    assert list(p.recent_latencies_ms) == [1.0, 2.0, 1.5]
    assert math.isnan(p.layers_window.mean_ms[0]) and math.isnan(p.layers_window.mean_ms[1])
    assert p.layers_window.mean_ms[2] == 1.0
    assert p.latency_window.p99 is None and p.latency_window.mean is None
    assert got.telemetry is not None and got.telemetry.power_w is None
    dropped = [n for n in p.notices if n.startswith(DROPPED_NOTICE)]
    assert len(dropped) == 1
    assert "recent_latencies_ms (4)" in dropped[0] and "window.mean_ms (2)" in dropped[0]
    assert "latency_window.p99 (1)" in dropped[0] and "telemetry.power_w (1)" in dropped[0]


def test_the_notice_stays_one_per_update_on_the_connection() -> None:
    dec, enc = WireDecoder(), WireEncoder()
    dec.decode_line(json.dumps(_hostile(enc, 2)))
    clean = dec.decode_line(enc.encode_line(UPDATES[3]))  # later clean messages: still said once
    assert sum(n.startswith(DROPPED_NOTICE) for n in clean.profile.notices) == 1
    fresh = WireDecoder().decode_line(WireEncoder().encode_line(UPDATES[0]))
    assert not any(n.startswith(DROPPED_NOTICE) for n in fresh.profile.notices)


class _Feed:
    """An `UpdateFeed` whose updates the test applies itself."""

    def start(self, publish: Any) -> None:
        pass

    def stop(self) -> None:
        pass


async def test_a_nan_stream_shows_a_notice_and_the_screen_stays_up() -> None:
    decoded = WireDecoder().decode_line(json.dumps(_hostile()))
    app = TrtuiApp(_Feed(), autostart=False, cost_interval_s=None)  # type: ignore[arg-type]
    async with app.run_test(size=(140, 40)) as pilot:
        app.apply_update(decoded)
        await pilot.pause()
        assert app.is_running and app.dropped_shown
        assert any(DROPPED_NOTICE in str(n.message) for n in app._notifications)
        app.apply_update(decoded)
        await pilot.pause()
        assert sum(DROPPED_NOTICE in str(n.message) for n in app._notifications) == 1


async def test_panels_survive_non_finite_numbers_that_skip_the_decoder() -> None:
    """The panels are robust on their own: NaN and infinity in an update built in-process."""
    import dataclasses

    u = UPDATES[-1]
    p = u.profile
    bad = np.array([math.nan, math.inf, -math.inf, 1.0, 2.0, math.nan])
    bad.setflags(write=False)
    hostile = dataclasses.replace(u, profile=dataclasses.replace(p, recent_latencies_ms=bad))
    app = TrtuiApp(_Feed(), autostart=False, cost_interval_s=None)  # type: ignore[arg-type]
    async with app.run_test(size=(140, 40)) as pilot:
        app.apply_update(hostile)
        await pilot.pause()
        app.apply_update(dataclasses.replace(hostile, profile=dataclasses.replace(
            p, recent_latencies_ms=np.full(5, math.nan))))  # fmt: skip
        await pilot.pause()
        assert app.is_running and app.updates_applied == 2
    assert isinstance(hostile, Update)
