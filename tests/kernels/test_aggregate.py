"""Per-layer and engine-wide kernel statistics over a window of profiled inferences."""

from __future__ import annotations

import math

import pytest
from kernel_support import build_capture

from trtui.core.kernel_records import KernelCapture, KernelRecord
from trtui.kernels.aggregate import KernelAggregator
from trtui.kernels.attribute import attribute

LAYERS = [("conv", [4_000]), ("block", [1_000, 2_000, 1_000])]
NAMES = [n for n, _ in LAYERS]


def add(agg: KernelAggregator, layers=LAYERS, layer_ms=(0.005, 0.006), **kw) -> None:  # type: ignore[no-untyped-def]
    agg.add(attribute(build_capture(layers, **kw), [n for n, _ in layers], list(layer_ms)), cost_s=0.001)


def test_nothing_before_the_first_capture() -> None:
    assert KernelAggregator().snapshot() is None


def test_layer_statistics() -> None:
    agg = KernelAggregator()
    for _ in range(4):
        add(agg)
    k = agg.snapshot()
    assert k is not None and k.captures == 4 and k.method == "nvtx"
    block = k.for_layer("block")
    assert block is not None
    assert block.layer_ms == pytest.approx(0.006)
    assert block.kernel_sum_ms == pytest.approx(0.004)
    assert block.gap_ms == pytest.approx(0.002)
    assert block.launches == pytest.approx(3.0)
    row0, *others = block.kernels
    assert len(others) == 2 and all(r.total_ms <= row0.total_ms for r in others)
    assert row0.raw_name == "block_k1" and row0.total_ms == pytest.approx(0.002)  # largest first
    assert row0.share_pct == pytest.approx(100 * 0.002 / 0.006)
    assert row0.mean_ms == pytest.approx(0.002) and row0.median_ms == pytest.approx(0.002)
    assert row0.per_inference == pytest.approx(1.0)
    assert k.kernel_sum_ms == pytest.approx(0.008)
    assert [lk.layer for lk in k.layers] == NAMES


def test_repeated_kernel_names_count_per_inference() -> None:
    agg = KernelAggregator()
    cap = build_capture([("l", [1_000, 3_000])])
    same = KernelCapture(
        tuple(KernelRecord("gemm", k.start_ns, k.end_ns, k.stream, k.correlation_id) for k in cap.kernels),
        cap.launches,
        cap.ranges,
    )
    agg.add(attribute(same, ["l"], [0.005]))
    k = agg.snapshot()
    assert k is not None
    (row,) = k.for_layer("l").kernels  # type: ignore[union-attr]
    assert row.per_inference == pytest.approx(2.0)
    assert row.mean_ms == pytest.approx(0.002)
    assert row.total_ms == pytest.approx(0.004)


def test_window_forgets_old_captures() -> None:
    agg = KernelAggregator(window=2)
    add(agg, layers=[("conv", [10_000])], layer_ms=(0.02,))
    add(agg, layers=[("conv", [2_000])], layer_ms=(0.004,))
    add(agg, layers=[("conv", [2_000])], layer_ms=(0.004,))
    k = agg.snapshot()
    assert k is not None and k.captures == 2 and k.total_captures == 3
    conv = k.for_layer("conv")
    assert conv is not None
    assert conv.kernel_sum_ms == pytest.approx(0.002)
    assert conv.layer_ms == pytest.approx(0.004)


def test_engine_view_groups_by_kernel_and_family() -> None:
    agg = KernelAggregator()
    layers = [("a", [3_000]), ("b", [1_000])]
    cap = build_capture(layers)
    renamed = KernelCapture(
        (
            KernelRecord("sm90_xmma_gemm_f16_tile128", *_t(cap.kernels[0])),
            KernelRecord("sm90_xmma_gemm_f16_tile128", *_t(cap.kernels[1])),
        ),
        cap.launches,
        cap.ranges,
    )
    agg.add(attribute(renamed, ["a", "b"], [0.004, 0.002]))
    k = agg.snapshot()
    assert k is not None
    (top,) = k.top
    assert top.layers == 2 and top.per_inference == pytest.approx(2.0)
    assert top.total_ms == pytest.approx(0.004) and top.share_pct == pytest.approx(100.0)
    assert top.median_ms == pytest.approx(0.002)
    assert [f.family for f in k.families] == ["xmma gemm"]


def _t(k: KernelRecord) -> tuple[int, int, int, int]:
    return k.start_ns, k.end_ns, k.stream, k.correlation_id


def test_unattributed_kernels_are_a_group_of_their_own() -> None:
    agg = KernelAggregator()
    agg.add(attribute(build_capture(LAYERS, with_ranges=False), [], []))
    k = agg.snapshot()
    assert k is not None and k.method == "none"
    assert k.unattributed is not None and k.unattributed.layer_ms is None and k.unattributed.gap_ms is None
    assert k.unattributed.launches == pytest.approx(4.0)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0
        self.step = 0.0  # added at every read: the cost a rebuild "takes"

    def __call__(self) -> float:
        self.t += self.step
        return self.t


def test_cost_is_counted_and_snapshot_is_reused_until_new_data() -> None:
    agg = KernelAggregator(clock=Clock())
    add(agg)
    s1 = agg.snapshot()
    assert s1 is not None and s1.cost_ms >= 1.0  # the 1 ms the tracer reported, plus our own
    assert agg.snapshot() is s1
    add(agg)
    s2 = agg.snapshot()
    assert s2 is not s1 and s2 is not None and s2.total_cost_s >= 0.002


def test_rebuilds_are_spaced_by_ten_times_their_cost() -> None:
    clock = Clock()
    clock.step = 0.01  # each clock read: 10 ms later, so a rebuild "costs" 10 ms
    agg = KernelAggregator(clock=clock)
    add(agg)
    s1 = agg.snapshot()
    add(agg)
    assert agg.snapshot() is s1  # new data, but the next rebuild is not due yet
    clock.t += 1.0
    s2 = agg.snapshot()
    assert s2 is not s1 and s2 is not None and s2.total_captures == 2


def test_trace_keeps_the_first_inferences_only() -> None:
    agg = KernelAggregator(keep_for_trace=2)
    for _ in range(5):
        add(agg)
    assert len(agg.trace_captures()) == 2
    agg.reset()
    assert agg.snapshot() is None and agg.trace_captures() == ()


def test_simulated_flag_is_kept() -> None:
    agg = KernelAggregator()
    agg.add(attribute(build_capture(LAYERS), NAMES, [0.005, 0.006]), simulated=True)
    k = agg.snapshot()
    assert k is not None and k.simulated and not math.isnan(k.kernel_sum_ms)


def test_a_layer_time_the_profiler_did_not_give_is_skipped() -> None:
    agg = KernelAggregator()
    add(agg, layer_ms=(0.005, float("nan")))
    add(agg, layer_ms=(0.005, 0.006))
    k = agg.snapshot()
    assert k is not None
    block = k.for_layer("block")
    assert block is not None and block.layer_ms == pytest.approx(0.006)
