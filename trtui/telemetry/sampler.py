"""TelemetrySampler: one `TelemetrySample` from the best source for each metric.

Every metric has its own ordered list of sources: NVML first, then sysfs or /proc, then
tegrastats. Each sample walks each list from the top, so a source that starts answering later
(a devfreq node that appears late in boot, a driver that comes back) is used as soon as it does:
nothing is latched at start. What is remembered is only "this source does not support this
metric here" (`NotSupported`), per (metric, source), because asking again is pointless; a
transient failure (`None`) is retried on the next sample.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trtui.common.not_supported import NotSupported
from trtui.telemetry.fsread import Roots
from trtui.telemetry.jetson import JetsonSysfs, gpu_zone_temp, pick_gpu_rail
from trtui.telemetry.nvml_reader import NvmlReader
from trtui.telemetry.sample import TelemetrySample
from trtui.telemetry.tegrastats import TegrastatsReader, TegrastatsReading, find_tegrastats

Reader = Callable[[], Any]

_AUTO = "auto"


@dataclass(frozen=True, slots=True)
class Labeled:
    """A reading plus a more precise source label than the source's name ("sysfs:VDD_GPU")."""

    value: Any
    label: str


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric: the sample fields it fills and its sources, best first, as (name, reader)."""

    key: str
    fields: tuple[str, ...]  # TelemetrySample fields this metric fills
    sources: tuple[tuple[str, Reader], ...]


class TelemetrySampler:
    """Implements `TelemetrySource`. Cheap to call repeatedly; call it from one thread.

    nvml: the NVML reader (`trtui.gpu.nvml.NvmlDevice`, injected by the composition root
    `trtui.sources.factory.gpu_telemetry`; the sampler closes it), or None for no NVML.
    roots: sysfs/proc roots (default: from the
    TRTUI_SYSFS_ROOT / TRTUI_PROC_ROOT / TRTUI_FS_ROOT environment, else /sys, /proc, /).
    tegrastats: path of the binary, None to never use it, or "auto" to find it (TRTUI_TEGRASTATS,
    then PATH); it is started only when some metric has no other source on a Jetson.
    """

    def __init__(
        self,
        nvml: NvmlReader | None = None,
        *,
        roots: Roots | None = None,
        tegrastats: str | None = _AUTO,
        tegrastats_interval_ms: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self.roots = roots or Roots.from_env()
        self.jetson = JetsonSysfs(self.roots, clock=clock)
        self.nvml = nvml
        self._tegrastats_setting = tegrastats
        self._tegrastats_interval_ms = tegrastats_interval_ms
        self.tegrastats: TegrastatsReader | None = None
        self.unsupported: dict[tuple[str, str], str] = {}
        self.last_errors: dict[tuple[str, str], str] = {}
        self._memo: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.metrics = self._build_metrics()

    # ---- TelemetrySource -----------------------------------------------------------------
    def sample(self) -> TelemetrySample:
        """One sample, each metric from the first source that answers (see the module docstring).
        Serialised by a lock; after `close` a sample with only `t` and the notice "telemetry closed"."""
        with self._lock:
            if self._closed:
                return TelemetrySample(t=self._clock(), notice="telemetry closed")
            self._memo.clear()
            t = self._clock()
            values: dict[str, Any] = {}
            sources: list[tuple[str, str]] = []
            for metric in self.metrics:
                value, source = self._read(metric)
                if value is None or source is None:
                    continue
                if len(metric.fields) == 1:
                    values[metric.fields[0]] = value
                else:
                    values.update(zip(metric.fields, value, strict=True))
                sources.extend((f, source) for f in metric.fields)
            self._memo.clear()
            extra: list[tuple[str, str]] = []
            nv = self.nvml
            if nv is not None and nv.memory_reserved_mib is not None and "mem_total_mib" in values:
                # v2 memory: used + free + reserved = total; say how much is reserved.
                extra.append(("nvml_reserved_mib", f"{nv.memory_reserved_mib:.0f}"))
            return TelemetrySample(
                t=t,
                unified_memory=self._is_tegra(),
                sources=tuple(sources),
                notice=self._notice(bool(values)),
                extra=tuple(extra),
                **values,
            )

    def close(self) -> None:
        """Stop tegrastats and close the NVML reader; later samples are empty. Safe to call twice."""
        with self._lock:
            self._closed = True
            reader, self.tegrastats = self.tegrastats, None
            if reader is not None:
                reader.close()
            if self.nvml is not None:
                self.nvml.close()

    def __enter__(self) -> TelemetrySampler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- helpers for callers -------------------------------------------------------------
    @property
    def tegrastats_pending(self) -> bool:
        """tegrastats was started for some metric but has not printed a line yet."""
        reader = self.tegrastats
        return reader is not None and reader.running and reader.latest(max_age_s=1e9) is None

    def wait_for_tegrastats(self, timeout_s: float = 2.0) -> bool:
        """Block up to `timeout_s` for tegrastats' first line, when it was started; True once it has
        one."""
        reader = self.tegrastats
        return reader is not None and reader.wait_first(timeout_s)

    def why_missing(self) -> dict[str, dict[str, str]]:
        """metric key -> {source: reason} for the sources cached as not supported."""
        out: dict[str, dict[str, str]] = {}
        for (key, source), reason in sorted(self.unsupported.items()):
            out.setdefault(key, {})[source] = reason
        return out

    # ---- the walk ------------------------------------------------------------------------
    def _read(self, metric: Metric) -> tuple[Any, str | None]:
        for source, reader in metric.sources:
            slot = (metric.key, source)
            if slot in self.unsupported:
                continue
            try:
                value = reader()
            except NotSupported as err:
                self.unsupported[slot] = str(err) or "not supported"
                continue
            except Exception as err:  # a bug or garbage: count as transient, keep going
                self.last_errors[slot] = f"{type(err).__name__}: {err}"
                continue
            if value is None:
                continue
            if isinstance(value, Labeled):
                return value.value, value.label
            return value, source
        return None, None

    def _once(self, key: str, fn: Reader) -> Any:
        """Call fn at most once per sample (several metrics share one NVML or file read)."""
        if key in self._memo:
            kind, payload = self._memo[key]
            if kind == "err":
                raise payload
            return payload
        try:
            value = fn()
        except Exception as err:
            self._memo[key] = ("err", err)
            raise
        self._memo[key] = ("ok", value)
        return value

    def _is_tegra(self) -> bool:
        try:
            return self.jetson.is_tegra()
        except Exception:
            return False

    def _notice(self, any_value: bool) -> str | None:
        nv = self.nvml
        if nv is None or nv.available or nv.reason is None:
            return None
        if any_value and self._is_tegra():
            return f"{nv.reason}; showing Jetson sysfs readings"
        return nv.reason

    # ---- NVML readers --------------------------------------------------------------------
    def _nv(self) -> NvmlReader:
        if self.nvml is None:
            raise NotSupported("NVML disabled")
        return self.nvml

    def _nv_name(self) -> Any:
        return self._nv().name()

    def _nv_memory(self) -> Any:
        nv = self._nv()
        value = nv.memory_mib()
        return None if value is None else Labeled(value, f"nvml ({nv.memory_version})")

    def _nv_util(self, index: int) -> Any:
        rates = self._once("nvml.util", lambda: self._nv().utilization_pct())
        return None if rates is None else rates[index]

    # ---- sysfs / proc readers ------------------------------------------------------------
    def _meminfo(self) -> dict[str, int] | None:
        result: dict[str, int] | None = self._once("meminfo", self.jetson.meminfo)
        return result

    def _proc_memory(self) -> Any:
        info = self._meminfo()
        if info is None:
            return None
        total, avail = info.get("MemTotal"), info.get("MemAvailable")
        if not total or avail is None:
            return None
        return ((total - avail) / 1024.0, total / 1024.0, avail / 1024.0)

    def _proc_nvmap(self) -> Any:
        info = self._meminfo()
        if info is None:
            return None
        if "NvMapMemUsed" not in info:
            raise NotSupported("no NvMapMemUsed in /proc/meminfo (not the nvgpu stack)")
        return info["NvMapMemUsed"] / 1024.0

    def _sys_rails(self) -> Any:
        return self._once("rails", self.jetson.rails_w)

    def _i2c_rails(self) -> Any:
        """INA3221 rails by their I2C driver folder, where /sys/class/hwmon does not list them."""
        if not self._is_tegra():
            raise NotSupported("not a Jetson")
        from trtui.telemetry.power_rails import read_rails

        return read_rails(self.roots)

    def _sys_gpu_power(self) -> Any:
        rail = pick_gpu_rail(self._sys_rails())
        return None if rail is None else Labeled(rail[1], f"sysfs:{rail[0]}")

    def _sys_thermal(self) -> Any:
        return self._once("thermal", self.jetson.thermal_zones)

    def _sys_gpu_temp(self) -> Any:
        zones = self._sys_thermal()
        return gpu_zone_temp(zones) if zones else None

    # ---- tegrastats ----------------------------------------------------------------------
    def _tegra_reading(self) -> TegrastatsReading | None:
        result: TegrastatsReading | None = self._once("tegrastats", self._tegra_reading_now)
        return result

    def _tegra_reading_now(self) -> TegrastatsReading | None:
        if self._tegrastats_setting is None:
            raise NotSupported("tegrastats disabled")
        if not self._is_tegra():
            raise NotSupported("not a Jetson")
        reader = self.tegrastats
        if reader is None:
            binary = find_tegrastats() if self._tegrastats_setting == _AUTO else self._tegrastats_setting
            if binary is None:
                raise NotSupported("tegrastats not found")
            reader = TegrastatsReader(binary, self._tegrastats_interval_ms, clock=self._clock)
            if not reader.start():
                raise NotSupported(reader.error or "tegrastats did not start")
            self.tegrastats = reader
            return None  # no line yet
        if not reader.running and reader.latest(max_age_s=1e9) is None:
            raise NotSupported("tegrastats exited without output")
        return reader.latest(max_age_s=max(5.0, 4 * self._tegrastats_interval_ms / 1000.0))

    def _tegra_field(self, extract: Callable[[TegrastatsReading], Any]) -> Any:
        reading = self._tegra_reading()
        return None if reading is None else extract(reading)

    def _tegra_memory(self) -> Any:
        r = self._tegra_reading()
        if r is None or r.ram_used_mib is None or r.ram_total_mib is None:
            return None
        return (r.ram_used_mib, r.ram_total_mib, r.ram_total_mib - r.ram_used_mib)

    def _tegra_gpu_util(self) -> Any:
        r = self._tegra_reading()
        if r is None:
            return None
        if r.gpu_util_pct is None and r.gpu_freqs_mhz:
            raise NotSupported("this tegrastats format has no GPU utilization (Thor)")
        return r.gpu_util_pct

    def _tegra_gpu_power(self) -> Any:
        r = self._tegra_reading()
        rail = pick_gpu_rail(r.rails_w if r is not None else None)
        return None if rail is None else Labeled(rail[1], f"tegrastats:{rail[0]}")

    # ---- the metric table ----------------------------------------------------------------
    def _build_metrics(self) -> tuple[Metric, ...]:
        nv = self._nv
        js = self.jetson
        tf = self._tegra_field
        return (
            Metric("device_name", ("device_name",), (("nvml", self._nv_name), ("sysfs", js.model))),
            Metric(
                "memory",
                ("mem_used_mib", "mem_total_mib", "mem_free_mib"),
                (("nvml", self._nv_memory), ("proc", self._proc_memory), ("tegrastats", self._tegra_memory)),
            ),
            Metric("nvmap", ("nvmap_used_mib",), (("proc", self._proc_nvmap),)),
            Metric("process_mem", ("process_mem_mib",), (("nvml", lambda: nv().process_memory_mib()),)),
            Metric(
                "gpu_util",
                ("gpu_util_pct",),
                (
                    ("nvml", lambda: self._nv_util(0)),
                    ("sysfs", js.gpu_load_pct),
                    ("tegrastats", self._tegra_gpu_util),
                ),
            ),
            Metric(
                "mem_util",
                ("mem_util_pct",),
                (
                    ("nvml", lambda: self._nv_util(1)),
                    ("sysfs", js.emc_util_pct),
                    ("tegrastats", lambda: tf(lambda r: r.emc_util_pct)),
                ),
            ),
            Metric(
                "sm_clock",
                ("sm_clock_mhz",),
                (
                    ("nvml", lambda: nv().clock_mhz("sm")),
                    ("sysfs", js.gpu_cur_mhz),
                    ("tegrastats", lambda: tf(lambda r: r.gpu_freq_mhz)),
                ),
            ),
            Metric("sm_clock_min", ("sm_clock_min_mhz",), (("sysfs", js.gpu_min_mhz),)),
            Metric(
                "sm_clock_max",
                ("sm_clock_max_mhz",),
                (("nvml", lambda: nv().max_clock_mhz("sm")), ("sysfs", js.gpu_max_mhz)),
            ),
            Metric(
                "mem_clock",
                ("mem_clock_mhz",),
                (
                    ("nvml", lambda: nv().clock_mhz("mem")),
                    ("sysfs", js.emc_freq_mhz),
                    ("tegrastats", lambda: tf(lambda r: r.emc_freq_mhz)),
                ),
            ),
            Metric("governor", ("governor",), (("sysfs", js.governor),)),
            Metric(
                "power",
                ("power_w",),
                (
                    ("nvml", lambda: nv().power_w()),
                    ("sysfs", self._sys_gpu_power),
                    ("tegrastats", self._tegra_gpu_power),
                ),
            ),
            Metric("power_limit", ("power_limit_w",), (("nvml", lambda: nv().power_limit_w()),)),
            Metric("energy", ("energy_mj",), (("nvml", lambda: nv().total_energy_mj()),)),
            Metric(
                "rails",
                ("rails_w",),
                (
                    ("sysfs", self._sys_rails),
                    ("i2c", self._i2c_rails),
                    ("tegrastats", lambda: tf(lambda r: r.rails_w or None)),
                ),
            ),
            Metric(
                "temperature",
                ("temperature_c",),
                (
                    ("nvml", lambda: nv().temperature_c()),
                    ("sysfs", self._sys_gpu_temp),
                    ("tegrastats", lambda: tf(lambda r: r.gpu_temp_c)),
                ),
            ),
            Metric(
                "thermal",
                ("thermal_c",),
                (("sysfs", self._sys_thermal), ("tegrastats", lambda: tf(lambda r: r.temps_c or None))),
            ),
            Metric("throttle", ("throttle_reasons",), (("nvml", lambda: nv().clock_event_reasons()),)),
            Metric("pcie_gen", ("pcie_gen",), (("nvml", lambda: nv().pcie_gen()),)),
            Metric("pcie_width", ("pcie_width",), (("nvml", lambda: nv().pcie_width()),)),
            Metric("nvpmodel", ("nvpmodel",), (("nvpmodel", js.nvpmodel),)),
        )
