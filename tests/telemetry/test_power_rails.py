"""Energy inputs: Jetson rails by I2C driver path (hwmon and the older iio), which rail is the GPU
and which the module on each board, and NVML's total energy counter (fake NVML)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import power_trees as ptrees
import pytest
import telemetry_fake_nvml as fake
import telemetry_trees as trees

from trtui.cli import main
from trtui.common.not_supported import NotSupported
from trtui.gpu import nvml as nvml_mod
from trtui.gpu.nvml import NvmlDevice
from trtui.stats.energy import point_from_sample
from trtui.telemetry.power_rails import describe_roles, rail_roles, read_rails
from trtui.telemetry.report import format_table
from trtui.telemetry.sampler import TelemetrySampler


def _rails(tree: trees.Tree) -> dict[str, float]:
    rails = read_rails(tree.roots)
    assert rails is not None
    return dict(rails)


def test_agx_orin_rails_by_i2c_path_are_volts_times_amps(tmp_path: Path) -> None:
    rails = _rails(ptrees.agx_orin_i2c(tmp_path))
    assert rails == {
        "VDD_GPU_SOC": pytest.approx(10.144),
        "VDD_CPU_CV": pytest.approx(2.0288),
        "VIN_SYS_5V0": pytest.approx(6.0672),
        "VDDQ_VDD2_1V8AO": pytest.approx(0.7608),
    }  # NC channels and "sum of shunt voltages" are not rails


def test_agx_orin_module_does_not_count_the_nested_rail_twice(tmp_path: Path) -> None:
    rails = read_rails(ptrees.agx_orin_i2c(tmp_path).roots)
    roles = rail_roles(n for n, _ in rails or ())
    assert roles.board == "AGX Orin"
    assert roles.gpu == ("VDD_GPU_SOC",)
    assert roles.module == ("VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0")
    assert roles.not_added == ("VDDQ_VDD2_1V8AO",)
    assert roles.module_w(rails) == pytest.approx(10.144 + 2.0288 + 6.0672)
    assert roles.gpu_w(rails) == pytest.approx(10.144)


def test_orin_nx_module_is_vdd_in_and_gpu_rail_says_it_includes_cpu(tmp_path: Path) -> None:
    rails = read_rails(ptrees.orin_nx(tmp_path).roots)
    roles = rail_roles(n for n, _ in rails or ())
    assert roles.board == "Orin NX / Nano"
    assert roles.module_w(rails) == pytest.approx(12.6)
    assert roles.gpu_w(rails) == pytest.approx(5.544)
    assert roles.gpu_label is not None and "CPU" in roles.gpu_label


def test_older_iio_driver_reads_milliwatts(tmp_path: Path) -> None:
    rails = _rails(ptrees.xavier_nx_iio(tmp_path))
    assert rails == {"VDD_IN": 4.567, "VDD_CPU_GPU_CV": 1.234, "VDD_SOC": 0.89}
    assert rail_roles(rails).module == ("VDD_IN",)


def test_unknown_board_shows_rails_by_label_and_guesses_no_module(tmp_path: Path) -> None:
    rails = read_rails(ptrees.unknown_board(tmp_path).roots)
    roles = rail_roles(n for n, _ in rails or ())
    assert roles.board == "unknown" and roles.module == () and roles.gpu == ()
    assert roles.module_w(rails) is None and roles.gpu_w(rails) is None
    lines = describe_roles(roles, dict(rails or ()))
    assert lines and "unknown" in lines[0]


@pytest.mark.parametrize(
    ("names", "board", "gpu", "module"),
    [
        (("VDD_GPU", "VDD_CPU_SOC_MSS", "VIN_SYS_5V0"), "Thor", ("VDD_GPU",), ()),
        (("VDD_GPU", "VDD_CPU_SOC_MSS", "VIN"), "Thor", ("VDD_GPU",), ("VIN",)),
        (("POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"), "Nano", ("POM_5V_GPU",), ("POM_5V_IN",)),
        (("vdd_gpu_soc", "vdd_cpu_cv", "vin_sys_5v0"), "AGX Orin", ("vdd_gpu_soc",), None),
        (("RAIL_GPU_X", "OTHER"), "unknown", ("RAIL_GPU_X",), ()),
    ],
)
def test_rail_roles_by_board(
    names: tuple[str, ...], board: str, gpu: tuple[str, ...], module: tuple[str, ...] | None
) -> None:
    roles = rail_roles(names)
    assert roles.board == board and roles.gpu == gpu
    if module is not None:
        assert roles.module == module


def test_a_missing_rail_reading_gives_no_sum() -> None:
    roles = rail_roles(("VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0"))
    assert roles.module_w((("VDD_GPU_SOC", 5.0), ("VDD_CPU_CV", 1.0))) is None


def test_sampler_uses_the_i2c_rails_when_class_hwmon_has_none(tmp_path: Path) -> None:
    tree = ptrees.orin_nx(tmp_path)
    with TelemetrySampler(NvmlDevice(fake.orin_nvgpu()), roots=tree.roots, tegrastats=None) as sampler:
        s = sampler.sample()
    assert dict(s.sources)["rails_w"] == "i2c"
    assert dict(s.rails_w or ())["VDD_IN"] == pytest.approx(12.6)
    p = point_from_sample(s, inferences=0)
    assert p.module_w == pytest.approx(12.6) and p.module_rail == "VDD_IN (module input)"
    assert p.gpu_w == pytest.approx(5.544) and p.counter_mj is None


def test_agx_orin_energy_point_from_the_existing_class_hwmon_tree(tmp_path: Path) -> None:
    tree = trees.orin_jp6(tmp_path)  # rails through /sys/class/hwmon, plus 0x41's nested rail
    with TelemetrySampler(NvmlDevice(fake.orin_nvgpu()), roots=tree.roots, tegrastats=None) as sampler:
        s = sampler.sample()
    rails = dict(s.rails_w or ())
    p = point_from_sample(s, inferences=0)
    assert p.module_w == pytest.approx(rails["VDD_GPU_SOC"] + rails["VDD_CPU_CV"] + rails["VIN_SYS_5V0"])
    assert p.gpu_w == pytest.approx(rails["VDD_GPU_SOC"])


def test_nvml_energy_counter_in_millijoules() -> None:
    nv = fake.h100()
    dev = NvmlDevice(nv)
    assert dev.total_energy_mj() == 123_456_789.0


def test_nvml_energy_counter_not_supported_is_cached_by_the_sampler(tmp_path: Path) -> None:
    tree = trees.datacenter(tmp_path)
    nv = fake.h100(errors={"nvmlDeviceGetTotalEnergyConsumption": fake.NVML_ERROR_NOT_SUPPORTED})
    with TelemetrySampler(NvmlDevice(nv), roots=tree.roots, tegrastats=None) as sampler:
        for _ in range(3):
            assert sampler.sample().energy_mj is None
    assert nv.calls["nvmlDeviceGetTotalEnergyConsumption"] == 1
    with pytest.raises(NotSupported):
        NvmlDevice(fake.orin_nvgpu()).total_energy_mj()  # nvgpu: not trusted


def test_sampler_reads_an_advancing_counter(tmp_path: Path) -> None:
    tree = trees.datacenter(tmp_path)
    counter = iter(range(1_000_000, 10_000_000, 250_000))
    nv = fake.h100(values={"nvmlDeviceGetTotalEnergyConsumption": lambda: next(counter)})
    with TelemetrySampler(NvmlDevice(nv), roots=tree.roots, tegrastats=None) as sampler:
        a, b = sampler.sample(), sampler.sample()
    assert (a.energy_mj, b.energy_mj) == (1_000_000.0, 1_250_000.0)
    assert dict(b.sources)["energy_mj"] == "nvml"
    assert point_from_sample(b, 10).counter_mj == 1_250_000.0


def _use(monkeypatch: pytest.MonkeyPatch, tree: trees.Tree, nvml: Any) -> None:
    for key, val in tree.env().items():
        monkeypatch.setenv(key, val)
    monkeypatch.setattr(nvml_mod, "load_pynvml", lambda: nvml)


def test_telemetry_command_shows_counter_and_rail_roles(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, trees.datacenter(tmp_path / "dc"), fake.h100())
    assert main(["telemetry", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["energy_mj"] == 123_456_789.0 and data["rail_roles"] is None
    assert main(["telemetry"]) == 0
    assert "123,456.8 J" in capsys.readouterr().out

    _use(monkeypatch, ptrees.agx_orin_i2c(tmp_path / "agx"), fake.orin_nvgpu())
    assert main(["telemetry", "--json"]) == 0
    roles = json.loads(capsys.readouterr().out)["rail_roles"]
    assert roles["board"] == "AGX Orin" and roles["not_added"] == ["VDDQ_VDD2_1V8AO"]
    assert roles["module_w"] == pytest.approx(18.24, abs=1e-3)
    assert main(["telemetry"]) == 0
    rows = {line.split("  ")[0].strip(): line for line in capsys.readouterr().out.splitlines()}
    assert "18.24 W" in rows["module power"] and "not added" in rows["module power"]
    assert "10.14 W" in rows["GPU energy rail"]


def test_table_says_module_is_unknown_on_an_unknown_board(tmp_path: Path) -> None:
    tree = ptrees.unknown_board(tmp_path)
    with TelemetrySampler(NvmlDevice(fake.orin_nvgpu()), roots=tree.roots, tegrastats=None) as sampler:
        text = format_table(sampler.sample())
    assert "rail RAIL_A" in text and "not known for this board" in text


def test_watch_gives_energy_between_samples_from_the_counter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    counter = iter(range(1_000_000, 100_000_000, 50_000))  # +50 J per sample
    _use(
        monkeypatch,
        trees.datacenter(tmp_path),
        fake.h100(values={"nvmlDeviceGetTotalEnergyConsumption": lambda: next(counter)}),
    )
    assert main(["telemetry", "--json", "--watch", "0.05", "--count", "3"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert rows[0]["energy_since_last"] is None
    for prev, row in itertools.pairwise(rows):
        delta = row["energy_since_last"]
        assert delta["energy_j"] == pytest.approx(50.0)
        assert delta["seconds"] == pytest.approx(row["t"] - prev["t"])
        assert delta["mean_w"] == pytest.approx(50.0 / delta["seconds"])
    assert main(["telemetry", "--watch", "0.05", "--count", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("energy since the last sample: 50.00 J") == 1 and "(NVML energy counter)" in out


def test_counter_delta_refuses_a_counter_that_went_back() -> None:
    from trtui.telemetry.report import counter_delta
    from trtui.telemetry.sample import TelemetrySample

    a, b = TelemetrySample(t=1.0, energy_mj=5000.0), TelemetrySample(t=2.0, energy_mj=100.0)
    assert counter_delta(a, b) is None and counter_delta(None, b) is None
    assert counter_delta(b, TelemetrySample(t=2.0, energy_mj=200.0)) is None  # no time passed
