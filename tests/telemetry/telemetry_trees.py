"""Fixture trees: what /sys, /proc, /var/lib/nvpmodel and /etc look like on a Jetson Orin
(JetPack 6 and 7.2), a Jetson Thor and a datacenter host, built from the documented paths and
formats (NVIDIA Jetson power/performance guides; notes in ../shared/notes). Plus realistic
tegrastats lines for each Jetson and a fake `tegrastats` program that prints one.

Each builder writes under `root` and returns a `Tree` with the three roots set.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from trtui.telemetry.fsread import Roots

# ---- tegrastats lines, one per documented format ---------------------------------------------
TEGRASTATS_ORIN_JP6 = (
    "11-24-2026 21:30:01 RAM 4722/30536MB (lfb 2x4MB) SWAP 0/15268MB (cached 0MB) "
    "CPU [3%@729,1%@729,0%@729,0%@729,2%@2201,0%@2201,off,off] EMC_FREQ 2%@3199 GR3D_FREQ 10%@1300 "
    "VIC_FREQ 729 APE 174 CV0@46.281C CPU@47.968C SOC2@46.812C SOC0@46.781C CV1@46.093C GPU@46.437C "
    "tj@48.125C SOC1@48.125C CV2@45.937C VDD_GPU_SOC 5148mW/5148mW VDD_CPU_CV 2009mW/2009mW "
    "VIN_SYS_5V0 5663mW/5663mW VDDQ_VDD2_1V8AO 751mW/751mW"
)
TEGRASTATS_ORIN_JP72 = (
    "11-24-2026 21:30:01 RAM 20642/62817MB (lfb 1x2MB) SWAP 0/31408MB (cached 0MB) "
    "CPU [23%@2201,5%@2201,4%@2201,1%@2201,0%@2201,0%@2201,3%@2201,2%@2201] EMC_FREQ 3%@3199 "
    "GR3D_FREQ 12%@[1300,1300] NVENC off NVDEC off NVJPG off NVJPG1 off VIC off OFA off NVDLA0 off "
    "NVDLA1 off PVA0_FREQ off APE 174 cpu@48.5C soc2@46.343C soc0@46.75C gpu@47.625C/47.625C "
    "tj@48.5C soc1@46.093C VDD_GPU_SOC 5139mW/5139mW/5139mW VDD_CPU_CV 1583mW/1583mW/1583mW "
    "VIN_SYS_5V0 5461mW/5461mW/5461mW"
)
TEGRASTATS_THOR = (
    "11-24-2026 21:30:01 RAM 6017/125772MB (lfb 9x4MB) SWAP 0/0MB (cached 0MB) "
    "CPU [0%@972,1%@972,0%@972,2%@972,0%@972,0%@972,1%@972,0%@972] EMC_FREQ 0%@4266 "
    "GR3D_FREQ @[1575,1575,1575] NVENC off NVDEC off NVJPG off VIC off OFA off PVA0_FREQ off APE 300 "
    "cpu@44.1C tj@46.7C soc012@44.093C gpu@43.5C soc345@43.9C VDD_GPU 2100mW/2100mW "
    "VDD_CPU_SOC_MSS 6500mW/6500mW VIN_SYS_5V0 4500mW/4500mW"
)
TEGRASTATS_NANO_LEGACY = (
    "RAM 1985/3964MB (lfb 107x4MB) SWAP 0/1982MB (cached 0MB) IRAM 0/252kB(lfb 252kB) "
    "CPU [9%@1420,off,off,off] EMC_FREQ 0% GR3D_FREQ 0% PLL@32.5C CPU@35C PMIC@100C GPU@33.5C "
    "AO@41C thermal@34C POM_5V_IN 2119/2119 POM_5V_GPU 0/0 POM_5V_CPU 361/361"
)


@dataclass(frozen=True)
class Tree:
    root: Path
    roots: Roots
    tegrastats_line: str | None = None

    def env(self) -> dict[str, str]:
        return {
            "TRTUI_SYSFS_ROOT": str(self.roots.sysfs),
            "TRTUI_PROC_ROOT": str(self.roots.proc),
            "TRTUI_FS_ROOT": str(self.roots.fs),
        }


def _w(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


def _link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(target, link.parent), link)


def _roots(root: Path) -> Roots:
    return Roots(sysfs=root / "sys", proc=root / "proc", fs=root / "rootfs")


def _devicetree(sys: Path, compatible: list[str], model: str) -> None:
    base = sys / "firmware/devicetree/base"
    _w(base / "compatible", b"".join(c.encode() + b"\0" for c in compatible))
    _w(base / "model", model.encode() + b"\0")


def _devfreq(sys: Path, node: str, cur: int, lo: int, hi: int, governor: str, device: Path | None) -> Path:
    d = sys / "class/devfreq" / node
    _w(d / "cur_freq", f"{cur}\n")
    _w(d / "min_freq", f"{lo}\n")
    _w(d / "max_freq", f"{hi}\n")
    _w(d / "governor", f"{governor}\n")
    _w(d / "available_governors", "nvhost_podgov userspace performance simple_ondemand\n")
    if device is not None:
        device.mkdir(parents=True, exist_ok=True)
        _link(d / "device", device)
    return d


def _zones(sys: Path, zones: list[tuple[str, int]]) -> None:
    for i, (kind, milli) in enumerate(zones):
        z = sys / "devices/virtual/thermal" / f"thermal_zone{i}"
        _w(z / "type", f"{kind}\n")
        _w(z / "temp", f"{milli}\n")
        _link(sys / "class/thermal" / f"thermal_zone{i}", z)


def _ina3221(sys: Path, hwmon: str, i2c: str, channels: list[tuple[str, int, int]]) -> None:
    """Upstream ina3221 hwmon: in1..3 bus voltage (mV) with labels, curr1..3 (mA), and
    in7 'sum of shunt voltages' (no matching curr7)."""
    dev = sys / "bus/i2c/drivers/ina3221" / i2c / "hwmon" / hwmon
    _w(dev / "name", "ina3221\n")
    for n, (label, mv, ma) in enumerate(channels, start=1):
        _w(dev / f"in{n}_label", f"{label}\n")
        if label != "NC":
            _w(dev / f"in{n}_input", f"{mv}\n")
            _w(dev / f"curr{n}_input", f"{ma}\n")
            _w(dev / f"curr{n}_crit", "32760\n")
            _w(dev / f"in{n + 3}_input", "12\n")  # shunt voltage, not a rail
    _w(dev / "in7_label", "sum of shunt voltages\n")
    _w(dev / "in7_input", "60\n")
    _link(sys / "class/hwmon" / hwmon, dev)


def _hwmon_other(sys: Path, hwmon: str, name: str, files: dict[str, str]) -> None:
    dev = sys / "devices/virtual/hwmon" / hwmon
    _w(dev / "name", f"{name}\n")
    for fname, text in files.items():
        _w(dev / fname, text)
    _link(sys / "class/hwmon" / hwmon, dev)


def _meminfo(proc: Path, total_kb: int, avail_kb: int, nvmap_kb: int | None) -> None:
    lines = [
        f"MemTotal:       {total_kb} kB",
        f"MemFree:        {avail_kb // 2} kB",
        f"MemAvailable:   {avail_kb} kB",
        "Buffers:          120464 kB",
        "Cached:          4310880 kB",
        "SwapTotal:      15634432 kB",
        "SwapFree:       15634432 kB",
    ]
    if nvmap_kb is not None:
        lines.append(f"NvMapMemUsed:   {nvmap_kb} kB")
    lines.append("HugePages_Total:       0")
    _w(proc / "meminfo", "\n".join(lines) + "\n")


def _nvpmodel(fs: Path, status: str, modes: dict[int, str], default: int) -> None:
    _w(fs / "var/lib/nvpmodel/status", status + "\n")
    conf = ["# nvpmodel configuration", ""]
    for i, name in modes.items():
        conf += [f"< POWER_MODEL ID={i} NAME={name} >", "CPU_ONLINE CORE_0 1", "GPU MAX_FREQ 1300500000", ""]
    conf.append(f"< PM_CONFIG DEFAULT={default} >")
    _w(fs / "etc/nvpmodel.conf", "\n".join(conf) + "\n")


# ---- platforms --------------------------------------------------------------------------------
def orin_jp6(root: Path) -> Tree:
    """Jetson AGX Orin, JetPack 6 (L4T 36.x, kernel 5.15, nvgpu)."""
    r = _roots(root)
    sys = r.sysfs
    _devicetree(
        sys,
        ["nvidia,p3737-0000+p3701-0005", "nvidia,p3701-0005", "nvidia,tegra234", "nvidia,tegra23x"],
        "NVIDIA Jetson AGX Orin Developer Kit",
    )
    gpu_dev = sys / "devices/platform/bus@0/17000000.gpu"
    _devfreq(sys, "17000000.gpu", 1300500000, 306000000, 1300500000, "nvhost_podgov", gpu_dev)
    _w(gpu_dev / "load", "457\n")
    _w(gpu_dev / "railgate_enable", "1\n")
    _w(gpu_dev / "enable_3d_scaling", "1\n")
    of = sys / "firmware/devicetree/base/bus@0/gpu@17000000"
    _w(of / "name", b"gpu\0")
    _link(gpu_dev / "of_node", of)
    _zones(
        sys,
        [
            ("cpu-thermal", 47968),
            ("gpu-thermal", 46437),
            ("cv0-thermal", 46281),
            ("soc0-thermal", 46781),
            ("tj-thermal", 48125),
            ("diode-thermal", -256000),  # a disabled sensor's sentinel
        ],
    )
    _ina3221(
        sys,
        "hwmon1",
        "1-0040",
        [("VDD_GPU_SOC", 5072, 1015), ("VDD_CPU_CV", 5072, 396), ("VIN_SYS_5V0", 5056, 1120)],
    )
    _ina3221(sys, "hwmon2", "1-0041", [("NC", 0, 0), ("VDDQ_VDD2_1V8AO", 5072, 148), ("NC", 0, 0)])
    _hwmon_other(sys, "hwmon0", "pwmfan", {"pwm1": "80\n", "rpm": "1500\n"})
    _meminfo(r.proc, 31269228, 26345472, 1583104)
    _nvpmodel(r.fs, "pmode:0003 fmode:quiet", {0: "MAXN", 1: "MODE_15W", 2: "MODE_30W", 3: "MODE_50W"}, 2)
    return Tree(root, r, TEGRASTATS_ORIN_JP6)


def orin_jp72(root: Path) -> Tree:
    """Jetson AGX Orin, JetPack 7.2 (L4T 39.2, SBSA kernel 6.8, still nvgpu): governor instead of
    enable_3d_scaling."""
    r = _roots(root)
    sys = r.sysfs
    _devicetree(
        sys,
        ["nvidia,p3737-0000+p3701-0004", "nvidia,p3701-0004", "nvidia,tegra234"],
        "NVIDIA Jetson AGX Orin Developer Kit",
    )
    gpu_dev = sys / "devices/platform/bus@0/17000000.gpu"
    _devfreq(sys, "17000000.gpu", 918000000, 306000000, 1300500000, "performance", gpu_dev)
    _w(gpu_dev / "load", "123\n")
    _w(gpu_dev / "railgate_enable", "0\n")
    _zones(
        sys,
        [
            ("cpu-thermal", 48500),
            ("gpu-thermal", 47625),
            ("soc0-thermal", 46750),
            ("soc1-thermal", 46093),
            ("soc2-thermal", 46343),
            ("tj-thermal", 48500),
        ],
    )
    _ina3221(
        sys,
        "hwmon3",
        "2-0040",
        [("VDD_GPU_SOC", 5080, 1012), ("VDD_CPU_CV", 5080, 312), ("VIN_SYS_5V0", 5064, 1078)],
    )
    _meminfo(r.proc, 64323584, 43186176, 2170880)
    _nvpmodel(r.fs, "pmode:0000", {0: "MAXN", 1: "MODE_15W", 2: "MODE_30W", 3: "MODE_50W"}, 3)
    return Tree(root, r, TEGRASTATS_ORIN_JP72)


def thor(root: Path) -> Tree:
    """Jetson AGX Thor, JetPack 7 (nvidia.ko): devfreq gpu-gpc-0 without load, EMC via bwmgr,
    INA3221 module rails + INA238 carrier VIN, no NvMapMemUsed."""
    r = _roots(root)
    sys = r.sysfs
    _devicetree(sys, ["nvidia,p3834-0008", "nvidia,tegra264"], "NVIDIA Jetson AGX Thor Developer Kit")
    _devfreq(sys, "gpu-gpc-0", 1575000000, 300000000, 1575000000, "nvhost_podgov", None)
    _devfreq(sys, "gpu-nvd-0", 1113000000, 300000000, 1113000000, "nvhost_podgov", None)
    _devfreq(sys, "bwmgr", 4266000000, 204000000, 4266000000, "bpmp-bw", None)
    _w(sys / "kernel/debug/bpmp/debug/actmon/mc_all_avg_activity", "853200\n")
    _zones(
        sys,
        [("cpu-thermal", 44100), ("gpu-thermal", 43500), ("soc012-thermal", 44093), ("tj-thermal", 46700)],
    )
    _ina3221(
        sys,
        "hwmon2",
        "2-0040",
        [("VDD_GPU", 5000, 420), ("VDD_CPU_SOC_MSS", 5000, 1300), ("VIN_SYS_5V0", 5000, 900)],
    )
    _hwmon_other(
        sys,
        "hwmon5",
        "ina238",
        {"in1_input": "19980\n", "curr1_input": "1207\n", "power1_input": "24111000\n"},
    )
    _meminfo(r.proc, 128832512, 122590208, None)
    _nvpmodel(r.fs, "pmode:0001", {0: "MAXN", 1: "120W", 2: "90W"}, 0)
    return Tree(root, r, TEGRASTATS_THOR)


def datacenter(root: Path) -> Tree:
    """An x86-64 server with an H100: no device tree, no devfreq GPU; a CPU thermal zone and
    non-INA hwmon sensors that must never be read as GPU numbers."""
    r = _roots(root)
    sys = r.sysfs
    (sys / "class/devfreq").mkdir(parents=True)
    _zones(sys, [("x86_pkg_temp", 55000), ("acpitz", 27800)])
    _hwmon_other(sys, "hwmon0", "coretemp", {"temp1_input": "55000\n", "temp1_label": "Package id 0\n"})
    _hwmon_other(sys, "hwmon1", "power_meter", {"power1_average": "412000000\n"})
    _meminfo(r.proc, 2113323008, 1980000000, None)
    return Tree(root, r, None)


PLATFORMS = {"orin_jp6": orin_jp6, "orin_jp72": orin_jp72, "thor": thor, "datacenter": datacenter}


def fake_tegrastats(path: Path, line: str, interval_s: float = 0.05) -> Path:
    """An executable standing in for tegrastats: prints `line` at once, then every interval."""
    quoted = line.replace("'", "'\\''")
    path.write_text(
        f"#!/bin/sh\nwhile true; do printf '%s\\n' '{quoted}' || exit 0; sleep {interval_s}; done\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path
