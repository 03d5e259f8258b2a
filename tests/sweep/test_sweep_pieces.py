"""The pure sweep pieces: planning, per-point statistics, the knee, the best point under a budget,
the table, the plot, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from sweep_support import point

from trtui.common.errors import UserError
from trtui.sweep.analysis import best_under_budget, find_knee, frontier, verdict
from trtui.sweep.plan import SweepPoint, parse_axis, parse_budget_ms, plan_points
from trtui.sweep.plot import BEST, KNEE, render_plot
from trtui.sweep.point import does_not_fit, is_stable, quantile_ci, summarize
from trtui.sweep.results import (
    SweepResult,
    SweepSettings,
    render_table,
    result_csv,
    result_json,
    summary_lines,
    write_outputs,
)
from trtui.telemetry.sample import TelemetrySample


def test_ranges_are_powers_of_two_and_lists_mix() -> None:
    assert parse_axis("1..32", "--batch") == (1, 2, 4, 8, 16, 32)
    assert parse_axis("3..20", "--batch") == (4, 8, 16)
    assert parse_axis("1..8, 12,2", "--batch") == (1, 2, 4, 8, 12)
    assert parse_axis("5", "--streams") == (5,)


@pytest.mark.parametrize("text, needle", [
    ("", "empty"), ("1,,2", "empty entry"), ("a", "not a whole number"), ("0", "outside"),
    ("8..2", "backwards"), ("5..7", "no power of two"), ("0..4", "start at 1"), ("1..128", "outside"),
])
def test_bad_axes_are_one_line_errors(text: str, needle: str) -> None:
    with pytest.raises(UserError, match=needle):
        parse_axis(text, "--streams", limit=64)


def test_points_are_batch_major_and_an_axis_may_be_left_out() -> None:
    assert plan_points((1, 2), (1, 4)) == (SweepPoint(1, 1), SweepPoint(1, 4), SweepPoint(2, 1),
                                           SweepPoint(2, 4))
    assert plan_points(None, (1, 2)) == (SweepPoint(None, 1), SweepPoint(None, 2))
    assert plan_points((8,), None) == (SweepPoint(8, 1),)
    with pytest.raises(UserError, match="nothing to sweep"):
        plan_points(None, None)


def test_budgets_take_units() -> None:
    assert parse_budget_ms("10ms") == 10.0
    assert parse_budget_ms("10") == 10.0
    assert parse_budget_ms("500us") == pytest.approx(0.5)
    assert parse_budget_ms("0.02s") == pytest.approx(20.0)
    for bad in ("", "fast", "0ms", "-1ms", "10 kg"):
        with pytest.raises(UserError, match="--p99-budget"):
            parse_budget_ms(bad)


def test_summary_counts_samples_and_energy() -> None:
    lat = np.full(1000, 2.0)
    lat[-20:] = 10.0  # the slowest 2% set the p99 apart from the median
    tel = [TelemetrySample(t=0.0, power_w=300.0, gpu_util_pct=80.0),
           TelemetrySample(t=0.1, power_w=100.0, gpu_util_pct=None)]
    p = summarize(SweepPoint(4, 2), batch=4, streams=2, latencies_ms=lat, timing_s=2.0, telemetry=tel,
                  memory_per_context_mib=64.0)
    assert p.ok and p.median_ms == 2.0 and p.p99_ms == 10.0 and p.p90_ms == 2.0
    assert p.inferences_per_s == 500.0 and p.samples_per_s == 2000.0
    assert p.gpu_util_pct == 80.0  # unknown readings are left out, not counted as 0
    assert p.energy_per_sample_j == pytest.approx(200.0 / 2000.0)
    none = summarize(SweepPoint(4, 1), batch=4, streams=1, latencies_ms=np.empty(0), timing_s=0.0)
    assert none.status == "failed" and not none.ok


def test_p99_interval_narrows_with_samples() -> None:
    rng = np.random.default_rng(1)
    few = np.sort(rng.lognormal(0, 0.1, 100))
    many = np.sort(rng.lognormal(0, 0.1, 20000))
    ci_few, ci_many = quantile_ci(few, 0.99), quantile_ci(many, 0.99)
    assert ci_few is None or ci_few[1] - ci_few[0] > 0
    assert ci_many is not None and ci_many[0] <= np.percentile(many, 99) <= ci_many[1]
    assert not is_stable(few)
    assert is_stable(many)
    assert not is_stable(rng.lognormal(0, 3.0, 400))  # a wild tail is not stable with few samples


def test_knee_is_the_last_step_that_still_pays() -> None:
    pts = [point(1, 1, 1.0, 1000), point(2, 1, 1.5, 1800), point(4, 1, 2.5, 3000),
           point(8, 1, 4.5, 3200), point(16, 1, 8.5, 3300)]
    knee, why = find_knee(pts, 0.10)
    assert knee is pts[2] and "6.7%" in why
    knee5, _ = find_knee(pts, 0.05)
    assert knee5 is pts[3]
    assert find_knee(pts[:3], 0.10)[0] is pts[2]  # still growing: the last point, said so
    assert "beyond the largest point" in find_knee(pts[:3], 0.10)[1]
    assert find_knee([], 0.1) == (None, "no point was measured")


def test_dominated_points_are_never_the_knee_or_best() -> None:
    good = point(4, 1, 2.0, 3000)
    worse = point(2, 4, 3.0, 2500)  # more latency, less throughput
    assert frontier([worse, good]) == [good]
    best, _ = best_under_budget([worse, good], 5.0)
    assert best is good


def test_best_under_budget() -> None:
    pts = [point(1, 1, 1.0, 1000), point(4, 1, 2.5, 3000), point(8, 1, 4.5, 3200),
           does_not_fit(SweepPoint(64, 1), "out of memory")]
    assert best_under_budget(pts, 3.0)[0] is pts[1]
    assert best_under_budget(pts, 100.0)[0] is pts[2]
    none, why = best_under_budget(pts, 0.5)
    assert none is None and "lowest is 1.000 ms" in why


def _result(points: list) -> SweepResult:  # type: ignore[type-arg]
    s = SweepSettings("demo", "resnet50 (simulated)", True, 1.0, 0.1, False, 3.0, 0.10,
                      tuple(p.point for p in points))
    return SweepResult(s, tuple(points), "done")


def test_table_plot_and_summary_mark_the_knee_and_best() -> None:
    pts = [point(1, 1, 1.0, 1000), point(2, 1, 1.5, 1800), point(4, 1, 2.5, 3000),
           point(8, 1, 4.5, 3200), does_not_fit(SweepPoint(64, 1), "batch 64 is outside the profile")]
    r = _result(pts)
    v = r.verdict
    table = render_table(r.points, v)
    assert table[0].split()[:2] == ["batch", "streams"]
    assert table[3].endswith("knee, best")
    assert "does not fit: batch 64 is outside the profile" in table[-1]
    plot = "\n".join(render_plot(r.points, v))
    assert BEST in plot and "1×1" in plot and "8×1" in plot and "samples/s" in plot
    v2 = verdict(pts, 100.0, 0.10)
    assert KNEE in "\n".join(render_plot(pts, v2))  # knee and best on different points
    lines = summary_lines(r)
    assert lines[0] == "sweep finished: 4 of 5 points measured"
    assert lines[1].startswith("knee: batch 4, 1 stream: 3,000 samples/s")
    assert "simulated" in lines[-1]
    assert render_plot([does_not_fit(SweepPoint(2, 1), "x")]) == []


def test_json_and_csv_hold_every_point(tmp_path: Path) -> None:
    pts = [point(1, 1, 1.0, 1000), point(4, 1, 2.5, 3000), does_not_fit(SweepPoint(64, 1), "out of memory")]
    r = _result(pts)
    doc = result_json(r)
    json.dumps(doc, allow_nan=False)
    assert doc["simulated"] is True and doc["stopped"] == "done"
    assert [p["status"] for p in doc["points"]] == ["ok", "ok", "does_not_fit"]
    assert doc["points"][2]["reason"] == "out of memory"
    assert doc["knee"]["batch"] == 4 and doc["best"]["batch"] == 4
    rows = list(csv.DictReader(io.StringIO(result_csv(r))))
    assert [r_["batch"] for r_ in rows] == ["1", "4", "64"]
    assert rows[1]["knee"] == "True" and rows[2]["p99_ms"] == ""
    j, c = tmp_path / "s.json", tmp_path / "s.csv"
    write_outputs(r, j, c)
    assert json.loads(j.read_text())["points"][0]["samples_per_s"] == 1000
    assert c.read_text().startswith("batch,streams,status")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.json"]  # no temporary left


def test_a_step_that_costs_no_measurable_latency_does_not_end_the_walk() -> None:
    """The H100's numbers (`trtui sweep` on the GPU stand-in, 2026-12-06): up to batch 8 the GPU is not
    full and every p99 is 0.306-0.307 ms; batch 2 to 1x2 streams buys 0.1% for 0.0008 ms. The knee
    is batch 8 (the next step doubles the p99 for 2.5%), not batch 2."""
    measured = [(1, 1, 0.3060, 3254), (1, 2, 0.3068, 6510), (2, 1, 0.3062, 6506), (2, 2, 0.3070, 12983),
                (8, 1, 0.3071, 25959), (8, 2, 0.6020, 26598), (16, 1, 0.6080, 26233),
                (16, 2, 1.2010, 26607), (64, 1, 2.4120, 26513), (64, 2, 4.8100, 26606)]
    pts = [point(b, s, p99, sps) for b, s, p99, sps in measured]
    knee, why = find_knee(pts, 0.10)
    assert knee is not None and (knee.batch, knee.streams) == (8, 1)
    assert "b8×s2" in why and "2.5%" in why
    # with no room for noise, the 0.1% step ends the walk at batch 2 (what the H100 run showed)
    early, _ = find_knee(pts, 0.10, same_p99=0.0)
    assert early is not None and (early.batch, early.streams) == (2, 1)


def test_points_at_one_latency_are_one_step() -> None:
    pts = [point(1, 1, 1.00, 1000), point(2, 1, 1.01, 1900), point(4, 1, 1.015, 3500), point(8, 1, 2.0, 3600)]
    knee, why = find_knee(pts, 0.10)
    assert knee is pts[2] and "2.9%" in why  # 1.0-1.015 ms is one latency; 3500 -> 3600 does not pay
    assert find_knee(pts[:3], 0.10)[0] is pts[2]
    assert "only one latency" in find_knee(pts[:3], 0.10)[1]
