"""A replayed recording shows, on the screen, the same end-to-end figures that `trtui profile` and
`trtui analyze` report for the same file: one road from the file to every consumer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trtui.core.options import RunOptions
from trtui.pipeline.session import Session
from trtui.recording.runs import load_run
from trtui.sources.factory import open_source

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "trtexec"


def recordings() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*") if p.is_dir()) if FIXTURES.is_dir() else []


@pytest.mark.parametrize("folder", recordings(), ids=lambda p: p.name)
def test_screen_profile_and_analyze_agree_on_a_recording(folder: Path, tmp_path: Path) -> None:
    source = open_source(str(folder), RunOptions())
    session = Session(source, None, RunOptions())
    session.open()
    session.loop(until=None)  # a replay finishes by itself
    update = session.build_update()
    session.close()
    screen = update.profile.latency_window  # what the latency panel shows
    total = update.profile.latency_total  # what `trtui profile` prints and writes
    run = load_run(folder)  # what `trtui analyze` and `compare` use
    assert run.latency is not None and screen.count == total.count == run.latency.count > 0
    for field in ("median", "p90", "p95", "p99", "max", "min", "mean"):
        assert (
            getattr(screen, field) == getattr(total, field) == pytest.approx(getattr(run.latency, field))
        ), field
    assert update.profile.layers_window is update.profile.layers_total
    out = tmp_path / "s.json"
    res = subprocess.run(
        [sys.executable, "-m", "trtui", "profile", str(folder), "--json", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stderr
    summary = json.loads(out.read_text())
    for key in ("median", "p99", "max"):
        assert summary["latency_ms"][key] == pytest.approx(getattr(screen, key))
        assert summary["latency_window_ms"][key] == pytest.approx(getattr(screen, key))
