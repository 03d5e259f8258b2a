"""`trtui telemetry`: table, --json, --watch, Ctrl-C, bad values; and the pure report module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import telemetry_fake_nvml as fake
import telemetry_trees as trees

from trtui.cli import main
from trtui.commands import telemetry as cmd
from trtui.gpu import nvml as nvml_mod
from trtui.telemetry.report import format_table, sample_to_dict, table_rows
from trtui.telemetry.sample import TelemetrySample


def _use(monkeypatch: pytest.MonkeyPatch, tree: trees.Tree, nvml: Any) -> None:
    for key, val in tree.env().items():
        monkeypatch.setenv(key, val)
    monkeypatch.setattr(nvml_mod, "load_pynvml", lambda: nvml)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "TRTUI_TEGRASTATS": "none", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "trtui", "telemetry", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
    )


def test_json_on_a_datacenter_gpu(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, trees.datacenter(tmp_path), fake.h100())
    assert main(["telemetry", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["device_name"] == "NVIDIA H100 80GB HBM3"
    assert data["mem_total_mib"] == 81559.0
    assert data["throttle_reasons"] == ["SwPowerCap", "HwThermalSlowdown"]
    assert data["pcie_gen"] == 5 and data["pcie_width"] == 16
    assert data["governor"] is None and data["rails_w"] is None and data["nvpmodel"] is None
    assert data["sources"]["mem_total_mib"] == "nvml (v2)"
    assert data["unsupported"]["governor"] == {"sysfs": "not a Jetson"}
    for field in TelemetrySample.__dataclass_fields__:
        if field not in ("extra",):
            assert field in data, field


def test_table_on_orin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, trees.orin_jp6(tmp_path), fake.orin_nvgpu())
    assert main(["telemetry"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("  ")[0].strip(): line for line in out.splitlines()}
    assert "45.7 %" in rows["GPU utilization"] and rows["GPU utilization"].rstrip().endswith("sysfs")
    assert "n/a" in rows["PCIe generation"]
    assert "5.15 W" in rows["rail VDD_GPU_SOC"]
    assert "46.4 C" in rows["thermal gpu-thermal"]
    assert "MODE_50W (3)" in rows["nvpmodel mode"]


def test_watch_json_lines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, trees.thor(tmp_path), fake.thor())
    assert main(["telemetry", "--json", "--watch", "0.05", "--count", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    samples = [json.loads(line) for line in lines]
    assert all(s["sm_clock_mhz"] == 1575.0 for s in samples)
    assert samples[0]["t"] < samples[1]["t"] < samples[2]["t"]


def test_watch_ends_cleanly_on_ctrl_c(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, trees.datacenter(tmp_path), fake.h100())
    sleeps: list[float] = []

    def interrupted(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(cmd.time, "sleep", interrupted)
    assert main(["telemetry", "--watch", "0.5"]) == 0
    out = capsys.readouterr().out
    assert out.count("NVIDIA H100 80GB HBM3") == 2
    assert sleeps == [0.5, 0.5]


def test_device_out_of_range(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, trees.datacenter(tmp_path), fake.h100())
    assert main(["telemetry", "--device", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--device 3" in err[0] and "0 to 0" in err[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--watch", "abc"], "--watch"),
        (["--watch", "0"], "--watch"),
        (["--watch", "nan"], "--watch"),
        (["--watch", "-1"], "--watch"),
        (["--count", "2"], "--count needs --watch"),
        (["--watch", "1", "--count", "0"], "--count"),
        (["--device", "-1"], "--device"),
        (["--device", "gpu0"], "--device"),
        (["--bogus"], "unrecognized"),
    ],
)
def test_bad_values_are_one_line_errors(args: list[str], needle: str) -> None:
    proc = _cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trtui: error: ") and needle in lines[0]


def test_real_process_with_a_jetson_tree_and_no_driver(tmp_path: Path) -> None:
    """End to end in a subprocess: the real pynvml (or none) finds no driver on this machine,
    Jetson numbers come from the tree named by the environment."""
    tree = trees.orin_jp72(tmp_path)
    proc = _cli("--json", env=tree.env())
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    if data["sources"].get("device_name") == "nvml":  # pragma: no cover - a machine with a GPU
        pytest.skip("this machine has an NVIDIA driver: the no-driver path is not exercised")
    assert data["gpu_util_pct"] == 12.3 and data["sources"]["gpu_util_pct"] == "sysfs"
    assert data["unified_memory"] is True
    assert "no NVIDIA driver" in data["notice"]


# ---- report ---------------------------------------------------------------------------------------
def test_report_null_and_n_a() -> None:
    s = TelemetrySample(t=1.0, gpu_util_pct=50.0, throttle_reasons=(), sources=(("gpu_util_pct", "nvml"),))
    d = sample_to_dict(s)
    assert d["gpu_util_pct"] == 50.0 and d["mem_total_mib"] is None and d["throttle_reasons"] == []
    assert d["rails_w"] is None and d["thermal_c"] is None and "unsupported" not in d
    json.dumps(d)  # serialisable
    rows = {r[0]: r for r in table_rows(s)}
    assert rows["GPU utilization"] == ("GPU utilization", "50.0 %", "nvml")
    assert rows["clock-event reasons"][1] == "none"
    assert rows["memory total"][1] == "n/a"
    assert rows["rails"][1] == "n/a" and rows["thermal zones"][1] == "n/a"


def test_report_pairs_and_notice() -> None:
    s = TelemetrySample(
        t=1.0,
        rails_w=(("VDD_GPU", 2.5),),
        thermal_c=(("gpu-thermal", 40.0),),
        notice="no NVIDIA driver: x",
        pcie_width=8,
    )
    d = sample_to_dict(s, {"power": {"nvml": "Not Supported"}})
    assert d["rails_w"] == {"VDD_GPU": 2.5} and d["thermal_c"] == {"gpu-thermal": 40.0}
    assert d["unsupported"] == {"power": {"nvml": "Not Supported"}}
    text = format_table(s)
    assert text.splitlines()[0] == "note: no NVIDIA driver: x"
    assert "x8" in text and "2.50 W" in text
