"""Jetson power rails for energy: a reader of the INA3221 monitors by their I2C driver path. Which
rail stands for the GPU and which for the whole module is decided by the name rules in
`trtui.core.rail_roles` (re-exported here), after these layouts.

Layouts, from NVIDIA's Jetson power documentation (module data sheets, "Jetson power monitoring"):

- AGX Orin: INA3221 at 0x40 with `VDD_GPU_SOC`, `VDD_CPU_CV`, `VIN_SYS_5V0`; at 0x41
  `VDDQ_VDD2_1V8AO`, which is supplied from `VIN_SYS_5V0` and so is NOT added again. GPU figure:
  `VDD_GPU_SOC` (GPU and SoC share that rail); module: the three 0x40 rails summed.
- Orin NX and Orin Nano (also Xavier NX): `VDD_IN` (the whole module's input),
  `VDD_CPU_GPU_CV` (GPU with CPU and CV), `VDD_SOC`. Module: `VDD_IN`; GPU figure:
  `VDD_CPU_GPU_CV` (it includes the CPU: said so in its label).
- Thor: `VDD_GPU`, `VDD_CPU_SOC_MSS`, `VIN_SYS_5V0` (and a carrier `VIN` monitor on some
  boards). GPU figure: `VDD_GPU`; module: `VIN` only when a rail of that name is present.
- Jetson Nano (JetPack 4): `POM_5V_IN` (module), `POM_5V_GPU` (GPU).
- Anything else: the GPU rail is any rail whose name has "GPU" in it, and no module figure: the
  rails are shown by their labels rather than guessed at.

Readers: the upstream `ina3221` hwmon driver, `/sys/bus/i2c/drivers/ina3221/*/hwmon/hwmon*/`
(`in<N>_label`, `in<N>_input` in mV, `curr<N>_input` in mA: power = V * I), and the older `iio`
driver (`ina3221x`, or `ina3221` on some kernels) under `.../iio:device*/` (`rail_name_<N>`,
`in_power<N>_input` in mW).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from trtui.core.rail_roles import NESTED_RAILS, RailRoles, Rails, describe_roles, rail_roles
from trtui.telemetry.fsread import Roots, list_dir, read_float, read_text

__all__ = [
    "NESTED_RAILS", "RailRoles", "Rails", "describe_roles", "find_channels", "rail_roles", "read_rails",
]  # fmt: skip

_SKIP = ("nc", "sum of shunt voltages")  # channel labels that are no rail


@dataclass(frozen=True, slots=True)
class _Channel:
    name: str
    volts_mv: str | None  # path of in<N>_input
    amps_ma: str | None  # path of curr<N>_input
    power_mw: str | None  # path of in_power<N>_input (iio)


def _hwmon_channels(node: str, files: set[str]) -> list[_Channel]:
    out: list[_Channel] = []
    for fname in sorted(files):
        m = re.fullmatch(r"in(\d+)_label", fname)
        if not m:
            continue
        n = m.group(1)
        label = read_text(Path(node) / fname) or ""
        if not label or label.lower() in _SKIP:
            continue
        if f"in{n}_input" in files and f"curr{n}_input" in files:
            out.append(_Channel(label, f"{node}/in{n}_input", f"{node}/curr{n}_input", None))
    return out


def _iio_channels(node: str, files: set[str]) -> list[_Channel]:
    out: list[_Channel] = []
    for fname in sorted(files):
        m = re.fullmatch(r"rail_name_(\d+)", fname)
        if not m:
            continue
        label = read_text(Path(node) / fname) or ""
        power = f"in_power{m.group(1)}_input"
        if label and label.lower() not in _SKIP and power in files:
            out.append(_Channel(label, None, None, f"{node}/{power}"))
    return out


def find_channels(roots: Roots) -> list[_Channel]:
    """Every INA3221 channel under the I2C driver folders (hwmon first, then iio)."""
    channels: list[_Channel] = []
    seen: set[str] = set()
    for driver in ("ina3221", "ina3221x"):
        base = roots.sysfs / "bus/i2c/drivers" / driver
        for dev in list_dir(base):
            devdir = base / dev
            found: list[_Channel] = []
            for hw in list_dir(devdir / "hwmon"):
                node = devdir / "hwmon" / hw
                found += _hwmon_channels(str(node), set(list_dir(node)))
            for sub in list_dir(devdir):
                if sub.startswith("iio:device"):
                    node = devdir / sub
                    found += _iio_channels(str(node), set(list_dir(node)))
            for ch in found:
                if ch.name not in seen:  # one rail, one reading
                    seen.add(ch.name)
                    channels.append(ch)
    return channels


def read_channels(channels: Iterable[_Channel]) -> Rails | None:
    """(name, W) of each channel that reads now; None when none does."""
    out: list[tuple[str, float]] = []
    for ch in channels:
        watts: float | None = None
        if ch.power_mw is not None:
            mw = read_float(Path(ch.power_mw))
            watts = None if mw is None else mw / 1e3
        elif ch.volts_mv is not None and ch.amps_ma is not None:
            mv, ma = read_float(Path(ch.volts_mv)), read_float(Path(ch.amps_ma))
            if mv is not None and ma is not None:
                watts = mv * ma / 1e6
        if watts is not None and watts >= 0:
            out.append((ch.name, round(watts, 4)))
    return tuple(out) if out else None


def read_rails(roots: Roots | None = None) -> Rails | None:
    """The INA3221 rails now, read through the I2C driver folders."""
    return read_channels(find_channels(roots or Roots.from_env()))


