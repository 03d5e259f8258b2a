"""`trtui attach` in a real terminal (tmux) against served demos on loopback: the same live
screen, read only; a server killed mid-run shows as lost; a fleet of three, with Enter drilling
into one and q coming back."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
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
def tmux_running(args: str, size: tuple[int, int] = (140, 40)) -> Iterator[Tmux]:
    name = f"trtui-attach-{uuid.uuid4().hex[:8]}"
    cmd = f"cd {ROOT} && {sys.executable} -m trtui {args}; echo TRTUI-EXIT=$?; sleep 30"
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]), cmd],
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


@contextmanager
def listener(garbage: bytes | None) -> Iterator[int]:
    """A loopback port that accepts connections and then says nothing (garbage None) or answers
    every request with `garbage`; yields the port."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    lsock.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = lsock.accept()
            except OSError:
                continue
            held.append(conn)
            if garbage is not None:
                with contextlib.suppress(OSError):
                    conn.sendall(garbage)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield lsock.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        lsock.close()


def test_attach_says_why_it_cannot_connect_refused_silent_and_garbage() -> None:
    with ExitStack() as stack:
        silent = stack.enter_context(listener(None))
        garbage = stack.enter_context(listener(b"\x00\x01 not http at all\r\n\r\n"))
        screens = {}
        for what, url in (("refused", "http://127.0.0.1:9"), ("silent", f"http://127.0.0.1:{silent}"),
                          ("garbage", f"http://127.0.0.1:{garbage}")):
            tmux = stack.enter_context(tmux_running(f"attach {url}", size=(100, 30)))
            screens[what] = (tmux, url)
        refused = screens["refused"][0].wait_for(lambda s: "CONNECTION LOST" in s, timeout=15)
        assert "connection refused: nothing listens at 127.0.0.1:9" in refused
        garbled = screens["garbage"][0].wait_for(lambda s: "CONNECTION LOST" in s, timeout=15)
        assert "not a trtui server: its answer is not HTTP" in garbled
        quiet = screens["silent"][0].wait_for(lambda s: "CONNECTION LOST" in s, timeout=20)
        assert "answered nothing within 5 s" in " ".join(quiet.split())  # the toast wraps it


def test_a_wrong_token_is_shown_in_words() -> None:
    with served(env={"TRTUI_TOKEN": TOKEN}) as (_, url), tmux_running(
        f"attach {url}", size=(120, 30)
    ) as tmux:
        screen = tmux.wait_for(lambda s: "CONNECTION LOST" in s, timeout=15)
        assert "the server refused the token (HTTP 401" in screen
        assert "check --token-file or $TRTUI_TOKEN" in " ".join(screen.split())


def test_the_fleet_at_80_columns_says_why_and_keeps_a_lost_devices_numbers(tmp_path: Path) -> None:
    with ExitStack() as stack:
        servers = [stack.enter_context(served()) for _ in range(2)]
        urls = [url for _, url in servers]
        tmux = stack.enter_context(tmux_running(f"attach {' '.join(urls)} http://127.0.0.1:9", size=(80, 24)))
        screen = tmux.wait_for(lambda s: s.count("RUNNING") == 2 and "LOST" in s, timeout=25)
        header = next(line for line in screen.splitlines() if "device" in line and "state" in line)
        for column in ("p50 ms", "p99 ms", "inf/s"):
            assert column in header, header  # the numbers that matter fit 80 columns
        assert "127.0.0.1:9: connection refused: nothing listens at 127.0.0.1:9" in screen
        row = next(line for line in screen.splitlines() if urls[1].removeprefix("http://") in line)
        numbers = row.split()[2:5]  # p50, p99, inf/s of the device about to be lost
        assert all(n != "n/a" for n in numbers), row
        servers[1][0].send_signal(signal.SIGKILL)
        servers[1][0].wait(5)
        tmux.wait_for(lambda s: s.count("LOST") >= 2, timeout=20)
        tmux.keys("Enter")  # the first device, in the full live screen, then back
        port = urls[0].rsplit(":", 1)[1]
        tmux.wait_for(lambda s: f"@ 127.0.0.1:{port}" in s, timeout=20)
        tmux.keys("q")
        screen = tmux.wait_for(lambda s: "trtui fleet: 3 devices" in s and s.count("LOST") >= 2, timeout=15)
        row = next(line for line in screen.splitlines() if urls[1].removeprefix("http://") in line)
        assert "LOST" in row and "n/a" not in row.split("LOST")[1][:30], row  # its last numbers stayed
        tmux.keys("q")
        screen = tmux.wait_for(lambda s: "TRTUI-EXIT=" in s, timeout=15)
        assert "TRTUI-EXIT=0" in screen and "Traceback" not in screen
