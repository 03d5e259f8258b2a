"""The one `precision_mix` and the one `base_name`, shared by the engine, recordings and analysis."""

from __future__ import annotations

from trtui.core.model import LayerInfo, base_name, precision_mix


def _layers(*precisions: str | None) -> list[LayerInfo]:
    return [LayerInfo(name=f"l{i}", precision=p) for i, p in enumerate(precisions)]


def test_precision_mix_counts_layers_of_known_precision_most_common_first() -> None:
    assert precision_mix(_layers("FP32", "FP16", "FP16", None, "FP16")) == "FP16 75%, FP32 25%"


def test_precision_mix_breaks_ties_by_name_whatever_the_order() -> None:
    assert precision_mix(_layers("INT8", "FP16")) == "FP16 50%, INT8 50%"
    assert precision_mix(_layers("FP16", "INT8")) == "FP16 50%, INT8 50%"


def test_precision_mix_is_none_when_no_precision_is_known() -> None:
    assert precision_mix(_layers(None, "")) is None
    assert precision_mix([]) is None


def test_base_name_drops_only_the_profile_suffix() -> None:
    assert base_name("conv1 [profile 2]") == "conv1"
    assert base_name("conv1") == "conv1"
    assert base_name("conv1 [profile 2] x") == "conv1 [profile 2] x"
