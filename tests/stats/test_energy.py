"""Energy per inference: the pure tracker (NVML counter, integrated rails, windows, idle baseline),
its JSON block and text (the idle-baseline measurement: tests/pipeline/test_idle_baseline.py)."""

from __future__ import annotations

import pytest

from trtui.analysis.run_energy import energy_deltas, energy_from_block, energy_from_snapshot, energy_notices
from trtui.common.errors import UserError
from trtui.stats.energy import COUNTER, MIN_WINDOW_S, EnergyPoint, EnergyTracker, point_from_sample
from trtui.stats.energy_report import energy_dict, energy_lines, j_text, panel_energy_lines
from trtui.telemetry.sample import TelemetrySample


def _counter_run(
    tracker: EnergyTracker,
    seconds: float,
    watts: float,
    rate: float,
    t0: float = 0.0,
    n0: int = 0,
    mj0: float = 0.0,
    dt: float = 0.5,
) -> tuple[float, int, float]:
    """Feed points every dt: the counter grows by watts, inferences by rate per second."""
    steps = round(seconds / dt)
    t, n, mj = t0, n0, mj0
    for _ in range(steps + (1 if t0 == 0.0 and n0 == 0 else 0)):
        tracker.add(
            EnergyPoint(t=t, inferences=n, counter_mj=mj, gpu_w=watts + 50.0, gpu_rail="NVML GPU board power")
        )
        t += dt
        n += round(rate * dt)
        mj += watts * dt * 1000.0
    return t, n, mj


def test_counter_gives_joules_per_inference() -> None:
    tr = EnergyTracker(window_s=5.0)
    _counter_run(tr, seconds=10.0, watts=300.0, rate=1000.0)
    snap = tr.snapshot()
    whole = snap.figure("gpu", whole_run=True)
    assert whole is not None
    assert whole.method == "counter" and whole.rail == COUNTER
    assert whole.window_s == pytest.approx(10.0)
    assert whole.energy_j == pytest.approx(3000.0)
    assert whole.inferences == 10_000
    assert whole.j_per_inference == pytest.approx(0.3)
    assert whole.inferences_per_j == pytest.approx(1 / 0.3)
    assert whole.mean_w == pytest.approx(300.0)  # the counter, not the (different) power readings
    window = snap.figure("gpu")
    assert window is not None and window.window_s == pytest.approx(5.0) and window.window == "last 5.0 s"
    assert snap.figure("module") is None  # a datacenter GPU has no module figure


def test_rolling_window_follows_a_change_whole_run_averages() -> None:
    tr = EnergyTracker(window_s=2.0)
    t, n, mj = _counter_run(tr, seconds=10.0, watts=300.0, rate=1000.0)
    _counter_run(tr, seconds=10.0, watts=300.0, rate=500.0, t0=t, n0=n, mj0=mj)  # half the rate
    snap = tr.snapshot()
    window, whole = snap.figure("gpu"), snap.figure("gpu", whole_run=True)
    assert window is not None and whole is not None
    assert window.j_per_inference == pytest.approx(0.6)
    # 20 s at 300 W; 10.5 s at 1000 inf/s (the helper's first run ends one step later), 9.5 s at 500
    assert whole.j_per_inference == pytest.approx(300.0 * 20 / (1000 * 10.5 + 500 * 9.5))


def test_no_figure_before_a_second_of_running() -> None:
    tr = EnergyTracker()
    tr.add(EnergyPoint(t=0.0, inferences=0, counter_mj=0.0))
    tr.add(EnergyPoint(t=MIN_WINDOW_S / 2, inferences=50, counter_mj=1000.0))
    snap = tr.snapshot()
    assert snap.window == () and snap.total == ()
    assert snap.notes and "collecting" in snap.notes[0]
    tr.add(EnergyPoint(t=MIN_WINDOW_S, inferences=100, counter_mj=2000.0))
    assert tr.snapshot().figure("gpu") is not None


def test_integrated_rails_trapezoids_per_scope() -> None:
    tr = EnergyTracker()
    # GPU power ramps 0 -> 10 W over 2 s (trapezoids: exactly 10 J); module constant 12 W
    for i in range(5):
        tr.add(
            EnergyPoint(
                t=0.5 * i,
                inferences=100 * i,
                gpu_w=2.5 * i,
                module_w=12.0,
                gpu_rail="VDD_GPU_SOC (GPU+SoC rail)",
                module_rail="VDD_GPU_SOC+VDD_CPU_CV+VIN_SYS_5V0 (module)",
            )
        )
    snap = tr.snapshot()
    gpu, mod = snap.figure("gpu", True), snap.figure("module", True)
    assert gpu is not None and mod is not None
    assert gpu.method == "integrated power" and gpu.rail.startswith("VDD_GPU_SOC")
    assert gpu.energy_j == pytest.approx(10.0) and gpu.j_per_inference == pytest.approx(10.0 / 400)
    assert mod.energy_j == pytest.approx(24.0) and mod.j_per_inference == pytest.approx(0.06)
    assert mod.rail.endswith("(module)")


