"""Small pure pieces: progress folding, the text plot, atomic writes, the simulated model."""

from __future__ import annotations

from pathlib import Path

import pytest

from trtui.common.atomic import partial_path, write_atomic
from trtui.tune.attempt import BuildAttempt, BuildProgress
from trtui.tune.plot import FAIL, LAT, MEM, render_plot
from trtui.tune.progress import ProgressTracker
from trtui.tune.simulated import SimulatedBuilder, SimulatedModel
from trtui.tune.sizes import MIB


def test_progress_folds_nested_phases() -> None:
    t = ProgressTracker()
    assert t.fraction() == 0.0
    t.update(BuildProgress("start", "Building engine", None, 0, 4))
    t.update(BuildProgress("step", "Building engine", None, 0))
    assert t.fraction() == pytest.approx(0.25)
    t.update(BuildProgress("start", "Timing tactics", "Building engine", 0, 10))
    for i in range(5):
        t.update(BuildProgress("step", "Timing tactics", None, i))
    assert t.fraction() == pytest.approx((1 + 0.5) / 4)
    assert t.label() == "Timing tactics 6/10"
    t.update(BuildProgress("finish", "Timing tactics"))
    assert t.label().startswith("Building engine")
    for i in range(1, 4):
        t.update(BuildProgress("step", "Building engine", None, i))
    t.update(BuildProgress("finish", "Building engine"))
    assert t.fraction() == 1.0
    t.reset()
    assert t.fraction() == 0.0 and t.label() == ""


def test_progress_ignores_steps_of_unknown_phases() -> None:
    t = ProgressTracker()
    t.update(BuildProgress("step", "nobody started me", None, 3))
    assert t.fraction() == 0.0


def _ok(limit: int, lat: float, mem: int) -> BuildAttempt:
    return BuildAttempt(0, limit, "ok", device_memory_bytes=mem, latency_ms=lat)


def test_plot_places_points_by_log_limit_and_value() -> None:
    attempts = [_ok(8 * MIB, 3.0, 100 * MIB), _ok(64 * MIB, 2.0, 200 * MIB), _ok(512 * MIB, 1.0, 300 * MIB),
                BuildAttempt(0, 1 * MIB, "no_implementation")]
    lines = render_plot(attempts, width=31, height=3)
    lat_rows = [ln for ln in lines if "┤" in ln][:3]
    cols = [row.index(LAT) for row in lat_rows]
    assert cols[0] < cols[1] < cols[2]  # slower (higher) rows are at smaller limits
    mem_rows = [ln for ln in lines if "┤" in ln][3:]
    assert mem_rows[0].index(MEM) > mem_rows[-1].index(MEM)
    axis = next(ln for ln in lines if "└" in ln)
    fails = next(ln for ln in lines if ln.strip().startswith("failed"))
    assert fails.index(FAIL) == axis.index("└") + 1  # 1 MiB is the smallest limit: the left edge
    assert "1M" in lines[lines.index(axis) + 1] and "512M" in lines[lines.index(axis) + 1]
    assert render_plot([]) == []


def test_write_atomic_leaves_no_partial_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "x.engine"
    write_atomic(target, b"one")

    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"one"
    assert not partial_path(target).exists()


def test_simulated_model_is_deterministic_by_seed() -> None:
    a, b = SimulatedModel.generate(9), SimulatedModel.generate(9)
    assert a == b and a != SimulatedModel.generate(10)
    assert SimulatedBuilder(a).build(300 * MIB) == SimulatedBuilder(b).build(300 * MIB)
    # latency improves with the limit up to a plateau; device memory grows with it
    lats = [a.true_latency_ms(n * MIB) for n in (8, 32, 128, 512, 2048)]
    assert lats == sorted(lats, reverse=True) and lats[-1] == lats[-2] == a.base_latency_ms
    mems = [a.device_memory_bytes(n * MIB) for n in (8, 32, 128, 512)]
    assert mems == sorted(mems)


def test_simulated_failures_go_through_the_log_classifier() -> None:
    m = SimulatedModel.generate(1)
    below = SimulatedBuilder(m).build(m.essential_bytes // 2)
    assert below.outcome == "no_implementation" and below.log.insufficient_workspace
    assert below.log.max_requested_bytes == max(t.requested_bytes for t in m.tactics)
    above = SimulatedBuilder(m).build(int(5.5 * 1024 * MIB))
    assert above.outcome == "out_of_memory"
    skipped = SimulatedBuilder(m).build(m.essential_bytes)
    assert skipped.ok and skipped.log.skipped_tactics == len(m.tactics)
