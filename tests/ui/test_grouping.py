"""The table's grouping and change columns (trtui.ui.grouping, over trtui.stats.groups and the
change format)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from layer_tables import INFOS, table_of

from trtui.common import format as fmt
from trtui.stats.groups import group_by_type
from trtui.ui.grouping import baseline_array, change_pct, placeholder_table


def test_group_by_type_sums_members() -> None:
    t = table_of(["a", "b", "c", "d"], [1.0, 2.0, 0.5, 0.25])
    g = group_by_type(t, INFOS)
    assert g.table.names == ("Conv", "Reformat", "(unknown type)")
    assert g.sizes == (2, 1, 1)
    assert g.precisions == ("mixed", "FP16", "")
    assert np.allclose(g.table.mean_ms, [3.0, 0.5, 0.25])
    assert math.isclose(float(g.table.share_pct.sum()), 100.0)
    assert np.allclose(g.table.recent_ms[0], [3.0, 0.5, 0.25])


def test_change_pct_and_baseline() -> None:
    base = baseline_array(("a", "b", "c"), {"a": 1.0, "b": 0.0})
    out = change_pct(np.array([1.5, 1.0, 2.0]), base)
    assert out[0] == pytest.approx(50.0)
    assert math.isnan(out[1]) and math.isnan(out[2])  # zero baseline; not in the baseline


def test_placeholder_table_lists_layers_without_numbers() -> None:
    t = placeholder_table((INFOS["a"], INFOS["b"]))
    assert t.names == ("a", "b") and np.isnan(t.mean_ms).all()


def test_format_change() -> None:
    assert fmt.change(12.34) == "+12.3%"
    assert fmt.change(-3.0) == "-3.0%"
    assert fmt.change(250.0) == "+250%"
    assert fmt.change(float("nan")) == "-" and fmt.change(None) == "-"