def test_paused_steps_measure_idle_and_give_net_figures() -> None:
    tr = EnergyTracker(window_s=5.0)
    t = 0.0
    for i in range(9):  # 4 s running at 300 W, 1000 inf/s
        tr.add(EnergyPoint(t=t, inferences=500 * i, gpu_w=300.0, gpu_rail="r"))
        t += 0.5
    n = 500 * 8
    for _ in range(8):  # 4 s paused at 60 W, no inferences
        tr.add(EnergyPoint(t=t, inferences=n, gpu_w=60.0, gpu_rail="r", paused=True))
        t += 0.5
    snap = tr.snapshot()
    assert snap.idle is not None and snap.idle.how == "measured while paused"
    whole = snap.figure("gpu", True)
    assert whole is not None
    window = snap.figure("gpu")  # the last running window stays on show while paused
    assert window is not None and window.mean_w == pytest.approx(300.0)
    assert whole.inferences == 4000
    # the step from running (300 W) into the pause is neither work nor idle
    assert whole.window_s == pytest.approx(4.0) and whole.energy_j == pytest.approx(1200.0)
    assert snap.idle.gpu_w == pytest.approx(60.0) and snap.idle.seconds == pytest.approx(3.5)
    assert whole.net_j_per_inference == pytest.approx((300.0 - snap.idle.gpu_w) * 4.0 / 4000)


def test_given_idle_baseline_wins_and_survives_reset() -> None:
    tr = EnergyTracker()
    tr.set_idle_baseline(50.0, None, 5.0, "measured for 5 s before the run (--idle-baseline)")
    for i in range(5):
        tr.add(EnergyPoint(t=0.5 * i, inferences=100 * i, gpu_w=250.0, gpu_rail="r"))
    f = tr.snapshot().figure("gpu", True)
    assert f is not None and f.idle_w == 50.0
    assert f.net_j_per_inference == pytest.approx(200.0 * 2.0 / 400)
    tr.reset()
    snap = tr.snapshot()
    assert snap.total == () and snap.idle is not None and snap.idle.gpu_w == 50.0


def test_counter_that_goes_back_falls_back_to_power_for_that_step() -> None:
    tr = EnergyTracker()
    pts = [(0.0, 0, 10_000.0), (0.5, 100, 60_000.0), (1.0, 200, 500.0), (1.5, 300, 50_500.0)]
    for t, n, mj in pts:
        tr.add(EnergyPoint(t=t, inferences=n, counter_mj=mj, gpu_w=100.0, gpu_rail="NVML GPU board power"))
    f = tr.snapshot().figure("gpu", True)
    assert f is not None and f.method == "counter + integrated power"
    assert f.rail == f"{COUNTER} + NVML GPU board power"
    assert f.energy_j == pytest.approx(50.0 + 50.0 + 50.0)


def test_long_gaps_are_not_integrated_and_time_must_not_go_back() -> None:
    tr = EnergyTracker()
    tr.add(EnergyPoint(t=0.0, inferences=0, gpu_w=100.0, gpu_rail="r"))
    tr.add(EnergyPoint(t=60.0, inferences=60_000, gpu_w=100.0, gpu_rail="r"))
    assert tr.snapshot().total == ()
    with pytest.raises(ValueError):
        tr.add(EnergyPoint(t=1.0, inferences=0))
    tr.add(EnergyPoint(t=60.5, inferences=60_500, gpu_w=100.0, gpu_rail="r"))  # still in order
    tr.add(EnergyPoint(t=61.5, inferences=61_500, gpu_w=100.0, gpu_rail="r"))
    f = tr.snapshot().figure("gpu", True)
    assert f is not None and f.window_s == pytest.approx(1.5)
    with pytest.raises(ValueError):
        EnergyTracker(window_s=0.1)


def test_point_from_samples_labels_its_rail() -> None:
    nvml = TelemetrySample(t=1.0, power_w=300.0, energy_mj=5.0, sources=(("power_w", "nvml"),))
    p = point_from_sample(nvml, 7)
    assert (p.gpu_w, p.gpu_rail, p.counter_mj, p.inferences) == (300.0, "NVML GPU board power", 5.0, 7)
    sim = point_from_sample(TelemetrySample(t=1.0, power_w=500.0, simulated=True), 0)
    assert sim.gpu_rail == "simulated GPU power" and sim.simulated
    orin = point_from_sample(
        TelemetrySample(
            t=1.0,
            power_w=5.0,
            rails_w=(("VDD_GPU_SOC", 5.0), ("VDD_CPU_CV", 2.0), ("VIN_SYS_5V0", 6.0)),
            sources=(("power_w", "sysfs:VDD_GPU_SOC"),),
        ),
        0,
    )
    assert orin.gpu_w == 5.0 and orin.module_w == 13.0 and orin.gpu_rail == "VDD_GPU_SOC (GPU+SoC rail)"
    nothing = point_from_sample(TelemetrySample(t=1.0), 0)
    assert nothing.gpu_w is None and nothing.module_w is None and nothing.gpu_rail is None


