"""Kernels to layers: by NVTX ranges (innermost layer range around the launch call), and by stream
order between the profiler's layer boundaries when there are no ranges."""

from __future__ import annotations

from kernel_support import THREAD, build_capture

from trtui.core.kernel_records import KernelCapture, KernelRecord, LaunchCall, NvtxRange
from trtui.kernels.attribute import attribute

LAYERS = [("conv1", [5_000]), ("{ForeignNode[/a/Mul.../a/Add]}", [2_000, 3_000, 1_000]), ("fc", [4_000, 500])]
NAMES = [n for n, _ in LAYERS]
TIMES = [sum(d) / 1e6 + 0.001 for _, d in LAYERS]


def layers_of(att) -> list[str]:  # type: ignore[no-untyped-def]
    return [att.layers[i] if i >= 0 else "" for i in att.kernel_layer]


def expected() -> list[str]:
    return [n for n, d in LAYERS for _ in d]


def test_each_kernel_lands_in_its_layer_range() -> None:
    att = attribute(build_capture(LAYERS), NAMES, TIMES)
    assert att.method == "nvtx"
    assert layers_of(att) == expected()
    assert att.unattributed == 0
    assert att.layer_ms == tuple(TIMES)


def test_a_non_layer_range_inside_a_layer_gives_way_to_the_layer() -> None:
    cap = build_capture(LAYERS, inner={NAMES[1]: "myelin: mul_add_fusion"})
    att = attribute(cap, NAMES, TIMES)
    assert layers_of(att) == expected()


def test_kernels_launched_outside_layer_ranges_stay_unattributed() -> None:
    cap = build_capture(LAYERS)
    stray = KernelRecord("memset_kernel", 10**9, 10**9 + 100, 3, 999)
    call = LaunchCall(999, 1, 2, THREAD)  # inside "enqueue" only
    cap2 = KernelCapture((*cap.kernels, stray), (*cap.launches, call), cap.ranges)
    att = attribute(cap2, NAMES, TIMES)
    assert att.method == "nvtx"
    assert att.unattributed == 1
    assert layers_of(att)[-1] == ""


def test_ranges_of_other_threads_do_not_count() -> None:
    cap = build_capture(LAYERS)
    moved = tuple(
        NvtxRange(r.name, r.start_ns, r.end_ns, THREAD + 1 + i % 2, r.domain)
        for i, r in enumerate(cap.ranges)
    )
    att = attribute(KernelCapture(cap.kernels, cap.launches, moved), NAMES, TIMES)
    assert att.method == "stream order"  # no range on the launching thread: fall back


def test_one_thread_under_two_numberings_is_one_thread() -> None:
    cap = build_capture(LAYERS)
    renumbered = tuple(NvtxRange(r.name, r.start_ns, r.end_ns, 123456789, r.domain) for r in cap.ranges)
    att = attribute(KernelCapture(cap.kernels, cap.launches, renumbered), NAMES, TIMES)
    assert att.method == "nvtx" and layers_of(att) == expected()


def test_without_ranges_kernels_follow_the_profiler_boundaries() -> None:
    cap = build_capture(LAYERS, with_ranges=False)
    att = attribute(cap, NAMES, TIMES)
    assert att.method == "stream order"
    assert layers_of(att) == expected()


def test_stream_order_scales_the_boundaries_to_the_kernels_span() -> None:
    # the profiler's times (each layer's kernels and launch gaps) are in another unit/scale than the
    # kernels' timestamps (event overhead, clock): only the proportions matter
    gap = 20_000
    cap = build_capture(LAYERS, with_ranges=False, gap=gap)
    att = attribute(cap, NAMES, [3 * (sum(d) + gap * len(d)) / 1e6 for _, d in LAYERS])
    assert layers_of(att) == expected()


def test_kernels_are_reported_in_gpu_start_order() -> None:
    cap = build_capture(LAYERS)
    shuffled = KernelCapture(tuple(reversed(cap.kernels)), cap.launches, cap.ranges)
    att = attribute(shuffled, NAMES, TIMES)
    starts = [k.start_ns for k in att.kernels]
    assert starts == sorted(starts)
    assert layers_of(att) == expected()


def test_no_ranges_and_no_layer_times_is_no_attribution() -> None:
    cap = build_capture(LAYERS, with_ranges=False)
    att = attribute(cap, [], [])
    assert att.method == "none"
    assert att.unattributed == len(cap.kernels)


def test_a_layer_name_missing_from_the_profiler_is_not_invented() -> None:
    att = attribute(build_capture(LAYERS), NAMES[:2], TIMES[:2])
    assert layers_of(att) == [n if n in NAMES[:2] else "" for n in expected()]


def test_stream_order_ignores_a_missing_layer_time() -> None:
    cap = build_capture(LAYERS, with_ranges=False)
    att = attribute(cap, NAMES, [TIMES[0], float("nan"), TIMES[2]])
    assert att.method == "stream order"
    assert NAMES[1] not in layers_of(att)  # a layer without a time gets no slice
    assert layers_of(att)[0] == NAMES[0] and layers_of(att)[-1] == NAMES[2]
