"""Arbitrary records (out of order, overlapping, unmatched ids, empty names) never break
attribution, statistics or the trace: every kernel gets a valid layer index or none."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from trtui.core.kernel_records import KernelCapture, KernelRecord, LaunchCall, NvtxRange
from trtui.kernels.aggregate import KernelAggregator
from trtui.kernels.attribute import attribute
from trtui.kernels.report import kernels_dict
from trtui.kernels.trace import check_trace, trace_events

ts = st.integers(min_value=0, max_value=10_000)
names = st.sampled_from(["a", "b", "c", "", "{ForeignNode[x]}", "_Z3foov"])

kernels = st.lists(
    st.builds(KernelRecord, names, ts, ts, st.integers(0, 3), st.integers(0, 30)), max_size=30
)
launches = st.lists(st.builds(LaunchCall, st.integers(0, 30), ts, ts, st.integers(0, 2)), max_size=30)
ranges = st.lists(st.builds(NvtxRange, names, ts, ts, st.integers(0, 2)), max_size=20)
layer_names = st.lists(st.sampled_from(["a", "b", "c", "{ForeignNode[x]}"]), max_size=4, unique=True)


@settings(max_examples=150, deadline=None)
@given(kernels, launches, ranges, layer_names, st.data())
def test_anything_attributes_aggregates_and_traces(ks, ls, rs, layers, data) -> None:  # type: ignore[no-untyped-def]
    times = data.draw(
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=len(layers), max_size=len(layers))
    )
    att = attribute(KernelCapture(tuple(ks), tuple(ls), tuple(rs)), layers, times)
    assert len(att.kernel_layer) == len(att.kernels) == len(ks)
    assert all(-1 <= i < len(layers) for i in att.kernel_layer)
    agg = KernelAggregator(window=2)
    agg.add(att)
    agg.add(att)
    agg.add(att)
    snap = agg.snapshot()
    assert snap is not None and snap.captures == 2
    trace = trace_events([att])
    assert check_trace(trace) == []
    json.dumps(trace, allow_nan=False)
    json.dumps(kernels_dict(snap), allow_nan=False)
