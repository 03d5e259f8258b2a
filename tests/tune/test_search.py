"""The search, driven through the `Builder` protocol by the simulated builder: it finds the simulated
model's optimum within the builds it promised, survives every failure kind, and is deterministic."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trtui.tune.attempt import BuildAttempt, EventSink
from trtui.tune.plan import TunePlan, estimate_builds, make_plan
from trtui.tune.results import choose
from trtui.tune.search import judge, next_step
from trtui.tune.session import TuneListener, TuneSession
from trtui.tune.simulated import SimTactic, SimulatedBuilder, SimulatedModel
from trtui.tune.sizes import GIB, MIB, POOLS, TACTIC_SHARED_MEMORY, WORKSPACE, Pool

BUDGET = int(5.85 * GIB)


def plan_for(pool: Pool = WORKSPACE, budget: int = BUDGET, **kw: object) -> TunePlan:
    return make_plan(pool, budget, "test", **kw)  # type: ignore[arg-type]


def run(model: SimulatedModel, plan: TunePlan) -> tuple[TuneSession, list[BuildAttempt]]:
    session = TuneSession(plan, SimulatedBuilder(model), "test")
    result = session.run()
    return session, list(result.attempts)


def assert_found_optimum(model: SimulatedModel, plan: TunePlan, slack: float = 1.0) -> BuildAttempt:
    session, attempts = run(model, plan)
    result = session.result("converged")
    assert len(attempts) <= plan.max_builds
    chosen = choose(plan, attempts).attempt
    assert chosen is not None
    best = model.smallest_good_limit(plan.tolerance)
    g = plan.pool.granularity
    assert best <= chosen.limit_bytes <= best * (1 + plan.resolution) ** slack + g, (
        [(a.limit_bytes, a.outcome) for a in attempts], best)
    assert result.verdict.attempt is not None
    return chosen


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), pool=st.sampled_from(sorted(POOLS)))
def test_finds_the_optimum_within_the_promised_builds(seed: int, pool: str) -> None:
    p = POOLS[pool]
    model = SimulatedModel.generate(seed, p)
    plan = plan_for(p)
    session, attempts = run(model, plan)
    assert len(attempts) <= plan.max_builds
    assert session.result("converged").stopped == "converged" or len(attempts) == plan.max_builds
    assert_found_optimum(model, plan)


def test_the_promise_is_said_up_front_and_kept_when_small() -> None:
    plan = plan_for(max_builds=3)
    assert "at most 3 builds" in plan.describe()
    session, attempts = run(SimulatedModel.generate(1), plan)
    assert len(attempts) == 3
    result = session.result("max_builds")
    assert result.verdict.reason.startswith("stopped at the build limit after 3 builds")


def test_estimate_builds() -> None:
    # 1 start + ceil(log2(ln(4096) / ln(1.1))) halvings + 3 spare
    assert estimate_builds(MIB, 4 * GIB, 0.10) == 1 + 7 + 3
    assert estimate_builds(MIB, MIB, 0.10) == 1
    assert estimate_builds(16 * 1024, 256 * 1024, 0.10) < estimate_builds(MIB, 64 * GIB, 0.10)


def test_deterministic() -> None:
    model = SimulatedModel.generate(7)
    plan = plan_for()
    assert run(model, plan)[1] == run(model, plan)[1]


def test_never_repeats_a_limit_or_leaves_the_range() -> None:
    for seed in range(12):
        plan = plan_for()
        _, attempts = run(SimulatedModel.generate(seed), plan)
        limits = [a.limit_bytes for a in attempts]
        assert len(set(limits)) == len(limits)
        assert all(plan.lo_bytes < limit <= plan.hi_bytes for limit in limits)


def _trajectory(model: SimulatedModel, plan: TunePlan) -> list[int]:
    return [a.limit_bytes for a in run(model, plan)[1]]


@pytest.mark.parametrize("kind", ["crash_band", "hang_band", "killed_band"])
@pytest.mark.parametrize("position", range(7))
@pytest.mark.parametrize("seed", [3, 11, 42])
def test_survives_each_failure_kind_at_each_point_of_the_search(kind: str, position: int, seed: int) -> None:
    plan = plan_for()
    base = SimulatedModel.generate(seed)
    visited = _trajectory(base, plan)
    limit = visited[position]
    model = replace(base, **{kind: (limit, limit)})
    _, attempts = run(model, plan)
    failed = next(a for a in attempts if a.limit_bytes == limit)
    assert failed.outcome == {"crash_band": "crashed", "hang_band": "timeout", "killed_band": "killed"}[kind]
    assert len(attempts) <= plan.max_builds
    chosen = choose(plan, attempts).attempt
    assert chosen is not None and chosen.ok
    best = base.smallest_good_limit(plan.tolerance)
    assert best <= chosen.limit_bytes <= best * (1 + plan.resolution) ** 2 + MIB


def test_out_of_memory_at_the_top_then_looks_up_for_the_reference_latency() -> None:
    plan = plan_for()
    model = SimulatedModel.generate(5)  # builds above 4.5 GiB run out of memory
    _, attempts = run(model, plan)
    assert attempts[0].outcome == "out_of_memory"
    assert any(a.phase == "start" and a.index > 1 for a in attempts)
    assert_found_optimum(model, plan)


def test_nothing_builds_below_the_top_stops_at_once_with_the_reason() -> None:
    model = replace(SimulatedModel.generate(2), essential_bytes=8 * GIB, oom_above_bytes=None)
    plan = plan_for(budget=2 * GIB)
    session, attempts = run(model, plan)
    assert [a.outcome for a in attempts] == ["no_implementation"]
    reason = session.result("converged").verdict.reason
    assert "even 2.00 GiB was too small" in reason and "raise --budget" in reason


def test_refinement_uses_the_sizes_tactics_asked_for() -> None:
    size = 80 * MIB + 900 * 1024
    model = SimulatedModel(essential_bytes=4 * MIB, tactics=(SimTactic(size, 0.2),), oom_above_bytes=None)
    plan = plan_for(budget=2 * GIB)
    _, attempts = run(model, plan)
    refined = [a for a in attempts if a.phase == "refine"]
    assert any(a.limit_bytes == 81 * MIB for a in refined)  # the request, rounded up to whole MiB
    assert choose(plan, attempts).limit_bytes == 81 * MIB


def test_shared_memory_searches_in_kib() -> None:
    model = SimulatedModel.generate(4, TACTIC_SHARED_MEMORY)
    plan = plan_for(TACTIC_SHARED_MEMORY)
    assert plan.hi_bytes == 256 * 1024
    chosen = assert_found_optimum(model, plan)
    assert chosen.limit_bytes % 1024 == 0


class _Stopper(TuneListener):
    def __init__(self, session_ref: list[TuneSession], after: int) -> None:
        self.session_ref = session_ref
        self.after = after

    def attempt_finished(self, attempt: BuildAttempt) -> None:
        if attempt.index == self.after:
            self.session_ref[0].cancel()


def test_cancel_between_builds_stops_the_search() -> None:
    plan = plan_for()
    session = TuneSession(plan, SimulatedBuilder(SimulatedModel.generate(1)), "test")
    result = session.run(_Stopper([session], after=2))
    assert len(result.attempts) == 2
    assert result.stopped == "cancelled"


class _FatalBuilder:
    simulated = False

    def build(self, limit_bytes: int, on_event: EventSink | None = None) -> BuildAttempt:
        return BuildAttempt(0, limit_bytes, "fatal", "the ONNX model does not parse")

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_fatal_attempt_ends_the_search() -> None:
    result = TuneSession(plan_for(), _FatalBuilder(), "m.onnx").run()
    assert [a.outcome for a in result.attempts] == ["fatal"]
    assert result.stopped == "fatal"
    assert "does not parse" in result.verdict.reason


def _ok(limit: int, latency: float | None, device: int = 100 * MIB) -> BuildAttempt:
    return BuildAttempt(0, limit, "ok", build_s=1.0, engine_bytes=10 * MIB, device_memory_bytes=device,
                        weights_bytes=10 * MIB, io_bytes=MIB, latency_ms=latency)


def test_judge() -> None:
    assert judge(_ok(MIB, 1.02), 1.0, 0.03) == "good"
    assert judge(_ok(MIB, 1.04), 1.0, 0.03) == "needs_more"
    assert judge(_ok(MIB, None), 1.0, 0.03) == "unknown"
    assert judge(_ok(MIB, None), None, 0.03) == "good"
    for outcome, j in (("no_implementation", "needs_more"), ("out_of_memory", "too_large"),
                       ("killed", "too_large"), ("crashed", "unknown"), ("timeout", "unknown"),
                       ("build_failed", "unknown")):
        assert judge(BuildAttempt(0, MIB, outcome), 1.0, 0.03) == j  # type: ignore[arg-type]


def test_verdict_prefers_what_fits_and_says_why() -> None:
    plan = plan_for(budget=GIB, overhead_bytes=0)
    fast_but_big = replace(_ok(512 * MIB, 1.0, device=2 * GIB), index=1)
    slow_fits = replace(_ok(64 * MIB, 1.5, device=200 * MIB), index=2)
    v = choose(plan, [fast_but_big, slow_fits])
    assert v.attempt is slow_fits and v.fits and not v.within_tolerance
    assert "fastest that fits" in v.reason and "does not fit" in v.reason
    v = choose(plan, [fast_but_big])
    assert v.attempt is None and "no engine fits the 1.00 GiB budget" in v.reason


def test_next_step_starts_at_the_top() -> None:
    plan = plan_for()
    step = next_step(plan, [])
    assert step is not None and step.limit_bytes == plan.hi_bytes and step.phase == "start"
