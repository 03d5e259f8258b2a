"""Energy per inference end to end: a session publishes it (NVML counter through the real sampler
with a fake NVML; the simulator's power), `profile --json` has the "energy" block, the export's
metadata carries it and reads back, and `compare` shows A vs B."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from trtui.analysis.compare import compare, comparison_dict
from trtui.analysis.report import comparison_text
from trtui.cli import main
from trtui.core.options import RunOptions
from trtui.gpu.nvml import NvmlDevice
from trtui.pipeline.session import Session
from trtui.recording.runs import load_run
from trtui.sources.simulated import SimulatedSource
from trtui.stats.energy import COUNTER
from trtui.telemetry.sampler import TelemetrySampler

_TELEMETRY = str(Path(__file__).resolve().parents[1] / "telemetry")
if _TELEMETRY not in sys.path:
    sys.path.insert(0, _TELEMETRY)

import telemetry_fake_nvml as fake  # noqa: E402
import telemetry_trees as trees  # noqa: E402


class Clock:
    def __init__(self) -> None:
        self.t = 500.0

    def __call__(self) -> float:
        return self.t


def test_session_publishes_counter_energy_per_inference(tmp_path: Path) -> None:
    clock = Clock()
    watts = 300.0
    nv = fake.h100(values={"nvmlDeviceGetTotalEnergyConsumption": lambda: clock.t * watts * 1000.0})
    roots = trees.datacenter(tmp_path).roots
    sampler = TelemetrySampler(NvmlDevice(nv), roots=roots, tegrastats=None, clock=clock)
    options = RunOptions(seed=1)
    source = SimulatedSource(options, clock=clock)
    session = Session(source, sampler, options, clock=clock)
    session.open()
    done = 0
    try:
        for _ in range(12):  # 6 s in steps of 0.5 s
            clock.t += 0.5
            batch = source.simulate(0.5)
            done += len(batch.latencies_ms) + len(batch.profiled)
            session.ingest(batch)
            session._sample_telemetry()
        update = session.build_update()
    finally:
        session.close()
    assert update.energy is not None
    whole = update.energy.figure("gpu", whole_run=True)
    assert whole is not None
    assert whole.rail == COUNTER and whole.method == "counter" and not whole.simulated
    assert whole.window_s == pytest.approx(5.5)  # from the first sample to the last
    assert whole.energy_j == pytest.approx(watts * 5.5)
    first_batch = done - whole.inferences
    assert 0 < first_batch < done  # inferences before the first sample are not counted
    assert whole.j_per_inference == pytest.approx(watts * 5.5 / whole.inferences)
    assert update.energy.figure("module") is None


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("energy")
    a, b, export = base / "a.json", base / "b.json", base / "export"
    assert (
        main(
            ["profile", "demo", "--duration", "1.5", "--quiet", "--json", str(a), "--export-dir", str(export)]
        )
        == 0
    )
    assert main(["profile", "demo", "--duration", "1.5", "--quiet", "--json", str(b), "--seed", "4"]) == 0
    return a, b, export


def test_summary_has_a_labelled_energy_block(demo_runs: tuple[Path, Path, Path]) -> None:
    energy = json.loads(demo_runs[0].read_text())["energy"]
    assert energy["simulated"] is True and energy["gpu_rail"] == "simulated GPU power"
    gpu = energy["whole_run"]["gpu"]
    assert gpu["window"] == "whole run" and gpu["method"] == "integrated power"
    assert gpu["window_s"] >= 1.0 and gpu["inferences"] > 0
    assert gpu["j_per_inference"] == pytest.approx(gpu["energy_j"] / gpu["inferences"])
    assert gpu["inferences_per_j"] == pytest.approx(1.0 / gpu["j_per_inference"])


def test_export_metadata_carries_energy_and_reads_back(demo_runs: tuple[Path, Path, Path]) -> None:
    (meta_path,) = demo_runs[2].glob("*.profile.metadata.json")
    meta = json.loads(meta_path.read_text())
    block = meta["trtui"]["energy"]
    assert block["whole_run"]["gpu"]["rail"] == "simulated GPU power"
    run = load_run(demo_runs[2])
    assert run.energy["gpu"].j_per_inference == pytest.approx(block["whole_run"]["gpu"]["j_per_inference"])
    assert run.energy["gpu"].simulated


def test_compare_shows_energy_a_vs_b(demo_runs: tuple[Path, Path, Path]) -> None:
    a, b = load_run(demo_runs[0]), load_run(demo_runs[1])
    c = compare(a, b)
    (d,) = c.energy
    assert d.scope == "gpu" and d.same_rail
    assert d.delta_j == pytest.approx(b.energy["gpu"].j_per_inference - a.energy["gpu"].j_per_inference)
    data = comparison_dict(c)
    assert data["energy"][0]["a_j"] == pytest.approx(a.energy["gpu"].j_per_inference)
    text = comparison_text(c)
    assert "Energy per inference (whole run)" in text and "GPU (simulated GPU power)" in text
    from trtui.ui.compare_app import summary_text

    screen = summary_text(c)
    assert "energy/inf GPU" in screen and "mJ" in screen


def test_a_recording_from_trtexec_has_no_energy_and_compare_says_so(
    demo_runs: tuple[Path, Path, Path],
) -> None:
    from recording_support import need_fixtures

    trtexec = load_run(need_fixtures()[0])
    assert trtexec.energy == {}
    c = compare(load_run(demo_runs[0]), trtexec)
    assert any("B has no GPU energy" in n for n in c.notices)


def test_a_malformed_energy_block_is_one_clear_error(
    demo_runs: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(demo_runs[0].read_text())
    doc["energy"]["whole_run"]["gpu"]["j_per_inference"] = "lots"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["compare", str(bad), str(demo_runs[1]), "--text"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "energy.whole_run.gpu.j_per_inference is a string" in err[0]


def test_pausing_measures_the_idle_baseline_and_net_energy() -> None:
    from trtui.sources.simulated import SimulatedTelemetry

    clock = Clock()
    options = RunOptions(seed=2)
    source = SimulatedSource(options, clock=clock)
    session = Session(source, SimulatedTelemetry(source, clock=clock), options, clock=clock)
    session.open()

    def step(n: int) -> None:
        for _ in range(n):
            clock.t += 0.5
            session._apply_controls()  # as the session thread does at each step
            session.ingest(source.read(0.0))
            session._sample_telemetry()

    try:
        step(6)
        assert session.build_update().energy.idle is None  # type: ignore[union-attr]
        session.set_paused(True)
        step(6)
        session.set_paused(False)
        step(4)
        energy = session.build_update().energy
    finally:
        session.close()
    assert energy is not None and energy.idle is not None
    assert energy.idle.how == "measured while paused"
    assert energy.idle.gpu_w == pytest.approx(70.0)  # the simulator's idle power
    whole = energy.figure("gpu", whole_run=True)
    assert whole is not None and whole.idle_w == energy.idle.gpu_w
    assert whole.net_j_per_inference is not None and 0 < whole.net_j_per_inference < whole.j_per_inference  # type: ignore[operator]


def test_idle_baseline_option_before_the_run(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    args = ["profile", "demo", "--duration", "1.5", "--idle-baseline", "1", "--quiet", "--json", str(out)]
    assert main(args) == 0
    energy = json.loads(out.read_text())["energy"]
    idle = energy["idle_baseline"]
    assert "--idle-baseline" in idle["how"] and idle["gpu_w"] == pytest.approx(70.0)
    gpu = energy["whole_run"]["gpu"]
    assert gpu["idle_w"] == pytest.approx(70.0)
    assert gpu["net_j_per_inference"] == pytest.approx(
        (gpu["mean_w"] - 70.0) * gpu["window_s"] / gpu["inferences"]
    )
    assert main(["profile", "demo", "--idle-baseline", "0"]) == 2  # must be positive
