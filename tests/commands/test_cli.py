"""The command line: exit codes, one-line errors, the JSON summary schema."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trtui import __version__
from trtui.cli import main


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trtui", *args], capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("trtui: error: ")
    for needle in needles:
        assert needle in lines[0]


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"trtui {__version__}"


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    for cmd in ("demo", "profile", "open"):
        assert cmd in out


def test_profile_demo_writes_the_documented_schema(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    proc = run_cli("profile", "demo", "--duration", "1.5", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "SIMULATED" in proc.stdout
    s = json.loads(out.read_text())
    assert s["schema"] == "trtui.summary/1" and s["trtui_version"] == __version__
    assert s["source"]["simulated"] is True and s["source"]["kind"] == "simulated"
    assert (s["source"]["profile_every"], s["source"]["profile_time_cap"]) == (10, None)
    assert s["device"] == "Simulated GPU (H100-like)"
    assert s["iterations"] > 100 and s["profiled_iterations"] > 10
    assert 1.0 < s["duration_s"] < 10
    lat = s["latency_ms"]
    assert set(lat) == {"count", "last", "mean", "median", "p90", "p95", "p99", "min", "max", "std"}
    assert lat["min"] <= lat["median"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert s["throughput_per_s"] == pytest.approx(1000.0 / lat["mean"], rel=0.05)
    layers = s["layers"]
    assert len(layers) == 59
    keys = {
        "name",
        "type",
        "precision",
        "output_precision",
        "tactic",
        "count",
        "last_ms",
        "mean_ms",
        "median_ms",
        "p90_ms",
        "p99_ms",
        "min_ms",
        "max_ms",
        "std_ms",
        "total_ms",
        "share_pct",
    }
    assert all(set(layer) == keys for layer in layers)
    assert sum(layer["share_pct"] for layer in layers) == pytest.approx(100.0)
    assert s["profiler"]["layer_sum_is_latency"] is True
    assert s["profiler"]["layer_sum_ms"] == pytest.approx(sum(la["mean_ms"] for la in layers), rel=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left behind


def test_demo_layers_option(tmp_path: Path) -> None:
    out = tmp_path / "big.json"
    proc = run_cli("profile", "demo", "--layers", "2000", "--duration", "1", "--json", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert len(json.loads(out.read_text())["layers"]) == 2000


@pytest.mark.parametrize(
    "args,needle",
    [
        (["profile", "demo", "--duration", "0"], "positive"),
        (["profile", "demo", "--duration", "abc"], "not a number"),
        (["profile", "demo", "--profile-every", "-3"], "between"),
        (["profile", "demo", "--window", "2"], "between"),
        (["profile", "demo", "--bogus"], "unrecognized"),
        (["profile", "no/such/file.engine"], "no such file"),
        (["no-such-file.engine"], "no such file"),
        (["profile", "demo", "--json", "missing-dir/out.json"], "does not exist"),
        (["profile", "demo", "--layers", "0"], "between"),
        (["profile", "demo", "--layers", "20001"], "between"),
    ],
)
def test_bad_input_one_line_exit_2(args: list[str], needle: str, tmp_path: Path) -> None:
    assert_one_line_error(run_cli(*args, cwd=tmp_path), needle)


@pytest.mark.parametrize(
    "args,needles",
    [
        (["profle", "demo"], ("unknown command 'profle'", "did you mean 'profile'")),
        (["swep", "demo", "--batch", "1..8"], ("unknown command 'swep'", "did you mean 'sweep'")),
        (["frobnicate", "demo"], ("unknown command 'frobnicate'", "commands: open, demo, profile")),
    ],
)
def test_a_mistyped_command_is_named_with_the_nearest_one(args: list[str], needles: tuple[str, ...]) -> None:
    assert_one_line_error(run_cli(*args), *needles)


def test_a_json_file_that_holds_no_json_is_not_called_a_text_engine(tmp_path: Path) -> None:
    f = tmp_path / "notjson.profile.json"
    f.write_text("this is not JSON\n")
    proc = run_cli("profile", str(f))
    assert_one_line_error(proc, "not a readable trtexec recording", "does not hold JSON")
    assert "TensorRT engine" not in proc.stderr


def test_an_onnx_model_named_engine_gets_an_output_other_than_itself(tmp_path: Path) -> None:
    f = tmp_path / "model.engine"
    f.write_bytes(b"\x08\x07\x12\x07pytorch" + b"\0" * 64)  # ir_version 7, then producer_name
    proc = run_cli("profile", str(f))
    built = tmp_path / "model.built.engine"
    assert_one_line_error(proc, "is an ONNX model", f"--onnx={f}", f"--saveEngine={built}")
    assert f"--saveEngine={f})" not in proc.stderr


def test_json_path_that_is_a_folder(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("profile", "demo", "--json", str(tmp_path)), "is a folder")


def test_layers_only_for_demo(tmp_path: Path) -> None:
    f = tmp_path / "x.engine"
    f.write_bytes(b"\0" * 64)
    assert_one_line_error(run_cli("profile", str(f), "--layers", "5"), "--layers")


def test_ui_needs_a_terminal() -> None:
    proc = run_cli("demo")  # stdout is a pipe here
    assert_one_line_error(proc, "terminal", "trtui profile")


def test_a_negative_or_huge_seed_is_one_line() -> None:
    for seed in ("-1", str(2**40)):
        res = run_cli("profile", "demo", "--duration", "0.2", "--seed", seed)
        assert res.returncode == 2 and res.stderr.count("\n") == 1 and "--seed" in res.stderr, res.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_profile_writes_what_it_measured_marked_interrupted(
    tmp_path: Path, sig: signal.Signals
) -> None:
    out, csv = tmp_path / "out.json", tmp_path / "layers.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "trtui", "profile", "demo", "--duration", "60", "--json", str(out),
         "--csv", str(csv)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # SIGINT at its default, as from a terminal, even when pytest runs in the background
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(3.0)  # imports, then a second or more of measuring
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    s = json.loads(out.read_text())
    assert s["state"] == "interrupted"
    assert s["iterations"] > 0 and 0 < s["duration_s"] < 60 and len(s["layers"]) == 59
    assert csv.read_text().count("\n") > 59
    assert str(out) in stderr and str(csv) in stderr and "interrupted" in stderr


def test_profile_says_on_stderr_where_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    proc = run_cli("profile", "demo", "--duration", "0.5", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stderr and f"wrote {out}" not in proc.stdout
