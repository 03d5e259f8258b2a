"""`trtui sweep` through the unchanged CLI on a real GPU, with the GPU-backed TensorRT stand-in
(`tests/gpu/standin/`): a dynamic-batch engine whose kernels' work grows with the batch (one
wave of the GPU per 8 samples), loaded once and swept over batch sizes and concurrent contexts.

Expected shape, from the work model: latency is flat up to batch 8 (the GPU is not full), then
doubles with each doubling; samples/s grows ~linearly to batch 8, then levels off (the knee);
two contexts at batch 1 run side by side; a batch outside the profile does not fit and the sweep
goes on. Run with: pytest -m gpu tests/gpu/test_gpu_sweep_standin.py -s
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_gpu_standin_cli import ROOT, env, standin, trtui_cli  # noqa: F401 (the fixture)

pytestmark = pytest.mark.gpu

SPEC: dict[str, Any] = {
    "inputs": [
        {
            "name": "input",
            "dtype": "FLOAT",
            "shape": [-1, 3, 64, 64],
            "min": [1, 3, 64, 64],
            "opt": [1, 3, 64, 64],
            "max": [64, 3, 64, 64],
        }
    ],
    "outputs": [{"name": "output", "dtype": "FLOAT", "shape": [-1, 10], "follow": "input"}],
    "layers": ["conv1", "conv2", "fc"],
    "layer_ms": [0.10, 0.15, 0.05],
    "fill": 0.125,  # one sample fills 1/8 of the GPU's resident blocks
}


def test_sweep_curves_on_the_gpu(standin: ModuleType, tmp_path: Path) -> None:  # noqa: F811
    engine = tmp_path / "dyn.engine"
    engine.write_bytes(standin.plan(**SPEC))
    out = tmp_path / "sweep.json"
    res = trtui_cli(
        "sweep", str(engine), "--batch", "1,2,8,16,64,128", "--streams", "1,2", "--duration", "1",
        "--warmup", "0.5", "--headless", "--json", str(out), timeout=200,
    )
    print(res.stdout[-4000:])
    assert res.returncode == 0, res.stderr
    doc = json.loads(out.read_text())
    assert not doc["simulated"]
    points = {(p["batch"], p["streams"]): p for p in doc["points"]}
    for streams in (1, 2):
        assert points[(128, streams)]["status"] != "ok"  # outside the profile: reported, the sweep went on
    ok = {k: p for k, p in points.items() if p["status"] == "ok"}
    one = {b: ok[(b, 1)] for b in (1, 2, 8, 16, 64)}
    med = {b: p["median_ms"] for b, p in one.items()}
    sps = {b: p["samples_per_s"] for b, p in one.items()}
    assert med[8] < 1.3 * med[1]  # the GPU is not full yet: latency stays
    assert med[64] > 5 * med[8]  # 8 waves against 1
    assert sps[8] > 5 * sps[1]  # throughput grew with the batch...
    assert sps[64] < 1.3 * sps[16]  # ...and levelled off
    assert ok[(1, 2)]["inferences_per_s"] > 1.6 * ok[(1, 1)]["inferences_per_s"]  # side by side
    knee = doc["knee"]
    assert knee is not None and 4 <= knee["batch"] <= 16


def test_live_picker_changes_the_batch_on_the_gpu(standin: ModuleType, tmp_path: Path) -> None:  # noqa: F811
    """The live screen's `c` picker through the GPU process: batch 8 and 2 streams on the running
    engine; the screen says the statistics restarted, the header shows the new shape, and the
    latency grows as the work model says (batch 8 fills the GPU: about the same as batch 1; then
    two contexts share it)."""
    import shutil
    import time
    import uuid

    from test_gpu_standin_cli import Tmux

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    engine = tmp_path / "dyn.engine"
    engine.write_bytes(standin.plan(**SPEC))
    name = f"trtui-pick-{uuid.uuid4().hex[:6]}"
    cmd = f"cd {ROOT} && {sys.executable} -m trtui {engine}; echo TRTUI-EXIT=$?; sleep 9"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "50", cmd],
                   check=True, env=env(), timeout=10)
    t = Tmux(name)
    try:
        t.wait_for(lambda s: "RUNNING" in s and "input 1x3x64x64" in s)
        t.run("send-keys", "-t", name, "c")
        time.sleep(1.0)
        for key in ("C-u", "8", "Tab", "C-u", "2", "Enter"):  # one at a time: a burst is read as one sequence
            t.run("send-keys", "-t", name, key)
            time.sleep(0.3)
        screen = t.wait_for(lambda s: "statistics restarted" in s, timeout=60)
        print(f"\npicker: after the change:\n{screen}")
        assert "now running batch 8, 2 streams" in screen
        t.wait_for(lambda s: "input 8x3x64x64" in s, timeout=20)
        t.run("send-keys", "-t", name, "q")
        screen = t.wait_for(lambda s: "TRTUI-EXIT=" in s, timeout=10)
        assert "TRTUI-EXIT=0" in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=10)
