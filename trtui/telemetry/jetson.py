"""Jetson (Tegra) telemetry from sysfs and /proc, readable without root.

Paths, from NVIDIA's Jetson power/performance documentation and the behaviour documented in
the notes (../shared/notes/tensorrt-api.md section 7.3, anchors.md "jtop"); implemented here
from those descriptions, no code taken from other monitors:

- GPU devfreq node in `/sys/class/devfreq/`: `17000000.ga10b` (Orin, JetPack 5),
  `17000000.gpu` (Orin, JetPack 6 and 7.2), `gpu-gpc-0` (Thor, JetPack 7); otherwise any node
  whose `device/of_node/name` is a GPU name. `cur_freq`/`min_freq`/`max_freq` are in Hz,
  `governor` is text (`nvhost_podgov`, `performance`).
- GPU load: `<realpath of the devfreq node's device>/load`, in per-mille (0-1000); older
  layouts `/sys/devices/gpu.0/load`, `/sys/devices/platform/gpu.0/load`. Thor has no load file.
- Thermal zones: `/sys/class/thermal/thermal_zone*/{type,temp}`, temp in milli-degrees C;
  the GPU zone's type is `gpu-thermal` (or `GPU-therm` on older boards).
- Rails: INA3221 (and INA238 on Thor carriers) hwmon nodes in `/sys/class/hwmon/*`:
  `in<N>_label` + `in<N>_input` (mV) + `curr<N>_input` (mA), or `power<N>_input` (uW);
  JetPack 4's iio driver: `rail_name_<N>` + `in_power<N>_input` (mW).
- Unified memory: `/proc/meminfo` `MemTotal`, `MemAvailable`, `NvMapMemUsed` (nvgpu stack only).
- EMC: Thor's devfreq `bwmgr` node (Hz); `/sys/kernel/debug/bpmp/debug/clk/emc/rate` and the
  actmon activity files are in debugfs, readable by root only: without root they read as None
  (tegrastats, when present, is the non-root fallback the sampler uses).
- nvpmodel: `/var/lib/nvpmodel/status` (`pmode:0002 ...`, world-readable, written by
  `nvpmodel` when a mode is set) for the mode id, and `/etc/nvpmodel.conf`
  (`< POWER_MODEL ID=2 NAME=MAXN_SUPER >`) only to turn that id into its name. If the status file
  is not readable there is no runtime source readable without root (`nvpmodel -q` may need sudo),
  so the mode is reported as None rather than guessed from the config's default.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trtui.common.not_supported import NotSupported
from trtui.telemetry.fsread import (
    Roots,
    list_dir,
    parse_meminfo,
    read_float,
    read_int,
    read_raw,
    read_text,
    resolve,
)

# Known GPU devfreq entries, best first.
KNOWN_GPU_NODES = ("17000000.gpu", "17000000.ga10b", "gpu-gpc-0")
GPU_OF_NAMES = frozenset({"ga10b", "gv11b", "gp10b", "gb10b", "gpu"})
# Legacy load files (older JetPacks), relative to the sysfs root.
LEGACY_LOAD_FILES = ("devices/gpu.0/load", "devices/platform/gpu.0/load")
# EMC sources. Hz for frequencies; activity in kHz of EMC clock.
EMC_DEVFREQ_NODES = ("bwmgr",)
EMC_RATE_FILES = ("kernel/debug/bpmp/debug/clk/emc/rate",)
EMC_ACTIVITY_FILES = (
    "kernel/actmon_avg_activity/mc_all",
    "kernel/debug/bpmp/debug/actmon/mc_all_avg_activity",
    "kernel/debug/cactmon/mc_all",
)
# Rail labels that are not rails.
_SKIP_RAILS = ("nc", "sum of shunt voltages")
_PMODE_RE = re.compile(r"pmode\s*:\s*(\d+)", re.IGNORECASE)
_POWER_MODEL_RE = re.compile(r"<\s*POWER_MODEL\s+ID\s*=\s*(\d+)\s+NAME\s*=\s*([^\s>]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GpuDevfreq:
    """The GPU's devfreq node: where its clocks, governor and (through `device`) load are read."""

    node: str  # entry name under /sys/class/devfreq
    path: Path  # /sys/class/devfreq/<node>
    device: Path | None  # realpath of <path>/device, where the load file lives


