"""The fleet overview's rows (pure): numbers from the newest update, LOST with the reason and
the retry time when the connection is gone (the last numbers kept), simulated runs marked."""

from __future__ import annotations

from remote_support import demo_updates

from trtui.remote.fleet import COLUMNS, WIDTHS, fleet_row, problem_lines

UPDATE = demo_updates(4)[-1]


def test_a_connected_device_row() -> None:
    row = fleet_row("jetson-01:9464", UPDATE, connected=True)
    p, tel = UPDATE.profile, UPDATE.telemetry
    assert tel is not None and len(row.cells()) == len(COLUMNS) == len(WIDTHS)
    assert row.kind == "SIMULATED" and row.state == "RUNNING" and not row.lost
    assert row.engine == p.info.label
    assert float(row.p99) == round(p.latency_window.p99, 3)  # type: ignore[arg-type]
    assert row.power == f"{tel.power_w:,.0f} W" and row.gpu_util == f"{tel.gpu_util_pct:.0f}%"


def test_a_lost_device_keeps_its_last_numbers_and_says_why() -> None:
    row = fleet_row("jetson-02:9464", UPDATE, connected=False, error="Connection refused", retry_in_s=3.4)
    assert row.lost and row.state == "LOST (retry 3 s)" and row.reason == "Connection refused"
    assert row.p50 == fleet_row("x", UPDATE, connected=True).p50
    assert problem_lines([row]) == ["jetson-02:9464: Connection refused"]  # the whole reason


def test_a_remembered_device_reconnecting_keeps_its_numbers() -> None:
    row = fleet_row("a:1", UPDATE, connected=False)
    assert row.state == "connecting…" and not row.lost and row.p99 != "n/a"


def test_before_the_first_message() -> None:
    assert fleet_row("a:1", None, connected=False).state == "connecting…"
    row = fleet_row("a:1", None, connected=False, error="timed out", retry_in_s=None)
    assert row.lost and row.state == "LOST" and row.reason == "timed out" and row.p99 == "n/a"


def test_the_numbers_come_right_after_device_and_state_so_80_columns_show_them() -> None:
    assert COLUMNS[:5] == ("device", "state", "p50 ms", "p99 ms", "inf/s")
    assert sum(WIDTHS[:5]) + 2 * 5 <= 78  # DataTable pads each cell by one column a side
