"""SIGINT, SIGTERM and SIGHUP while trtui runs: it exits promptly, without a traceback, leaves no
process behind and no stray file.

The headless simulated build (`trtui tune demo --headless`) takes no real time, so a signal cannot land
in it; the simulated build on the tuner screen, paced in real time, is signalled in
tests/ui/test_tmux.py, and the build in a child process (the real builder's path, with the tuner's
fake TensorRT) here.

A supervisor process (reliability_support.SUPERVISOR) makes itself a child subreaper, so a process
that trtui leaves behind is re-parented to it and found by its parent pid in /proc. The live UI
under a terminal (tmux) is covered by the UI's own tests.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest
from reliability_support import ROOT, need, supervise

if not sys.platform.startswith("linux"):
    pytest.skip("the process checks read /proc (Linux)", allow_module_level=True)

SIGNALS = [
    pytest.param(signal.SIGINT, True, id="SIGINT-to-group"),
    pytest.param(signal.SIGTERM, False, id="SIGTERM"),
    pytest.param(signal.SIGHUP, False, id="SIGHUP"),
]


def _check_clean_exit(report: dict[str, object]) -> None:
    text = f"report: {report}"
    assert report["subreaper"], "could not become a child subreaper: " + text
    assert report["rc"] is not None, "still running 10 s after the signal: " + text
    assert float(report["seconds"]) < 5.0, "took too long to exit: " + text  # type: ignore[arg-type]
    stderr = str(report["stderr"])
    assert "Traceback" not in stderr and "Traceback" not in str(report["stdout"]), text
    assert len(stderr.strip().splitlines()) <= 1, text
    assert report["left_behind"] == [], "processes left behind: " + text


@pytest.mark.parametrize(("signum", "group"), SIGNALS)
def test_signal_during_headless_profile(tmp_path: Path, signum: int, group: bool) -> None:
    need("profile")
    report = supervise(
        ["profile", "demo", "--duration", "30", "--json", "out.json"],
        tmp_path,
        signum,
        delay=1.0,
        group=group,
    )
    assert report["alive_at_signal"], f"profile demo --duration 30 ended before the signal: {report}"
    _check_clean_exit(report)
    assert report["rc"] != 0  # interrupted: not a success
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers in ([], ["out.json"]), f"stray files: {leftovers}"


@pytest.mark.parametrize(("signum", "group"), SIGNALS[:2])
def test_signal_during_telemetry_watch(tmp_path: Path, signum: int, group: bool) -> None:
    need("telemetry")
    report = supervise(["telemetry", "--watch", "0.5"], tmp_path, signum, delay=1.0, group=group)
    if not report["alive_at_signal"]:
        # without a GPU, telemetry may refuse to watch: then it must have said so in one line
        assert "Traceback" not in str(report["stderr"])
        pytest.skip(f"'telemetry --watch' ended by itself here: {str(report['stderr']).strip()}")
    _check_clean_exit(report)


FAKE_TRT = ROOT / "tests" / "tune" / "fake_trt"  # the tuner's fake `tensorrt` module (its tests)


@pytest.mark.parametrize(("signum", "group"), SIGNALS)
def test_signal_during_a_build_in_a_child_process(tmp_path: Path, signum: int, group: bool) -> None:
    """`trtui tune MODEL` builds in child processes; with the tuner's fake TensorRT each build takes
    a fraction of a second, so a signal 0.6 s in (or as soon as a build child exists, on a loaded
    machine) lands during the search (usually during a build)."""
    need("tune")
    if not (FAKE_TRT / "tensorrt.py").is_file():
        pytest.skip(f"the tuner's fake TensorRT is not there: {FAKE_TRT}")
    model = {
        "inputs": [{"name": "x", "shape": [-1, 3, 8, 8]}],
        "essential": 20 << 20,
        "tactics": [30 << 20, 100 << 20, 700 << 20],
        "weights": 5 << 20,
        "activations": 10 << 20,
    }
    (tmp_path / "m.onnx").write_bytes(b"\x08" + json.dumps(model).encode())
    args = ["tune", "m.onnx", "--headless", "--budget", "2G", "--shapes", "x:1x3x8x8", "--max-builds", "30"]
    env = {"PYTHONPATH": str(FAKE_TRT), "TMPDIR": str(tmp_path)}
    report = supervise(args, tmp_path, signum, delay=0.6, group=group, env=env, until_child=True)
    if not report["alive_at_signal"]:
        pytest.skip(f"the search finished within 0.6 s: {report}")
    assert report["children_seen"], f"no build process was seen: {report}"
    _check_clean_exit(report)
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != "m.onnx")
    assert leftovers == [], f"files left behind: {leftovers}"


def test_supervisor_finds_a_process_left_behind(tmp_path: Path) -> None:
    """The left-behind check can fail: a child that outlives its parent is found."""
    import json
    import subprocess

    from reliability_support import SUPERVISOR, cli_env

    orphan_maker = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'], start_new_session=True); "
        "time.sleep(30)"
    )
    spec = {
        "argv": [sys.executable, "-c", orphan_maker],
        "cwd": str(tmp_path),
        "signal": int(signal.SIGTERM),
        "delay": 1.0,
        "timeout": 5.0,
        "group": False,
        "stdout": str(tmp_path / "o"),
        "stderr": str(tmp_path / "e"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", SUPERVISOR, json.dumps(spec)], capture_output=True, text=True, env=cli_env()
    )
    report = json.loads(proc.stdout)
    assert report["rc"] == -signal.SIGTERM
    assert len(report["left_behind"]) == 1 and report["children_seen"]


def test_an_interrupt_that_broke_a_lock_release_is_still_the_interrupt() -> None:
    # Python 3.10, seen in CI: SIGHUP landed while threading.Condition.wait re-acquired its lock; the
    # KeyboardInterrupt raised there left the lock unlocked and leaving the `with` raised
    # "RuntimeError: release unlocked lock" (a traceback instead of exit 130).
    from trtui.common.signals import interrupt_on_term

    with pytest.raises(KeyboardInterrupt), interrupt_on_term():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("release unlocked lock")  # noqa: B904 (its __context__ is the interrupt)
    with pytest.raises(RuntimeError, match="other"), interrupt_on_term():
        raise RuntimeError("other")  # not during an interrupt: not converted
