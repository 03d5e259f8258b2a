"""Resident memory stays flat while trtui runs: a headless `trtui profile demo` is watched from
outside (its VmRSS in /proc/PID/status) for 20 s in the quick suite and 30 minutes under -m slow."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability_support import cli_env, need, trtui_argv

if not sys.platform.startswith("linux"):
    pytest.skip("reads /proc/PID/status (Linux)", allow_module_level=True)

MB = 1_000_000


def rss_bytes(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def soak(tmp_path: Path, duration_s: float, warmup_s: float) -> tuple[int, int, list[tuple[float, int]]]:
    """Run `profile demo` for `duration_s`; (RSS after warm-up, RSS at the end, all samples)."""
    need("profile")
    proc = subprocess.Popen(
        trtui_argv("profile", "demo", "--duration", str(duration_s), "--quiet", "--json", "out.json"),
        cwd=tmp_path,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    samples: list[tuple[float, int]] = []
    t0 = time.monotonic()
    try:
        while proc.poll() is None:
            rss = rss_bytes(proc.pid)
            if rss is not None:
                samples.append((time.monotonic() - t0, rss))
            time.sleep(0.5)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and err.strip() == ""
    assert (tmp_path / "out.json").is_file()
    # the end: the last samples before the summary is built and written
    running = [(t, r) for t, r in samples if t <= duration_s - 0.5]
    warm = [r for t, r in running if warmup_s <= t <= warmup_s + 3]
    end = [r for _, r in running[-5:]]
    assert warm and end, f"too few RSS samples: {samples}"
    return int(statistics.median(warm)), int(statistics.median(end)), samples


def test_quick_soak_memory_is_flat(tmp_path: Path) -> None:
    warm, end, samples = soak(tmp_path, duration_s=20, warmup_s=5)
    growth = end - warm
    assert growth < 15 * MB, f"RSS grew {growth / MB:.1f} MB in 15 s: {samples}"


@pytest.mark.slow
def test_30_minute_soak_memory_growth_under_5_mb(tmp_path: Path) -> None:
    warm, end, samples = soak(tmp_path, duration_s=1800, warmup_s=60)
    growth = end - warm
    assert growth < 5 * MB, f"RSS grew {growth / MB:.2f} MB after warm-up: {samples[::60]}"
