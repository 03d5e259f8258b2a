"""The table's row order (trtui.ui.layer_order): sort keys, unknown values last, filters by name or type."""

from __future__ import annotations

import math

import numpy as np
from layer_tables import INFOS, table_of

from trtui.ui.layer_order import order_for


def test_order_for_sorts_descending_with_unknown_last_and_filters() -> None:
    t = table_of(["a", "b", "c", "d"], [1.0, math.nan, 3.0, 2.0])
    names = lambda o: [t.names[i] for i in o]  # noqa: E731
    assert names(order_for(t, INFOS, "mean", False, "")) == ["c", "d", "a", "b"]
    assert names(order_for(t, INFOS, "mean", True, "")) == ["a", "d", "c", "b"]
    assert names(order_for(t, INFOS, "type", False, "")) == ["d", "a", "b", "c"]
    assert names(order_for(t, INFOS, "mean", False, "conv")) == ["a", "b"]  # by type
    assert names(order_for(t, INFOS, "order", False, "C")) == ["a", "b", "c"]  # name 'c' or type 'Conv'
    delta = np.array([5.0, -1.0, math.nan, 0.0])
    assert names(order_for(t, INFOS, "delta", False, "", delta)) == ["a", "d", "b", "c"]
