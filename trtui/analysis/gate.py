"""The regression gate's decision (pure): is the candidate run slower than the baseline beyond a
threshold, taking the noise into account?

Checks: median and p99 end-to-end latency, throughput, energy per inference (per scope, where
both runs have it) and, optionally, each layer matched by `trtui.analysis.compare.compare`.

A check FAILS only when both hold:
1. the change in the worse direction is larger than the threshold (`max_regression_pct`), and
2. its confidence interval excludes zero (the change is not noise).

Confidence intervals come from a seeded percentile bootstrap over the per-inference latencies
(each side resampled with replacement `resamples` times; the same seed always gives the same
interval). Median and p99: the statistic of each resample. Throughput: a run's throughput is
inversely proportional to its mean latency at a fixed concurrency, so the interval of the
throughput change is the interval of the mean-latency ratio, centred on the measured change.
Where a side has no per-inference samples (a trtui summary, a layer's average, energy measured
over windows) there is no interval: the check is decided by the threshold alone, and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from trtui.analysis.compare import compare
from trtui.analysis.run import RunData
from trtui.analysis.run_energy import RunEnergy

Status = Literal["pass", "fail", "improved", "skipped"]
SCHEMA = "trtui.check/1"
BOOTSTRAP_CHUNK = 200  # resamples per numpy batch (memory: chunk x samples floats)


@dataclass(frozen=True, slots=True)
class GateSettings:
    """How `gate` judges: the threshold (percent, in the worse direction), the confidence of the
    bootstrap interval, its resample count and seed (one seed, one interval), and whether each
    matched layer is judged too."""

    max_regression_pct: float = 5.0
    confidence: float = 0.95
    resamples: int = 2000
    seed: int = 0
    layers: bool = False
    layer_floor_ms: float = 0.005  # a layer's change must also exceed this (tiny layers are noisy)
    max_samples: int = 20_000  # per side; longer runs are thinned evenly for the bootstrap


@dataclass(frozen=True, slots=True)
class GateRun:
    """One side: the run as `compare` sees it, plus its per-inference latencies when known."""

    run: RunData
    latencies_ms: npt.NDArray[Any] | None = None  # per-inference end-to-end latencies
    throughput_per_s: float | None = None

    @property
    def label(self) -> str:
        """The run's label, as the verdict names it."""
        return self.run.label


@dataclass(frozen=True, slots=True)
class Check:
    """One judged figure: both values, the signed change in percent of the baseline, its confidence
    interval (None without per-inference samples), the verdict and why, in words."""

    name: str  # "median latency", "p99 latency", "throughput", "energy per inference (GPU)", "layer X"
    kind: str  # "latency", "throughput", "energy", "layer"
    unit: str  # "ms", "inferences/s", "J/inference"
    baseline: float | None
    candidate: float | None
    change_pct: float | None  # (candidate - baseline) / baseline, signed
    ci_low_pct: float | None  # confidence interval of change_pct; None without samples
    ci_high_pct: float | None
    higher_is_worse: bool
    status: Status
    reason: str

    @property
    def worse_pct(self) -> float | None:
        """The change in the worse direction (positive = worse)."""
        if self.change_pct is None:
            return None
        return self.change_pct if self.higher_is_worse else -self.change_pct


@dataclass(frozen=True, slots=True)
class GateResult:
    """The gate's verdict over every check, with notices about what could not be compared."""

    baseline: str
    candidate: str
    settings: GateSettings
    checks: tuple[Check, ...]
    notices: tuple[str, ...] = field(default_factory=tuple)
    simulated: bool = False  # either side was simulated (not measured)

    @property
    def failures(self) -> tuple[Check, ...]:
        """The checks that failed: regressions, and layer checks asked of a run without per-layer times."""
        return tuple(c for c in self.checks if c.status == "fail")

    @property
    def passed(self) -> bool:
        """No check failed."""
        return not self.failures

    @property
    def exit_code(self) -> int:
        """What `trtui check` exits with: 0 when passed, 1 on a regression."""
        return 0 if self.passed else 1


# ---- bootstrap ------------------------------------------------------------------------------
def thin(x: npt.NDArray[Any], limit: int) -> npt.NDArray[Any]:
    """At most `limit` values, evenly spaced through the run (keeps slow phases represented)."""
    if len(x) <= limit:
        return x
    idx = np.linspace(0, len(x) - 1, limit).round().astype(np.int64)
    thinned: npt.NDArray[Any] = x[idx]
    return thinned


def bootstrap_stats(x: npt.NDArray[Any], resamples: int, rng: np.random.Generator) -> npt.NDArray[Any]:
    """(resamples, 3): median, p99 and mean of each resample of x."""
    n = len(x)
    out = np.empty((resamples, 3))
    done = 0
    while done < resamples:
        k = min(BOOTSTRAP_CHUNK, resamples - done)
        sample = x[rng.integers(0, n, size=(k, n))]
        out[done : done + k, :2] = np.quantile(sample, (0.5, 0.99), axis=1).T
        out[done : done + k, 2] = sample.mean(axis=1)
        done += k
    return out


