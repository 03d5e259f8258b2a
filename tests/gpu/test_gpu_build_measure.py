"""The tuner's latency and the live run's latency come from one code path, on a real GPU: the build
child's `measure()` (trtui/gpu/build/build_measure.py) times an engine of the GPU-backed TensorRT stand-in
(`tests/gpu/standin/`: real CUDA kernels per layer) with the live run's worker, adapter, buffers,
CUDA graphs and inference loop, and `trtui profile ENGINE --profile-every 0` gives the same median
(within run-to-run noise) for the same engine. No TensorRT builder is needed: the engine is already
"built" (the stand-in's plan); only the measurement runs.

Skips without a CUDA device, pycuda, cuda-python and NVRTC. Run with: pytest -m gpu tests/gpu -s
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_gpu_standin_cli import ROOT, WARNINGS, env, standin, trtui_cli  # noqa: F401 (the fixture)

pytestmark = pytest.mark.gpu

SPEC: dict[str, Any] = {
    "inputs": [{"name": "input", "dtype": "FLOAT", "shape": [1, 3, 224, 224]}],
    "outputs": [{"name": "output", "dtype": "FLOAT", "shape": [1, 1000]}],
    "layers": ["conv1", "conv2", "fc"],
    "layer_ms": [0.20, 0.30, 0.10],
    "kernels": {"conv2": 3},
}
MEASURE = """
import json, sys
import tensorrt
from trtui.gpu.build import build_measure

class Logger:
    def log(self, severity, msg):
        print(msg, file=sys.stderr)

plan = open(sys.argv[1], "rb").read()
print(json.dumps(build_measure.measure(tensorrt, Logger(), plan, {}, 0, seconds=2.0)))
"""


@pytest.fixture(scope="module")
def engine_file(tmp_path_factory: pytest.TempPathFactory, standin: ModuleType) -> Path:  # noqa: F811
    path = tmp_path_factory.mktemp("measure") / "standin.engine"
    path.write_bytes(standin.plan(**SPEC))
    return path


def clean(stderr: str) -> bool:
    return not [line for line in stderr.lower().splitlines() if any(w in line for w in WARNINGS)]


def test_the_tuner_measures_what_the_live_run_measures(engine_file: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(engine_file)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert clean(done.stderr), done.stderr
    tuned = json.loads(done.stdout.strip().splitlines()[-1])
    assert "note" not in tuned, tuned  # CUDA graphs on, nothing failed
    assert tuned["io_bytes"] == 3 * 224 * 224 * 4 + 1000 * 4
    assert tuned["device_memory_bytes"] == 1 << 20  # the stand-in's default per-context memory

    out = tmp_path / "live.json"
    live = trtui_cli(
        "profile", str(engine_file), "--duration", "4", "--profile-every", "0", "--json", str(out), "--quiet",
        timeout=300,
    )
    assert live.returncode == 0, live.stderr
    assert clean(live.stderr), live.stderr
    summary = json.loads(out.read_text())
    assert summary["source"]["mode"] == "timing only, CUDA graph on, no transfers"
    median = summary["latency_ms"]["median"]
    print(
        f"\ntuner median {tuned['latency_ms']:.4f} ms, live median {median:.4f} ms "
        f"(kernels {sum(SPEC['layer_ms']):.2f} ms)"
    )
    assert tuned["latency_ms"] == pytest.approx(median, rel=0.03)
    assert tuned["latency_ms"] == pytest.approx(sum(SPEC["layer_ms"]), rel=0.10)
