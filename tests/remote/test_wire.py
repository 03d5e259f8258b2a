"""The trtui.wire/1 format: what goes in comes out (within float32 for layer statistics), each
message stays bounded, and anything malformed is refused with WireError, never another error."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from remote_support import demo_updates

from trtui.recording.summary import summary_dict
from trtui.remote import wire
from trtui.remote.checks import WireError
from trtui.remote.wire import STAT_COLUMNS, TOTAL_EVERY, WireEncoder, recent_rows
from trtui.remote.wire_decode import WireDecoder
from trtui.stats.snapshot import LatencyStats, LayerTable
from trtui.stats.update import Update
from trtui.telemetry.sample import TelemetrySample

UPDATES = demo_updates(2 * TOTAL_EVERY + 2)


def assert_tables_close(got: LayerTable, want: LayerTable) -> None:
    assert got.names == want.names
    assert got.iterations == want.iterations
    np.testing.assert_array_equal(got.count, want.count)
    for name in STAT_COLUMNS:
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-6, equal_nan=True)
    rows = min(recent_rows(len(want)), want.recent_ms.shape[0])
    np.testing.assert_allclose(got.recent_ms, want.recent_ms[want.recent_ms.shape[0] - rows :], rtol=1e-6)


def test_a_stream_of_demo_updates_round_trips() -> None:
    enc, dec = WireEncoder(), WireDecoder()
    for i, u in enumerate(UPDATES):
        msg = json.loads(enc.encode_line(u))
        assert msg["simulated"] is True and msg["wire"] == "trtui.wire/1"
        got = dec.decode(msg)
        p, q = got.profile, u.profile
        assert p.info == q.info and p.seq == q.seq and p.state == q.state
        assert p.latency_window == q.latency_window and p.latency_total == q.latency_total
        assert p.trend == q.trend and p.notices == q.notices and p.per_stream == q.per_stream
        assert p.profiler_tax_pct == pytest.approx(q.profiler_tax_pct)
        assert_tables_close(p.layers_window, q.layers_window)
        if i % TOTAL_EVERY == 0:
            assert_tables_close(p.layers_total, q.layers_total)
        else:  # between full tables the decoder keeps the last one it got
            assert p.layers_total.iterations == UPDATES[i - i % TOTAL_EVERY].profile.layers_total.iterations
        np.testing.assert_allclose(p.recent_latencies_ms, q.recent_latencies_ms, rtol=1e-6)
        assert got.telemetry == u.telemetry
        assert got.telemetry_history == u.telemetry_history
        assert got.events == u.events and got.settings == u.settings
    assert UPDATES[-1].profile.latency_total.count > 0 and len(UPDATES[-1].telemetry_history) > 5


def test_the_summary_json_of_a_decoded_update_matches_the_servers() -> None:
    u = UPDATES[-1]
    got = WireDecoder().decode_line(WireEncoder().encode_line(u))
    mine, theirs = summary_dict(got), summary_dict(u)
    assert mine["source"] == theirs["source"] and mine["latency_ms"] == theirs["latency_ms"]
    for a, b in zip(mine["layers"], theirs["layers"], strict=True):
        assert a["name"] == b["name"] and a["mean_ms"] == pytest.approx(b["mean_ms"], rel=1e-6)


def test_unchanged_info_and_names_are_sent_once_and_keep_their_identity() -> None:
    enc, dec = WireEncoder(), WireDecoder()
    first = json.loads(enc.encode_line(UPDATES[0]))
    second = json.loads(enc.encode_line(UPDATES[1]))
    assert "info" in first and "info" not in second
    assert first["layers_window"]["names"] and second["layers_window"]["names"] is None
    a, b = dec.decode(first), dec.decode(second)
    assert b.profile.info is a.profile.info  # the screen re-reads layer details only on a change
    assert b.profile.layers_window.names is a.profile.layers_window.names


def test_a_20000_layer_engine_stays_bounded_per_tick() -> None:
    big = demo_updates(4, layers=20_000)
    assert big[-1].profile.layers_window.iterations > 0
    enc, dec = WireEncoder(), WireDecoder()
    sizes = [len(enc.encode_line(u)) for u in big]
    assert recent_rows(20_000) == 3
    # After the first message (layer details and names), a tick carries the window table only:
    # 10 float32 columns + int64 counts + 3 sparkline rows per layer, in base64.
    per_layer = (10 * 4 + 8 + 3 * 4) * 4 / 3
    assert max(sizes[2:]) < 20_000 * per_layer * 1.1 + 100_000, sizes
    assert sizes[0] > 5 * max(sizes[2:])
    line = WireEncoder().encode_line(big[-1])
    got = dec.decode_line(line)
    have = big[-1].profile.layers_window.recent_ms.shape[0]
    assert got.profile.layers_window.recent_ms.shape == (min(3, have), 20_000)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(0, 10**12),
    st.lists(
        st.one_of(st.none(), st.floats(0.0, 1e12)),  # a latency is a time: >= 0
        min_size=10,
        max_size=10,
    ),
)
def test_latency_stats_round_trip(count: int, values: list[float | None]) -> None:
    stats = LatencyStats(count, *values)
    assert wire_latency_round_trip(stats) == stats


def wire_latency_round_trip(stats: LatencyStats) -> LatencyStats:
    from trtui.remote.wire_decode import Drops, _latency

    drops = Drops()
    got = _latency(json.loads(json.dumps(wire._latency(stats))), "latency", drops)
    assert drops.notice() is None
    return got


finite = st.one_of(st.none(), st.floats(-1e15, 1e15))
text = st.text(max_size=30)


@settings(max_examples=50, deadline=None)
@given(
    t=st.floats(allow_nan=False, allow_infinity=False),
    power=finite,
    name=st.one_of(st.none(), text),
    reasons=st.one_of(st.none(), st.lists(text, max_size=4).map(tuple)),
    rails=st.one_of(
        st.none(),
        st.lists(st.tuples(text, st.floats(-1e15, 1e15)), max_size=3).map(tuple),
    ),
    pcie=st.one_of(st.none(), st.integers(0, 6)),
    sources=st.lists(st.tuples(text, text), max_size=3).map(tuple),
)
def test_telemetry_samples_round_trip(
    t: float, power: float | None, name: str | None, reasons: Any, rails: Any, pcie: int | None, sources: Any
) -> None:
    from trtui.remote.wire_decode import Drops, _sample

    s = TelemetrySample(
        t=t,
        power_w=power,
        device_name=name,
        throttle_reasons=reasons,
        rails_w=rails,
        pcie_gen=pcie,
        sources=sources,
    )
    assert _sample(json.loads(json.dumps(wire.sample_dict(s))), "s", Drops()) == s


def test_non_finite_numbers_travel_as_null_and_arrays_keep_nan() -> None:
    u = UPDATES[3]
    p = u.profile
    stats = LatencyStats(p.latency_window.count, mean=math.inf, p99=math.nan)
    table = p.layers_window
    mean = np.array(table.mean_ms)
    mean[0] = np.nan
    mean.setflags(write=False)
    import dataclasses

    changed = dataclasses.replace(
        u,
        profile=dataclasses.replace(
            p, latency_window=stats, layers_window=dataclasses.replace(table, mean_ms=mean)
        ),
    )
    line = WireEncoder().encode_line(changed)
    assert b"NaN" not in line and b"Infinity" not in line
    got = WireDecoder().decode_line(line).profile
    assert got.latency_window.mean is None and got.latency_window.p99 is None
    assert math.isnan(got.layers_window.mean_ms[0]) and got.layers_window.mean_ms[1] == pytest.approx(mean[1])


# -- refusing what does not follow the format -------------------------------------------------------


def _valid() -> dict[str, Any]:
    return json.loads(WireEncoder().encode_line(UPDATES[5]))


def _set(msg: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    keys = path.split(".")
    node: Any = msg
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return msg


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        ("wire", "trtui.wire/2", "not a trtui.wire/1"),
        ("simulated", False, "simulated flag"),
        ("simulated", "yes", "true or false"),
        ("info", _DELETE, "no source info"),
        ("layers_total", _DELETE, "no layers_total"),
        ("info.kind", "exploit", "not one of"),
        ("info.streams", -1, "out of range"),
        ("info.label", "x" * 2000, "longer than"),
        ("profile.state", "rm -rf", "not one of"),
        ("profile.latency_total.count", 1.5, "whole number"),
        ("profile.latency_total.mean", "1e999", "a number"),
        ("profile.notices", "not a list", "a list"),
        ("layers_window.n", 3, "names but n="),
        ("layers_window.mean_ms.b64", "!!!", "bad base64"),
        ("layers_window.mean_ms.b64", "AAAA", "bytes for"),
        ("layers_window.mean_ms.dt", "f8", "dtype"),
        ("layers_window.mean_ms.shape", [10**9], "out of range"),
        ("layers_window.recent_ms.shape", [1, 2, 3], "dimensions"),
        ("telemetry.t", None, "a number"),
        ("telemetry.pcie_gen", True, "whole number"),
        ("events", [{"t": 1}], "expected a list"),
        ("seq", -5, "out of range"),
    ],
)
def test_malformed_messages_are_refused(path: str, value: Any, says: str) -> None:
    msg = _set(_valid(), path, value)
    with pytest.raises(WireError, match=says):
        WireDecoder().decode(msg)


def test_names_omitted_before_they_were_sent_are_refused() -> None:
    enc = WireEncoder()
    enc.encode(UPDATES[0])
    second = enc.encode(UPDATES[1])
    second["info"] = _valid()["info"]
    second["layers_total"] = _valid()["layers_total"]
    with pytest.raises(WireError, match="names omitted"):
        WireDecoder().decode(second)


@pytest.mark.parametrize(
    "line",
    [b"", b"{", b"[]", b"null", b"1" * 5000, b"[" * 100_000, "\udcff".encode("utf-8", "surrogatepass")],
)
def test_garbage_lines_are_refused(line: bytes) -> None:
    with pytest.raises(WireError):
        WireDecoder().decode_line(line)


_JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=5),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip


def _paths(node: Any, prefix: str = "") -> list[str]:
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for k, v in items:
        p = f"{prefix}{k}"
        out.append(p)
        if len(out) < 400:
            out.extend(_paths(v, p + ".")[:50])
    return out


PATHS = _paths(_valid())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATHS), _JUNK)
def test_any_corrupted_field_decodes_or_raises_wire_error_only(path: str, junk: Any) -> None:
    msg = _set(copy.deepcopy(_VALID), path, junk)
    try:
        got = WireDecoder().decode(msg)
    except WireError:
        return
    assert isinstance(got, Update)


_VALID = _valid()


def test_start_up_steps_cross_the_wire() -> None:
    """`trtui attach` shows the remote engine's running start-up step, and its JSON keeps the steps."""
    import dataclasses

    from trtui.core.model import StartupStep

    u = UPDATES[0]
    done = (StartupStep("CUDA context", 0.4), StartupStep("deserialize", 1.25, True))
    running = StartupStep("inspector", 0.3)
    profile = dataclasses.replace(u.profile, startup=done, startup_running=running)
    got = WireDecoder().decode_line(WireEncoder().encode_line(dataclasses.replace(u, profile=profile)))
    assert got.profile.startup == done and got.profile.startup_running == running
    assert summary_dict(got)["startup"] == summary_dict(dataclasses.replace(u, profile=profile))["startup"]
    plain = WireDecoder().decode_line(WireEncoder().encode_line(u))
    assert plain.profile.startup_running is None
    with pytest.raises(WireError):
        msg = json.loads(WireEncoder().encode_line(dataclasses.replace(u, profile=profile)))
        msg["profile"]["startup"] = [["x", 1.0]]
        WireDecoder().decode(msg)
