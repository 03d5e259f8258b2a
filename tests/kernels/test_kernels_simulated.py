"""Kernels of the simulated engine: labelled simulated, attributed through the same NVTX path as a
GPU's, and turning them on changes no latency or layer time."""

from __future__ import annotations

import numpy as np
import pytest

from trtui.core.options import RunOptions
from trtui.kernels.attribute import attribute
from trtui.kernels.simulated import OFFSETS, SPLITK, kernel_plan
from trtui.pipeline.session import Session
from trtui.sources.simulated import SimulatedSource


def run(kernels: bool, n: int = 400) -> SimulatedSource:
    return SimulatedSource(RunOptions(kernels=kernels, seed=3))


def test_kernels_never_change_the_simulated_latencies_or_layer_times() -> None:
    a = run(False).generate(400)
    b = run(True).generate(400)
    np.testing.assert_array_equal(a.latencies_ms, b.latencies_ms)
    assert len(a.profiled) == len(b.profiled) > 0
    for pa, pb in zip(a.profiled, b.profiled, strict=True):
        np.testing.assert_array_equal(pa.times_ms, pb.times_ms)
        assert pa.kernels is None and pb.kernels is not None


def test_captures_are_simulated_and_follow_the_layer_plans() -> None:
    src = run(True)
    it = src.generate(10).profiled[0]
    cap = it.kernels
    assert cap is not None and cap.simulated
    att = attribute(cap, it.names, it.times_ms.tolist())
    assert att.method == "nvtx" and att.unattributed == 0
    by_layer: dict[str, list[str]] = {}
    for k, li in zip(att.kernels, att.kernel_layer, strict=True):
        by_layer.setdefault(att.layers[li], []).append(k.name)
    for layer in src.layers:
        assert by_layer[layer.info.name] == [name for name, _ in kernel_plan(layer.info)]
    # each layer's kernels fit in its profiler time, less a launch gap
    for li in range(len(att.layers)):
        ksum = sum(k.duration_ns for k, j in zip(att.kernels, att.kernel_layer, strict=True) if j == li) / 1e6
        assert 0.5 * it.times_ms[li] < ksum < it.times_ms[li] * 1.1


def test_plans_include_helper_kernels() -> None:
    src = run(True)
    plans = {layer.info.name: kernel_plan(layer.info) for layer in src.layers}
    assert any(name == OFFSETS for p in plans.values() for name, _ in p)
    assert any(name == SPLITK for p in plans.values() for name, _ in p)
    for p in plans.values():
        assert sum(share for _, share in p) == pytest.approx(1.0)


def test_the_session_publishes_kernel_statistics_and_the_mode_says_simulated() -> None:
    opts = RunOptions(kernels=True, seed=1)
    src = SimulatedSource(opts)
    assert "kernels (simulated)" in (src.info.mode or "")
    session = Session(src, None, opts)
    session.open()
    session.ingest(src.generate(300))
    k = session.build_update().profile.kernels
    assert k is not None and k.simulated and k.method == "nvtx"
    assert k.captures == 30
    assert 0 < k.kernel_sum_ms < session.build_update().profile.layer_sum_ms  # type: ignore[operator]


def test_kernels_are_off_by_default() -> None:
    opts = RunOptions()
    src = SimulatedSource(opts)
    session = Session(src, None, opts)
    session.ingest(src.generate(50))
    assert session.kernels is None and session.build_update().profile.kernels is None
