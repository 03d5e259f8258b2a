"""Cost of the live screen in a real terminal: `trtui demo` under tmux at 120x40.

For 1,000 and 20,000 simulated layers: trtui's process CPU (% of one core, from /proc/<pid>/stat
utime+stime over ~20 s), time from launch to the first drawn table (capture-pane polled), and the
resident memory after the run. Baseline in the same run: a plain Textual DataTable app that
rewrites every cell of 1,000 rows twice a second (this file, `--datatable N`).

Run: python -m bench ui   (or: python bench/ui.py to print the rows)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "python -m bench ui"
MEASURE_S = 20.0
SETTLE_S = 3.0
SIZE = ("120", "40")
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


class _Session:
    def __init__(self, command: str) -> None:
        self.name = f"trtui-bench-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "TERM": "xterm-256color"}
        self.t0 = time.monotonic()
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", SIZE[0], "-y", SIZE[1], f"exec {command}"],
            check=True,
            env=env,
            cwd=ROOT,
        )
        out = subprocess.run(
            ["tmux", "display-message", "-p", "-t", self.name, "#{pane_pid}"], capture_output=True, text=True
        )
        self.pid = int(out.stdout.strip())

    def screen(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def wait_for(self, test: Callable[[str], bool], timeout: float = 30.0) -> float:
        while time.monotonic() - self.t0 < timeout:
            if test(self.screen()):
                return time.monotonic() - self.t0
            time.sleep(0.02)
        raise RuntimeError(f"nothing drawn after {timeout} s:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def _rows_drawn(pattern: str, rows: int = 10) -> Callable[[str], bool]:
    return lambda screen: sum(1 for line in screen.splitlines() if pattern in line) >= rows


def _stats_drawn(pattern: str, rows: int = 10) -> Callable[[str], bool]:
    """Rows that show a share percentage (statistics, not just the layer list)."""
    return lambda screen: sum(1 for line in screen.splitlines() if pattern in line and "%" in line) >= rows


def measure(command: str, pattern: str, stats: bool = True) -> dict[str, float]:
    """Launch `command` in tmux; first-frame time (table rows drawn), first statistics, CPU % of
    one core over MEASURE_S, RSS (MB)."""
    s = _Session(command)
    try:
        first = s.wait_for(_rows_drawn(pattern))
        first_stats = s.wait_for(_stats_drawn(pattern)) if stats else first
        time.sleep(SETTLE_S)
        c0, w0 = _cpu_seconds(s.pid), time.monotonic()
        time.sleep(MEASURE_S)
        c1, w1 = _cpu_seconds(s.pid), time.monotonic()
        key_s = float("nan")
        if stats:  # responsiveness: the `s` key (re-sort every layer) until the new order is drawn
            k0 = time.monotonic()
            subprocess.run(["tmux", "send-keys", "-t", s.name, "s"], check=True)
            while time.monotonic() - k0 < 5.0:
                if "Mean ms▼" in s.screen():
                    key_s = time.monotonic() - k0
                    break
                time.sleep(0.005)
        return {
            "key_s": key_s,
            "first_frame_s": first,
            "first_stats_s": first_stats,
            "cpu_pct": 100.0 * (c1 - c0) / (w1 - w0),
            "rss_mb": _rss_mb(s.pid),
        }
    finally:
        s.close()


def run() -> list[dict[str, object]]:
    if shutil.which("tmux") is None:
        raise RuntimeError("bench ui needs tmux")
    py = sys.executable
    base = measure(f"{py} {Path(__file__).resolve()} --datatable 1000", "cell", stats=False)
    rows: list[dict[str, object]] = [
        {
            "name": "baseline: Textual DataTable rewriting 1,000 rows x 8 cells at 2 Hz, CPU",
            "value": round(base["cpu_pct"], 2),
            "unit": "% of one core",
            "command": COMMAND,
            "note": f"tmux {SIZE[0]}x{SIZE[1]}, {MEASURE_S:.0f} s",
        }
    ]
    for layers, cpu_target, frame_target in ((1000, 5.0, 1.0), (20000, 10.0, 2.0)):
        m = measure(f"{py} -m trtui demo --layers {layers}", "CaskConvolution")
        tag = f"{layers:,} layers"
        rows += [
            {
                "name": f"trtui demo, {tag}: process CPU",
                "value": round(m["cpu_pct"], 2),
                "unit": "% of one core",
                "command": COMMAND,
                "note": f"target <= {cpu_target:.0f}%; tmux {SIZE[0]}x{SIZE[1]}, {MEASURE_S:.0f} s",
                "baseline": round(base["cpu_pct"], 2),
                "ratio": round(m["cpu_pct"] / base["cpu_pct"], 3) if base["cpu_pct"] > 0 else float("nan"),
            },
            {
                "name": f"trtui demo, {tag}: launch to first drawn table",
                "value": round(m["first_frame_s"], 3),
                "unit": "s",
                "command": COMMAND,
                "note": f"target < {frame_target:.0f} s; until 10 table rows are on screen (capture-pane)",
                "baseline": round(base["first_frame_s"], 3),
                "ratio": round(m["first_frame_s"] / base["first_frame_s"], 3),
            },
            {
                "name": f"trtui demo, {tag}: launch to first statistics in the table",
                "value": round(m["first_stats_s"], 3),
                "unit": "s",
                "command": COMMAND,
                "note": "until 10 rows show a share %: layer list first, statistics at the first refresh",
            },
            {
                "name": f"trtui demo, {tag}: key 's' (re-sort) to the new order on screen",
                "value": round(m["key_s"] * 1000, 1),
                "unit": "ms",
                "command": COMMAND,
                "note": "send-keys, then capture-pane polled every 5 ms (includes tmux round trips)",
            },
            {
                "name": f"trtui demo, {tag}: resident memory after the run",
                "value": round(m["rss_mb"], 1),
                "unit": "MB",
                "command": COMMAND,
                "note": f"VmRSS after {SETTLE_S + MEASURE_S:.0f} s"
                + ("; target < 200 MB" if layers == 20000 else ""),
                "baseline": round(base["rss_mb"], 1),
                "ratio": round(m["rss_mb"] / base["rss_mb"], 3),
            },
        ]
    return rows


def rss_over_time(layers: int, minutes: float, every_s: float = 30.0) -> list[tuple[float, float, float]]:
    """(seconds, RSS MB, CPU % of one core over the last interval) for a long `trtui demo` run."""
    s = _Session(f"{sys.executable} -m trtui demo --layers {layers}")
    out: list[tuple[float, float, float]] = []
    try:
        s.wait_for(_rows_drawn("CaskConvolution"))
        c0, w0 = _cpu_seconds(s.pid), time.monotonic()
        while time.monotonic() - s.t0 < minutes * 60:
            time.sleep(every_s)
            c1, w1 = _cpu_seconds(s.pid), time.monotonic()
            out.append((round(w1 - s.t0, 1), round(_rss_mb(s.pid), 1), round(100 * (c1 - c0) / (w1 - w0), 2)))
            c0, w0 = c1, w1
    finally:
        s.close()
    return out


def _datatable_app(n: int) -> None:
    """The baseline: a plain DataTable whose every cell is rewritten twice a second."""
    import random

    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    cols = ("layer", "type", "mean", "median", "p99", "share", "cell", "x")

    class Baseline(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for c in cols:
                table.add_column(c, key=c)
            for i in range(n):
                table.add_row(*(f"{c}{i}" for c in cols), key=str(i))
            self.set_interval(0.5, self.tick)

        def tick(self) -> None:
            table = self.query_one(DataTable)
            for i in range(n):
                for c in cols:
                    table.update_cell(str(i), c, f"{c} {random.random():.3f}")

    Baseline().run()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--datatable":
        _datatable_app(int(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "--rss":  # --rss LAYERS MINUTES
        for point in rss_over_time(int(sys.argv[2]), float(sys.argv[3])):
            print(*point, flush=True)
    else:
        for row in run():
            print(row)
