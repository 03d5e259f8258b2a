"""The comparison screen (Textual, headless): tables filled from the comparison, sorting, tabs."""

from __future__ import annotations

import numpy as np

from trtui.analysis.compare import compare
from trtui.analysis.run import RunData
from trtui.core.model import LayerInfo, LayerSummaryTable, frozen_array
from trtui.stats.layers import LayerAggregator
from trtui.stats.snapshot import LatencyStats
from trtui.ui.compare_app import SORTS, CompareApp, CompareScreen


def run(times: dict[str, float], precision: str, tactic: str) -> RunData:
    names = tuple(times)
    n = len(names)
    mean = frozen_array(list(times.values()))
    agg = LayerAggregator()
    agg.set_summary(
        LayerSummaryTable(
            names,
            frozen_array(np.ones(n, np.int64), np.int64),  # type: ignore[arg-type]
            mean,
            mean,
            mean,
            1,
        )
    )  # type: ignore[arg-type]
    infos = {
        # "new" is a pooling layer: no convolution of A is left for it to pair with
        m: LayerInfo(m, type="Pooling" if m == "new" else "Conv", precision=precision,
                     tactic=f"sm90_xmma_{tactic}_f16")
        for m in names
    }
    return RunData(f"run-{precision}", agg.total(), infos, LatencyStats(10, mean=sum(times.values())))


A = run({"conv [profile 1]": 1.0, "{ForeignNode[a...b]}": 2.0, "gone": 0.5}, "FP16", "fprop")
B = run({"conv [profile 1]": 3.0, "{ForeignNode[a...b]}": 1.5, "new": 0.25}, "FP32", "gemm")


def cell_text(row: list[object]) -> list[str]:
    return [str(c) for c in row]


async def test_screen_shows_the_comparison() -> None:
    c = compare(A, B)
    app = CompareApp(c)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        layers = screen.query_one("#layer-table")
        assert layers.row_count == 2
        first = cell_text(layers.get_row_at(0))  # type: ignore[attr-defined]
        # names with brackets are shown as written (not read as markup)
        assert first[0] == "conv [profile 1]"  # largest change first (+2.0 ms)
        assert first[3] == "+2.0000" and first[5] == "FP16 -> FP32"
        await pilot.press("s")
        await pilot.pause()
        assert screen.sort_name == SORTS[1][0]
        await pilot.press("s")
        await pilot.pause()
        assert screen.sort_name == "faster first"
        assert cell_text(layers.get_row_at(0))[0] == "{ForeignNode[a...b]}"  # type: ignore[attr-defined]
        await pilot.press("s")
        await pilot.pause()
        assert screen.sort_name == "change %"
        assert cell_text(layers.get_row_at(0))[0] == "conv [profile 1]"  # type: ignore[attr-defined]
        unmatched = screen.query_one("#unmatched-table")
        rows = {tuple(cell_text(unmatched.get_row_at(i))[:2]) for i in range(unmatched.row_count)}  # type: ignore[attr-defined]
        assert rows == {("A", "gone"), ("B", "new")}
        changes = screen.query_one("#change-table")
        assert changes.row_count == 4  # 2 precision + 2 tactic changes
        await pilot.press("5")
        await pilot.pause()
        assert screen.query_one("#compare-tabs").active == "unmatched"  # type: ignore[attr-defined]
        await pilot.press("q")


def test_the_summary_fits_80_columns_and_keeps_its_columns_aligned() -> None:
    from trtui.ui.compare_app import summary_text

    lines = summary_text(compare(A, B)).splitlines()
    table = [line for line in lines if line.startswith(("end-to-end", "sum of layer times"))]
    assert table and lines[0].split() == ["A", "B", "B-A", "change"]
    assert all(len(line) <= 78 for line in [lines[0], *table])  # 80 columns less the padding
    assert len({len(line) for line in [lines[0], *table]}) == 1  # right-aligned columns end together
    assert "sum of layer times" in table[-1] and "+1.2500" in table[-1]


async def test_esc_on_its_own_does_not_quit_and_is_not_offered_as_back() -> None:
    app = CompareApp(compare(A, B))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert "Back" not in {b.binding.description for b in app.active_bindings.values()}
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.screen is screen
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running  # q is how the compare screen on its own ends


async def test_question_mark_lists_the_keys_and_enter_shows_both_sides_of_a_layer() -> None:
    app = CompareApp(compare(A, B))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("question_mark")
        await pilot.pause()
        help_body = str(app.screen.query_one("#compare-modal-body").render())
        assert "Enter" in help_body and "sort the layers" in help_body
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("enter")  # the first row: conv [profile 1], largest change
        await pilot.pause()
        body = str(app.screen.query_one("#compare-modal-body").render())
        assert "conv [profile 1]" in body and "B-A +2.0000 ms" in body
        assert "A FP16, B FP32" in body and "sm90_xmma_fprop_f16" in body and "sm90_xmma_gemm_f16" in body
        await pilot.press("escape")
        await pilot.press("5")  # unmatched: A's "gone"
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        body = str(app.screen.query_one("#compare-modal-body").render())
        assert "only in A" in body and "gone" in body
        await pilot.press("escape")
        await pilot.press("q")