@dataclass(frozen=True, slots=True)
class _RailChannel:
    name: str
    kind: str  # "vi" (mV * mA), "uw" (power in microwatts), "mw" (power in milliwatts)
    a: Path
    b: Path | None = None


class JetsonSysfs:
    """Reads Jetson metrics. Each method returns a value, None (no reading now), or raises
    NotSupported (this is not a Jetson, or the board never has that file)."""

    def __init__(
        self,
        roots: Roots | None = None,
        clock: Callable[[], float] = time.monotonic,
        rescan_s: float = 10.0,
    ) -> None:
        self.roots = roots or Roots.from_env()
        self._clock = clock
        self._rescan_s = rescan_s
        self._tegra: bool | None = None
        self._gpu: GpuDevfreq | None = None
        self._gpu_scanned_at: float | None = None
        self._zones: list[tuple[str, Path]] | None = None
        self._zones_at = 0.0
        self._rails: list[_RailChannel] | None = None
        self._rails_at = 0.0
        self._nvp_names: dict[int, str] | None = None
        self._nvp_at = 0.0

    # ---- identity -------------------------------------------------------------------------
    def _sys(self, rel: str) -> Path:
        return self.roots.sysfs / rel

    def is_tegra(self) -> bool:
        """True on a Jetson: the device tree says `nvidia,tegra*`, or a GPU devfreq node exists.
        Hardware identity does not change, so a first answer is kept."""
        if self._tegra is None:
            compat = read_raw(self._sys("firmware/devicetree/base/compatible")) or b""
            self._tegra = b"nvidia,tegra" in compat.lower() or self.gpu_node() is not None
        return self._tegra

    def _require_tegra(self) -> None:
        if not self.is_tegra():
            raise NotSupported("not a Jetson")

    def model(self) -> str | None:
        """The board's name from the device tree ("NVIDIA Jetson AGX Orin Developer Kit")."""
        self._require_tegra()
        return read_text(self._sys("firmware/devicetree/base/model")) or None

    # ---- GPU devfreq ----------------------------------------------------------------------
    def gpu_node(self) -> GpuDevfreq | None:
        """The GPU's devfreq node; found again (at most every `rescan_s`) while it is missing,
        since it can appear late in boot."""
        if self._gpu is not None:
            return self._gpu
        now = self._clock()
        if self._gpu_scanned_at is not None and now - self._gpu_scanned_at < self._rescan_s:
            return None
        self._gpu_scanned_at = now
        base = self._sys("class/devfreq")
        entries = list_dir(base)
        chosen: str | None = None
        for known in KNOWN_GPU_NODES:
            if known in entries:
                chosen = known
                break
        if chosen is None:
            for entry in entries:
                if entry.startswith("gpu-gpc"):
                    chosen = entry
                    break
                of_name = read_text(base / entry / "device" / "of_node" / "name")
                if of_name and (of_name in GPU_OF_NAMES or "gpu" in of_name.lower()):
                    chosen = entry
                    break
        if chosen is None:
            return None
        path = base / chosen
        self._gpu = GpuDevfreq(node=chosen, path=path, device=resolve(path / "device"))
        return self._gpu

    def _node_or_none(self) -> GpuDevfreq | None:
        self._require_tegra()
        return self.gpu_node()

    def gpu_load_pct(self) -> float | None:
        """GPU load in percent, from the per-mille load file. NotSupported on Thor, which has none."""
        node = self._node_or_none()
        candidates: list[Path] = []
        if node is not None and node.device is not None:
            candidates.append(node.device / "load")
        candidates.extend(self._sys(rel) for rel in LEGACY_LOAD_FILES)
        for path in candidates:
            permille = read_int(path)
            if permille is not None and 0 <= permille <= 1000:
                return permille / 10.0
        if node is not None and node.node.startswith("gpu-gpc"):
            # Thor (JetPack 7, nvidia.ko) has no load file: NVML or tegrastats must answer.
            raise NotSupported("Thor devfreq has no load file")
        return None

    def _freq_mhz(self, name: str) -> float | None:
        node = self._node_or_none()
        if node is None:
            return None
        hz = read_int(node.path / name)
        if hz is None:
            if name == "cur_freq" and not node.path.exists():
                self._gpu = None  # the node went away: look for it again
            return None
        return hz / 1e6 if hz > 0 else None

    def gpu_cur_mhz(self) -> float | None:
        """The GPU's current clock in MHz."""
        return self._freq_mhz("cur_freq")

    def gpu_min_mhz(self) -> float | None:
        """The lowest clock the GPU governor may set, in MHz."""
        return self._freq_mhz("min_freq")

    def gpu_max_mhz(self) -> float | None:
        """The highest clock the GPU governor may set, in MHz."""
        return self._freq_mhz("max_freq")

    def governor(self) -> str | None:
        """The GPU devfreq governor's name (`nvhost_podgov`, `performance`)."""
        node = self._node_or_none()
        if node is None:
            return None
        return read_text(node.path / "governor") or None

    # ---- thermal --------------------------------------------------------------------------
    def _zone_list(self) -> list[tuple[str, Path]]:
        now = self._clock()
        if self._zones is None or now - self._zones_at >= 30.0:
            base = self._sys("class/thermal")
            zones: list[tuple[int, str, Path]] = []
            for entry in list_dir(base):
                if not entry.startswith("thermal_zone"):
                    continue
                try:
                    index = int(entry[len("thermal_zone") :])
                except ValueError:
                    continue
                kind = read_text(base / entry / "type")
                if kind:
                    zones.append((index, kind, base / entry / "temp"))
            self._zones = [(kind, path) for _, kind, path in sorted(zones)]
            self._zones_at = now
        return self._zones

    def thermal_zones(self) -> tuple[tuple[str, float], ...] | None:
        """Every thermal zone with a plausible reading, as (type, degrees C) in zone order; None when
        none reads."""
        self._require_tegra()
        out: list[tuple[str, float]] = []
        for kind, path in self._zone_list():
            milli = read_int(path)
            if milli is None:
                continue
            celsius = milli / 1000.0
            if -100.0 <= celsius <= 200.0:  # disabled sensors report sentinel values
                out.append((kind, celsius))
        return tuple(out) if out else None

    def gpu_temperature_c(self) -> float | None:
        zones = self.thermal_zones()
        return gpu_zone_temp(zones) if zones else None

    # ---- rails ----------------------------------------------------------------------------
    def _rail_channels(self) -> list[_RailChannel]:
        now = self._clock()
        if self._rails is not None and now - self._rails_at < 30.0:
            return self._rails
        channels: list[_RailChannel] = []
        base = self._sys("class/hwmon")
        for entry in list_dir(base):
            node = base / entry
            chip = (read_text(node / "name") or "").lower()
            if not chip.startswith("ina"):
                continue  # only the board's power monitors, never a server's hwmon sensors
            files = set(list_dir(node))
            powered: set[str] = set()
            for fname in sorted(files):
                m = re.fullmatch(r"power(\d+)_input", fname)
                if m:
                    n = m.group(1)
                    label = read_text(node / f"power{n}_label") or read_text(node / f"in{n}_label")
                    name = label or (chip if n == "1" else f"{chip}:{n}")
                    channels.append(_RailChannel(name, "uw", node / fname))
                    powered.add(n)
            for fname in sorted(files):
                m = re.fullmatch(r"in(\d+)_label", fname)
                if not m or m.group(1) in powered:
                    continue
                n = m.group(1)
                label = read_text(node / fname) or ""
                if not label or label.lower() in _SKIP_RAILS:
                    continue
                if f"in{n}_input" in files and f"curr{n}_input" in files:
                    channels.append(_RailChannel(label, "vi", node / f"in{n}_input", node / f"curr{n}_input"))
        # JetPack 4 iio driver (ina3221x): rail_name_<N> + in_power<N>_input in mW.
        drivers = self._sys("bus/i2c/drivers/ina3221x")
        for dev in list_dir(drivers):
            for sub in list_dir(drivers / dev):
                if not sub.startswith("iio:device"):
                    continue
                node = drivers / dev / sub
                for fname in list_dir(node):
                    m = re.fullmatch(r"rail_name_(\d+)", fname)
                    if not m:
                        continue
                    label = read_text(node / fname) or ""
                    if label and label.lower() not in _SKIP_RAILS:
                        channels.append(_RailChannel(label, "mw", node / f"in_power{m.group(1)}_input"))
        self._rails = channels
        self._rails_at = now
        return channels

    def rails_w(self) -> tuple[tuple[str, float], ...] | None:
        """Every power rail that reads, as (name, W); None when none reads."""
        self._require_tegra()
        out: list[tuple[str, float]] = []
        for ch in self._rail_channels():
            watts: float | None = None
            if ch.kind == "vi" and ch.b is not None:
                mv, ma = read_float(ch.a), read_float(ch.b)
                if mv is not None and ma is not None:
                    watts = mv * ma / 1e6
            elif ch.kind == "uw":
                uw = read_float(ch.a)
                watts = None if uw is None else uw / 1e6
            else:
                mw = read_float(ch.a)
                watts = None if mw is None else mw / 1e3
            if watts is not None and watts >= 0:
                out.append((ch.name, round(watts, 3)))
        return tuple(out) if out else None

    def gpu_rail_w(self) -> tuple[str, float] | None:
        return pick_gpu_rail(self.rails_w())

    # ---- memory ---------------------------------------------------------------------------
    def meminfo(self) -> dict[str, int] | None:
        """`/proc/meminfo` as {key: kB}; None when it does not read."""
        self._require_tegra()
        text = read_text(self.roots.proc / "meminfo")
        if not text:
            return None
        info = parse_meminfo(text)
        return info or None

    # ---- EMC ------------------------------------------------------------------------------
    def emc_freq_mhz(self) -> float | None:
        """The memory controller's (EMC) clock in MHz; None without root on boards where only debugfs
        has it."""
        self._require_tegra()
        base = self._sys("class/devfreq")
        entries = list_dir(base)
        for node in EMC_DEVFREQ_NODES:
            if node in entries:
                hz = read_int(base / node / "cur_freq")
                if hz and hz > 0:
                    return hz / 1e6
        for rel in EMC_RATE_FILES:  # debugfs: root only
            hz = read_int(self._sys(rel))
            if hz and hz > 0:
                return hz / 1e6
        return None

    def emc_util_pct(self) -> float | None:
        """EMC utilization in percent (activity over clock); None without root, since the activity files
        are in debugfs."""
        freq = self.emc_freq_mhz()
        if not freq:
            return None
        for rel in EMC_ACTIVITY_FILES:
            activity_khz = read_int(self._sys(rel))
            if activity_khz is not None and activity_khz >= 0:
                return max(0.0, min(100.0, 100.0 * activity_khz / (freq * 1000.0)))
        return None

    # ---- nvpmodel -------------------------------------------------------------------------
    def nvpmodel(self) -> str | None:
        """The power mode, "MAXN_SUPER (2)" (or "mode 2" when the config does not name it); None when
        the status file does not read."""
        self._require_tegra()
        status = read_text(self.roots.file("/var/lib/nvpmodel/status"))
        if not status:
            return None
        m = _PMODE_RE.search(status)
        if not m:
            return None
        mode = int(m.group(1))
        now = self._clock()
        if self._nvp_names is None or now - self._nvp_at >= 30.0:
            conf = read_text(self.roots.file("/etc/nvpmodel.conf")) or ""
            self._nvp_names = {int(i): name for i, name in _POWER_MODEL_RE.findall(conf)}
            self._nvp_at = now
        name = self._nvp_names.get(mode)
        return f"{name} ({mode})" if name else f"mode {mode}"


def pick_gpu_rail(rails: tuple[tuple[str, float], ...] | None) -> tuple[str, float] | None:
    """The rail that best stands for GPU power: VDD_GPU (Thor), VDD_GPU_SOC (AGX Orin), then any
    rail named with GPU (VDD_CPU_GPU_CV on Orin NX/Nano, which includes CPU and CV power)."""
    if not rails:
        return None
    by_name = {name.upper(): (name, watts) for name, watts in rails}
    for exact in ("VDD_GPU", "VDD_GPU_SOC"):
        if exact in by_name:
            return by_name[exact]
    for name, watts in rails:
        if "GPU" in name.upper():
            return (name, watts)
    return None


def gpu_zone_temp(zones: tuple[tuple[str, float], ...]) -> float | None:
    """The GPU's zone: type `gpu-thermal` (Orin, Thor) or `GPU-therm` (older), else any `gpu*`."""
    for kind, celsius in zones:
        if kind.lower() in ("gpu-thermal", "gpu-therm", "gpu"):
            return celsius
    for kind, celsius in zones:
        if kind.lower().startswith("gpu"):
            return celsius
    return None
