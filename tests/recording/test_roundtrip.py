"""What trtui writes, trtui reads back with the same figures: profiler tax, per-layer
p90/p99/min/max/std, duration; what trtexec's formats cannot carry is said; ordinary file
permissions; the CSV says when its numbers are simulated."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from recording_support import load, replay
from test_export import by_suffix, demo_update

from trtui.recording.export import export_recording, write_layers_csv
from trtui.recording.roundtrip import LAYER_COLUMNS
from trtui.recording.source import open_recording


def test_a_simulated_export_reads_back_with_its_summary_figures(tmp_path: Path) -> None:
    update = demo_update(2.0)
    p = update.profile
    assert p.profiler_tax_pct is not None and p.profiled_gpu_ms is not None and p.elapsed_s > 1.0
    paths = export_recording(update, tmp_path, {"command": "trtui profile demo"})
    back = replay(open_recording(tmp_path)).profile
    assert back.profiled_gpu_ms == pytest.approx(p.profiled_gpu_ms)
    assert back.profiler_tax_pct == pytest.approx(p.profiler_tax_pct, rel=0.02)
    assert back.elapsed_s == pytest.approx(p.elapsed_s)
    a, b = p.layers_total, back.layers_total
    assert a.names == b.names
    for col in LAYER_COLUMNS:
        assert np.isfinite(getattr(b, col)).all(), col
        np.testing.assert_array_equal(getattr(b, col), getattr(a, col))
    section = load(by_suffix(paths, ".profile.metadata.json"))["trtui"]
    said = " ".join(section["not_in_trtexec_files"])
    for figure in ("p90_ms", "profiler tax", "duration_s", "latency_since_start"):
        assert figure in said
    assert section["latency_since_start"]["count"] == p.latency_total.count


def test_a_trtexec_recording_lasts_as_long_as_its_trace(tmp_path: Path) -> None:
    profile = [{"count": 51}, {"name": "conv1", "timeMs": 51.0, "averageMs": 1.0, "medianMs": 1.0}]
    (tmp_path / "r.profile.json").write_text(json.dumps(profile))
    times = [
        {"startComputeMs": 10.0 * i, "endComputeMs": 10.0 * i + 2.0, "latencyMs": 2.0} for i in range(51)
    ]
    (tmp_path / "r.timing.json").write_text(json.dumps(times))
    back = replay(open_recording(tmp_path)).profile
    assert back.elapsed_s == pytest.approx(0.502)  # first start to last end, not the replay's 0 s


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_get_ordinary_permissions(tmp_path: Path, umask: int, mode: int) -> None:
    update = demo_update(0.5)
    old = os.umask(umask)
    try:
        paths = export_recording(update, tmp_path / "exp", {})
        write_layers_csv(update, tmp_path / "layers.csv")
    finally:
        os.umask(old)
    for path in [*paths, tmp_path / "layers.csv"]:
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


def test_the_csv_says_simulated_on_every_row(tmp_path: Path) -> None:
    path = tmp_path / "layers.csv"
    write_layers_csv(demo_update(0.5), path)
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["simulated"] == "yes" for r in rows)


def test_a_run_longer_than_its_times_file_reads_back_its_since_start_latency(tmp_path: Path) -> None:
    update = demo_update(5.0)
    p = update.profile
    assert p.latency_total.count > len(p.recent_latencies_ms)  # the times file holds the window only
    export_recording(update, tmp_path, {})
    back = replay(open_recording(tmp_path)).profile
    a, b = p.latency_total, back.latency_total
    assert b.count == a.count
    for k in ("mean", "median", "p90", "p95", "p99", "min", "max", "std"):
        assert getattr(b, k) == pytest.approx(getattr(a, k)), k
