"""Terminal bytes a full-screen program writes, counted as the issue did: tmux `pipe-pane`.

The program is started in a detached tmux session of the given size behind a gate (a shell loop
waiting for a file), `pipe-pane -o` appends everything the program writes to its pty to a file,
then the gate opens: no byte of the first frame is missed. Figures: bytes in the first 10 s, bytes
per second in a steady window after that, and the time from the gate to the first frame (the
screen shows a marker text). Sessions run on a private tmux socket, apart from anyone else's.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FIRST_S = 10.0
STEADY_FROM_S = 12.0
STEADY_S = 20.0


@dataclass(frozen=True)
class TtyBytes:
    """One program's output at one terminal size."""

    cols: int
    rows: int
    first_10s_bytes: int
    steady_bytes_per_s: float
    first_frame_s: float  # gate open to the marker on screen (nan without a marker)


def _tmux(socket: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, check=check)


def measure(
    command: str,
    cols: int,
    rows: int,
    marker: Callable[[str], bool] | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    steady_s: float = STEADY_S,
) -> TtyBytes:
    """Run `command` (a shell command line) at cols x rows; count the bytes it writes."""
    socket = f"trtui-bytes-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    name = f"b{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="trtui-bytes-") as tmp:
        gate, out = Path(tmp) / "gate", Path(tmp) / "bytes"
        out.touch()
        line = f"while [ ! -e {shlex.quote(str(gate))} ]; do sleep 0.005; done; exec {command}"
        full_env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
        subprocess.run(
            [
                "tmux",
                "-L",
                socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                str(cols),
                "-y",
                str(rows),
                line,
            ],
            check=True,
            env=full_env,
            cwd=cwd,
        )
        try:
            _tmux(socket, "pipe-pane", "-o", "-t", name, f"cat >> {shlex.quote(str(out))}")
            time.sleep(0.3)  # pipe-pane's cat is running before the program starts
            t0 = time.monotonic()
            gate.touch()
            first = float("nan")
            if marker is not None:
                while time.monotonic() - t0 < FIRST_S:
                    screen = _tmux(socket, "capture-pane", "-p", "-t", name, check=False).stdout
                    if marker(screen):
                        first = time.monotonic() - t0
                        break
                    time.sleep(0.01)
            time.sleep(max(FIRST_S - (time.monotonic() - t0), 0.0))
            first_bytes = out.stat().st_size
            time.sleep(max(STEADY_FROM_S - (time.monotonic() - t0), 0.0))
            b0, w0 = out.stat().st_size, time.monotonic()
            time.sleep(steady_s)
            b1, w1 = out.stat().st_size, time.monotonic()
            return TtyBytes(cols, rows, first_bytes, (b1 - b0) / (w1 - w0), first)
        finally:
            _tmux(socket, "kill-server", check=False)
