"""Shares in the text reports stay readable with thousands of layers (not 0.0% everywhere)."""

from __future__ import annotations

import numpy as np

from trtui.analysis.report import analysis_text
from trtui.analysis.run import RunData
from trtui.analysis.views import analyze
from trtui.core.model import LayerSummaryTable, frozen_array
from trtui.stats.layers import LayerAggregator


def test_analyze_text_at_20000_layers() -> None:
    n = 20_000
    names = tuple(f"layer{i}" for i in range(n))
    mean = frozen_array(np.linspace(0.001, 0.003, n))
    agg = LayerAggregator()
    ones = frozen_array(np.ones(n, np.int64), np.int64)
    agg.set_summary(LayerSummaryTable(names, ones, mean, mean, mean, 1))  # type: ignore[arg-type]
    run = RunData("big", agg.total())
    text = analysis_text(run, analyze(run.layers, run.infos, 5))
    top = [line for line in text.splitlines() if line.strip().startswith(("1 ", "2 ", "3 "))]
    assert len(top) == 3
    assert all(cell != "0.0%" and cell.endswith("%") for line in top for cell in line.split()[-2:]), top
