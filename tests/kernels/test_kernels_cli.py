"""`--kernels` and `--trace` on the command line, with the simulated engine."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from trtui.cli import main
from trtui.kernels.trace import check_trace


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trtui", *args], capture_output=True, text=True, timeout=60)


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trtui: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_profile_demo_kernels_json_and_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, trace = tmp_path / "s.json", tmp_path / "t.trace.json"
    assert (
        main(["profile", "demo", "--duration", "1", "--kernels", "--json", str(out), "--trace", str(trace)])
        == 0
    )
    text = capsys.readouterr().out
    assert re.search(rf"trace: \d+ profiled inferences -> {re.escape(str(trace))}", text)
    assert "kernels (simulated):" in text and "kernel tracing cost:" in text and "kernels:\n" in text
    s = json.loads(out.read_text())
    k = s["kernels"]
    assert k["simulated"] is True and k["attribution"] == "nvtx" and k["captures"] > 0
    by_layer = {lk["layer"]: lk for lk in k["layers"]}
    assert set(by_layer) == {layer["name"] for layer in s["layers"]}
    conv = by_layer["conv1 + relu"]
    assert conv["gap_ms"] == pytest.approx(conv["layer_ms"] - conv["kernel_sum_ms"])
    assert conv["kernels"][0]["family"] == "xmma fprop implicit gemm"
    assert k["top_kernels"][0]["share_pct"] >= k["top_kernels"][-1]["share_pct"]
    assert sum(f["share_pct"] for f in k["families"]) == pytest.approx(100.0)
    assert any(r["mangled"] for r in k["top_kernels"])  # demangled names keep the recorded one
    t = json.loads(trace.read_text())
    assert check_trace(t) == []
    assert t["otherData"]["simulated"] is True and t["otherData"]["inferences"] > 0
    # without --kernels the summary has no kernels block
    plain = tmp_path / "plain.json"
    assert main(["profile", "demo", "--duration", "0.3", "--json", str(plain), "--quiet"]) == 0
    assert "kernels" not in json.loads(plain.read_text())


def test_trace_turns_kernels_on(tmp_path: Path) -> None:
    trace = tmp_path / "t.json"
    out = tmp_path / "s.json"
    assert (
        main(["profile", "demo", "--duration", "0.5", "--trace", str(trace), "--json", str(out), "--quiet"])
        == 0
    )
    assert "kernels" in json.loads(out.read_text())
    assert check_trace(json.loads(trace.read_text())) == []


def test_kernels_without_profiling_is_a_one_line_error() -> None:
    one_line_error(run_cli("profile", "demo", "--kernels", "--profile-every", "0"), "--profile-every")


def test_a_recording_has_no_kernels(tmp_path: Path) -> None:
    rec = tmp_path / "profile.json"
    rec.write_text("[]")
    one_line_error(run_cli("profile", str(rec), "--kernels"), "recording", "no kernel records")


def test_trace_into_a_missing_folder_fails_before_running(tmp_path: Path) -> None:
    one_line_error(
        run_cli("profile", "demo", "--trace", str(tmp_path / "no" / "t.json")), "--trace", "does not exist"
    )