@dataclass(frozen=True, slots=True)
class _Intervals:
    median: tuple[float, float]
    p99: tuple[float, float]
    throughput: tuple[float, float]  # of the throughput change, before centring (see module doc)


def bootstrap_intervals(base: npt.NDArray[Any], cand: npt.NDArray[Any], s: GateSettings) -> _Intervals:
    rng = np.random.default_rng(s.seed)
    b = bootstrap_stats(thin(base, s.max_samples), s.resamples, rng)
    c = bootstrap_stats(thin(cand, s.max_samples), s.resamples, rng)
    alpha = (1.0 - s.confidence) / 2.0
    qs = (100 * alpha, 100 * (1 - alpha))

    def ci(values: npt.NDArray[Any]) -> tuple[float, float]:
        lo, hi = np.percentile(values, qs)
        return float(lo), float(hi)

    with np.errstate(divide="ignore", invalid="ignore"):
        median = ci(100.0 * (c[:, 0] / b[:, 0] - 1.0))
        p99 = ci(100.0 * (c[:, 1] / b[:, 1] - 1.0))
        tput = ci(100.0 * (b[:, 2] / c[:, 2] - 1.0))
    return _Intervals(median, p99, tput)


# ---- the decision ---------------------------------------------------------------------------
def _pct(base: float | None, cand: float | None) -> float | None:
    if base is None or cand is None or not base or not math.isfinite(base) or not math.isfinite(cand):
        return None
    return 100.0 * (cand - base) / base


def decide(
    change_pct: float | None,
    ci: tuple[float, float] | None,
    higher_is_worse: bool,
    threshold_pct: float,
    extra_ok: bool = False,
    no_ci: str = "no per-inference samples",
) -> tuple[Status, str]:
    """The status of one check. `extra_ok`: pass regardless (e.g. a layer below the ms floor);
    `no_ci`: why there is no interval, said when `ci` is None."""
    if change_pct is None:
        return "skipped", "not measured on both sides"
    worse = change_pct if higher_is_worse else -change_pct
    excludes_zero = ci is None or ci[0] > 0 or ci[1] < 0
    noise = "" if ci is not None else f" (no confidence interval: {no_ci})"
    if worse > threshold_pct and not extra_ok:
        if not excludes_zero:
            return "pass", f"{worse:.1f}% worse but the interval includes 0: noise"
        return "fail", f"{worse:.1f}% worse, beyond the {threshold_pct:g}% limit{noise}"
    if -worse > threshold_pct and excludes_zero:
        return "improved", f"{-worse:.1f}% better{noise}"
    return "pass", f"within the {threshold_pct:g}% limit{noise}"


def _check(
    name: str,
    kind: str,
    unit: str,
    base: float | None,
    cand: float | None,
    ci: tuple[float, float] | None,
    higher_is_worse: bool,
    s: GateSettings,
    extra_ok: bool = False,
    no_ci: str = "no per-inference samples",
) -> Check:
    change = _pct(base, cand)
    status, reason = decide(change, ci, higher_is_worse, s.max_regression_pct, extra_ok, no_ci)
    lo, hi = ci if ci is not None and change is not None else (None, None)
    return Check(name, kind, unit, base, cand, change, lo, hi, higher_is_worse, status, reason)


def _latency(run: GateRun, stat: str) -> float | None:
    if run.latencies_ms is not None and len(run.latencies_ms):
        q = 0.5 if stat == "median" else 0.99
        return float(np.quantile(run.latencies_ms, q))
    lat = run.run.latency
    value = None if lat is None else getattr(lat, stat)
    return None if value is None or not math.isfinite(value) else float(value)


def _throughput(run: GateRun) -> float | None:
    if run.throughput_per_s is not None:
        return run.throughput_per_s
    lat = run.run.latency
    return None if lat is None else lat.throughput_per_s


def _energy_checks(base: dict[str, RunEnergy], cand: dict[str, RunEnergy], s: GateSettings) -> list[Check]:
    out = []
    for scope in ("gpu", "module"):
        b, c = base.get(scope), cand.get(scope)
        if b is None or c is None:
            continue
        words = "GPU" if scope == "gpu" else "module"
        rail = b.rail if b.rail == c.rail else f"{b.rail} vs {c.rail}"
        out.append(
            _check(
                f"energy per inference ({words}: {rail})",
                "energy",
                "J/inference",
                b.j_per_inference,
                c.j_per_inference,
                None,
                True,
                s,
                no_ci="energy is measured over windows, not per inference",
            )
        )
    return out


def _has_layer_times(run: RunData) -> bool:
    """Some layer has a measured time (a recording without a profile has layer names only)."""
    mean = np.asarray(run.layers.mean_ms, dtype=np.float64)
    return bool(len(mean)) and bool(np.isfinite(mean).any())


