"""Small recordings the project writes itself, in trtexec's formats (`--exportProfile`,
`--exportLayerInfo` in both layer-info layouts, `--exportTimes`, TREx's metadata files), so that the
format tests run in every clone, also without ../shared/fixtures/. Deterministic, hand-made test
data (not measurements): 5 layers, 200 inferences, on "Test GPU (written by the tests)".

`write_recording(folder, layout)` writes one; `own_recording_dirs()` writes both layouts once per
test process into a temporary folder and returns them.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

DEVICE = "Test GPU (written by the tests)"
STEM = "own.engine"
ITERATIONS = 100
INFERENCES = 200

_FP32 = ("Row major linear FP32", "Row major linear", "Float")
_FP16_C8 = (
    "Channel major FP16 format where channel % 8 == 0", "Channel major format where channel % 8 == 0", "Half"
)
_INT8_V32 = (
    "Thirty-two wide channel vectorized row major Int8 format",
    "Thirty-two wide channel vectorized row major format",
    "Int8",
)

# name, type, [(tensor, dims, format)] in, out, extra keys, average ms
_Tensors = list[tuple[str, list[int], tuple[str, str, str]]]
_LAYERS: list[tuple[str, str, _Tensors, _Tensors, dict[str, Any], float]] = [
    ("Reformatting CopyNode for Input Tensor 0 to conv1 + relu1", "Reformat",
     [("input", [1, 3, 32, 32], _FP32)], [("input_r", [1, 3, 32, 32], _FP16_C8)], {"Origin": "REFORMAT"},
     0.012),
    ("conv1 + relu1", "CaskConvolution",
     [("input_r", [1, 3, 32, 32], _FP16_C8)], [("t1", [1, 16, 32, 32], _FP16_C8)],
     {"ParameterType": "Convolution", "Weights": "{'Type': 'Half', 'Count': 432}",
      "TacticName": "sm80_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc", "TacticValue": "0x1"},
     0.125),
    ("QuantizeLinear_4", "Reformat",
     [("t1", [1, 16, 32, 32], _FP16_C8)], [("t1_q", [1, 16, 32, 32], _INT8_V32)], {"Origin": "QDQ"}, 0.01),
    ("conv2.weight + QuantizeLinear_7 + Conv_9 + Add_11", "CaskConvolution",
     [("t1_q", [1, 16, 32, 32], _INT8_V32), ("t1", [1, 16, 32, 32], _FP16_C8)],
     [("t2", [1, 16, 32, 32], _FP16_C8)],
     {"ParameterType": "Convolution", "Weights": "{'Type': 'Int8', 'Count': 2304}",
      "TacticName": "sm80_xmma_fprop_implicit_gemm_interleaved_i8f16_i8i32_f32_nchw_vect_c_32",
      "TacticValue": "0x2"},
     0.085),
    ("Reformatting CopyNode for Output Tensor 0 to conv2.weight + QuantizeLinear_7 + Conv_9 + Add_11",
     "Reformat", [("t2", [1, 16, 32, 32], _FP16_C8)], [("output", [1, 16, 32, 32], _FP32)],
     {"Origin": "REFORMAT"}, 0.02),
]


def _tensor(name: str, dims: list[int], fmt: tuple[str, str, str], layout: str) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": name, "Location": "Device", "Dimensions": dims}
    if layout == "10":
        out["Format/Datatype"] = fmt[0]
    else:
        out["Format"], out["DataType"] = fmt[1], fmt[2]
    return out


def graph(layout: str) -> dict[str, Any]:
    """The layer information in TensorRT 10's layout ("Format/Datatype", "Bindings") or 11's
    ("Format" + "DataType", "I/O Tensors")."""
    layers = []
    for name, ltype, ins, outs, extra, _ in _LAYERS:
        layer: dict[str, Any] = {
            "Name": name,
            "LayerType": ltype,
            "Inputs": [_tensor(*t, layout) for t in ins],
            "Outputs": [_tensor(*t, layout) for t in outs],
        }
        layer.update(extra)
        layers.append(layer)
    if layout == "10":
        return {"Layers": layers, "Bindings": ["input", "output"]}
    io = [
        {"Name": "input", "IOMode": "Input", "DataType": "Float", "Dimensions": [1, 3, 32, 32],
         "Location": "Device", "ProfileInfo": [{"OptShape": [1, 3, 32, 32], "Format": "Row major linear"}]},
        {"Name": "output", "IOMode": "Output", "DataType": "Float", "Dimensions": [1, 16, 32, 32],
         "Location": "Device"},
    ]
    return {"Layers": layers, "I/O Tensors": io}


def profile_text() -> str:
    """trtexec's profile layout: the count header, then one object per line with ", " leaders."""
    total = sum(avg for *_, avg in _LAYERS) * ITERATIONS
    lines = ["[", f'  {{ "count" : {ITERATIONS} }}']
    for name, *_, avg in _LAYERS:
        t = avg * ITERATIONS
        lines.append(
            f', {{ "name" : {json.dumps(name)}, "timeMs" : {t!r}, "averageMs" : {avg!r}, '
            f'"medianMs" : {avg!r}, "percentage" : {100.0 * t / total!r} }}'
        )
    return "\n".join([*lines, "]"]) + "\n"


