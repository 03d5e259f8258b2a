"""What a real TensorRT wrote, read on the CPU: artifacts recorded on an H100 with PyPI's full
TensorRT 8.5.3 (tests/gpu/test_real_trt.py, engines built from sample_engines/make_onnx.py's
ResNets with the real builder), kept in tests/data/real_trt85/:

- `r18_fp16.layers.json`, `r18_int8.layers.json`, `r50_int8.layers.json`: the engine inspector's
  detailed JSON (TensorRT 8.5's format: `Format/Datatype`, `Bindings`, fused conv + pooling layers
  with `Conv`/`Pooling`-prefixed parameters, layers with a TacticValue and no TacticName);
- `r18_fp16_export/`: `trtui profile --export-dir` of a real run of the ResNet-18 FP16 engine;
- `*.summary.json`: `trtui profile --json` of the real runs (FP32, FP16, Q/DQ INT8);
- `tune.json`: `trtui tune` with real builds (workspace limits, --tactic-sources).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trtui.analysis.work import layer_work
from trtui.cli import main
from trtui.engine_info.layer_info import parse_layer_info
from trtui.recording.loader import load_recording

DATA = Path(__file__).parents[1] / "data" / "real_trt85"


def summary(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / f"{name}.summary.json").read_text())
    return doc


def test_tensorrt_8_5_layer_json_parses_with_types_tactics_and_precisions() -> None:
    fp16 = parse_layer_info((DATA / "r18_fp16.layers.json").read_text())
    int8 = parse_layer_info((DATA / "r18_int8.layers.json").read_text())
    assert len(fp16.layers) == 26 and len(int8.layers) == 25
    by_name = {x.name: x for x in fp16.layers}
    conv = by_name["layer4.0.conv2 + layer4.0.add + layer4.0.relu2"]
    assert conv.type == "CaskConvolution" and conv.precision == "FP16"
    assert conv.tactic is not None and conv.tactic.startswith("sm80_xmma_fprop_implicit_gemm")
    # the Q/DQ engine: every convolution computes in INT8, the residual Adds fused into them
    convs = [x for x in int8.layers if "Conv" in (x.type or "")]
    assert len(convs) == 21 and all(x.precision == "INT8" for x in convs if x.type != "CaskGemmConvolution")
    assert any(".add" in x.name for x in convs)
    fused = next(x for x in int8.layers if x.type == "CaskConvActPool")  # conv1 + relu + maxpool
    assert fused.tactic is None and fused.params.get("TacticValue")  # 8.5: a TacticValue, no TacticName
    assert [t.name for t in int8.io] == ["input", "logits"]


def test_the_work_of_a_fused_conv_and_pool_layer_is_its_convolutions() -> None:
    int8 = parse_layer_info((DATA / "r18_int8.layers.json").read_text())
    fused = next(x for x in int8.layers if x.type == "CaskConvActPool")
    w = layer_work(fused)
    # conv1: 3 -> 64 channels, 7x7, stride 2, padding 3 on 224x224 -> 112x112 (pooled to 56x56 after)
    assert w.kind == "convolution" and w.macs == 1 * 64 * 112 * 112 * 3 * 7 * 7
    assert w.weight_bytes == 9408  # INT8 weights: one byte each
    assert all(layer_work(x).macs for x in int8.layers if x.type == "CaskConvolution")


def test_the_export_of_a_real_run_replays_with_the_inspectors_layers() -> None:
    rec = load_recording(DATA / "r18_fp16_export")
    names = {x.name for x in parse_layer_info((DATA / "r18_fp16.layers.json").read_text()).layers}
    assert {x.name for x in rec.layers} == names
    assert rec.device_meta is not None and rec.device_meta.name == "NVIDIA H100 80GB HBM3"
    assert rec.times is not None and len(rec.times.latency_ms) == 4096
    assert rec.device_meta.attributes.get("Simulated") is False


@pytest.mark.parametrize("name", ["r18_fp16", "r18_int8", "r50_fp32", "r50_fp16", "r50_int8"])
def test_real_summaries_hold_a_real_run(name: str) -> None:
    doc = summary(name)
    src = doc["source"]
    assert src["kind"] == "engine" and src["simulated"] is False and src["trt_version"] == "8.5.3.1"
    assert doc["device"].startswith("NVIDIA H100")
    prof = doc["profiler"]
    # the profiled inference replayed a CUDA graph; what the layers add is TensorRT's own events
    assert prof["profiled_as_graph"] is True
    assert 0.9 * prof["profiled_gpu_ms"] <= prof["layer_sum_ms"] <= prof["profiled_gpu_ms"]
    assert prof["tax_pct"] > 10


def test_compare_and_check_read_the_real_ladder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp.json"
    assert main(["compare", str(DATA / "r50_fp16.summary.json"), str(DATA / "r50_int8.summary.json"),
                 "--json", str(out), "--text"]) == 0
    cmp = json.loads(out.read_text())
    assert cmp["matched_pct_a"] > 80 and cmp["matched_pct_b"] > 80
    assert any(c for c in cmp["precision_changes"])
    capsys.readouterr()
    # INT8 against FP16: faster end to end, no regression; FP32 against FP16: a regression
    assert main(["check", str(DATA / "r50_int8.summary.json"), "--baseline",
                 str(DATA / "r50_fp16.summary.json")]) == 0
    assert main(["check", str(DATA / "r50_fp32.summary.json"), "--baseline",
                 str(DATA / "r50_fp16.summary.json")]) == 1


def test_tune_with_real_builds_chose_a_workspace() -> None:
    doc = json.loads((DATA / "tune.json").read_text())
    assert doc["simulated"] is False and doc["builder"]["tensorrt"] == "8.5.3.1"
    ok = [a for a in doc["attempts"] if a["outcome"] == "ok"]
    assert len(ok) == 4 and all(a["latency_ms"] > 0 for a in ok)
    assert doc["chosen"]["limit_bytes"] == min(a["limit_bytes"] for a in ok)


@pytest.mark.parametrize("name", ["r50_fp16", "r50_int8"])
def test_the_roofline_of_real_engines_has_no_layer_above_the_bound(name: str) -> None:
    doc = summary(name)
    roof, card = doc["roofline"], doc["engine"]
    assert card["device"]["sms"] == 132 and card["device"]["bus_width_bits"] == 5120  # H100 SXM
    assert roof["clocks_from"] == "NVML now" and roof["bandwidth_gbps"] == pytest.approx(3352, rel=0.01)
    assert roof["faster_than_bound"] == []
    rows = roof["layers"]
    assert all(r["efficiency_pct"] is None or 0 <= r["efficiency_pct"] <= 100 for r in rows)
    convs = [r for r in rows if r["kind"] == "convolution"]
    assert len(convs) >= 50 and all(r["macs"] and r["attainable_ms"] < r["measured_ms"] for r in convs)
    assert {x["step"] for x in doc["startup"]} >= {"CUDA context", "deserialize", "inspector", "warm-up"}


def test_analyze_of_the_real_export_gives_the_card_and_roofline(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "a.json"
    assert main(["analyze", str(DATA / "r18_fp16_export"), "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["roofline"]["faster_than_bound"] == []
    assert doc["engine"]["trt_version"] == "8.5.3.1"
    assert "total headroom" in capsys.readouterr().out
