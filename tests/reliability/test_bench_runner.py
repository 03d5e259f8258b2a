"""The benchmark runner (`python -m bench`): groups discovered, failures isolated, results written
atomically. Runs a copy of the runner over made-up groups in a temporary folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_support import ROOT

GOOD = """
def run():
    return [
        {"name": "base", "value": 2.0, "unit": "ms", "command": "python -m bench good", "note": "b"},
        {"name": "fast thing", "value": 1.0, "unit": "ms", "command": "python -m bench good",
         "note": "n", "ratio": 0.5, "baseline": "base"},
    ]
"""
FAILS = "def run():\n    raise RuntimeError('the device is on fire')\n"
CRASHES = "import os\n\ndef run():\n    os._exit(7)\n"
MALFORMED = "def run():\n    return [{'name': 'x', 'value': 'fast'}]\n"


@pytest.fixture
def bench_copy(tmp_path: Path) -> Path:
    (tmp_path / "bench").mkdir()
    for name in ("__init__.py", "__main__.py"):
        shutil.copy(ROOT / "bench" / name, tmp_path / "bench" / name)
    for name, text in (("good", GOOD), ("fails", FAILS), ("crashes", CRASHES), ("malformed", MALFORMED)):
        (tmp_path / "bench" / f"{name}.py").write_text(text)
    return tmp_path


def bench(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=root, capture_output=True, text=True, timeout=120
    )


def test_every_group_runs_and_failures_become_rows(bench_copy: Path) -> None:
    proc = bench(bench_copy)
    assert proc.returncode == 1, proc.stderr  # some groups failed
    assert "Traceback" not in proc.stdout + proc.stderr
    out = proc.stdout
    assert "fast thing" in out and "x0.5" in out and "python -m bench good" in out
    assert "fails: FAILED" in out and "RuntimeError: the device is on fire" in out
    assert "crashes: FAILED" in out and "exit 7" in out
    assert "malformed: FAILED" in out
    results = json.loads((bench_copy / "bench" / "results.json").read_text())
    assert sorted(results["groups"]) == ["crashes", "fails", "good", "malformed"]
    good = results["groups"]["good"]["rows"]
    assert [r["name"] for r in good] == ["base", "fast thing"] and good[1]["ratio"] == 0.5
    assert results["groups"]["fails"]["rows"][0]["value"] is None  # NaN is not JSON
    assert [p.name for p in (bench_copy / "bench").iterdir() if p.name.endswith(".tmp")] == []


def test_one_group_updates_only_its_entry(bench_copy: Path) -> None:
    bench(bench_copy)
    before = json.loads((bench_copy / "bench" / "results.json").read_text())
    (bench_copy / "bench" / "fails.py").write_text(GOOD)
    proc = bench(bench_copy, "fails")
    assert proc.returncode == 0, proc.stderr
    after = json.loads((bench_copy / "bench" / "results.json").read_text())
    assert after["groups"]["good"] == before["groups"]["good"]
    assert after["groups"]["crashes"] == before["groups"]["crashes"]
    assert [r["name"] for r in after["groups"]["fails"]["rows"]] == ["base", "fast thing"]


@pytest.mark.parametrize("args", [["nope"], ["good", "nope"], ["--frob"]])
def test_unknown_group_or_option_is_one_line_and_exit_2(bench_copy: Path, args: list[str]) -> None:
    proc = bench(bench_copy, *args)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""
    assert not (bench_copy / "bench" / "results.json").exists()


def test_list_shows_the_groups(bench_copy: Path) -> None:
    proc = bench(bench_copy, "--list")
    assert proc.stdout.split() == ["crashes", "fails", "good", "malformed"]


def test_the_real_groups_are_discovered() -> None:
    proc = bench(ROOT, "--list")
    assert proc.returncode == 0
    assert {"stats", "soak"} <= set(proc.stdout.split())


def test_ctrl_c_stops_the_run_and_leaves_no_worker(bench_copy: Path) -> None:
    import signal

    from reliability_support import SUPERVISOR, cli_env

    (bench_copy / "bench" / "slow.py").write_text(
        "import time\n\ndef run():\n    time.sleep(60)\n    return []\n"
    )
    spec = {
        "argv": [sys.executable, "-m", "bench", "slow"],
        "cwd": str(bench_copy),
        "signal": int(signal.SIGINT),
        "delay": 1.5,
        "timeout": 10.0,
        "group": True,  # as Ctrl-C in a terminal: the whole foreground process group
        "stdout": str(bench_copy / "out"),
        "stderr": str(bench_copy / "err"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", SUPERVISOR, json.dumps(spec)], capture_output=True, text=True, env=cli_env()
    )
    report = json.loads(proc.stdout)
    err = (bench_copy / "err").read_text()
    assert report["alive_at_signal"] and report["children_seen"], report
    assert report["rc"] == 130, (report, err)
    assert report["left_behind"] == []
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("bench: interrupted")
    assert not (bench_copy / "bench" / "results.json").exists()
