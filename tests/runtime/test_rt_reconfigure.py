"""The engine source's reconfigure (one engine load; new batch and/or number of contexts), with the
fake TensorRT and CUDA behind the real worker, loop and adapter; and a sweep over it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rt_fakes as fk

import trtui.gpu.runtime.cuda_check as cuda_check
import trtui.gpu.runtime.cuda_graphs as cuda_graphs
import trtui.gpu.runtime.trt_module as trt_module
import trtui.gpu.runtime.worker as worker_mod
from trtui.core.options import RunOptions
from trtui.gpu.runtime.cuda_check import DeviceFacts
from trtui.sources.engine import EngineSource, open_engine_source
from trtui.sources.reconfigurable import DoesNotFit, can_reconfigure
from trtui.sweep.plan import plan_points
from trtui.sweep.runner import SweepRunner, settings_for

DYNAMIC = {
    "inputs": [{"name": "input", "dtype": "FLOAT", "shape": [-1, 3, 8, 8], "min": [1, 3, 8, 8],
                "opt": [4, 3, 8, 8], "max": [16, 3, 8, 8]}],
    "outputs": [{"name": "output", "dtype": "FLOAT", "shape": [-1, 10], "follow": "input"}],
    "per_sample": True,
}


@pytest.fixture(autouse=True)
def _reset() -> None:
    fk.reset()


GRAPHS: list[fk.FakeGraphs] = []


def _gpu(monkeypatch: pytest.MonkeyPatch, free_bytes: int = 8 << 30) -> None:
    facts = DeviceFacts(0, "Fake H100", (9, 0), 80 << 30, "13.0")
    monkeypatch.setattr(cuda_check, "check_cuda_device", lambda index=0: facts)
    lean = trt_module.TrtModule("tensorrt_lean_bindings", fk.FakeTrt, "11.4.0.106")  # type: ignore[arg-type]
    monkeypatch.setattr(trt_module, "load_trt_module", lambda names=(): lean)
    monkeypatch.setattr(worker_mod, "PycudaPlatform",
                        lambda device=0: fk.FakePlatform(fk.FakeDriver(free_bytes=free_bytes)))
    GRAPHS.clear()

    def graphs() -> fk.FakeGraphs:
        g = fk.FakeGraphs()
        GRAPHS.append(g)
        return g

    monkeypatch.setattr(cuda_graphs, "CudaGraphs", graphs)


def _source(tmp_path: Path, spec: dict[str, Any], **opts: Any) -> EngineSource:
    p = tmp_path / "m.engine"
    p.write_bytes(fk.plan(**spec))
    src = open_engine_source(p, RunOptions(profile_every=opts.pop("profile_every", 0), **opts))
    assert isinstance(src, EngineSource)
    return src


def _latencies(src: EngineSource, n: int = 40) -> tuple[np.ndarray, set[int]]:
    lat: list[float] = []
    streams: set[int] = set()
    deadline = time.time() + 5
    while len(lat) < n and time.time() < deadline:
        b = src.read(0.05)
        assert not b.finished, b.error
        lat += list(b.latencies_ms)
        if b.latency_streams is not None:
            streams |= {int(s) for s in b.latency_streams}
    assert len(lat) >= n
    return np.array(lat), streams


def test_batch_and_streams_change_with_one_engine_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gpu(monkeypatch)
    src = _source(tmp_path, DYNAMIC)
    assert can_reconfigure(src)
    src.start()
    try:
        lat4, _ = _latencies(src)
        assert np.median(lat4) == pytest.approx(4 * 0.6, rel=1e-6)  # the profile's opt batch
        captures = GRAPHS[0].captures
        done = src.reconfigure(8, 2)
        assert (done.batch, done.streams) == (8, 2)
        assert dict(done.shapes)["input"] == (8, 3, 8, 8)
        assert done.memory_per_context_mib is not None and done.memory_per_context_mib > 1.0
        assert src.info.streams == 2 and dict(src.info.shapes)["input"] == (8, 3, 8, 8)
        lat8, lanes = _latencies(src)
        assert np.all(np.isclose(lat8, 8 * 0.6))  # nothing from the old configuration
        assert lanes == {0, 1}
        assert GRAPHS[0].captures >= captures + 2  # both new lanes captured again
        done = src.reconfigure(None, 1)
        assert (done.batch, done.streams) == (8, 1)
    finally:
        src.stop()
    assert fk.JOURNAL.count("engine+") == 1  # one load for every configuration
    assert fk.JOURNAL.count("engine-") == 1
    assert all(a.freed for a in fk.ALLOCATIONS)
    assert fk.JOURNAL[-1] == "pop"


def test_a_batch_outside_the_profile_does_not_fit_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gpu(monkeypatch)
    src = _source(tmp_path, DYNAMIC)
    src.start()
    try:
        src.reconfigure(2, 1)
        with pytest.raises(DoesNotFit, match=r"batch 32 .*outside the engine's profile.*1\.\.16") as err:
            src.reconfigure(32, 1)
        assert err.value.problem == "profile"
        lat, _ = _latencies(src)
        assert np.all(np.isclose(lat, 2 * 0.6))
    finally:
        src.stop()


def test_out_of_memory_restores_the_previous_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gpu(monkeypatch, free_bytes=int(3.5 * (1 << 30)))
    src = _source(tmp_path, dict(DYNAMIC, ctx_memory=1 << 30))
    src.start()
    try:
        src.reconfigure(4, 2)
        with pytest.raises(DoesNotFit, match="memory") as err:
            src.reconfigure(4, 4)
        assert err.value.problem == "memory"
        assert src.info.streams == 2
        lat, lanes = _latencies(src)
        assert lanes == {0, 1} and np.all(np.isclose(lat, 4 * 0.6))
    finally:
        src.stop()
    assert all(a.freed for a in fk.ALLOCATIONS)


def test_static_batch_engine_can_change_streams_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _gpu(monkeypatch)
    src = _source(tmp_path, {})  # input 1x3x8x8, fixed
    src.start()
    try:
        with pytest.raises(DoesNotFit, match="batch is fixed at 1"):
            src.reconfigure(4, None)
        done = src.reconfigure(None, 3)
        assert (done.batch, done.streams) == (1, 3)
        _, lanes = _latencies(src, 60)
        assert lanes == {0, 1, 2}
    finally:
        src.stop()


def test_profiling_context_follows_the_new_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _gpu(monkeypatch)
    src = _source(tmp_path, DYNAMIC, profile_every=2)
    src.start()
    try:
        src.reconfigure(16, 2)
        got = []
        deadline = time.time() + 5
        while not got and time.time() < deadline:
            b = src.read(0.05)
            assert not b.finished, b.error
            got += [p for p in b.profiled if p.gpu_ms is not None]
        assert got
        assert got[-1].gpu_ms == pytest.approx(16 * 0.6 * 1.2)  # the profiled run has batch 16 too
    finally:
        src.stop()


def test_sweep_over_the_engine_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _gpu(monkeypatch)
    src = _source(tmp_path, DYNAMIC)
    planned = plan_points((1, 2, 4, 32), (1, 2))
    settings = settings_for("m.engine", "m.engine", False, planned, duration_s=0.15, warmup_s=0.05,
                            until_stable=False, budget_ms=None, knee_gain=0.1)
    runner = SweepRunner(src, settings)
    try:
        result = runner.run()
    finally:
        src.stop()
    assert result.stopped == "done"
    by = {(p.point.batch, p.point.streams): p for p in result.points}
    assert len(by) == 8
    for s in (1, 2):
        assert by[(32, s)].status == "does_not_fit" and "outside" in (by[(32, s)].reason or "")
        for b in (1, 2, 4):
            p = by[(b, s)]
            assert p.ok and p.streams == s and p.batch == b
            assert p.median_ms == pytest.approx(b * 0.6)
    assert fk.JOURNAL.count("engine+") == 1


@pytest.mark.parametrize(("profiles", "profile_every"), [(2, 0), (3, 2)])
def test_tensorrt_8_streams_come_and_go_on_one_profile_each(
    profiles: int, profile_every: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # TensorRT 8.x: a profile serves one context at a time (the fake's exclusive_profiles, as the real
    # 8.5.3 on an H100). A sweep over streams builds and drops contexts; each new one needs a free profile.
    _gpu(monkeypatch)
    src = _source(tmp_path, {**DYNAMIC, "profiles": profiles, "exclusive_profiles": True},
                  profile_every=profile_every)
    src.start()
    try:
        for batch, streams in [(4, 2), (8, 1), (2, 2), (16, 2), (1, 1), (4, 2)]:
            done = src.reconfigure(batch, streams)
            assert (done.batch, done.streams) == (batch, streams)
            _, lanes = _latencies(src, 10)
            assert lanes == set(range(streams)) or streams == 1
        with pytest.raises(DoesNotFit, match="one optimization profile per execution context"):
            src.reconfigure(4, profiles + 1 - (1 if profile_every else 0))
    finally:
        src.stop()
    assert not [e for e in fk.JOURNAL if e.startswith("profile-refused")], fk.JOURNAL
