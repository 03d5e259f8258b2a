"""The engine card and the roofline: TREx's figures on the fixtures, convolution MACs and arithmetic
intensity against TREx's formulas, peaks against datasheet values, and no efficiency above 100%."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from shared_support import shared_param_marks

from trtui.analysis.engine_card import engine_card, io_text, short_format
from trtui.analysis.engine_view import engine_view, engine_view_lines
from trtui.analysis.peaks import device_peaks, layer_peak, memory_bandwidth
from trtui.analysis.roofline import RooflineRow, layer_row
from trtui.analysis.work import layer_work
from trtui.core.model import DeviceSpec, LayerInfo, TensorInfo
from trtui.recording.runs import load_run

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "trtexec"
RECORDINGS = sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []
_REASON = "../shared/fixtures/trtexec is missing"


def needs_fixtures(test: Callable[[], None]) -> Callable[[], None]:
    """Skip (or fail in CI) a test that reads the fixtures when they are missing."""
    return pytest.mark.needs_shared(reason=_REASON)(test) if not RECORDINGS else test


FOLDERS = RECORDINGS or [pytest.param(Path("missing"), marks=shared_param_marks(_REASON))]

# TREx's data sizes by the data type word in a "Format/Datatype" string (written here from TREx's
# definitions, for the peer check; trtui reads types through its own parser)
_TREX_SIZES = {"FP32": 4, "Float": 4, "FP16": 2, "Half": 2, "Int8": 1, "INT8": 1, "Int32": 4}


def _trex_size(fmt: str) -> int:
    return next(size for word, size in _TREX_SIZES.items() if word in fmt.split())


def _graph(folder: Path) -> dict[str, object]:
    path = next(folder.glob("*.graph.json"))
    data: dict[str, object] = json.loads(path.read_text())
    return data


@needs_fixtures
def test_mobilenet_card_matches_trex_published_figures() -> None:
    run = load_run(FIXTURES / "mobilenet-qat")
    card = engine_view(run).card
    assert card.layers == 72
    assert card.weights_bytes is not None and card.activations_bytes is not None
    assert f"{card.weights_bytes / 2**20:.1f}" == "3.3"
    assert f"{card.activations_bytes / 2**20:.1f}" == "15.9"
    inputs = [io_text(t) for t in card.io if t.mode == "input"]
    assert inputs == ["input1: [1, 3, 224, 224]xFP32 NCHW"]
    assert dict(card.builder)["Precision"] == "FP32+FP16+INT8"
    assert card.built_for == "NVIDIA TITAN RTX"
    assert card.hardware is not None and card.hardware.sms == 72
    assert card.context_memory_bytes is None  # a recording: not available


@pytest.mark.parametrize("folder", FOLDERS, ids=str)
def test_convolution_macs_and_intensity_follow_trex_on_every_fixture(folder: Path) -> None:
    raw = {layer["Name"]: layer for layer in _graph(folder)["Layers"]}  # type: ignore[index,union-attr]
    run = load_run(folder)
    convs = 0
    for name, info in run.infos.items():
        r = raw.get(name)
        if r is None or r.get("ParameterType") != "Convolution":
            continue
        convs += 1
        n, c, h, w = r["Inputs"][0]["Dimensions"]
        _, k, p, q = r["Outputs"][0]["Dimensions"]
        rr, ss = r["Kernel"]
        g = r["Groups"]
        trex_macs = n * k * p * q * c * rr * ss / g
        work = layer_work(info)
        assert work.macs == trex_macs, name
        assert work.flops == 2 * trex_macs
        # TREx: intensity = MACs / (input + weights + output bytes), weights at the input's size
        in_size = _trex_size(r["Inputs"][0]["Format/Datatype"])
        out_size = _trex_size(r["Outputs"][0]["Format/Datatype"])
        trex_bytes = n * c * h * w * in_size + (k * c * rr * ss / g) * in_size + n * k * p * q * out_size
        # trtui counts the weights at their own type and every input (a fused residual too)
        w_size = {"Int8": 1, "Half": 2, "Float": 4}[r["Weights"]["Type"]]
        extra_inputs = sum(
            math.prod(t["Dimensions"]) * _trex_size(t["Format/Datatype"]) for t in r["Inputs"][1:]
        )
        ours = trex_bytes + (k * c * rr * ss / g) * (w_size - in_size) + extra_inputs
        assert work.bytes == pytest.approx(ours), name
        assert work.intensity == pytest.approx(2 * trex_macs / ours)
        if w_size == in_size and len(r["Inputs"]) == 1:
            assert work.intensity == pytest.approx(2 * trex_macs / trex_bytes)  # TREx's, in FLOPs
    assert convs >= 20


@pytest.mark.parametrize("folder", FOLDERS, ids=str)
def test_no_layer_on_any_fixture_is_above_its_roofline(folder: Path) -> None:
    view = engine_view(load_run(folder))
    rf = view.roofline
    assert rf is not None, view.why_not
    measured = [r for r in rf.rows if r.efficiency_pct is not None]
    assert len(measured) >= 20
    assert all(0 < r.efficiency_pct <= 100 for r in measured if r.efficiency_pct is not None)
    assert rf.flagged == ()  # no layer faster than its bound: the peaks and work counts hold
    assert rf.total_headroom_ms == pytest.approx(sum(r.headroom_ms or 0.0 for r in rf.rows))
    heads = [r.headroom_ms for r in rf.by_headroom() if r.headroom_ms is not None]
    assert heads == sorted(heads, reverse=True)


def _spec(name: str, cc: tuple[int, int], sms: int, mhz: float, mem_mhz: float | None = None,
          bus: int | None = None) -> DeviceSpec:
    return DeviceSpec(name, cc, sms, mhz, mem_mhz, bus)


def test_peaks_reproduce_datasheet_values() -> None:
    a100 = device_peaks(_spec("NVIDIA A100-SXM4-80GB", (8, 0), 108, 1410))
    h100 = device_peaks(_spec("NVIDIA H100 80GB HBM3", (9, 0), 132, 1830))
    assert a100 is not None and h100 is not None
    assert (a100.rate("fp16") or 0) / 1e12 == pytest.approx(312, rel=0.002)
    assert (a100.rate("tf32") or 0) / 1e12 == pytest.approx(156, rel=0.002)
    assert (a100.rate("int8") or 0) / 1e12 == pytest.approx(624, rel=0.002)
    assert (a100.rate("fp32") or 0) / 1e12 == pytest.approx(19.5, rel=0.002)
    assert (h100.rate("fp16") or 0) / 1e12 == pytest.approx(989, rel=0.002)
    assert (h100.rate("fp8") or 0) / 1e12 == pytest.approx(1979, rel=0.002)
    assert memory_bandwidth(9751, 384) == pytest.approx(936e9, rel=0.001)  # RTX 3090
    assert memory_bandwidth(1512, 5120) == pytest.approx(1935e9, rel=0.001)  # A100 80GB PCIe
    rtx = device_peaks(_spec("NVIDIA GeForce RTX 3090", (8, 6), 82, 1695))
    a40 = device_peaks(_spec("NVIDIA A40", (8, 6), 84, 1740))
    assert rtx is not None and a40 is not None
    assert (rtx.rate("fp16") or 0) / 1e12 == pytest.approx(142.3, rel=0.003)
    assert (rtx.rate("fp16_acc32") or 0) / 1e12 == pytest.approx(71.2, rel=0.003)  # GeForce: half
    assert (a40.rate("fp16_acc32") or 0) == a40.rate("fp16")  # professional part: full rate
    orin = device_peaks(_spec("Orin", (8, 7), 16, 1300, 3199, 256))
    assert orin is not None and orin.bandwidth_bytes_per_s == pytest.approx(204.7e9, rel=0.001)
    assert (orin.rate("int8") or 0) / 1e12 == pytest.approx(85, rel=0.01)
    assert device_peaks(_spec("future", (99, 0), 10, 1000)) is None  # not in the table: no roofline


def test_the_peak_follows_the_precision_and_stays_a_lower_bound() -> None:
    p = device_peaks(_spec("NVIDIA A100-SXM4-80GB", (8, 0), 108, 1410, 1593, 5120))
    assert p is not None
    assert layer_peak(p, "INT8", tensor=True).math == "INT8 tensor"
    assert layer_peak(p, "FP32", tensor=True).math == "TF32 tensor"  # TF32 may have run
    assert layer_peak(p, "FP32", tensor=True, explicit_fp32=True).math == "FP32"
    assert layer_peak(p, "FP16", tensor=False).math == "FP16 vector"
    assert layer_peak(p, None, tensor=True).flops_per_s == p.tensor_max().flops_per_s


def _conv(name: str = "conv", time_dtype: str = "FP16") -> LayerInfo:
    return LayerInfo(
        name=name, type="CaskConvolution", precision=time_dtype,
        inputs=(TensorInfo("x", (8, 64, 56, 56), time_dtype),),
        outputs=(TensorInfo("y", (8, 64, 56, 56), time_dtype),),
        params={"ParameterType": "Convolution", "Kernel": [3, 3], "Groups": 1, "OutMaps": 64,
                "Weights": {"Type": "Half", "Count": 64 * 64 * 9}},
    )


def test_a_layer_faster_than_its_bound_is_flagged_never_above_100_percent() -> None:
    p = device_peaks(_spec("NVIDIA A100-SXM4-80GB", (8, 0), 108, 1410, 1593, 5120))
    assert p is not None
    ok = layer_row("conv", _conv(), 1.0, p)
    assert ok.efficiency_pct is not None and 0 < ok.efficiency_pct <= 100 and not ok.faster_than_bound
    assert ok.attainable_ms is not None
    fast = layer_row("conv", _conv(), ok.attainable_ms / 2, p)
    assert fast.faster_than_bound and fast.efficiency_pct is None and fast.headroom_ms is None
    with pytest.raises(ValueError, match=r"outside 0\.\.100"):
        RooflineRow("x", "convolution", "FP16", 1.0, 1.0, 1.0, 1.0, 1.0, "FP16 tensor", 2.0, "compute",
                    200.0, 0.0)


def test_a_throttled_gpu_has_a_lower_roofline() -> None:
    spec = _spec("NVIDIA H100 80GB HBM3", (9, 0), 132, 1980, 2619, 5120)
    fast = device_peaks(spec)
    slow = device_peaks(spec, sm_clock_mhz=990, mem_clock_mhz=1309.5)
    assert fast is not None and slow is not None
    a = layer_row("conv", _conv(), 1.0, fast)
    b = layer_row("conv", _conv(), 1.0, slow)
    assert a.attainable_ms is not None and b.attainable_ms is not None
    assert b.attainable_ms == pytest.approx(2 * a.attainable_ms)


def test_work_of_other_layer_kinds_and_unknowns() -> None:
    t = TensorInfo
    pool = LayerInfo("pool", "CudaPooling", inputs=(t("x", (1, 8, 4, 4), "FP16"),),
                     outputs=(t("y", (1, 8, 2, 2), "FP16"),),
                     params={"ParameterType": "Pooling", "WindowSize": [2, 2]})
    assert layer_work(pool).flops == 32 * 4
    mm = LayerInfo("mm", "CaskGemmMatrixMultiply",
                   inputs=(t("a", (4, 16, 32), "FP16"), t("b", (4, 32, 8), "FP16")),
                   outputs=(t("c", (4, 16, 8), "FP16"),), params={"ParameterType": "MatrixMultiply"})
    assert layer_work(mm).macs == 4 * 16 * 8 * 32
    copy = LayerInfo("r", "Reformat", inputs=(t("a", (2, 3), "FP32"),), outputs=(t("b", (2, 3), "INT8"),))
    assert layer_work(copy).flops == 0 and layer_work(copy).bytes == 24 + 6
    myelin = LayerInfo("m", "Myelin", inputs=(t("a", (2, 3), "FP16"),), outputs=(t("b", (2, 3), "FP16"),))
    assert layer_work(myelin).flops is None and "lists no operations" in (layer_work(myelin).why or "")
    pw = LayerInfo("p", "PointWiseV2", inputs=(t("a", (2, 3), "FP16"),), outputs=(t("b", (2, 3), "FP16"),),
                   params={"ParameterType": "PointWise", "NbOperations": 3})
    assert layer_work(pw).flops == 18
    dynamic = LayerInfo("d", "Reformat", inputs=(t("a", (-1, 3), "FP16"),),
                        outputs=(t("b", (-1, 3), "FP16"),))
    assert layer_work(dynamic).bytes is None


def test_trt85_layer_json_with_missing_keys_reads_as_unknown() -> None:
    from trtui.engine_info.layer_info import parse_layer_info

    doc = parse_layer_info({"Bindings": ["in", "out"], "Layers": [
        {"Name": "c", "LayerType": "CaskConvolution", "ParameterType": "Convolution",
         "Inputs": [{"Name": "in", "Dimensions": [1, 3, 8, 8], "Format/Datatype": "Row major linear FP32"}],
         "Outputs": [{"Name": "out", "Dimensions": [1, 4, 8, 8], "Format/Datatype": "Row major linear FP32"}],
         "Weights": {"Type": "Float", "Count": 108}, "TacticName": "sm80_xmma_fprop_f32f32_f32f32_f32"},
        {"Name": "f", "LayerType": "Myelin", "Inputs": [], "Outputs": []},
    ]})
    card = engine_card(doc.layers, None)
    assert card.layers == 2 and card.trt_version is None and card.device_memory_bytes is None
    conv = layer_work(doc.layers[0])
    assert conv.flops is None and conv.bytes == (3 * 64 + 4 * 64 + 108) * 4  # no Kernel/Groups: unknown
    lines = engine_view_lines(engine_view(_run(doc.layers)), 5)
    assert any("roofline: unavailable (no device facts" in line for line in lines)
    assert any("TensorRT: unknown" in line for line in lines)


def _run(layers: tuple[LayerInfo, ...]):  # type: ignore[no-untyped-def]
    from trtui.analysis.run import RunData, infos_by_name
    from trtui.stats.snapshot import LayerTable

    return RunData("x", LayerTable.empty(), infos_by_name(layers), layer_order=layers)


def test_short_format_names() -> None:
    assert short_format("Row major linear FP32") == "FP32 NCHW"
    assert short_format("Channel major FP16 format where channel % 8 == 0") == "FP16 NHWC8"
    assert short_format("Thirty-two wide channel vectorized row major Int8 format") == "Int8 NC/32HW32"
    assert short_format("something new", "FP16") == "something new"
    assert short_format(None, "FP16") == "FP16"


@needs_fixtures
def test_compare_shows_per_layer_efficiency_changes() -> None:
    from trtui.analysis.compare import compare, comparison_dict
    from trtui.analysis.report import comparison_text

    a, b = load_run(FIXTURES / "resnet18-a100-fp32"), load_run(FIXTURES / "resnet18-a100-fp16")
    c = compare(a, b)
    known = [d for d in c.layers if d.efficiency_change is not None]
    assert len(known) >= 20
    for d in known:
        assert d.a_efficiency_pct is not None and d.b_efficiency_pct is not None
        assert 0 < d.a_efficiency_pct <= 100 and 0 < d.b_efficiency_pct <= 100
        assert d.efficiency_change == pytest.approx(d.b_efficiency_pct - d.a_efficiency_pct)
    text = comparison_text(c, top=3)
    assert "Largest roofline efficiency changes (top 3 of" in text
    layers = comparison_dict(c)["layers"]
    assert isinstance(layers, list) and "a_efficiency_pct" in layers[0]


def test_a_shape_too_large_for_a_float_is_unknown_work() -> None:
    # found by fuzzing check's inputs: a 400-digit dimension in a layer JSON raised OverflowError
    from trtui.analysis.work import layer_work, tensor_bytes
    from trtui.core.model import LayerInfo, TensorInfo

    huge = TensorInfo(name="x", shape=(10**400, 3), dtype="FP16")
    assert tensor_bytes(huge) is None
    conv = LayerInfo(name="c", type="CaskConvolution", inputs=(huge,), outputs=(huge,),
                     params={"ParameterType": "Convolution", "Kernel": [1], "Groups": 1})
    w = layer_work(conv)
    assert w.flops is None and w.bytes is None and w.why is not None
