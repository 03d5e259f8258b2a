"""Every metric on every platform fixture: Orin JetPack 6, Orin JetPack 7.2, Thor, datacenter H100.

Expected values are computed from what the fixture tree and the fake NVML hold (units converted
by hand here: Hz -> MHz, per-mille -> %, mV*mA -> W, kB -> MiB, m-degrees -> degrees)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import telemetry_fake_nvml as fake
import telemetry_trees as trees

from trtui.gpu.nvml import NvmlDevice
from trtui.telemetry.sample import TelemetrySample
from trtui.telemetry.sampler import TelemetrySampler

KIB = 1024.0

# field -> (value, source). None value: not reported (and no source).
EXPECTED: dict[str, dict[str, tuple[Any, str | None]]] = {
    "orin_jp6": {
        "device_name": ("Orin (nvgpu)", "nvml"),
        "mem_total_mib": (31269228 / KIB, "proc"),
        "mem_used_mib": ((31269228 - 26345472) / KIB, "proc"),
        "mem_free_mib": (26345472 / KIB, "proc"),
        "process_mem_mib": (None, None),
        "nvmap_used_mib": (1583104 / KIB, "proc"),
        "unified_memory": (True, None),
        "gpu_util_pct": (45.7, "sysfs"),
        "mem_util_pct": (None, None),  # EMC is in debugfs (root); tegrastats disabled here
        "sm_clock_mhz": (1300.5, "sysfs"),
        "sm_clock_min_mhz": (306.0, "sysfs"),
        "sm_clock_max_mhz": (1300.5, "sysfs"),
        "mem_clock_mhz": (None, None),
        "governor": ("nvhost_podgov", "sysfs"),
        "power_w": (5.072 * 1.015, "sysfs:VDD_GPU_SOC"),
        "power_limit_w": (None, None),
        "energy_mj": (None, None),
        "rails_w": (
            (
                ("VDD_GPU_SOC", 5.148),
                ("VDD_CPU_CV", 2.009),
                ("VIN_SYS_5V0", 5.663),
                ("VDDQ_VDD2_1V8AO", 0.751),
            ),
            "sysfs",
        ),
        "temperature_c": (46.437, "sysfs"),
        "thermal_c": (
            (
                ("cpu-thermal", 47.968),
                ("gpu-thermal", 46.437),
                ("cv0-thermal", 46.281),
                ("soc0-thermal", 46.781),
                ("tj-thermal", 48.125),
            ),
            "sysfs",
        ),
        "throttle_reasons": (None, None),
        "pcie_gen": (None, None),
        "pcie_width": (None, None),
        "nvpmodel": ("MODE_50W (3)", "nvpmodel"),
    },
    "orin_jp72": {
        "device_name": ("Orin (nvgpu)", "nvml"),
        "mem_total_mib": (64323584 / KIB, "proc"),
        "mem_used_mib": ((64323584 - 43186176) / KIB, "proc"),
        "mem_free_mib": (43186176 / KIB, "proc"),
        "process_mem_mib": (None, None),
        "nvmap_used_mib": (2170880 / KIB, "proc"),
        "unified_memory": (True, None),
        "gpu_util_pct": (12.3, "sysfs"),
        "mem_util_pct": (None, None),
        "sm_clock_mhz": (918.0, "sysfs"),
        "sm_clock_min_mhz": (306.0, "sysfs"),
        "sm_clock_max_mhz": (1300.5, "sysfs"),
        "mem_clock_mhz": (None, None),
        "governor": ("performance", "sysfs"),
        "power_w": (5.080 * 1.012, "sysfs:VDD_GPU_SOC"),
        "power_limit_w": (None, None),
        "energy_mj": (None, None),
        "rails_w": ((("VDD_GPU_SOC", 5.141), ("VDD_CPU_CV", 1.585), ("VIN_SYS_5V0", 5.459)), "sysfs"),
        "temperature_c": (47.625, "sysfs"),
        "thermal_c": (
            (
                ("cpu-thermal", 48.5),
                ("gpu-thermal", 47.625),
                ("soc0-thermal", 46.75),
                ("soc1-thermal", 46.093),
                ("soc2-thermal", 46.343),
                ("tj-thermal", 48.5),
            ),
            "sysfs",
        ),
        "throttle_reasons": (None, None),
        "pcie_gen": (None, None),
        "pcie_width": (None, None),
        "nvpmodel": ("MAXN (0)", "nvpmodel"),
    },
    "thor": {
        "device_name": ("NVIDIA Thor", "nvml"),
        "mem_total_mib": (128832512 / KIB, "proc"),
        "mem_used_mib": ((128832512 - 122590208) / KIB, "proc"),
        "mem_free_mib": (122590208 / KIB, "proc"),
        "process_mem_mib": (2048.0, "nvml"),
        "nvmap_used_mib": (None, None),  # no NvMapMemUsed on Thor
        "unified_memory": (True, None),
        "gpu_util_pct": (37.0, "nvml"),
        "mem_util_pct": (12.0, "nvml"),
        "sm_clock_mhz": (1575.0, "sysfs"),
        "sm_clock_min_mhz": (300.0, "sysfs"),
        "sm_clock_max_mhz": (1575.0, "sysfs"),
        "mem_clock_mhz": (4266.0, "sysfs"),
        "governor": ("nvhost_podgov", "sysfs"),
        "power_w": (2.1, "sysfs:VDD_GPU"),
        "power_limit_w": (None, None),
        "energy_mj": (None, None),
        "rails_w": (
            (("VDD_GPU", 2.1), ("VDD_CPU_SOC_MSS", 6.5), ("VIN_SYS_5V0", 4.5), ("ina238", 24.111)),
            "sysfs",
        ),
        "temperature_c": (43.5, "sysfs"),
        "thermal_c": (
            (("cpu-thermal", 44.1), ("gpu-thermal", 43.5), ("soc012-thermal", 44.093), ("tj-thermal", 46.7)),
            "sysfs",
        ),
        "throttle_reasons": (None, None),
        "pcie_gen": (None, None),
        "pcie_width": (None, None),
        "nvpmodel": ("120W (1)", "nvpmodel"),
    },
    "datacenter": {
        "device_name": ("NVIDIA H100 80GB HBM3", "nvml"),
        "mem_total_mib": (81559.0, "nvml (v2)"),
        "mem_used_mib": (1024.0, "nvml (v2)"),  # v2: excludes the 527 MiB reserved
        "mem_free_mib": (81559.0 - 1551.0, "nvml (v2)"),
        "process_mem_mib": (312.0, "nvml"),
        "nvmap_used_mib": (None, None),
        "unified_memory": (False, None),
        "gpu_util_pct": (87.0, "nvml"),
        "mem_util_pct": (41.0, "nvml"),
        "sm_clock_mhz": (1755.0, "nvml"),
        "sm_clock_min_mhz": (None, None),
        "sm_clock_max_mhz": (1980.0, "nvml"),
        "mem_clock_mhz": (2619.0, "nvml"),
        "governor": (None, None),
        "power_w": (312.456, "nvml"),
        "power_limit_w": (700.0, "nvml"),
        "energy_mj": (123_456_789.0, "nvml"),  # mJ, NVML total energy counter
        "rails_w": (None, None),  # the host's coretemp/power_meter hwmon are not GPU rails
        "temperature_c": (61.0, "nvml"),
        "thermal_c": (None, None),  # x86 thermal zones are not the GPU
        "throttle_reasons": (("SwPowerCap", "HwThermalSlowdown"), "nvml"),
        "pcie_gen": (5, "nvml"),
        "pcie_width": (16, "nvml"),
        "nvpmodel": (None, None),
    },
}

NVML_FOR = {
    "orin_jp6": fake.orin_nvgpu,
    "orin_jp72": fake.orin_nvgpu,
    "thor": fake.thor,
    "datacenter": fake.h100,
}

SAMPLE_FIELDS = [
    f
    for f in TelemetrySample.__dataclass_fields__
    if f not in ("t", "simulated", "sources", "notice", "extra")
]


def _sample(name: str, root: Path) -> tuple[TelemetrySample, TelemetrySampler]:
    tree = trees.PLATFORMS[name](root)
    sampler = TelemetrySampler(NvmlDevice(NVML_FOR[name]()), roots=tree.roots, tegrastats=None)
    return sampler.sample(), sampler


def test_expectations_cover_every_sample_field() -> None:
    for name, table in EXPECTED.items():
        assert sorted(table) == sorted(SAMPLE_FIELDS), name


def _approx(value: Any) -> Any:
    if isinstance(value, float):
        return pytest.approx(value, abs=1e-3)
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return tuple((k, pytest.approx(v, abs=2e-3)) for k, v in value)
    return value


@pytest.mark.parametrize("platform", sorted(EXPECTED))
@pytest.mark.parametrize("field", SAMPLE_FIELDS)
def test_every_metric_on_every_platform(platform: str, field: str, tmp_path: Path) -> None:
    sample, sampler = _sample(platform, tmp_path)
    try:
        value, source = EXPECTED[platform][field]
        assert getattr(sample, field) == _approx(value)
        sources = dict(sample.sources)
        if field != "unified_memory":
            assert sources.get(field) == source
    finally:
        sampler.close()


@pytest.mark.parametrize("platform", sorted(EXPECTED))
def test_env_roots_give_the_same_sample(
    platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TRTUI_SYSFS_ROOT / TRTUI_PROC_ROOT / TRTUI_FS_ROOT stand in for /sys, /proc and /."""
    tree = trees.PLATFORMS[platform](tmp_path)
    for key, val in tree.env().items():
        monkeypatch.setenv(key, val)
    with TelemetrySampler(NvmlDevice(NVML_FOR[platform]()), tegrastats=None) as sampler:
        from_env = sampler.sample()
    with TelemetrySampler(NvmlDevice(NVML_FOR[platform]()), roots=tree.roots, tegrastats=None) as sampler:
        explicit = sampler.sample()
    for field in SAMPLE_FIELDS:
        assert getattr(from_env, field) == getattr(explicit, field), field
    assert from_env.sources == explicit.sources


