"""tegrastats line parsing (Orin JetPack 6 / 7.2, Thor, legacy) and the subprocess reader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import telemetry_trees as trees

from trtui.telemetry.tegrastats import TegrastatsReader, find_tegrastats, parse_line


def test_orin_jetpack6_line() -> None:
    r = parse_line(trees.TEGRASTATS_ORIN_JP6)
    assert r is not None
    assert (r.ram_used_mib, r.ram_total_mib) == (4722, 30536)
    assert (r.emc_util_pct, r.emc_freq_mhz) == (2.0, 3199.0)
    assert r.gpu_util_pct == 10.0
    assert r.gpu_freqs_mhz == (1300.0,)
    assert r.gpu_temp_c == pytest.approx(46.437)
    temps = dict(r.temps_c)
    assert temps["tj"] == pytest.approx(48.125) and temps["CPU"] == pytest.approx(47.968)
    assert r.rails_w == (
        ("VDD_GPU_SOC", 5.148),
        ("VDD_CPU_CV", 2.009),
        ("VIN_SYS_5V0", 5.663),
        ("VDDQ_VDD2_1V8AO", 0.751),
    )


def test_orin_jetpack72_line() -> None:
    r = parse_line(trees.TEGRASTATS_ORIN_JP72)
    assert r is not None
    assert (r.ram_used_mib, r.ram_total_mib) == (20642, 62817)
    assert (r.emc_util_pct, r.emc_freq_mhz) == (3.0, 3199.0)
    assert r.gpu_util_pct == 12.0
    assert r.gpu_freqs_mhz == (1300.0, 1300.0)  # one per GPC
    assert r.gpu_temp_c == pytest.approx(47.625)  # lower-case "gpu@47.625C/47.625C"
    assert dict(r.rails_w)["VDD_GPU_SOC"] == 5.139  # three figures: current is the first


def test_thor_line_has_frequencies_but_no_utilization() -> None:
    r = parse_line(trees.TEGRASTATS_THOR)
    assert r is not None
    assert r.gpu_util_pct is None
    assert r.gpu_freqs_mhz == (1575.0, 1575.0, 1575.0)
    assert r.gpu_freq_mhz == 1575.0
    assert (r.emc_util_pct, r.emc_freq_mhz) == (0.0, 4266.0)
    assert r.gpu_temp_c == 43.5
    assert dict(r.rails_w) == {"VDD_GPU": 2.1, "VDD_CPU_SOC_MSS": 6.5, "VIN_SYS_5V0": 4.5}


def test_legacy_line_without_frequencies_or_mw() -> None:
    r = parse_line(trees.TEGRASTATS_NANO_LEGACY)
    assert r is not None
    assert r.gpu_util_pct == 0.0 and r.gpu_freqs_mhz == ()
    assert r.emc_util_pct == 0.0 and r.emc_freq_mhz is None
    assert r.gpu_temp_c == 33.5
    assert dict(r.rails_w) == {"POM_5V_IN": 2.119, "POM_5V_GPU": 0.0, "POM_5V_CPU": 0.361}
    assert "RAM" not in dict(r.rails_w) and "IRAM" not in dict(r.rails_w)


def test_ram_in_gigabytes_and_kilobytes() -> None:
    assert parse_line("RAM 2/8GB (lfb 1x4MB)").ram_total_mib == 8192  # type: ignore[union-attr]
    assert parse_line("RAM 512/2048kB (lfb 1x4kB)").ram_used_mib == 0.5  # type: ignore[union-attr]


@pytest.mark.parametrize("line", ["", "\n", "tegrastats: permission denied", "Usage: tegrastats [-option]"])
def test_lines_without_data_parse_to_none(line: str) -> None:
    assert parse_line(line) is None


def test_find_tegrastats(tmp_path: Path) -> None:
    binary = trees.fake_tegrastats(tmp_path / "tegrastats", "RAM 1/2MB")
    assert find_tegrastats({"TRTUI_TEGRASTATS": str(binary)}) == str(binary)
    assert find_tegrastats({"TRTUI_TEGRASTATS": "none"}) is None
    assert find_tegrastats({"TRTUI_TEGRASTATS": str(tmp_path / "missing")}) is None
    assert find_tegrastats({"PATH": str(tmp_path)}) is None or os.path.exists("/usr/bin/tegrastats")


def test_reader_runs_and_stops_the_subprocess(tmp_path: Path) -> None:
    binary = trees.fake_tegrastats(tmp_path / "tegrastats", trees.TEGRASTATS_THOR)
    reader = TegrastatsReader(str(binary), interval_ms=100)
    assert reader.start()
    try:
        assert reader.wait_first(5.0)
        latest = reader.latest()
        assert latest is not None and latest.gpu_freqs_mhz == (1575.0, 1575.0, 1575.0)
        proc = reader._proc
        assert proc is not None and reader.running
    finally:
        reader.close()
    assert proc.poll() is not None
    assert not reader.running


def test_reader_reports_a_binary_that_cannot_start(tmp_path: Path) -> None:
    reader = TegrastatsReader(str(tmp_path / "nope"))
    assert not reader.start()
    assert reader.error is not None and "nope" in reader.error
    reader.close()


def test_stale_reading_is_not_returned(tmp_path: Path) -> None:
    now = [0.0]
    binary = trees.fake_tegrastats(tmp_path / "tegrastats", trees.TEGRASTATS_ORIN_JP6, interval_s=30)
    reader = TegrastatsReader(str(binary), clock=lambda: now[0])
    assert reader.start()
    try:
        assert reader.wait_first(5.0)
        assert reader.latest(max_age_s=5.0) is not None
        now[0] = 60.0
        assert reader.latest(max_age_s=5.0) is None
    finally:
        reader.close()