def test_energy_block_round_trips_through_the_reader() -> None:
    tr = EnergyTracker()
    _counter_run(tr, seconds=4.0, watts=200.0, rate=400.0)
    snap = tr.snapshot()
    block = energy_dict(snap)
    assert block is not None and block["schema"] == "trtui.energy/1"
    assert block["whole_run"]["gpu"]["rail"] == COUNTER
    assert block["whole_run"]["gpu"]["j_per_inference"] == pytest.approx(0.5)
    read = energy_from_block(block)
    assert read["gpu"].j_per_inference == pytest.approx(0.5) and read["gpu"].method == "counter"
    assert read == energy_from_snapshot(snap)
    assert energy_dict(EnergyTracker().snapshot()) is None
    assert energy_from_block(None) == {}


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ([], "'energy' is a list"),
        ({"whole_run": 3}, "energy.whole_run is a number"),
        ({"whole_run": {"gpu": "x"}}, "energy.whole_run.gpu is a string"),
        ({"whole_run": {"gpu": {"j_per_inference": "1"}}}, "j_per_inference is a string"),
        ({"whole_run": {"gpu": {"j_per_inference": 1.0, "rail": 5}}}, "rail is a number"),
    ],
)
def test_bad_energy_blocks_are_one_line_errors(block: object, words: str) -> None:
    with pytest.raises(UserError, match=words):
        energy_from_block(block)


def test_deltas_compare_the_same_scope_and_say_when_rails_differ() -> None:
    def run(j: float, rail: str) -> dict[str, object]:
        return {
            "whole_run": {
                "gpu": {"j_per_inference": j, "rail": rail, "method": "counter", "window": "whole run"}
            }
        }

    a = energy_from_block(run(0.5, COUNTER))
    b = energy_from_block(run(0.55, COUNTER))
    (d,) = energy_deltas(a, b)
    assert d.scope == "gpu" and d.delta_j == pytest.approx(0.05) and d.delta_pct == pytest.approx(10.0)
    assert energy_notices((d,)) == []
    c = energy_from_block(run(0.6, "NVML GPU board power"))
    assert "measured differently" in energy_notices(energy_deltas(a, c))[0]
    assert "B has no GPU energy" in energy_notices(energy_deltas(a, {}))[0]


def test_text_lines_say_rail_method_and_window() -> None:
    tr = EnergyTracker()
    _counter_run(tr, seconds=3.0, watts=300.0, rate=1000.0)
    tr.set_idle_baseline(60.0, None, 2.0, "measured for 2 s before the run (--idle-baseline)")
    lines = energy_lines(tr.snapshot(), whole_run=True)
    assert lines[0].startswith("GPU 300 mJ/inf") and COUNTER in lines[0] and "whole run" in lines[0]
    assert "net of idle 240 mJ/inf" in lines[0]
    assert "idle baseline: GPU 60.0 W" in lines[1]
    panel = panel_energy_lines(tr.snapshot())
    assert panel[0][0].startswith("energy GPU 300 mJ/inf") and "3.33 inf/J" in panel[0][0]
    assert COUNTER in panel[1][0] and "last" in panel[1][0]
    assert [j_text(x) for x in (2.5, 0.0123, 4.5e-5, None)] == ["2.5 J", "12.3 mJ", "45 uJ", "n/a"]


def test_simulated_energy_is_labelled() -> None:
    tr = EnergyTracker()
    for i in range(4):
        tr.add(
            EnergyPoint(
                t=0.5 * i, inferences=10 * i, gpu_w=500.0, gpu_rail="simulated GPU power", simulated=True
            )
        )
    assert energy_lines(tr.snapshot())[-1] == "energy is SIMULATED (not measured)"
    assert "simulated GPU power" in panel_energy_lines(tr.snapshot())[1][0]
    tr.add(EnergyPoint(t=2.0, inferences=40, gpu_w=500.0, gpu_rail="NVML GPU board power", simulated=True))
    assert panel_energy_lines(tr.snapshot())[1][0].strip().startswith("SIMULATED NVML")
    block = energy_dict(tr.snapshot())
    assert block is not None and block["simulated"] is True
