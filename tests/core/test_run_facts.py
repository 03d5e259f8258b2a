"""The one wording of a run's facts (trtui/core/run_facts.py), for every source, and the JSON summary's
numeric profiling facts."""

from __future__ import annotations

import pytest

from trtui.core.model import RunFacts, SourceInfo
from trtui.core.options import RunOptions
from trtui.core.run_facts import fact_notes, mode_line, summary_fields, ultralytics_note, worded
from trtui.sources.simulated import SimulatedSource


@pytest.mark.parametrize(
    ("facts", "line"),
    [
        (RunFacts(profile_every=10, profile_time_cap=0.2, cuda_graphs=True, graphs_asked=True,
                  transfers=False),
         "timing + profiling 1 in 10 (max 20% of time), CUDA graph on, no transfers"),
        (RunFacts(profile_every=0, cuda_graphs=False, graphs_asked=False, transfers=True),
         "timing only, CUDA graph off, transfers included"),
        (RunFacts(profile_every=5, profiling_off="no memory", cuda_graphs=False, graphs_asked=True,
                  graphs_off="capture failed", transfers=False),
         "timing only (per-layer profiling unavailable), CUDA graph off (capture failed), no transfers"),
        (RunFacts(profile_every=3, cuda_graphs=False, graphs_asked=True),
         "timing + profiling 1 in 3, CUDA graph off (unavailable)"),
        (RunFacts(profile_every=10, cuda_graphs=True, simulated=True),
         "timing + profiling 1 in 10, CUDA graph on (simulated)"),
        (RunFacts(recorded_by="trtexec", cuda_graphs=True, separate_profiling=True, spin_wait=False,
                  transfers=False),
         "recorded by trtexec: CUDA graph on, separate profiling run on, spin-wait off, data transfers off"),
        (RunFacts(recorded_by="trtexec"), "recorded by trtexec"),
        (RunFacts(recorded_by="trtui 0.9", recorded_mode="timing only, CUDA graph on"),
         "recorded by trtui 0.9: timing only, CUDA graph on"),
    ],
)
def test_mode_line(facts: RunFacts, line: str) -> None:
    assert mode_line(facts) == line


def test_notes_from_facts() -> None:
    f = RunFacts(aux_streams=2, ultralytics=(("task", "detect"), ("imgsz", "[640, 640]")))
    assert fact_notes(f) == {"aux streams": "2 (the sum of layer times is not a latency)",
                             "Ultralytics": "task detect, imgsz [640, 640]"}
    assert fact_notes(RunFacts()) == {}
    assert ultralytics_note(()) == "metadata present"
    assert ultralytics_note({"batch": 4, "names": {}}) == "batch 4"
    assert ultralytics_note(None) is None


def test_worded_fills_the_mode_and_keeps_the_rest() -> None:
    info = SourceInfo(kind="engine", label="m.engine", simulated=False, extra={"layers": "3"},
                      facts=RunFacts(profile_every=0, cuda_graphs=True, graphs_asked=True, aux_streams=1))
    out = worded(info)
    assert out.mode == "timing only, CUDA graph on"
    assert out.extra["layers"] == "3" and "not a latency" in out.extra["aux streams"]
    bare = SourceInfo(kind="engine", label="m.engine", simulated=False, mode="kept")
    assert worded(bare) is bare


def test_summary_fields_are_numbers() -> None:
    def info(facts: RunFacts | None) -> SourceInfo:
        return SourceInfo(kind="engine", label="x", simulated=False, facts=facts)

    assert summary_fields(info(RunFacts(profile_every=10, profile_time_cap=0.2))) == {
        "profile_every": 10, "profile_time_cap": 0.2}
    off = RunFacts(profile_every=10, profiling_off="no room", profile_time_cap=0.2)
    assert summary_fields(info(off)) == {"profile_every": 0, "profile_time_cap": None}
    assert summary_fields(info(RunFacts(profile_every=0))) == {"profile_every": 0, "profile_time_cap": None}
    assert summary_fields(info(None)) == {"profile_every": None, "profile_time_cap": None}


@pytest.mark.parametrize("every", [0, 1, 7])
def test_the_simulator_profiles_one_inference_in_n_as_its_mode_says(every: int) -> None:
    src = SimulatedSource(RunOptions(profile_every=every, seed=1))
    assert src.info.facts is not None and src.info.facts.profile_every == every
    assert src.info.mode == mode_line(src.info.facts)
    batch = src.generate(700)
    n_prof = len(batch.profiled)
    assert n_prof == (700 // every if every else 0)
    assert n_prof + batch.latencies_ms.size == 700
