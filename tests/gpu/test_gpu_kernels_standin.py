"""`trtui profile --kernels --trace` through the unchanged CLI and the GPU process, on a real GPU with
the GPU-backed TensorRT stand-in (`tests/gpu/standin/`): each layer launches its real kernels inside
an NVTX range named after it (in the "TensorRT" domain, within an outer enqueue range), as TensorRT
does; trtui's GPU process points NVTX at cupti-python's libcupti and records kernels and ranges with
CUPTI around the profiled inferences only.

Checked: attribution by NVTX ranges (not the stream-order fallback), each layer's kernel count per
inference as launched, each layer's kernel sum within a few percent of its profiler (CUDA event) time,
the trace file is valid trace-event JSON with the kernels on GPU tracks and the ranges on the host.

Needs cupti-python + nvidia-cuda-cupti, and the stand-in's needs (pycuda, cuda-python with NVRTC) and a
C compiler with CUDA's nvtx3 headers or the `nvtx` package. Run with:
pytest -m gpu tests/gpu/test_gpu_kernels_standin.py -s
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_gpu_standin_cli import standin, trtui_cli  # noqa: F401 (the fixture)

from trtui.kernels.trace import check_trace

pytestmark = pytest.mark.gpu

KERNELS = {"conv2 + relu": 3, "{ForeignNode[attn]}": 4}
SPEC: dict[str, Any] = {
    "inputs": [{"name": "input", "dtype": "FLOAT", "shape": [1, 3, 224, 224]}],
    "outputs": [{"name": "output", "dtype": "FLOAT", "shape": [1, 1000]}],
    "layers": ["conv1 + relu", "conv2 + relu", "pool", "{ForeignNode[attn]}", "fc"],
    "layer_ms": [0.20, 0.30, 0.05, 0.40, 0.10],
    "kernels": KERNELS,
    "types": {"pool": "CudaPooling", "{ForeignNode[attn]}": "Myelin", "fc": "CaskGemm"},
}


def test_kernels_and_trace_through_the_cli(standin: ModuleType, tmp_path: Path) -> None:  # noqa: F811
    pytest.importorskip("cupti", reason="cupti-python is not installed")
    engine = tmp_path / "standin.engine"
    engine.write_bytes(standin.plan(**SPEC))
    out, trace = tmp_path / "out.json", tmp_path / "out.trace.json"
    res = trtui_cli(
        "profile", str(engine), "--duration", "3", "--profile-every", "5", "--kernels", "--trace", str(trace),
        "--json", str(out),
    )
    print(res.stdout[-3000:], res.stderr[-2000:])
    assert res.returncode == 0, res.stderr
    k = json.loads(out.read_text())["kernels"]
    print(
        json.dumps(
            {
                x: k[x]
                for x in (
                    "attribution",
                    "attribution_counts",
                    "captures",
                    "dropped_records",
                    "tracing_cost_ms_per_profiled_inference",
                )
            }
        )
    )
    assert k["attribution"] == "nvtx", k["attribution_counts"]
    assert k["captures"] >= 5 and not k["simulated"]
    layers = {lk["layer"]: lk for lk in k["layers"] if lk["layer"]}
    assert set(layers) == set(SPEC["layers"])
    for name, lk in layers.items():
        print(
            f"{name:24} layer {lk['layer_ms']:.4f} ms  kernels {lk['kernel_sum_ms']:.4f} ms  "
            f"launches {lk['launches_per_inference']}"
        )
        assert lk["launches_per_inference"] == pytest.approx(KERNELS.get(name, 1))
        # within a few percent, or a few microseconds for the shortest layers (event and launch overhead)
        assert abs(lk["kernel_sum_ms"] - lk["layer_ms"]) <= max(0.05 * lk["layer_ms"], 0.005)
    assert layers["{ForeignNode[attn]}"]["fused_block"]
    doc = json.loads(trace.read_text())
    assert check_trace(doc) == []
    events = [e for e in doc["traceEvents"] if e.get("ph") == "X"]
    ranges = {e["name"] for e in events if e.get("cat") == "nvtx"}
    assert set(SPEC["layers"]) <= ranges
    kernels = [e for e in events if e.get("cat") == "kernel"]
    assert len(kernels) >= sum(KERNELS.get(n, 1) for n in SPEC["layers"])  # one whole inference at least
