"""Drive `trtui demo` and `trtui tune demo` in a real terminal (tmux, 120x40) exactly as a user would:
keys and signals in, screen out."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        out = subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10)
        return out.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def wait_for(self, test: Callable[[str], bool], timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if test(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out; the screen was:\n{screen}")

    def app_pid(self) -> int:
        shell = int(self.run("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())
        out = subprocess.run(["pgrep", "-P", str(shell)], capture_output=True, text=True)
        return int(out.stdout.split()[0])


@pytest.fixture
def tmux(request: pytest.FixtureRequest) -> Iterator[Tmux]:
    name = f"trtui-test-{uuid.uuid4().hex[:8]}"
    args = getattr(request, "param", "demo")  # what follows `trtui`
    cmd = f"cd {ROOT} && {sys.executable} -m trtui {args}; echo TRTUI-EXIT=$?; sleep 30"
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", cmd],
        check=True,
        env=env,
        timeout=10,
    )
    t = Tmux(name)
    try:
        yield t
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=10)


def test_demo_table_and_keys_under_tmux(tmux: Tmux) -> None:
    def rows(s: str) -> int:
        return sum(1 for line in s.splitlines() if "CaskConvolution" in line)

    # the table may still be filling when its first rows show (a loaded machine): wait for ten
    screen = tmux.wait_for(lambda s: "conv1 + relu" in s and "Share▼" in s and rows(s) >= 10)
    assert "SIMULATED" in screen and "RUNNING" in screen
    tmux.keys("p")
    tmux.wait_for(lambda s: "PAUSED" in s)
    tmux.keys("p")
    tmux.wait_for(lambda s: "RUNNING" in s)
    tmux.keys("s")
    tmux.wait_for(lambda s: "Mean ms▼" in s)
    tmux.keys("?")
    tmux.wait_for(lambda s: "trtui keys" in s)
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "trtui keys" not in s)
    tmux.keys("q")
    screen = tmux.wait_for(lambda s: "TRTUI-EXIT=" in s)
    assert "TRTUI-EXIT=0" in screen
    assert "Share" not in screen  # the terminal was restored (alternate screen left)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_signals_stop_cleanly_and_restore_the_terminal(tmux: Tmux, sig: signal.Signals) -> None:
    tmux.wait_for(lambda s: "conv1 + relu" in s)
    os.kill(tmux.app_pid(), sig)
    screen = tmux.wait_for(lambda s: "TRTUI-EXIT=" in s, timeout=8)
    assert "TRTUI-EXIT=0" in screen
    assert "Traceback" not in screen and "Share" not in screen


@pytest.mark.parametrize("tmux", ["demo --cpu-budget 0.5"], indirect=True)
def test_refresh_slows_down_when_over_the_cpu_budget(tmux: Tmux) -> None:
    def refresh(screen: str) -> float:
        m = re.search(r"refresh (\d+\.\d)s", screen)
        return float(m.group(1)) if m else 0.0

    screen = tmux.wait_for(lambda s: "trtui CPU" in s and refresh(s) > 0.5, timeout=12)
    assert re.search(r"trtui CPU \d+\.\d%", screen)
    tmux.keys("q")
    tmux.wait_for(lambda s: "TRTUI-EXIT=0" in s)


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    kids = [int(x) for x in out.stdout.split()]
    return kids + [g for k in kids for g in _descendants(k)]


@pytest.mark.parametrize("tmux", ["tune demo"], indirect=True)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_signals_during_a_simulated_build_on_the_tuner_screen(tmux: Tmux, sig: signal.Signals) -> None:
    """The tuner screen paces its simulated builds in real time, so the signal lands mid-build: the
    build is cancelled, the screen is left (terminal restored), the summary printed, no process left."""
    tmux.wait_for(lambda s: "building…" in s and "SIMULATED builder" in s)
    pid = tmux.app_pid()
    before = _descendants(pid)
    os.kill(pid, sig)
    screen = tmux.wait_for(lambda s: "TRTUI-EXIT=" in s, timeout=8)
    assert "Traceback" not in screen
    assert "building…" not in screen and "c Cancel build" not in screen  # the alternate screen is gone
    assert "cancelled after" in screen and "TRTUI-EXIT=1" in screen  # no limit was chosen: exit 1
    for child in [pid, *before]:
        assert not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text()


@pytest.mark.parametrize("full_redraw", ["", "1"], ids=["cell-diff", "full-redraw"])
def test_a_256_colour_terminal_gets_no_truecolor_after_an_svg_export(
    tmp_path: Path, full_redraw: str
) -> None:
    """rich caches a style's escape codes on the style: the SVG export (a truecolor console) must not
    leave truecolor codes behind for the live screen's output to a 256-colour terminal."""
    name = f"trtui-test-{uuid.uuid4().hex[:8]}"
    raw = tmp_path / "raw.log"
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "TEXTUAL_COLOR_SYSTEM")}
    env.update(TERM="xterm-256color", TRTUI_FULL_REDRAW=full_redraw)
    cmd = f"cd {tmp_path} && {sys.executable} -m trtui demo; echo TRTUI-EXIT=$?; sleep 30"
    new = ["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", cmd]
    subprocess.run(new, check=True, env=env, timeout=10)
    t = Tmux(name)
    try:
        t.run("pipe-pane", "-o", "-t", name, f"cat >> {raw}")
        t.wait_for(lambda s: "conv1 + relu" in s)
        before = raw.read_bytes()
        assert re.search(rb"\x1b\[[0-9;]*[34]8;5;", before), "the terminal is not 256-colour"
        t.keys("e")
        t.wait_for(lambda s: "Export" in s and "SVG screenshot" in s)
        t.keys("Enter", "Enter")
        t.wait_for(lambda s: "Export" not in s or "written" in s.lower())
        deadline = time.monotonic() + 10
        while not list(tmp_path.glob("*.svg")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(tmp_path.glob("*.svg")), "the SVG was not written"
        size = raw.stat().st_size
        deadline = time.monotonic() + 10
        while raw.stat().st_size < size + 2000 and time.monotonic() < deadline:
            time.sleep(0.2)  # a few more refreshes after the export
        after = raw.read_bytes()[len(before) :]
        assert len(after) > 2000
        assert re.search(rb"\x1b\[[0-9;]*[34]8;5;", after)
        assert not re.search(rb"\x1b\[[0-9;]*[34]8;2;", raw.read_bytes())
        t.keys("q")
        assert "TRTUI-EXIT=0" in t.wait_for(lambda s: "TRTUI-EXIT=" in s)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=10)
