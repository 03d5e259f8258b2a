"""Jetson power rails for energy: which rail stands for the GPU and which for the whole module,
and a reader of the INA3221 monitors by their I2C driver path.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from trtui.telemetry.fsread import Roots, list_dir, read_float, read_text

Rails = tuple[tuple[str, float], ...]

_SKIP = ("nc", "sum of shunt voltages")
# Rails that are inside another rail and must not be counted twice in a module total.
NESTED_RAILS = {"VDDQ_VDD2_1V8AO": "VIN_SYS_5V0"}
_AGX_ORIN = ("VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0")
_AGX_XAVIER = ("GPU", "CPU", "SOC", "CV", "VDDRQ", "SYS5V")


@dataclass(frozen=True, slots=True)
class RailRoles:
    """Which rails make the GPU figure and the module figure, with the words that say so."""

    board: str  # "AGX Orin", "Orin NX / Nano", "Thor", "Nano", "AGX Xavier", "unknown"
    gpu: tuple[str, ...]  # rail names summed for the GPU figure; () when none
    gpu_label: str | None  # e.g. "VDD_GPU_SOC (GPU+SoC rail)"
    module: tuple[str, ...]  # rail names summed for the whole module; () when unknown
    module_label: str | None
    not_added: tuple[str, ...] = ()  # rails left out of the module sum (nested in another)

    def gpu_w(self, rails: Rails | None) -> float | None:
        return _sum(rails, self.gpu)

    def module_w(self, rails: Rails | None) -> float | None:
        return _sum(rails, self.module)


def _sum(rails: Rails | None, names: tuple[str, ...]) -> float | None:
    if not rails or not names:
        return None
    by = {n.upper(): w for n, w in rails}
    values = [by.get(n.upper()) for n in names]
    if any(v is None for v in values):
        return None
    return float(sum(v for v in values if v is not None))


def rail_roles(names: Iterable[str]) -> RailRoles:
    """The roles of a board's rails, from their names (case-insensitive)."""
    shown = {n.upper(): n for n in names}
    have = set(shown)

    def real(*wanted: str) -> tuple[str, ...]:
        return tuple(shown[w] for w in wanted)

    if set(_AGX_ORIN) <= have:
        nested = tuple(shown[n] for n in NESTED_RAILS if n in have)
        return RailRoles(
            "AGX Orin",
            real("VDD_GPU_SOC"),
            "VDD_GPU_SOC (GPU+SoC rail)",
            real(*_AGX_ORIN),
            "VDD_GPU_SOC+VDD_CPU_CV+VIN_SYS_5V0 (module)",
            nested,
        )
    if "VDD_IN" in have:
        gpu = real("VDD_CPU_GPU_CV") if "VDD_CPU_GPU_CV" in have else ()
        return RailRoles(
            "Orin NX / Nano",
            gpu,
            f"{shown['VDD_CPU_GPU_CV']} (GPU+CPU+CV rail)" if gpu else None,
            real("VDD_IN"),
            "VDD_IN (module input)",
        )
    if "VDD_GPU" in have:
        module = real("VIN") if "VIN" in have else ()
        return RailRoles(
            "Thor",
            real("VDD_GPU"),
            f"{shown['VDD_GPU']} (GPU rail)",
            module,
            "VIN (module input)" if module else None,
        )
    if "POM_5V_IN" in have:
        gpu = real("POM_5V_GPU") if "POM_5V_GPU" in have else ()
        return RailRoles(
            "Nano",
            gpu,
            "POM_5V_GPU (GPU rail)" if gpu else None,
            real("POM_5V_IN"),
            "POM_5V_IN (module input)",
        )
    if set(_AGX_XAVIER) <= have:
        return RailRoles(
            "AGX Xavier",
            real("GPU"),
            "GPU (GPU rail)",
            real(*_AGX_XAVIER),
            "+".join(_AGX_XAVIER) + " (module)",
        )
    for upper, name in shown.items():
        if "GPU" in upper:
            return RailRoles("unknown", (name,), f"{name} (rail named GPU)", (), None)
    return RailRoles("unknown", (), None, (), None)


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


def describe_roles(roles: RailRoles, rails: Mapping[str, float] | None = None) -> list[str]:
    """Lines for `trtui telemetry`: which rail is used for what."""
    lines = []
    if roles.gpu_label:
        lines.append(f"GPU energy rail: {roles.gpu_label}")
    if roles.module_label:
        extra = (
            f"; not added again: {', '.join(roles.not_added)} (inside VIN_SYS_5V0)" if roles.not_added else ""
        )
        lines.append(f"module energy rails: {roles.module_label}{extra}")
    elif rails:
        lines.append(f"module total: unknown for this board ({roles.board}); rails shown by label")
    return lines
