"""`trtui attach` in a real terminal (tmux) against served demos on loopback: the same live
screen, read only; a server killed mid-run shows as lost; a fleet of three, with Enter drilling
into one and q coming back."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from remote_support import ROOT, served

from tests.ui.test_tmux import Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
TOKEN = "tmux-test-token-0123456789"


@contextmanager
def tmux_running(args: str) -> Iterator[Tmux]:
    name = f"trtui-attach-{uuid.uuid4().hex[:8]}"
    cmd = f"cd {ROOT} && {sys.executable} -m trtui {args}; echo TRTUI-EXIT=$?; sleep 30"
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "140", "-y", "40", cmd],
        check=True,
        env=env,
        timeout=10,
    )
    try:
        yield Tmux(name)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=10)


def test_attach_shows_the_served_run_read_only_and_a_killed_server_as_lost() -> None:
    with served() as (proc, url), tmux_running(f"attach {url}") as tmux:
        port = url.rsplit(":", 1)[1]
        screen = tmux.wait_for(lambda s: "conv1 + relu" in s and f"@ 127.0.0.1:{port}" in s, timeout=20)
        assert "SIMULATED" in screen and "RUNNING" in screen and "Share" in screen
        tmux.keys("p")
        tmux.wait_for(lambda s: "read only" in s)
        proc.send_signal(signal.SIGKILL)  # the server dies mid-run
        proc.wait(5)
        screen = tmux.wait_for(lambda s: "CONNECTION LOST" in s, timeout=20)
        assert "conv1 + relu" in screen  # the last numbers stay on screen
        tmux.keys("q")
        screen = tmux.wait_for(lambda s: "TRTUI-EXIT=" in s)
        assert "TRTUI-EXIT=0" in screen and "Traceback" not in screen


def test_a_fleet_of_three_drill_in_and_back_and_one_lost(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)  # attach refuses a token file that others can read
    with ExitStack() as stack:
        servers = [stack.enter_context(served(env={"TRTUI_TOKEN": TOKEN})) for _ in range(3)]
        urls = [url for _, url in servers]
        tmux = stack.enter_context(tmux_running(f"attach {' '.join(urls)} --token-file {token_file}"))
        screen = tmux.wait_for(lambda s: s.count("RUNNING") == 3, timeout=25)
        assert "trtui fleet: 3 devices" in screen and screen.count("SIMULATED") == 3
        for url in urls:
            assert url.removeprefix("http://") in screen
        servers[2][0].send_signal(signal.SIGKILL)
        servers[2][0].wait(5)
        screen = tmux.wait_for(lambda s: "LOST" in s, timeout=20)
        assert screen.count("RUNNING") == 2
        tmux.keys("Enter")  # the first device, in the full live screen
        port = urls[0].rsplit(":", 1)[1]
        tmux.wait_for(lambda s: "conv1 + relu" in s and f"@ 127.0.0.1:{port}" in s, timeout=20)
        tmux.keys("q")  # back to the overview
        tmux.wait_for(lambda s: "trtui fleet: 3 devices" in s, timeout=15)
        tmux.keys("q")
        screen = tmux.wait_for(lambda s: "TRTUI-EXIT=" in s, timeout=15)
        assert "TRTUI-EXIT=0" in screen and "Traceback" not in screen


def test_a_hangup_in_a_drilled_in_device_ends_the_fleet_too() -> None:
    with served() as (_, url), tmux_running(f"attach {url} http://127.0.0.1:9") as tmux:
        tmux.wait_for(lambda s: "RUNNING" in s and "LOST" in s, timeout=20)
        tmux.keys("Enter")
        tmux.wait_for(lambda s: "conv1 + relu" in s, timeout=20)
        os.kill(tmux.app_pid(), signal.SIGHUP)  # an SSH disconnect: no way back to the overview
        screen = tmux.wait_for(lambda s: "TRTUI-EXIT=" in s, timeout=15)
        assert "TRTUI-EXIT=0" in screen and "Traceback" not in screen
