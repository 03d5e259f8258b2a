"""`trtui check`: the pure decision (threshold AND interval), the seeded bootstrap, the reports
(text, JSON, JUnit XML, Markdown), and the command on the real trtexec recordings, on recordings
trtui writes, and on a live simulated run."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from recording_support import FIXTURES, fixture_dirs, need_fixtures

from trtui.analysis.gate import GateRun, GateSettings, decide, gate
from trtui.analysis.gate_report import gate_dict, gate_junit, gate_markdown, gate_text
from trtui.analysis.run import RunData
from trtui.cli import main
from trtui.recording.gate_inputs import load_gate_run
from trtui.stats.latency import latency_stats
from trtui.stats.snapshot import LayerTable


def _run(lat: np.ndarray, label: str, tput: float | None = None) -> GateRun:
    stats = latency_stats(lat, tput)
    return GateRun(RunData(label=label, layers=LayerTable.empty(), latency=stats), lat, tput)


def _by_name(result_checks: tuple, name: str):  # type: ignore[no-untyped-def]
    return next(c for c in result_checks if c.name == name)


# ---- the decision ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "ci", "higher_is_worse", "status"),
    [
        (10.0, (8.0, 12.0), True, "fail"),  # beyond the limit, interval excludes 0
        (10.0, (-1.0, 20.0), True, "pass"),  # beyond the limit but noise
        (3.0, (2.0, 4.0), True, "pass"),  # real but within the limit
        (-10.0, (-12.0, -8.0), True, "improved"),
        (-10.0, (-12.0, -8.0), False, "fail"),  # throughput 10% lower
        (10.0, None, True, "fail"),  # no samples: the threshold alone
        (None, None, True, "skipped"),
    ],
)
def test_decide(
    change: float | None, ci: tuple[float, float] | None, higher_is_worse: bool, status: str
) -> None:
    assert decide(change, ci, higher_is_worse, 5.0)[0] == status


def test_noise_reason_and_floor() -> None:
    status, reason = decide(10.0, (-1.0, 20.0), True, 5.0)
    assert status == "pass" and "noise" in reason
    assert decide(50.0, None, True, 5.0, extra_ok=True)[0] == "pass"
    assert "per-layer averages" in decide(10.0, None, True, 5.0, no_ci="per-layer averages only")[1]


# ---- synthetic runs -------------------------------------------------------------------------
def _lognormal(seed: int, n: int = 3000, scale: float = 1.0) -> np.ndarray:
    return scale * np.random.default_rng(seed).lognormal(np.log(0.9), 0.05, n)


def test_same_distribution_passes_ten_percent_slower_fails() -> None:
    base = _run(_lognormal(1), "base", 1100.0)
    same = _run(_lognormal(2), "same", 1098.0)
    slower = _run(_lognormal(3, scale=1.1), "slower", 1000.0)
    ok = gate(base, same, GateSettings(max_regression_pct=3.0, resamples=500))
    assert ok.passed and ok.exit_code == 0
    bad = gate(base, slower, GateSettings(max_regression_pct=3.0, resamples=500))
    assert bad.exit_code == 1
    for name in ("median latency", "p99 latency", "throughput"):
        c = _by_name(bad.checks, name)
        assert c.status == "fail", (name, c)
        assert c.ci_low_pct is not None and c.ci_high_pct is not None
        lo, hi = (c.ci_low_pct, c.ci_high_pct) if c.higher_is_worse else (-c.ci_high_pct, -c.ci_low_pct)
        assert 0 < lo <= (c.worse_pct or 0) <= hi
    assert _by_name(bad.checks, "median latency").change_pct == pytest.approx(10.0, abs=1.0)


def test_a_big_change_on_few_noisy_samples_is_noise() -> None:
    rng = np.random.default_rng(0)
    base = _run(rng.uniform(0.5, 1.5, 6), "base")
    cand = _run(rng.uniform(0.5, 1.5, 6) * 1.08, "cand")
    r = gate(base, cand, GateSettings(resamples=500))
    med = _by_name(r.checks, "median latency")
    assert med.ci_low_pct is not None and med.ci_low_pct < 0 < (med.ci_high_pct or 0)
    assert med.status != "fail"


def test_bootstrap_is_seeded_and_deterministic() -> None:
    base, cand = _run(_lognormal(1), "a", 1.0), _run(_lognormal(2, scale=1.02), "b", 1.0)
    s = GateSettings(resamples=300, seed=7)
    assert gate(base, cand, s) == gate(base, cand, s)
    other = gate(base, cand, GateSettings(resamples=300, seed=8))
    assert (
        _by_name(other.checks, "p99 latency").ci_low_pct
        != _by_name(gate(base, cand, s).checks, "p99 latency").ci_low_pct
    )


def test_summaries_without_samples_are_judged_by_the_threshold_alone() -> None:
    lat = _lognormal(1)
    stats_only = GateRun(RunData("s", LayerTable.empty(), latency=latency_stats(lat, 1000.0)), None, 1000.0)
    r = gate(stats_only, _run(lat * 1.2, "c", 800.0))
    assert any("judged by the threshold alone" in n for n in r.notices)
    med = _by_name(r.checks, "median latency")
    assert med.status == "fail" and med.ci_low_pct is None and "no confidence interval" in med.reason


# ---- reports --------------------------------------------------------------------------------
def test_reports_text_json_junit_markdown() -> None:
    r = gate(
        _run(_lognormal(1), "base.json", 1100.0),
        _run(_lognormal(3, scale=1.1), "cand", 1000.0),
        GateSettings(resamples=300),
    )
    text = gate_text(r)
    assert text.startswith("trtui check: FAIL: 3 of 3 checks regressed beyond 5%")
    assert "95% CI" in text and "seed 0" in text
    data = json.loads(json.dumps(gate_dict(r), allow_nan=False))
    assert data["schema"] == "trtui.check/1" and data["exit_code"] == 1 and data["passed"] is False
    assert [c["status"] for c in data["checks"]] == ["fail", "fail", "fail"]
    root = ET.fromstring(gate_junit(r))
    (suite,) = root.findall("testsuite")
    assert suite.get("tests") == "3" and suite.get("failures") == "3"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["median latency", "p99 latency", "throughput"]
    assert all(c.find("failure") is not None for c in cases)
    md = gate_markdown(r)
    assert md.startswith("### ❌ trtui check failed")
    assert "| check | baseline | candidate | change | 95% CI | limit | result |" in md
    assert md.count("❌ fail") == 3


def test_junit_of_a_pass_has_no_failures_and_escapes_names() -> None:
    lat = _lognormal(1)
    r = gate(_run(lat, 'a <&> "b"', 1.0), _run(lat, "c", 1.0), GateSettings(resamples=200))
    root = ET.fromstring(gate_junit(r))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["baseline"] == 'a <&> "b"'
    assert "### ✅ trtui check passed" in gate_markdown(r)


# ---- real trtexec recordings ----------------------------------------------------------------
@pytest.mark.parametrize("folder", fixture_dirs())
def test_a_recording_against_itself_passes(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(folder), "--baseline", str(folder), "--resamples", "300", "--layers"]) == 0
    assert capsys.readouterr().out.startswith("trtui check: PASS")


def test_two_halves_of_one_run_pass_and_use_the_timing_file() -> None:
    folder = need_fixtures()[0]
    whole = load_gate_run(folder, "baseline")
    assert whole.latencies_ms is not None and len(whole.latencies_ms) > 1000  # from *.timing.json
    lat = whole.latencies_ms
    half = len(lat) // 2
    tput = whole.throughput_per_s
    first, second = _run(lat[:half], "first half", tput), _run(lat[half:], "second half", tput)
    assert gate(first, second, GateSettings(max_regression_pct=3.0, resamples=500)).passed


def _slowed_copy(src: Path, dst: Path, factor: float) -> Path:
    """A copy of a recording folder with every time multiplied by `factor` (a slower engine)."""
    shutil.copytree(src, dst)
    for path in dst.glob("*.timing.json"):
        recs = json.loads(path.read_text())
        for rec in recs:
            for k, v in rec.items():
                rec[k] = v * factor
        path.write_text(json.dumps(recs))
    for path in dst.glob("*.profile.json"):
        rows = json.loads(path.read_text())
        for row in rows[1:]:
            for k in ("timeMs", "averageMs", "medianMs"):
                if k in row:
                    row[k] = row[k] * factor
        path.write_text(json.dumps(rows))
    for path in dst.glob("*.profile.metadata.json"):
        meta = json.loads(path.read_text())
        perf = meta.get("performance_summary", {})
        if isinstance(perf.get("Throughput"), (int, float)):
            perf["Throughput"] /= factor
        path.write_text(json.dumps(meta))
    return dst


def test_a_recording_ten_percent_slower_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = FIXTURES / "resnet18-a100-fp16"
    if not folder.is_dir():
        pytest.skip(f"no {folder}")
    slow = _slowed_copy(folder, tmp_path / "slow", 1.10)
    report = tmp_path / "r.json"
    junit = tmp_path / "r.xml"
    code = main(
        [
            "check",
            str(slow),
            "--baseline",
            str(folder),
            "--max-regression",
            "3%",
            "--layers",
            "--resamples",
            "300",
            "--json",
            str(report),
            "--junit",
            str(junit),
            "--markdown",
            str(tmp_path / "r.md"),
        ]
    )
    assert code == 1
    data = json.loads(report.read_text())
    status = {c["name"]: c for c in data["checks"]}
    for name in ("median latency", "p99 latency", "throughput"):
        assert status[name]["status"] == "fail"
        assert status[name]["change_pct"] == pytest.approx(
            10.0 if name != "throughput" else -100 / 11, abs=0.2
        )
    layers = [c for c in data["checks"] if c["kind"] == "layer"]
    assert layers and any(c["status"] == "fail" for c in layers)
    assert all(c["status"] == "pass" for c in layers if abs(c["candidate"] - c["baseline"]) < 0.005)
    assert all(c["baseline"] > 0 for c in layers)  # layers without time on either side are not judged
    assert any("without time on either side" in n for n in data["notices"])
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == str(  # type: ignore[union-attr]
        sum(1 for c in data["checks"] if c["status"] == "fail")
    )
    assert "FAIL" in capsys.readouterr().out


def test_real_differences_between_engines() -> None:
    fp16, qat = FIXTURES / "resnet18-a100-fp16", FIXTURES / "resnet18-a100-qat"
    if not (fp16.is_dir() and qat.is_dir()):
        pytest.skip("fixtures missing")
    # QAT is ~2.3% slower than FP16 on this A100: within 5%, beyond 1% (and not noise)
    assert main(["check", str(qat), "--baseline", str(fp16), "--resamples", "300", "--quiet"]) == 0
    assert (
        main(
            [
                "check",
                str(qat),
                "--baseline",
                str(fp16),
                "--resamples",
                "300",
                "--quiet",
                "--max-regression",
                "1",
            ]
        )
        == 1
    )
    assert (
        main(["check", str(fp16), "--baseline", str(FIXTURES / "resnet18-a100-fp32"), "--quiet"]) == 0
    )  # faster


# ---- recordings trtui writes, and a live run ------------------------------------------------
@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("gate")
    a, b = base / "a", base / "b"
    for path, seed in ((a, "0"), (b, "9")):
        assert (
            main(
                ["profile", "demo", "--duration", "1.5", "--quiet", "--seed", seed, "--export-dir", str(path)]
            )
            == 0
        )
    return a, b


def test_two_exported_runs_pass_a_slowed_one_fails(exported: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = exported
    assert main(["check", str(b), "--baseline", str(a), "--max-regression", "3", "--quiet"]) == 0
    slow = _slowed_copy(b, tmp_path / "slow", 1.10)
    assert main(["check", str(slow), "--baseline", str(a), "--max-regression", "3", "--quiet"]) == 1
    r = gate(load_gate_run(a, "baseline"), load_gate_run(b, "candidate"))
    assert any(c.kind == "energy" for c in r.checks)  # both exports carry simulated energy
    assert r.simulated and "[SIMULATED: not measured]" in gate_text(r).splitlines()[0]


def test_a_live_candidate_against_an_export(
    exported: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "next"
    code = main(
        [
            "check",
            "demo",
            "--baseline",
            str(exported[0]),
            "--duration",
            "1.5",
            "--markdown",
            "-",
            "--export-dir",
            str(out),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("### ✅ trtui check passed")
    assert "running the candidate demo" in captured.err
    assert list(out.glob("*.timing.json"))  # the next baseline


# ---- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["check", "x"], "--baseline"),
        (["check", "/no/such", "--baseline", "/no/such/either"], "no such file"),
        (["check", "demo", "--baseline", "demo", "--max-regression", "lots"], "not a percentage"),
        (["check", "demo", "--baseline", "demo", "--json", "-", "--markdown", "-"], "cannot both"),
        (["check", "demo", "--baseline", "demo", "--junit", "/no/such/dir/r.xml"], "does not exist"),
        (["check", "demo", "--baseline", "demo", "--confidence", "2"], "between 0.5 and 0.999"),
        (["check", "demo", "--baseline", "demo", "--ci-seed", "-3"], "must be between 0 and"),
        (["check", "demo", "--baseline", "demo", "--seed", "-1"], "must be between 0 and"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]


def test_nothing_in_common_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = FIXTURES / "resnet18-a100-fp16"
    if not folder.is_dir():
        pytest.skip(f"no {folder}")
    only_profile = tmp_path / "p"
    only_profile.mkdir()
    for f in folder.glob("*.profile.json"):
        shutil.copy(f, only_profile / f.name)
    assert main(["check", str(only_profile), "--baseline", str(only_profile)]) == 2
    assert "nothing to judge" in capsys.readouterr().err
    # with --layers the layers are judged, so it is not empty
    assert main(["check", str(only_profile), "--baseline", str(only_profile), "--layers", "--quiet"]) == 0


def test_export_dir_needs_a_live_candidate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = need_fixtures()[0]
    assert main(["check", str(folder), "--baseline", str(folder), "--export-dir", str(tmp_path / "x")]) == 2
    assert "live candidate" in capsys.readouterr().err


def test_energy_on_one_side_only_is_said(exported: tuple[Path, Path]) -> None:
    trtexec = load_gate_run(need_fixtures()[0], "baseline")
    r = gate(trtexec, load_gate_run(exported[0], "candidate"), GateSettings(resamples=200))
    assert not any(c.kind == "energy" for c in r.checks)
    assert "energy: only the candidate has energy per inference; not compared" in r.notices


def test_a_summary_carries_samples_for_the_bootstrap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "base.json"
    assert main(["profile", "demo", "--duration", "1.5", "--quiet", "--json", str(base)]) == 0
    doc = json.loads(base.read_text())
    samples = doc["latency_samples_ms"]
    assert 100 < len(samples) <= 4096 and all(s > 0 for s in samples)
    run = load_gate_run(base, "baseline")
    assert run.latencies_ms is not None and len(run.latencies_ms) == len(samples)
    report = tmp_path / "r.json"
    assert main(["check", str(base), "--baseline", str(base), "--json", str(report), "--quiet"]) == 0
    med = json.loads(report.read_text())["checks"][0]
    assert med["name"] == "median latency" and med["ci_low_pct"] is not None
    doc["latency_samples_ms"] = [1.0, "x"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["check", str(bad), "--baseline", str(base)]) == 2
    assert "latency_samples_ms must be a list of numbers" in capsys.readouterr().err
    del doc["latency_samples_ms"]  # an older summary: judged by the threshold alone
    bad.write_text(json.dumps(doc))
    r = gate(load_gate_run(base, "baseline"), load_gate_run(bad, "candidate"), GateSettings(resamples=200))
    assert any("judged by the threshold alone" in n for n in r.notices)
