"""`trtui sweep` from the command line: headless demo runs, files, bad input (one line, exit 2),
Ctrl-C keeping the points measured so far."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import trtui.commands.sweep as sweep_cmd
from trtui.cli import main
from trtui.sweep.point import PointResult

FAST = ["--duration", "0.15", "--warmup", "0.02", "--headless"]
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "trtexec"


def test_demo_sweep_prints_table_plot_knee_and_writes_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    j, c = tmp_path / "s.json", tmp_path / "s.csv"
    rc = main(["sweep", "demo", "--batch", "1..64", "--streams", "1,2", "--p99-budget", "3ms",
               "--json", str(j), "--csv", str(c), *FAST])
    out = capsys.readouterr().out
    assert rc == 0
    assert "SIMULATED" in out and "(simulated: these numbers" in out
    assert "[14/14] batch 64, 2 streams" in out
    assert "samples/s" in out and "p99 latency (log scale)" in out
    assert "knee: batch" in out and "best under p99 3.000 ms: batch" in out
    doc = json.loads(j.read_text())
    assert doc["simulated"] and doc["stopped"] == "done" and len(doc["points"]) == 14
    assert all(p["status"] == "ok" and p["simulated"] for p in doc["points"])
    assert doc["knee"] is not None and doc["best"] is not None
    assert doc["best"]["batch"] is not None
    best = next(p for p in doc["points"] if p["best"])
    assert best["p99_ms"] <= 3.0
    assert len(c.read_text().splitlines()) == 15


def test_points_that_do_not_fit_are_reported_and_the_sweep_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    j = tmp_path / "s.json"
    rc = main(["sweep", "demo", "--batch", "32,64,128", "--streams", "1,64", "--json", str(j), *FAST])
    out = capsys.readouterr().out
    assert rc == 0
    statuses = {(p["batch"], p["streams"]): p["status"] for p in json.loads(j.read_text())["points"]}
    assert statuses[(32, 1)] == "ok" and statuses[(64, 1)] == "ok"
    assert statuses[(128, 1)] == "does_not_fit" and statuses[(64, 64)] == "does_not_fit"
    assert "does not fit — out of memory (simulated)" in out
    assert "outside the simulated engine's profile" in out


@pytest.mark.parametrize("args, needle", [
    (["sweep", "demo"], "nothing to sweep"),
    (["sweep", "demo", "--batch", "x"], "--batch 'x'"),
    (["sweep", "demo", "--streams", "1..128"], "outside 1..64"),
    (["sweep", "demo", "--batch", "4", "--p99-budget", "soon"], "--p99-budget"),
    (["sweep", "demo", "--batch", "4", "--duration", "0"], "must be a positive number"),
    (["sweep", "demo", "--batch", "4", "--warmup", "-1"], "--warmup"),
    (["sweep", "demo", "--batch", "4", "--json", "/no/such/dir/s.json"], "does not exist"),
    (["sweep", "missing.engine", "--batch", "4"], "no such file"),
    (["sweep", "missing.engine"], "missing.engine: no such file"),  # the file first, then the plan
])
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and needle in err and "Traceback" not in err


def test_a_recording_cannot_be_swept(capsys: pytest.CaptureFixture[str]) -> None:
    folders = sorted(p for p in FIXTURES.glob("*") if p.is_dir()) if FIXTURES.is_dir() else []
    if not folders:
        pytest.skip(f"no trtexec fixtures at {FIXTURES}")
    assert main(["sweep", str(folders[0]), "--batch", "1,2"]) == 2
    assert "a trtexec recording cannot run at other batch sizes" in capsys.readouterr().err


def test_ctrl_c_keeps_the_points_measured_so_far(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    original = sweep_cmd._Printer.point_finished

    def interrupt_after_two(self: sweep_cmd._Printer, index: int, result: PointResult) -> None:
        original(self, index, result)
        seen.append(index)
        if len(seen) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(sweep_cmd._Printer, "point_finished", interrupt_after_two)
    j, c = tmp_path / "s.json", tmp_path / "s.csv"
    rc = main(["sweep", "demo", "--batch", "1..16", "--json", str(j), "--csv", str(c), *FAST])
    captured = capsys.readouterr()
    assert rc == 130 and "interrupted" in captured.err
    doc = json.loads(j.read_text())
    assert doc["stopped"] == "cancelled" and [p["batch"] for p in doc["points"]] == [1, 2]
    assert len(doc["settings"]["planned"]) == 5
    assert len(c.read_text().splitlines()) == 3
    assert "sweep cancelled (the points measured so far are kept): 2 of 5" in captured.out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.json"]
