"""Cost of the live screen in a real terminal: `trtui demo` under tmux at 120x40.

CPU figures are trtui's whole process (% of one core, from /proc/<pid>/stat utime+stime over 20 s),
each with the refreshes the screen actually showed per second meanwhile (read from the header
once a second; with the details panel open, once right after closing it, when the header, which
counts over the last 10 s, is drawn again: the app slows its own refresh when over its CPU budget,
and a CPU figure at a slower refresh is not the target). A figure meets its target only when the
CPU is within it AND the screen showed at least 95% of the refreshes asked for (--refresh 0.5: 2/s).

Configurations (the issue's targets): 1,000 layers (default profiling); 20,000 layers with
--profile-every 1; the same with the layer-details panel open. Baselines in the same run, of the
same size: the same pipeline headless (`trtui profile demo`, same options: the statistics without
the screen; the ratio), and a plain Textual DataTable app rewriting every cell of 1,000 / 20,000
rows twice a second (this file, `--datatable N`). Also: launch to the first drawn table, idle and
with one core busy (pinned to 2 cores where taskset and more cores exist), the `s` key, RSS.

Terminal bytes (issue 24): what `trtui demo` writes to its terminal (tmux `pipe-pane`, see
bench/_tty_bytes.py) at 80x24, 120x40 and 200x60, in the first 10 s and per second in a steady
window after 12 s, beside htop at the same size and refresh rate (`htop -d 5`: 2 refreshes/s) in the
same run; the lean mode (`--lean-terminal on`) too; and the time from launch to the first frame
(the header on screen). Target: trtui <= 1.5x htop's steady bytes/s at every size.

Run: python -m bench ui   (or: python bench/ui.py to print the rows; --bytes for the bytes rows only)
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "python -m bench ui"
MEASURE_S = 20.0
SETTLE_S = 3.0
SIZE = ("120", "40")
TICKS = os.sysconf("SC_CLK_TCK")
REFRESH_S = 0.5  # the default --refresh: 2 refreshes/s asked
SHOWN_OK = 0.95  # a CPU figure counts when at least this share of the asked refreshes were shown
BUSY_RUNS = 3
# The header's "refresh 0.5s, 2.0/s": the period now, and refreshes shown per second (last 10 s).
REFRESH_RE = re.compile(r"refresh (\d+\.\d)s, (\d+\.\d)/s")


def parse_refresh(screen: str) -> tuple[float, float] | None:
    """(refresh period s, refreshes shown per second) from the header, or None."""
    m = REFRESH_RE.search(screen)
    return (float(m.group(1)), float(m.group(2))) if m else None


def _cpu_seconds(pid: int, tid: int | None = None) -> float:
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    with open(path) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _two_cores() -> list[str]:
    """A prefix that pins a command to two cores (a 2-core machine) where that means anything."""
    if (os.cpu_count() or 1) > 2 and shutil.which("taskset"):
        return ["taskset", "-c", "0,1"]
    return []


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

    def keys(self, key: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)

    def wait_for(self, test: Callable[[str], bool], timeout: float = 30.0, poll_s: float = 0.02) -> float:
        while time.monotonic() - self.t0 < timeout:
            if test(self.screen()):
                return time.monotonic() - self.t0
            time.sleep(poll_s)
        raise RuntimeError(f"nothing drawn after {timeout} s:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def _rows_drawn(pattern: str, rows: int = 10) -> Callable[[str], bool]:
    return lambda screen: sum(1 for line in screen.splitlines() if pattern in line) >= rows


def _stats_drawn(pattern: str, rows: int = 10) -> Callable[[str], bool]:
    """Rows that show a share percentage (statistics, not just the layer list)."""
    return lambda screen: sum(1 for line in screen.splitlines() if pattern in line and "%" in line) >= rows


@dataclass
class Measure:
    cpu_pct: float
    ui_thread_pct: float = float("nan")  # the main thread: Textual's event loop (the screen)
    shown_per_s: float = float("nan")  # mean of the header's readings over the CPU window
    slowest_refresh_s: float = float("nan")  # the longest refresh period the header showed
    first_frame_s: float = float("nan")
    first_stats_s: float = float("nan")
    key_s: float = float("nan")
    rss_mb: float = float("nan")
    readings: list[tuple[float, float]] = field(default_factory=list)


def measure(command: str, pattern: str, stats: bool = True, details: bool = False) -> Measure:
    """Launch `command` in tmux; first-frame time (table rows drawn), first statistics, CPU % of
    one core over MEASURE_S with the header's refresh readings once a second, RSS (MB). With
    `details`, Enter opens the layer-details panel on the top row before the CPU is measured."""
    s = _Session(command)
    try:
        first = s.wait_for(_rows_drawn(pattern))
        first_stats = s.wait_for(_stats_drawn(pattern)) if stats else first
        if details:
            s.keys("Enter")
            s.wait_for(lambda screen: "Layer details" in screen)
        time.sleep(SETTLE_S)
        c0, u0, w0 = _cpu_seconds(s.pid), _cpu_seconds(s.pid, s.pid), time.monotonic()
        readings = []
        while time.monotonic() - w0 < MEASURE_S:
            time.sleep(min(1.0, max(MEASURE_S - (time.monotonic() - w0), 0.0)))
            got = parse_refresh(s.screen()) if stats and not details else None
            if got is not None:
                readings.append(got)
        c1, u1, w1 = _cpu_seconds(s.pid), _cpu_seconds(s.pid, s.pid), time.monotonic()
        if details:  # the screen below a modal is not redrawn: its header is read once it is closed
            before = s.screen()
            s.keys("Escape")
            s.wait_for(lambda screen: screen != before and "Layer details" not in screen, timeout=60)
            got = parse_refresh(s.screen())
            if got is not None:
                readings.append(got)
        key_s = float("nan")
        if stats and not details:  # responsiveness: `s` (re-sort every layer) until the new order is drawn
            k0 = time.monotonic()
            s.keys("s")
            while time.monotonic() - k0 < 5.0:
                if "Mean ms▼" in s.screen():
                    key_s = time.monotonic() - k0
                    break
                time.sleep(0.005)
        return Measure(
            cpu_pct=100.0 * (c1 - c0) / (w1 - w0),
            ui_thread_pct=100.0 * (u1 - u0) / (w1 - w0),
            shown_per_s=statistics.fmean(r[1] for r in readings) if readings else float("nan"),
            slowest_refresh_s=max(r[0] for r in readings) if readings else float("nan"),
            first_frame_s=first,
            first_stats_s=first_stats,
            key_s=key_s,
            rss_mb=_rss_mb(s.pid),
            readings=readings,
        )
    finally:
        s.close()


def measure_headless(args: str) -> float:
    """CPU % of one core of the same pipeline without a screen (`trtui profile demo ARGS`), over
    the same window after start-up."""
    startup = 2.0
    cmd = [sys.executable, "-m", "trtui", "profile", "demo", *args.split(), "--quiet"]
    cmd += ["--duration", str(startup + SETTLE_S + MEASURE_S + 2.0)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(startup + SETTLE_S)
        c0, w0 = _cpu_seconds(proc.pid), time.monotonic()
        time.sleep(MEASURE_S)
        c1, w1 = _cpu_seconds(proc.pid), time.monotonic()
        return 100.0 * (c1 - c0) / (w1 - w0)
    finally:
        proc.terminate()
        proc.wait(10)


def first_frames_one_core_busy(command: str, pattern: str, runs: int = BUSY_RUNS) -> list[float]:
    """Launch to the first drawn table while a busy loop holds one of two cores."""
    pin = _two_cores()
    busy_cmd = [*(["taskset", "-c", "0"] if pin else []), sys.executable, "-c", "while True: pass"]
    busy = subprocess.Popen(busy_cmd)
    out = []
    try:
        time.sleep(0.5)
        for _ in range(runs):
            s = _Session(" ".join([*pin, command]))
            try:
                out.append(s.wait_for(_rows_drawn(pattern)))
            finally:
                s.close()
            time.sleep(0.5)
    finally:
        busy.kill()
        busy.wait()
    return out


def _cpu_row(what: str, m: Measure, target: float, headless: float) -> dict[str, object]:
    asked = 1.0 / REFRESH_S
    shown_ok = m.shown_per_s >= SHOWN_OK * asked
    met = shown_ok and m.cpu_pct <= target
    verdict = "met" if met else ("NOT MET: too few refreshes shown" if not shown_ok else "NOT MET")
    return {
        "name": f"{what}: process CPU at {m.shown_per_s:.2f} refreshes/s shown "
        f"({asked:.0f}/s asked; target <= {target:.0f}%: {verdict})",
        "value": round(m.cpu_pct, 2),
        "unit": "% of one core",
        "command": COMMAND,
        "note": f"UI thread (Textual's event loop) {m.ui_thread_pct:.2f}%; slowest refresh period shown "
        f"{m.slowest_refresh_s:.1f} s; {len(m.readings)} header readings; baseline: the same pipeline "
        f"headless (no screen) {headless:.2f}%, so the screen adds {m.cpu_pct - headless:.2f} points; "
        f"tmux {SIZE[0]}x{SIZE[1]}, {MEASURE_S:.0f} s",
        "baseline": round(headless, 2),
        "ratio": round(m.cpu_pct / headless, 3) if headless > 0 else float("nan"),
        "shown_per_s": round(m.shown_per_s, 3),
        "met": met,
    }


def _datatable_row(n: int, m: Measure) -> dict[str, object]:
    return {
        "name": f"baseline: Textual DataTable rewriting {n:,} rows x 8 cells at 2 Hz, CPU",
        "value": round(m.cpu_pct, 2),
        "unit": "% of one core",
        "command": COMMAND,
        "note": f"for scale: a plain Textual table of that size; tmux {SIZE[0]}x{SIZE[1]}, {MEASURE_S:.0f} s",
    }


BYTES_SIZES = ((80, 24), (120, 40), (200, 60))
BYTES_TARGET = 1.5  # trtui's steady bytes/s at most this many times htop's


def bytes_rows() -> list[dict[str, object]]:
    """Terminal bytes of `trtui demo` (default and lean) beside htop at 2 refreshes/s, per size."""
    from bench._tty_bytes import FIRST_S, STEADY_FROM_S, STEADY_S
    from bench._tty_bytes import measure as measure_bytes

    py = sys.executable
    htop = shutil.which("htop")
    rows: list[dict[str, object]] = []
    header = lambda screen: "RUNNING" in screen or "loading" in screen  # noqa: E731
    window = f"steady: {STEADY_S:.0f} s from {STEADY_FROM_S:.0f} s after launch"
    for cols, lines in BYTES_SIZES:
        size = f"{cols}x{lines}"
        base = (
            measure_bytes(f"{htop} -d 5", cols, lines, marker=lambda s: "Mem" in s, cwd=ROOT)
            if htop
            else None
        )
        ref = base.steady_bytes_per_s if base else float("nan")
        if base is None:
            rows.append(
                {
                    "name": f"htop at {size}: SKIPPED",
                    "value": float("nan"),
                    "unit": "B/s",
                    "command": COMMAND,
                    "note": "htop is not installed: no baseline for the terminal-bytes target",
                }
            )
        else:
            rows.append(
                {
                    "name": f"baseline: htop -d 5 at {size}, terminal bytes/s (steady)",
                    "value": round(ref, 1),
                    "unit": "B/s",
                    "command": COMMAND,
                    "note": f"{window}; first {FIRST_S:.0f} s: {base.first_10s_bytes:,} B; tmux pipe-pane",
                }
            )
        for what, opts in (("trtui demo", ""), ("trtui demo --lean-terminal on", " --lean-terminal on")):
            m = measure_bytes(f"{py} -m trtui demo{opts}", cols, lines, marker=header, cwd=ROOT)
            ratio = m.steady_bytes_per_s / ref if ref > 0 else float("nan")
            verdict = ""
            if not opts:
                met = ratio <= BYTES_TARGET
                verdict = f" (target <= {BYTES_TARGET}x htop: {'met' if met else 'NOT MET'})" if base else ""
            row: dict[str, object] = {
                "name": f"{what} at {size}, terminal bytes/s (steady){verdict}",
                "value": round(m.steady_bytes_per_s, 1),
                "unit": "B/s",
                "command": COMMAND,
                "note": f"{window}; default refresh 0.5 s; baseline: htop at the same size, same run",
            }
            if base:
                row.update(baseline=round(ref, 1), ratio=round(ratio, 3))
            rows.append(row)
            rows.append(
                {
                    "name": f"{what} at {size}, terminal bytes in the first {FIRST_S:.0f} s",
                    "value": m.first_10s_bytes,
                    "unit": "B",
                    "command": COMMAND,
                    "note": "from launch; baseline: htop's first 10 s",
                    **(
                        {
                            "baseline": base.first_10s_bytes,
                            "ratio": round(m.first_10s_bytes / max(base.first_10s_bytes, 1), 3),
                        }
                        if base
                        else {}
                    ),
                }
            )
            if not opts:
                rows.append(
                    {
                        "name": f"trtui demo at {size}: launch to the first frame (header on screen)",
                        "value": round(m.first_frame_s, 3),
                        "unit": "s",
                        "command": COMMAND,
                        "note": "issue 24's target: 0.3 s; capture-pane polled every 10 ms"
                        + ("; baseline: htop's first frame" if base else ""),
                        **({"baseline": round(base.first_frame_s, 3)} if base else {}),
                    }
                )
    return rows


def run() -> list[dict[str, object]]:
    if shutil.which("tmux") is None:
        raise RuntimeError("bench ui needs tmux")
    py = sys.executable
    here = Path(__file__).resolve()
    dt = {n: measure(f"{py} {here} --datatable {n}", "cell", stats=False) for n in (1000, 20000)}
    rows: list[dict[str, object]] = [_datatable_row(n, m) for n, m in dt.items()]
    rows += bytes_rows()
    rows += first_frame_rows()
    every1 = "--layers 20000 --profile-every 1"
    configs = (  # (what, trtui options, details open, CPU target %, first-frame target s)
        ("trtui demo, 1,000 layers", "--layers 1000", False, 3.0, 1.0),
        ("trtui demo, 20,000 layers, --profile-every 1", every1, False, 5.0, 2.0),
        ("trtui demo, 20,000 layers, --profile-every 1, details open", every1, True, 5.0, 2.0),
    )
    headless: dict[str, float] = {}
    idle_first: dict[str, float] = {}
    for what, args, details, cpu_target, frame_target in configs:
        if args not in headless:
            headless[args] = measure_headless(args)
        m = measure(f"{py} -m trtui demo {args}", "CaskConvolution", details=details)
        rows.append(_cpu_row(what, m, cpu_target, headless[args]))
        if details:
            continue
        layers = 1000 if "1000" in args else 20000
        base = dt[layers]
        idle_first[args] = m.first_frame_s
        rows += [
            {
                "name": f"{what}: launch to first drawn table",
                "value": round(m.first_frame_s, 3),
                "unit": "s",
                "command": COMMAND,
                "note": f"target < {frame_target:.0f} s; until 10 table rows are on screen (capture-pane); "
                f"baseline: the DataTable app of the same size",
                "baseline": round(base.first_frame_s, 3),
                "ratio": round(m.first_frame_s / base.first_frame_s, 3),
            },
            {
                "name": f"{what}: launch to first statistics in the table",
                "value": round(m.first_stats_s, 3),
                "unit": "s",
                "command": COMMAND,
                "note": "until 10 rows show a share %: layer list first, statistics at the first refresh",
            },
            {
                "name": f"{what}: key 's' (re-sort) to the new order on screen",
                "value": round(m.key_s * 1000, 1),
                "unit": "ms",
                "command": COMMAND,
                "note": "send-keys, then capture-pane polled every 5 ms (includes tmux round trips)",
            },
            {
                "name": f"{what}: resident memory {SETTLE_S + MEASURE_S:.0f} s after the first statistics",
                "value": round(m.rss_mb, 1),
                "unit": "MB",
                "command": COMMAND,
                "note": "early RSS, not the 10-minute figure (python bench/ui.py --rss LAYERS MINUTES, or "
                "TRTUI_SOAK_S=600 python -m bench soak); baseline: the DataTable app of the same size",
                "baseline": round(base.rss_mb, 1),
                "ratio": round(m.rss_mb / base.rss_mb, 3),
            },
        ]
    frames = first_frames_one_core_busy(f"{py} -m trtui demo --layers 1000", "CaskConvolution")
    median = statistics.median(frames)
    idle = idle_first["--layers 1000"]
    rows.append(
        {
            "name": f"trtui demo, 1,000 layers: launch to first drawn table, one of 2 cores busy "
            f"(target < 1.0 s: {'met' if median < 1.0 else 'NOT MET'})",
            "value": round(median, 3),
            "unit": "s",
            "command": COMMAND,
            "note": f"median of {len(frames)} launches ({', '.join(f'{f:.3f}' for f in frames)} s) while a "
            "busy loop runs"
            + (" (both pinned to cores 0-1)" if _two_cores() else "")
            + "; baseline: the same launch on an idle machine",
            "baseline": round(idle, 3),
            "ratio": round(median / idle, 3),
        }
    )
    return rows


FIRST_FRAME_RUNS = 7


def _header_on_screen(screen: str) -> bool:
    """The header is drawn: its state word, or the start-up line before the first statistics."""
    return any(word in screen for word in ("RUNNING", "STARTING", "loading"))


def _textual_frame(screen: str) -> bool:
    """Textual's own frame: the table's column titles (the early frame has none)."""
    return "Share" in screen


def first_frames(command: str, runs: int = FIRST_FRAME_RUNS) -> list[tuple[float, float, float]]:
    """(launch to the header on screen, to Textual's own first frame, to the first statistics) of
    `runs` launches of `command` in tmux, one after the other (capture-pane polled every 10 ms from
    just before `new-session`: the figures include tmux starting the command, a few ms)."""
    out = []
    for _ in range(runs):
        s = _Session(command)
        try:
            frame = s.wait_for(_header_on_screen, poll_s=0.01)
            textual = s.wait_for(_textual_frame, poll_s=0.01)
            stats = s.wait_for(_stats_drawn("Conv"), poll_s=0.01)
            out.append((frame, textual, stats))
        finally:
            s.close()
        time.sleep(0.3)
    return out


def _median_row(name: str, values: list[float], note: str, target: float | None = None) -> dict[str, object]:
    median = statistics.median(values)
    verdict = f" (target <= {target} s: {'met' if median <= target else 'NOT MET'})" if target else ""
    return {
        "name": name + verdict,
        "value": round(median, 3),
        "unit": "s",
        "command": COMMAND,
        "note": f"median of {len(values)} launches ({', '.join(f'{f:.3f}' for f in sorted(values))} s); "
        + note,
    }


def first_frame_rows() -> list[dict[str, object]]:
    """Issue 24: launch to the first frame (the header on screen), to Textual's own first frame and
    to the first statistics, medians of several launches; the same without the early frame."""
    py = sys.executable
    runs = first_frames(f"{py} -m trtui demo")
    plain = first_frames(f"env TRTUI_NO_EARLY_FRAME=1 {py} -m trtui demo")
    where = f"tmux {SIZE[0]}x{SIZE[1]}, capture-pane every 10 ms"
    return [
        _median_row("trtui demo: launch to the first frame (header and 'loading engine…' on screen)",
                    [r[0] for r in runs], f"the early frame; {where}", target=0.3),
        _median_row("trtui demo: launch to Textual's first frame (the table's titles on screen)",
                    [r[1] for r in runs], where),
        _median_row("trtui demo: launch to the first statistics in the table", [r[2] for r in runs],
                    "until 10 rows show a share %"),
        _median_row("trtui demo, no early frame (TRTUI_NO_EARLY_FRAME=1): launch to the first frame",
                    [r[0] for r in plain], f"baseline: Textual's own first frame only; {where}"),
    ]


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
            self.set_interval(REFRESH_S, self.tick)

        def tick(self) -> None:
            table = self.query_one(DataTable)
            for i in range(n):
                for c in cols:
                    table.update_cell(str(i), c, f"{c} {random.random():.3f}")

    Baseline().run()


if __name__ == "__main__":
    if sys.argv[1:] == ["--bytes"]:
        for row in bytes_rows():
            print(row, flush=True)
    elif sys.argv[1:] == ["--first-frame"]:
        for row in first_frame_rows():
            print(row, flush=True)
    elif len(sys.argv) == 3 and sys.argv[1] == "--datatable":
        _datatable_app(int(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "--rss":  # --rss LAYERS MINUTES
        for point in rss_over_time(int(sys.argv[2]), float(sys.argv[3])):
            print(*point, flush=True)
    else:
        for row in run():
            print(row)
