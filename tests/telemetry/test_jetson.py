"""Tolerant file reads and the Jetson sysfs reader, one behaviour at a time."""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from typing import Any

import pytest
import telemetry_trees as trees

from trtui.common.not_supported import NotSupported
from trtui.telemetry.fsread import Roots, parse_meminfo, read_float, read_int, read_text
from trtui.telemetry.jetson import JetsonSysfs, pick_gpu_rail


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _w(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


def _tegra_root(tmp_path: Path) -> Roots:
    roots = Roots(sysfs=tmp_path / "sys", proc=tmp_path / "proc", fs=tmp_path / "fs")
    _w(roots.sysfs / "firmware/devicetree/base/compatible", b"nvidia,p3767-0005\0nvidia,tegra234\0")
    return roots


# ---- fsread -------------------------------------------------------------------------------------
def test_reads_are_tolerant(tmp_path: Path) -> None:
    _w(tmp_path / "nul", b"ga10b\0")
    _w(tmp_path / "garbage", "not-a-number\n")
    _w(tmp_path / "hex", "0x1f\n")
    _w(tmp_path / "nan", "nan\n")
    _w(tmp_path / "empty", "")
    (tmp_path / "adir").mkdir()
    assert read_text(tmp_path / "nul") == "ga10b"
    assert read_text(tmp_path / "missing") is None
    assert read_text(tmp_path / "adir") is None
    assert read_int(tmp_path / "garbage") is None
    assert read_int(tmp_path / "hex") == 31
    assert read_int(tmp_path / "empty") is None
    assert read_float(tmp_path / "nan") is None
    assert read_float(tmp_path / "garbage") is None


def test_permission_denied_reads_as_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """debugfs without root: open() raises PermissionError (tests run as root, so simulate it)."""
    target = tmp_path / "kernel/debug/bpmp/debug/clk/emc/rate"
    _w(target, "3199000000\n")
    real_open = builtins.open

    def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(target):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    assert read_int(target) is None
    assert read_text(target) is None


def test_parse_meminfo_skips_bad_lines() -> None:
    info = parse_meminfo(
        "MemTotal: 100 kB\nnonsense\nBad: x kB\nNvMapMemUsed:   2048 kB\nHugePages_Total: 0\n"
    )
    assert info == {"MemTotal": 100, "NvMapMemUsed": 2048, "HugePages_Total": 0}


def test_roots_from_env() -> None:
    roots = Roots.from_env(
        {"TRTUI_SYSFS_ROOT": "/x/sys", "TRTUI_PROC_ROOT": "/x/proc", "TRTUI_FS_ROOT": "/x"}
    )
    assert roots == Roots(Path("/x/sys"), Path("/x/proc"), Path("/x"))
    assert roots.file("/etc/nvpmodel.conf") == Path("/x/etc/nvpmodel.conf")
    assert Roots.from_env({}) == Roots()


# ---- identity and GPU node discovery --------------------------------------------------------------
def test_not_a_jetson_raises_not_supported(tmp_path: Path) -> None:
    tree = trees.datacenter(tmp_path)
    js = JetsonSysfs(tree.roots)
    assert js.is_tegra() is False
    for method in (
        js.gpu_load_pct,
        js.gpu_cur_mhz,
        js.governor,
        js.thermal_zones,
        js.rails_w,
        js.meminfo,
        js.emc_freq_mhz,
        js.nvpmodel,
        js.model,
    ):
        with pytest.raises(NotSupported):
            method()


def test_orin_jetpack5_ga10b_node_is_found(tmp_path: Path) -> None:
    roots = _tegra_root(tmp_path)
    dev = roots.sysfs / "devices/platform/17000000.ga10b"
    _w(dev / "load", "999\n")
    node = roots.sysfs / "class/devfreq/17000000.ga10b"
    _w(node / "cur_freq", "624750000\n")
    os.symlink(dev, node / "device")
    js = JetsonSysfs(roots)
    gpu = js.gpu_node()
    assert gpu is not None and gpu.node == "17000000.ga10b"
    assert js.gpu_load_pct() == pytest.approx(99.9)
    assert js.gpu_cur_mhz() == pytest.approx(624.75)


def test_unknown_node_found_by_of_node_name(tmp_path: Path) -> None:
    roots = _tegra_root(tmp_path)
    dev = roots.sysfs / "devices/platform/57000000.gpu"
    _w(dev / "of_node/name", b"gv11b\0")
    _w(dev / "load", "250\n")
    other = roots.sysfs / "devices/platform/cpufreq"
    _w(other / "of_node/name", b"cpu\0")
    for name, target in (("aaa.cpu", other), ("57000000.gpu", dev)):
        (roots.sysfs / "class/devfreq" / name).mkdir(parents=True)
        os.symlink(target, roots.sysfs / "class/devfreq" / name / "device")
    js = JetsonSysfs(roots)
    gpu = js.gpu_node()
    assert gpu is not None and gpu.node == "57000000.gpu"
    assert js.gpu_load_pct() == 25.0


def test_thor_has_no_load_file(tmp_path: Path) -> None:
    tree = trees.thor(tmp_path)
    js = JetsonSysfs(tree.roots)
    gpu = js.gpu_node()
    assert gpu is not None and gpu.node == "gpu-gpc-0"  # never gpu-nvd-0 (a decoder)
    with pytest.raises(NotSupported):
        js.gpu_load_pct()


def test_legacy_load_file(tmp_path: Path) -> None:
    roots = _tegra_root(tmp_path)
    _w(roots.sysfs / "devices/gpu.0/load", "1000\n")
    assert JetsonSysfs(roots).gpu_load_pct() == 100.0


@pytest.mark.parametrize("content", ["abc", "1001", "-5", ""])
def test_garbage_load_is_no_reading(tmp_path: Path, content: str) -> None:
    tree = trees.orin_jp6(tmp_path)
    (tree.roots.sysfs / "devices/platform/bus@0/17000000.gpu/load").write_text(content)
    assert JetsonSysfs(tree.roots).gpu_load_pct() is None


def test_devfreq_node_that_appears_late_is_picked_up(tmp_path: Path) -> None:
    """Early boot: the device tree says Tegra but the devfreq node is not there yet. Nothing is
    latched: after the rescan period the node is found."""
    roots = _tegra_root(tmp_path)
    clock = Clock()
    js = JetsonSysfs(roots, clock=clock, rescan_s=10.0)
    assert js.is_tegra()
    assert js.gpu_cur_mhz() is None
    node = roots.sysfs / "class/devfreq/17000000.gpu"
    _w(node / "cur_freq", "1300500000\n")
    clock.now += 1.0
    assert js.gpu_cur_mhz() is None  # rescans are rate-limited
    clock.now += 10.0
    assert js.gpu_cur_mhz() == pytest.approx(1300.5)


# ---- thermal, rails ---------------------------------------------------------------------------
def test_sentinel_temperatures_are_dropped(tmp_path: Path) -> None:
    tree = trees.orin_jp6(tmp_path)
    zones = dict(JetsonSysfs(tree.roots).thermal_zones() or ())
    assert "diode-thermal" not in zones
    assert zones["gpu-thermal"] == pytest.approx(46.437)


def test_older_gpu_zone_name(tmp_path: Path) -> None:
    roots = _tegra_root(tmp_path)
    _w(roots.sysfs / "class/thermal/thermal_zone0/type", "CPU-therm\n")
    _w(roots.sysfs / "class/thermal/thermal_zone0/temp", "35500\n")
    _w(roots.sysfs / "class/thermal/thermal_zone1/type", "GPU-therm\n")
    _w(roots.sysfs / "class/thermal/thermal_zone1/temp", "33500\n")
    assert JetsonSysfs(roots).gpu_temperature_c() == 33.5


def test_rails_skip_nc_sum_and_unreadable_channels(tmp_path: Path) -> None:
    tree = trees.orin_jp6(tmp_path)
    (tree.roots.sysfs / "bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1/curr2_input").write_text("garbage")
    rails = dict(JetsonSysfs(tree.roots).rails_w() or ())
    assert "NC" not in rails and "sum of shunt voltages" not in rails
    assert "VDD_CPU_CV" not in rails  # its current reads as garbage
    assert rails["VDD_GPU_SOC"] == pytest.approx(5.148, abs=1e-3)


def test_jetpack4_iio_rails(tmp_path: Path) -> None:
    roots = _tegra_root(tmp_path)
    node = roots.sysfs / "bus/i2c/drivers/ina3221x/6-0040/iio:device0"
    for n, (name, mw) in enumerate([("POM_5V_IN", 2119), ("POM_5V_GPU", 0), ("POM_5V_CPU", 361)]):
        _w(node / f"rail_name_{n}", f"{name}\n")
        _w(node / f"in_power{n}_input", f"{mw}\n")
    js = JetsonSysfs(roots)
    assert js.rails_w() == (("POM_5V_IN", 2.119), ("POM_5V_GPU", 0.0), ("POM_5V_CPU", 0.361))
    assert js.gpu_rail_w() == ("POM_5V_GPU", 0.0)


def test_pick_gpu_rail_prefers_the_gpu_rail() -> None:
    assert pick_gpu_rail((("VIN", 20.0), ("VDD_GPU_SOC", 5.0))) == ("VDD_GPU_SOC", 5.0)
    assert pick_gpu_rail((("VDD_CPU_GPU_CV", 3.0), ("VDD_GPU", 2.0))) == ("VDD_GPU", 2.0)
    assert pick_gpu_rail((("VDD_IN", 5.0), ("VDD_CPU_GPU_CV", 0.6))) == ("VDD_CPU_GPU_CV", 0.6)
    assert pick_gpu_rail((("VDD_IN", 5.0),)) is None
    assert pick_gpu_rail(None) is None


# ---- EMC, nvpmodel ----------------------------------------------------------------------------
def test_thor_emc_from_bwmgr_and_actmon(tmp_path: Path) -> None:
    js = JetsonSysfs(trees.thor(tmp_path).roots)
    assert js.emc_freq_mhz() == 4266.0
    assert js.emc_util_pct() == pytest.approx(100.0 * 853200 / 4266000)


def test_orin_emc_from_debugfs_when_root(tmp_path: Path) -> None:
    tree = trees.orin_jp6(tmp_path)
    js = JetsonSysfs(tree.roots)
    assert js.emc_freq_mhz() is None and js.emc_util_pct() is None  # debugfs absent: no root
    _w(tree.roots.sysfs / "kernel/debug/bpmp/debug/clk/emc/rate", "3199000000\n")
    _w(tree.roots.sysfs / "kernel/actmon_avg_activity/mc_all", "319900\n")
    assert js.emc_freq_mhz() == 3199.0
    assert js.emc_util_pct() == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("status", "conf", "expect"),
    [
        ("pmode:0002 fmode:quiet", "< POWER_MODEL ID=2 NAME=MAXN_SUPER >\n", "MAXN_SUPER (2)"),
        ("pmode:0002", None, "mode 2"),
        ("garbage", "< POWER_MODEL ID=2 NAME=MAXN_SUPER >\n", None),
        (
            None,
            "< POWER_MODEL ID=0 NAME=MAXN >\n< PM_CONFIG DEFAULT=0 >\n",
            None,
        ),  # the config default is not a reading
    ],
)
def test_nvpmodel(tmp_path: Path, status: str | None, conf: str | None, expect: str | None) -> None:
    roots = _tegra_root(tmp_path)
    if status is not None:
        _w(roots.file("/var/lib/nvpmodel/status"), status + "\n")
    if conf is not None:
        _w(roots.file("/etc/nvpmodel.conf"), conf)
    assert JetsonSysfs(roots).nvpmodel() == expect
