"""The live screen's first frame, written before Textual is imported (issue 24: a screen at once)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from trtui.commands.early_frame import LEAVE, early_frame, frame_text

ROOT = Path(__file__).resolve().parents[2]


def written(fd_reader: int) -> str:
    os.set_blocking(fd_reader, False)
    try:
        return os.read(fd_reader, 65536).decode("utf-8")
    except BlockingIOError:
        return ""


def test_the_frame_is_written_and_left_on_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRTUI_NO_EARLY_FRAME", raising=False)
    r, w = os.pipe()
    try:
        with pytest.raises(ValueError), early_frame(True, fd=w):
            assert written(r) == frame_text()  # before anything else runs
            raise ValueError("a bad engine file")
        assert written(r) == LEAVE  # the user's screen back before the error line
        with early_frame(True, fd=w):
            pass
        assert written(r) == frame_text()  # Textual left the alternate screen itself
    finally:
        os.close(r)
        os.close(w)
    text = frame_text()
    assert "\x1b[?1049h" in text and text.startswith("\x1b7") and text.endswith("\x1b8")
    assert "STARTING" in text and "loading engine…" in text


def test_no_frame_without_a_terminal_or_when_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    r, w = os.pipe()
    try:
        with early_frame(False, fd=w):
            pass
        monkeypatch.setenv("TRTUI_NO_EARLY_FRAME", "1")
        with early_frame(True, fd=w):
            pass
        assert written(r) == ""
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_bad_file_in_a_terminal_leaves_the_screen_as_it_was() -> None:
    """`trtui missing.engine` in a terminal: the early frame is gone, the error line is on the
    user's screen below what was there, and the shell's prompt follows it."""
    name = f"trtui-early-{uuid.uuid4().hex[:8]}"
    cmd = f"cd {ROOT} && echo BEFORE; {sys.executable} -m trtui /nonexistent/m.engine; echo AFTER=$?; sleep 9"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "20", cmd], check=True,
                   env={**os.environ, "TERM": "xterm-256color"}, timeout=10)
    try:
        deadline = time.monotonic() + 20
        screen = ""
        while time.monotonic() < deadline and "AFTER=" not in screen:
            time.sleep(0.1)
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True,
                                    text=True).stdout
        lines = [line for line in screen.splitlines() if line.strip()]
        assert lines[0] == "BEFORE", screen
        assert lines[1].startswith("trtui: error: /nonexistent/m.engine"), screen
        assert lines[-1] == "AFTER=2", screen  # (the error line may wrap)
        assert "STARTING" not in screen and "loading engine" not in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
