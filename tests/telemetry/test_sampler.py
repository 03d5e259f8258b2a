"""The sampler's per-metric walk: caching NotSupported, retrying transient failures, never
latching a source, notices, and when tegrastats is (not) started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import telemetry_fake_nvml as fake
import telemetry_trees as trees

from trtui.gpu.nvml import NvmlDevice
from trtui.telemetry.sampler import TelemetrySampler


def test_not_supported_is_asked_once_transient_is_retried(tmp_path: Path) -> None:
    tree = trees.datacenter(tmp_path)
    nv = fake.h100(
        errors={
            "nvmlDeviceGetEnforcedPowerLimit": fake.NVML_ERROR_NOT_SUPPORTED,
            "nvmlDeviceGetTemperature": fake.NVML_ERROR_TIMEOUT,
        }
    )
    with TelemetrySampler(NvmlDevice(nv), roots=tree.roots, tegrastats=None) as sampler:
        for _ in range(3):
            s = sampler.sample()
            assert s.power_limit_w is None and s.temperature_c is None
        assert nv.calls["nvmlDeviceGetEnforcedPowerLimit"] == 1
        assert nv.calls["nvmlDeviceGetTemperature"] == 3
        assert "power_limit" in sampler.why_missing()
        # The transient failure goes away: the next sample has the reading again.
        del nv.errors["nvmlDeviceGetTemperature"]
        assert sampler.sample().temperature_c == 61.0


def test_one_utilization_call_per_sample(tmp_path: Path) -> None:
    nv = fake.h100()
    with TelemetrySampler(NvmlDevice(nv), roots=trees.datacenter(tmp_path).roots, tegrastats=None) as sampler:
        sampler.sample()
        sampler.sample()
    assert nv.calls["nvmlDeviceGetUtilizationRates"] == 2  # gpu and memory share one call


def test_fallback_per_sample_is_not_latched(tmp_path: Path) -> None:
    """Thor-like: NVML temperature fails for a while (transient), sysfs answers meanwhile; when
    NVML answers again it is used again."""
    tree = trees.thor(tmp_path)
    nv = fake.thor()
    nv.values["nvmlDeviceGetTemperature"] = 52
    nv.errors["nvmlDeviceGetTemperature"] = fake.NVML_ERROR_TIMEOUT
    with TelemetrySampler(NvmlDevice(nv), roots=tree.roots, tegrastats=None) as sampler:
        first = sampler.sample()
        assert (first.temperature_c, dict(first.sources)["temperature_c"]) == (43.5, "sysfs")
        del nv.errors["nvmlDeviceGetTemperature"]
        second = sampler.sample()
        assert (second.temperature_c, dict(second.sources)["temperature_c"]) == (52.0, "nvml")


def test_late_sysfs_node_is_used_once_it_appears(tmp_path: Path) -> None:
    now = [0.0]
    tree = trees.orin_jp6(tmp_path)
    devfreq = tree.roots.sysfs / "class/devfreq/17000000.gpu"
    hidden = tmp_path / "hidden-devfreq"
    devfreq.rename(hidden)
    with TelemetrySampler(
        NvmlDevice(fake.orin_nvgpu(), clock=lambda: now[0]), roots=tree.roots, tegrastats=None,
        clock=lambda: now[0],
    ) as sampler:
        early = sampler.sample()
        assert early.sm_clock_mhz is None and early.unified_memory  # device tree says Tegra
        hidden.rename(devfreq)
        now[0] = 30.0
        late = sampler.sample()
        assert late.sm_clock_mhz == 1300.5
        assert late.gpu_util_pct == 45.7


def test_no_driver_on_a_server_is_all_none_with_a_notice(tmp_path: Path) -> None:
    with TelemetrySampler(
        NvmlDevice(fake.no_driver()), roots=trees.datacenter(tmp_path).roots, tegrastats=None
    ) as sampler:
        s = sampler.sample()
    assert s.notice is not None and s.notice.startswith("no NVIDIA driver")
    assert s.sources == ()
    for field in ("device_name", "mem_total_mib", "gpu_util_pct", "sm_clock_mhz", "power_w", "temperature_c"):
        assert getattr(s, field) is None


def test_no_driver_on_a_jetson_still_reads_sysfs(tmp_path: Path) -> None:
    with TelemetrySampler(
        NvmlDevice(fake.no_driver()), roots=trees.orin_jp6(tmp_path).roots, tegrastats=None
    ) as sampler:
        s = sampler.sample()
    assert s.notice is not None and "no NVIDIA driver" in s.notice and "Jetson sysfs" in s.notice
    assert s.device_name == "NVIDIA Jetson AGX Orin Developer Kit"
    assert dict(s.sources)["device_name"] == "sysfs"
    assert s.gpu_util_pct == 45.7


def test_thor_without_nvml_and_with_tegrastats(tmp_path: Path) -> None:
    """No NVML on Thor: utilization has no sysfs file and Thor's tegrastats has none either, so
    it stays None; memory and clocks come from /proc and sysfs."""
    tree = trees.thor(tmp_path / "tree")
    binary = trees.fake_tegrastats(tmp_path / "tegrastats", trees.TEGRASTATS_THOR)
    with TelemetrySampler(NvmlDevice(fake.no_driver()), roots=tree.roots, tegrastats=str(binary)) as sampler:
        sampler.sample()
        assert sampler.wait_for_tegrastats(5.0)
        s = sampler.sample()
        assert s.gpu_util_pct is None
        assert "tegrastats" in sampler.why_missing()["gpu_util"]
        assert s.sm_clock_mhz == 1575.0 and dict(s.sources)["sm_clock_mhz"] == "sysfs"


def test_tegrastats_not_started_when_nothing_needs_it(tmp_path: Path) -> None:
    binary = trees.fake_tegrastats(tmp_path / "tegrastats", trees.TEGRASTATS_THOR)
    with TelemetrySampler(
        NvmlDevice(fake.thor()), roots=trees.thor(tmp_path / "thor").roots, tegrastats=str(binary)
    ) as s1:
        s1.sample()
        assert s1.tegrastats is None  # Thor: NVML + sysfs cover every metric tegrastats has
    with TelemetrySampler(
        NvmlDevice(fake.h100()), roots=trees.datacenter(tmp_path / "dc").roots, tegrastats=str(binary)
    ) as s2:
        s2.sample()
        assert s2.tegrastats is None  # never on a non-Jetson


def test_tegrastats_binary_missing_is_cached(tmp_path: Path) -> None:
    tree = trees.orin_jp6(tmp_path)
    with TelemetrySampler(
        NvmlDevice(fake.orin_nvgpu()), roots=tree.roots, tegrastats=str(tmp_path / "nope")
    ) as sampler:
        sampler.sample()
        sampler.sample()
        assert sampler.tegrastats is None
        assert "nope" in sampler.why_missing()["mem_util"]["tegrastats"]


def test_a_reader_bug_is_contained(tmp_path: Path) -> None:
    tree = trees.datacenter(tmp_path)
    nv = fake.h100(values={"nvmlDeviceGetTemperature": "hot"})  # float("hot") raises ValueError
    with TelemetrySampler(NvmlDevice(nv), roots=tree.roots, tegrastats=None) as sampler:
        s = sampler.sample()
    assert s.temperature_c is None and s.gpu_util_pct == 87.0
    assert any("ValueError" in e for e in sampler.last_errors.values())


def test_sample_after_close(tmp_path: Path) -> None:
    sampler = TelemetrySampler(
        NvmlDevice(fake.h100()), roots=trees.datacenter(tmp_path).roots, tegrastats=None
    )
    sampler.close()
    assert sampler.sample().notice == "telemetry closed"


def test_without_an_nvml_reader_jetson_metrics_come_from_sysfs(tmp_path: Path) -> None:
    with TelemetrySampler(None, roots=trees.orin_jp6(tmp_path).roots, tegrastats=None) as sampler:
        s = sampler.sample()
    assert s.gpu_util_pct == 45.7 and s.notice is None
    assert dict(s.sources)["gpu_util_pct"] == "sysfs"


class _Reader:
    """A stand-in NVML reader: the sampler takes whatever reader it is given (no pynvml here)."""

    available = True
    reason: str | None = None
    memory_version: str | None = "v1"
    memory_reserved_mib: float | None = None

    def __init__(self) -> None:
        self.closed = False

    def name(self) -> str | None:
        return "Injected GPU"

    def memory_mib(self) -> tuple[float, float, float] | None:
        return (1.0, 2.0, 1.0)

    def utilization_pct(self) -> tuple[float, float] | None:
        return (12.0, 3.0)

    def process_memory_mib(self) -> float | None:
        return None

    def clock_mhz(self, which: str) -> float | None:
        return 1000.0 if which == "sm" else None

    def max_clock_mhz(self, which: str) -> float | None:
        return None

    def power_w(self) -> float | None:
        return None

    def power_limit_w(self) -> float | None:
        return None

    def temperature_c(self) -> float | None:
        return None

    def clock_event_reasons(self) -> tuple[str, ...] | None:
        return None

    def pcie_gen(self) -> int | None:
        return None

    def pcie_width(self) -> int | None:
        return None

    def close(self) -> None:
        self.closed = True


def test_the_sampler_reads_the_injected_nvml_reader_and_closes_it(tmp_path: Path) -> None:
    reader = _Reader()
    with TelemetrySampler(reader, roots=trees.datacenter(tmp_path).roots, tegrastats=None) as sampler:
        s = sampler.sample()
    assert s.device_name == "Injected GPU" and s.gpu_util_pct == 12.0 and s.sm_clock_mhz == 1000.0
    assert dict(s.sources)["device_name"] == "nvml"
    assert reader.closed


def test_gpu_telemetry_injects_an_nvml_device_for_the_chosen_gpu() -> None:
    from trtui.sources.factory import gpu_telemetry

    sampler = gpu_telemetry(3, tegrastats=None)
    try:
        assert isinstance(sampler.nvml, NvmlDevice) and sampler.nvml.index == 3
    finally:
        sampler.close()


def test_importing_telemetry_does_not_import_gpu_stacks() -> None:
    probe = (
        "import sys, trtui.telemetry.sampler, trtui.telemetry.history, "
        "trtui.commands.telemetry; "
        "print([m for m in ('pynvml', 'pycuda', 'tensorrt', 'cuda', 'textual') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("platform", sorted(trees.PLATFORMS))
def test_sample_times_come_from_the_clock(platform: str, tmp_path: Path) -> None:
    now = [5.0]
    tree = trees.PLATFORMS[platform](tmp_path)
    clock = lambda: now[0]  # noqa: E731
    with TelemetrySampler(
        NvmlDevice(fake.no_driver(), clock=clock), roots=tree.roots, tegrastats=None, clock=clock
    ) as s:
        assert s.sample().t == 5.0
        now[0] = 6.5
        assert s.sample().t == 6.5


def test_v2_reserved_memory_is_reported_in_extra(tmp_path: Path) -> None:
    with TelemetrySampler(
        NvmlDevice(fake.h100()), roots=trees.datacenter(tmp_path).roots, tegrastats=None
    ) as sampler:
        s = sampler.sample()
    assert dict(s.extra) == {"nvml_reserved_mib": "527"}
    assert s.mem_used_mib is not None and s.mem_free_mib is not None and s.mem_total_mib is not None
    assert s.mem_used_mib + s.mem_free_mib + 527 == s.mem_total_mib
    with TelemetrySampler(
        NvmlDevice(fake.h100(binding_v2=False)),
        roots=trees.datacenter(tmp_path / "v1").roots,
        tegrastats=None,
    ) as v1:
        assert v1.sample().extra == ()  # v1 has no reserved field: its "used" includes it