def _layer_checks(base: RunData, cand: RunData, s: GateSettings) -> tuple[list[Check], list[str]]:
    untimed_sides = [
        f"the {role} {run.label}" for role, run in (("baseline", base), ("candidate", cand))
        if not _has_layer_times(run)
    ]  # fmt: skip
    if untimed_sides:  # layers absent on one side must not read as 0 ms ("IMPROVED -100%")
        reason = f"{' and '.join(untimed_sides)} has no per-layer times (no profile): --layers cannot judge"
        return [Check("layer times", "layer", "ms", None, None, None, None, None, True, "fail", reason)], []
    c = compare(base, cand)
    checks = []
    untimed = 0
    for d in c.layers:
        if d.a_ms <= 0 and d.b_ms <= 0:
            untimed += 1  # no time on either side (not in the profiles): nothing to judge
            continue
        name = f"layer {d.name}"
        if d.a_ms <= 0:  # a layer that took no time before and does now
            grew = d.b_ms > s.layer_floor_ms
            status: Status = "fail" if grew else "pass"
            reason = f"{d.b_ms:.4f} ms, 0 ms in the baseline" + ("" if grew else " (below the floor)")
            checks.append(Check(name, "layer", "ms", d.a_ms, d.b_ms, None, None, None, True, status, reason))
            continue
        below_floor = abs(d.delta_ms) < s.layer_floor_ms
        checks.append(
            _check(
                name,
                "layer",
                "ms",
                d.a_ms,
                d.b_ms,
                None,
                True,
                s,
                extra_ok=below_floor,
                no_ci="per-layer averages only",
            )
        )
    notes = []
    if c.only_a or c.only_b:
        notes.append(
            f"layers: {len(c.layers)} matched; {len(c.only_a)} only in the baseline, "
            f"{len(c.only_b)} only in the candidate (not judged)"
        )
    if untimed:
        notes.append(f"layers: {untimed} matched layer(s) without time on either side (not judged)")
    if not checks:
        notes.append("--layers: no per-layer times matched on both sides")
    return checks, notes


def gate(base: GateRun, cand: GateRun, settings: GateSettings | None = None) -> GateResult:
    """Judge the candidate against the baseline with `settings` (the defaults when None). Pure and
    deterministic for one seed. A figure that a side lacks is skipped, with the reason in its check;
    what could not be compared is said in `notices`."""
    s = settings or GateSettings()
    notices: list[str] = []
    have_samples = (
        base.latencies_ms is not None
        and cand.latencies_ms is not None
        and len(base.latencies_ms) >= 2
        and len(cand.latencies_ms) >= 2
    )
    iv: _Intervals | None = None
    if have_samples:
        assert base.latencies_ms is not None and cand.latencies_ms is not None
        iv = bootstrap_intervals(
            np.asarray(base.latencies_ms, float), np.asarray(cand.latencies_ms, float), s
        )
    else:
        missing = [r.label for r in (base, cand) if r.latencies_ms is None or len(r.latencies_ms) < 2]
        notices.append(
            f"no per-inference latencies for {', '.join(missing)}: latency and throughput are judged "
            "by the threshold alone (no confidence interval)"
        )
    checks = [
        _check(
            "median latency",
            "latency",
            "ms",
            _latency(base, "median"),
            _latency(cand, "median"),
            iv.median if iv else None,
            True,
            s,
        ),
        _check(
            "p99 latency",
            "latency",
            "ms",
            _latency(base, "p99"),
            _latency(cand, "p99"),
            iv.p99 if iv else None,
            True,
            s,
        ),
    ]
    bt, ct = _throughput(base), _throughput(cand)
    tput_ci = None
    change = _pct(bt, ct)
    if iv is not None and change is not None:
        # centre the mean-latency interval on the measured throughput change
        mid = 100.0 * (float(np.mean(base.latencies_ms)) / float(np.mean(cand.latencies_ms)) - 1.0)  # type: ignore[arg-type]
        tput_ci = (iv.throughput[0] - mid + change, iv.throughput[1] - mid + change)
    checks.append(_check("throughput", "throughput", "inferences/s", bt, ct, tput_ci, False, s))
    checks += _energy_checks(dict(base.run.energy), dict(cand.run.energy), s)
    if base.run.energy and cand.run.energy and not any(c.kind == "energy" for c in checks):
        notices.append("energy: the two runs measured different scopes; not compared")
    elif bool(base.run.energy) != bool(cand.run.energy):
        has = "baseline" if base.run.energy else "candidate"
        notices.append(f"energy: only the {has} has energy per inference; not compared")
    if s.layers:
        layer_checks, notes = _layer_checks(base.run, cand.run, s)
        checks += layer_checks
        notices += notes
    for side, r in (("baseline", base), ("candidate", cand)):
        if r.run.simulated:
            notices.append(f"the {side} is SIMULATED (not measured)")
    if base.run.device and cand.run.device and base.run.device != cand.run.device:
        notices.append(f"different devices: baseline on {base.run.device}, candidate on {cand.run.device}")
    simulated = base.run.simulated or cand.run.simulated
    return GateResult(base.label, cand.label, s, tuple(checks), tuple(notices), simulated)