def times() -> list[dict[str, float]]:
    out = []
    for i in range(INFERENCES):
        start = 2.0 * i  # one every 2 ms: 500 inferences/s
        lat = 0.3 + 0.01 * (i % 7)
        out.append({
            "startEnqMs": start, "endEnqMs": start + 0.01, "startH2dMs": start, "endH2dMs": start,
            "startComputeMs": start, "endComputeMs": start + lat, "startD2hMs": start + lat,
            "endD2hMs": start + lat, "h2dMs": 0.0, "computeMs": lat, "d2hMs": 0.0, "latencyMs": lat,
        })
    return out


def write_recording(folder: Path, layout: str = "10") -> Path:
    """Write the recording into `folder` (created); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    recs = times()
    span_s = (recs[-1]["endD2hMs"] - recs[0]["startH2dMs"]) / 1000.0
    lat = sorted(r["latencyMs"] for r in recs)
    run_meta = {
        "performance_summary": {
            "Throughput": round(INFERENCES / span_s, 3),
            "Latency": [lat[0], lat[-1], sum(lat) / len(lat), lat[len(lat) // 2], lat[-3]],
            "Total Host Walltime": span_s,
        },
        "inference_options": {"Input inference shape": "input=1x3x32x32", "Streams": "1"},
        "device_information": {"Selected Device": DEVICE, "Compute Capability": "8.0"},
    }
    (folder / f"{STEM}.profile.json").write_text(profile_text())
    (folder / f"{STEM}.graph.json").write_text(json.dumps(graph(layout), indent=1))
    (folder / f"{STEM}.timing.json").write_text(json.dumps(recs))
    (folder / f"{STEM}.profile.metadata.json").write_text(json.dumps(run_meta))
    (folder / f"{STEM}.metadata.json").write_text(json.dumps([{"Name": DEVICE, "ComputeCapability": [8, 0]}]))
    return folder


_DIRS: list[Path] = []


def own_recording_dirs() -> list[Path]:
    """Both layouts, written once per process (removed at exit)."""
    if not _DIRS:
        root = Path(tempfile.mkdtemp(prefix="trtui-own-recordings-"))
        atexit.register(shutil.rmtree, root, True)
        _DIRS.extend(write_recording(root / f"own-trt{layout}", layout) for layout in ("10", "11"))
    return list(_DIRS)


def graph_layout(folder: Path) -> str:
    """"11" for a layer info in TensorRT 11's layout, else "10"."""
    found = sorted(folder.glob("*.graph.json"))
    return "11" if found and "I/O Tensors" in json.loads(found[0].read_text()) else "10"
