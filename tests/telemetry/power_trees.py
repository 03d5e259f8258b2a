"""Fixture trees of Jetson power monitors for the energy tests, written from the documented
layouts (Jetson module data sheets and the "Jetson power monitoring" pages; see
`trtui.telemetry.power_rails`), in the style of `telemetry_trees`:

- `agx_orin_i2c`: AGX Orin with the upstream ina3221 hwmon driver, found ONLY through
  `/sys/bus/i2c/drivers/ina3221/<bus-addr>/hwmon/hwmon*/` (no /sys/class/hwmon links):
  0x40 `VDD_GPU_SOC`, `VDD_CPU_CV`, `VIN_SYS_5V0`; 0x41 `VDDQ_VDD2_1V8AO` (inside VIN_SYS_5V0);
- `orin_nx`: Orin NX 16GB, ina3221 at 0x40: `VDD_IN`, `VDD_CPU_GPU_CV`, `VDD_SOC`;
- `xavier_nx_iio`: an older kernel's iio driver (ina3221x): `rail_name_<N>` + `in_power<N>_input`
  in mW (Xavier NX, same rail names as Orin NX);
- `unknown_board`: a carrier whose rails have names trtui does not know.

Each builder returns a `Tree`; `set_power` changes a rail's current later (for energy over time).
"""

from __future__ import annotations

from pathlib import Path

from telemetry_trees import Tree, _devicetree, _roots, _w

# (label, mV, mA) per channel; None = unconnected ("NC")
Channels = list[tuple[str, int, int] | None]


def _ina3221_i2c(sys: Path, i2c: str, hwmon: str, channels: Channels) -> Path:
    dev = sys / "bus/i2c/drivers/ina3221" / i2c / "hwmon" / hwmon
    _w(dev / "name", "ina3221\n")
    for n, ch in enumerate(channels, start=1):
        if ch is None:
            _w(dev / f"in{n}_label", "NC\n")
            continue
        label, mv, ma = ch
        _w(dev / f"in{n}_label", f"{label}\n")
        _w(dev / f"in{n}_input", f"{mv}\n")
        _w(dev / f"curr{n}_input", f"{ma}\n")
        _w(dev / f"in{n + 3}_input", "16\n")  # shunt voltage: not a rail
    _w(dev / "in7_label", "sum of shunt voltages\n")
    _w(dev / "in7_input", "48\n")
    return dev


def set_power(tree: Tree, label: str, mv: int, ma: int) -> None:
    """Rewrite one hwmon channel's voltage and current (the rail's power changes)."""
    base = tree.roots.sysfs / "bus/i2c/drivers/ina3221"
    for dev in base.glob("*/hwmon/hwmon*"):
        for lab in dev.glob("in*_label"):
            if lab.read_text().strip() == label:
                n = lab.name[2:].split("_")[0]
                (dev / f"in{n}_input").write_text(f"{mv}\n")
                (dev / f"curr{n}_input").write_text(f"{ma}\n")
                return
    raise KeyError(label)


def _gpu_devfreq(sys: Path) -> None:
    d = sys / "class/devfreq/17000000.gpu"
    _w(d / "cur_freq", "918000000\n")
    _w(d / "min_freq", "306000000\n")
    _w(d / "max_freq", "918000000\n")


def agx_orin_i2c(root: Path) -> Tree:
    r = _roots(root)
    _devicetree(r.sysfs, ["nvidia,p3737-0000+p3701-0005", "nvidia,tegra234"], "NVIDIA Jetson AGX Orin")
    _gpu_devfreq(r.sysfs)
    # 5.072 V x 2.0 A = 10.144 W; 5.072 x 0.4 = 2.0288 W; 5.056 x 1.2 = 6.0672 W
    _ina3221_i2c(
        r.sysfs,
        "1-0040",
        "hwmon1",
        [("VDD_GPU_SOC", 5072, 2000), ("VDD_CPU_CV", 5072, 400), ("VIN_SYS_5V0", 5056, 1200)],
    )
    _ina3221_i2c(r.sysfs, "1-0041", "hwmon2", [None, ("VDDQ_VDD2_1V8AO", 5072, 150), None])
    return Tree(root, r, None)


def orin_nx(root: Path) -> Tree:
    r = _roots(root)
    _devicetree(
        r.sysfs,
        ["nvidia,p3768-0000+p3767-0000", "nvidia,p3767-0000", "nvidia,tegra234"],
        "NVIDIA Jetson Orin NX Engineering Reference Developer Kit",
    )
    _gpu_devfreq(r.sysfs)
    # VDD_IN 5.04 V x 2.5 A = 12.6 W; VDD_CPU_GPU_CV 5.04 x 1.1 = 5.544 W; VDD_SOC 5.04 x 0.5 = 2.52 W
    _ina3221_i2c(
        r.sysfs,
        "1-0040",
        "hwmon1",
        [("VDD_IN", 5040, 2500), ("VDD_CPU_GPU_CV", 5040, 1100), ("VDD_SOC", 5040, 500)],
    )
    return Tree(root, r, None)


def xavier_nx_iio(root: Path) -> Tree:
    r = _roots(root)
    _devicetree(r.sysfs, ["nvidia,p3668-0000", "nvidia,tegra194"], "NVIDIA Jetson Xavier NX Developer Kit")
    _gpu_devfreq(r.sysfs)
    node = r.sysfs / "bus/i2c/drivers/ina3221x/7-0040/iio:device0"
    for n, (label, mw) in enumerate((("VDD_IN", 4567), ("VDD_CPU_GPU_CV", 1234), ("VDD_SOC", 890))):
        _w(node / f"rail_name_{n}", f"{label}\n")
        _w(node / f"in_power{n}_input", f"{mw}\n")
        _w(node / f"in_voltage{n}_input", "5000\n")
        _w(node / f"in_current{n}_input", f"{mw // 5}\n")
    return Tree(root, r, None)


def unknown_board(root: Path) -> Tree:
    r = _roots(root)
    _devicetree(r.sysfs, ["acme,carrier", "nvidia,tegra234"], "ACME carrier")
    _gpu_devfreq(r.sysfs)
    _ina3221_i2c(r.sysfs, "2-0042", "hwmon3", [("RAIL_A", 12000, 500), ("RAIL_B", 3300, 300), None])
    return Tree(root, r, None)
