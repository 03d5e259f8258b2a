"""Derived views: tactic families, time by type/precision/family, reformat share, hotspots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from recording_support import file_ending, fixture_dirs, load

from trtui.analysis.views import analyze, hotspots, is_reformat, time_by_type
from trtui.core.model import LayerInfo, LayerSummaryTable, frozen_array
from trtui.core.tactic_family import tactic_family
from trtui.recording.runs import load_run
from trtui.stats.layers import LayerAggregator
from trtui.stats.snapshot import LayerTable


@pytest.mark.parametrize(
    ("tactic", "family"),
    [
        (
            "sm90_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc_tilesize128x64x64",
            "xmma fprop implicit gemm",
        ),
        (
            "sm80_xmma_fprop_implicit_gemm_f32f32_tf32f32_f32_nhwckrsc_nhwc_tilesize256x64x32_stage3",
            "xmma fprop implicit gemm",
        ),
        ("ampere_h16816cudnn_128x64_sliced1x2_ldg8_relu_exp_stages_64x3_small_nhwc_tn_v1", "h16816cudnn"),
        ("turing_fp16_i8816cudnn_int8_128x128_ldg16_relu_small_nt_v1", "i8816cudnn"),
        ("volta_int8x4_icudnn_int8x4_128x32_relu_xregs_medium_c32_nn_v1", "icudnn"),
        ("ampere_scudnn_128x64_relu_xregs_large_nn_v1", "scudnn"),
        ("sm50_xmma_pooling_fw_4d_FP32FP32NHWC_Average_FastDiv_CAlign4", "xmma pooling fw"),
        ("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x256x64", "xmma gemm"),
        ("cutlass3x_sm90_tensorop_h64x128x16gemm_f16_f16_f32_void_f16", "cutlass tensorop"),
        ("__myl_AddMulMeanSubMul_0x8b2a41f7", "myelin"),
        (
            "void genericReformat::copyPackedKernel<float, __half>(unsigned int)",
            "genericreformat copypackedkernel",
        ),
        (None, None),
        ("", None),
    ],
)
def test_tactic_family(tactic: str | None, family: str | None) -> None:
    assert tactic_family(tactic) == family


def table(names: list[str], mean: list[float]) -> LayerTable:
    n = len(names)
    agg = LayerAggregator()
    agg.set_summary(
        LayerSummaryTable(
            tuple(names),
            frozen_array(np.ones(n, dtype=np.int64), np.int64),  # type: ignore[arg-type]
            frozen_array(mean),
            frozen_array(mean),
            frozen_array(mean),
            1,  # type: ignore[arg-type]
        )
    )
    return agg.total()


def test_groups_sum_to_the_total_and_sort_by_time() -> None:
    t = table(["a", "b", "c", "d"], [1.0, 3.0, 2.0, float("nan")])
    infos = [
        LayerInfo("a", type="Conv", precision="FP16"),
        LayerInfo("b", type="Conv", precision="INT8"),
        LayerInfo("c", type="Reformat", origin="REFORMAT", precision="FP16"),
    ]
    rows = time_by_type(t, infos)
    assert [(r.key, r.layers, r.time_ms) for r in rows] == [
        ("Conv", 2, 4.0),
        ("Reformat", 1, 2.0),
        ("(unknown type)", 1, 0.0),
    ]
    assert sum(r.share_pct for r in rows) == pytest.approx(100.0)
    a = analyze(t, infos, top=2)
    assert a.total_ms == 6.0
    assert [h.name for h in a.hotspots] == ["b", "c"]
    assert a.hotspots[1].cumulative_pct == pytest.approx(100 * 5 / 6)
    assert a.reformat.layers == 1 and a.reformat.share_pct == pytest.approx(100 * 2 / 6)
    assert {r.key: r.time_ms for r in a.by_precision} == {"FP16": 3.0, "INT8": 3.0, "(unknown)": 0.0}
    assert a.details_known


def test_reformat_by_name_when_types_are_unknown() -> None:
    assert is_reformat("Reformatting CopyNode for Input Tensor 0 to x", None)
    assert not is_reformat("Reformatting CopyNode for Input Tensor 0 to x", LayerInfo("r", type="NoOp"))
    assert is_reformat("q", LayerInfo("q", type="Reformat", origin="QDQ"))
    assert not is_reformat("conv", None)


def test_hotspots_of_an_empty_table() -> None:
    assert hotspots(LayerTable.empty(), [], 5) == ()
    assert analyze(LayerTable.empty(), []).total_ms == 0.0


@pytest.mark.parametrize("folder", fixture_dirs())
def test_fixture_views_match_the_files(folder: Path) -> None:
    profile = load(file_ending(folder, ".profile.json"))[1:]  # type: ignore[arg-type]
    graph = {layer["Name"]: layer for layer in load(file_ending(folder, ".graph.json"))["Layers"]}  # type: ignore[arg-type]
    run = load_run(folder)
    a = analyze(run.layers, run.infos, top=5)
    by_type: dict[str, float] = {}
    for row in profile:
        t = graph[row["name"]]["LayerType"]
        by_type[t] = by_type.get(t, 0.0) + row["averageMs"]
    assert {r.key: r.time_ms for r in a.by_type} == pytest.approx(by_type)
    assert a.total_ms == pytest.approx(sum(r["averageMs"] for r in profile))
    reformat = [r for r in profile if graph[r["name"]]["LayerType"] == "Reformat"]
    assert a.reformat.layers == len(reformat)
    assert a.reformat.time_ms == pytest.approx(sum(r["averageMs"] for r in reformat))
    top = sorted(profile, key=lambda r: -r["averageMs"])[:5]
    assert [h.time_ms for h in a.hotspots] == [r["averageMs"] for r in top]
    assert sum(r.layers for r in a.by_tactic_family) == len(profile)


def test_analyze_and_the_live_screen_group_types_the_same_way() -> None:
    """One per-type grouping: `analyze`'s time by type is the live screen's "group by type" rows."""
    from trtui.stats.groups import group_by_type

    t = table(["a", "b", "c", "d", "e"], [1.0, 3.0, 2.0, float("nan"), 0.5])
    infos = [
        LayerInfo("a", type="Conv", precision="FP16"),
        LayerInfo("b", type="Conv", precision="INT8"),
        LayerInfo("c", type="Reformat", precision="FP16"),
        LayerInfo("e"),
    ]
    screen = group_by_type(t, {i.name: i for i in infos})
    on_screen = {
        k: (n, float(np.nan_to_num(m)))
        for k, n, m in zip(screen.table.names, screen.sizes, screen.table.mean_ms, strict=True)
    }
    assert {r.key: (r.layers, r.time_ms) for r in time_by_type(t, infos)} == on_screen
    assert on_screen == {"Conv": (2, 4.0), "Reformat": (1, 2.0), "(unknown type)": (2, 0.5)}
    assert screen.precisions == ("mixed", "FP16", "")