def test_no_notice_when_nvml_works(tmp_path: Path) -> None:
    sample, sampler = _sample("datacenter", tmp_path)
    sampler.close()
    assert sample.notice is None


@pytest.mark.parametrize(
    ("platform", "line", "expect"),
    [
        ("orin_jp6", trees.TEGRASTATS_ORIN_JP6, {"mem_util_pct": 2.0, "mem_clock_mhz": 3199.0}),
        ("orin_jp72", trees.TEGRASTATS_ORIN_JP72, {"mem_util_pct": 3.0, "mem_clock_mhz": 3199.0}),
    ],
    ids=["orin_jp6", "orin_jp72"],
)
def test_orin_emc_comes_from_tegrastats_when_it_exists(
    platform: str, line: str, expect: dict[str, float], tmp_path: Path
) -> None:
    tree = trees.PLATFORMS[platform](tmp_path / "tree")
    binary = trees.fake_tegrastats(tmp_path / "tegrastats", line)
    sampler = TelemetrySampler(NvmlDevice(fake.orin_nvgpu()), roots=tree.roots, tegrastats=str(binary))
    try:
        first = sampler.sample()
        assert first.mem_util_pct is None  # started now: no line yet
        assert sampler.tegrastats is not None and sampler.tegrastats.started
        assert sampler.wait_for_tegrastats(5.0)
        second = sampler.sample()
        sources = dict(second.sources)
        for field, value in expect.items():
            assert getattr(second, field) == value
            assert sources[field] == "tegrastats"
        # Metrics that sysfs gives still come from sysfs, even with tegrastats running.
        assert sources["gpu_util_pct"] == "sysfs"
        assert sources["temperature_c"] == "sysfs"
        proc = sampler.tegrastats._proc
        assert proc is not None
    finally:
        sampler.close()
    assert proc.poll() is not None  # stopped with the sampler
