"""Resident memory stays flat while trtui runs: a headless `trtui profile demo` is watched from
outside (its VmRSS in /proc/PID/status) for 20 s in the quick suite; under -m slow, 30 minutes at
the demo size (growth < 5 MB) and 10 minutes at 20,000 layers (under 200 MB, growth < 5 MB)."""

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


def soak(
    tmp_path: Path, duration_s: float, warmup_s: float, *extra: str
) -> tuple[float, float, int, list[tuple[float, int]]]:
    """Run `profile demo` for `duration_s`, RSS read twice a second. Returns the median RSS of the
    first and of the second half of the run after warm-up, the peak, and all samples. (Single
    readings swing with the snapshots' numpy temporaries, tens of MB at 20k layers: medians.)"""
    need("profile")
    proc = subprocess.Popen(
        trtui_argv("profile", "demo", "--duration", str(duration_s), "--quiet", "--json", "out.json", *extra),
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
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and err.strip() == ""
    assert (tmp_path / "out.json").is_file()
    # while running: after warm-up, before the summary is built and written at the end
    running = [r for t, r in samples if warmup_s <= t <= duration_s - 0.5]
    assert len(running) >= 8, f"too few RSS samples: {samples}"
    half = len(running) // 2
    first = statistics.median(running[:half])
    second = statistics.median(running[half:])
    return first, second, max(r for _, r in samples), samples


def test_quick_soak_memory_is_flat(tmp_path: Path) -> None:
    first, second, _, samples = soak(tmp_path, duration_s=20, warmup_s=5)
    growth = second - first
    assert growth < 10 * MB, f"RSS grew {growth / MB:.1f} MB: {samples}"


@pytest.mark.slow
def test_30_minute_soak_memory_growth_under_5_mb(tmp_path: Path) -> None:
    first, second, _, samples = soak(tmp_path, duration_s=1800, warmup_s=60)
    growth = second - first
    assert growth < 5 * MB, f"RSS grew {growth / MB:.2f} MB after warm-up: {samples[::60]}"


@pytest.mark.slow
def test_10_minute_soak_at_20k_layers_under_200_mb_and_flat(tmp_path: Path) -> None:
    # One inference takes ~0.3 s at 20k simulated layers: profiling every 2nd one fills the rolling
    # window (100 iterations at this size) in about 2 minutes; the snapshots' temporaries grow
    # until then, so the first 3 minutes are warm-up.
    first, second, peak, samples = soak(
        tmp_path, 600, 180, "--layers", "20000", "--profile-every", "2", "--window", "100"
    )
    assert peak < 200 * MB, f"RSS peaked at {peak / MB:.0f} MB"
    assert second - first < 5 * MB, f"RSS grew {(second - first) / MB:.2f} MB: {samples[::60]}"
