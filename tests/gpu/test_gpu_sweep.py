"""`trtui sweep` on a real GPU: a small dynamic-batch TensorRT engine built here (a stack of
matrix multiplies: work proportional to the batch) is loaded ONCE and swept over batch sizes and
concurrent contexts. The curves must have the shapes the simulator models: throughput grows with
the batch, sub-linearly, and levels off; latency grows; a batch outside the profile does not fit
and the sweep goes on; a second context helps a small batch.

Needs the full `tensorrt` module (its builder), pycuda and cuda-python, and a GPU; skips otherwise.
Run with: pytest -m gpu tests/gpu/test_gpu_sweep.py -s (prints the table).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gpu_support import pycuda_or_skip

from trtui.core.options import RunOptions
from trtui.sources.engine import open_engine_source
from trtui.sources.reconfigurable import ReconfigurableSource
from trtui.sweep.plan import plan_points
from trtui.sweep.results import render_table
from trtui.sweep.runner import SweepRunner, settings_for
from trtui.tune.tactics import apply_tactic_sources, parse_tactic_sources

pytestmark = pytest.mark.gpu

K = 2048  # features: one layer is a KxK matrix multiply per sample
LAYERS = 8
MAX_BATCH = 256


@pytest.fixture(scope="module")
def engine_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    trt = pytest.importorskip("tensorrt", reason="the full TensorRT module (builder) is not installed")
    if not hasattr(trt, "Builder"):
        pytest.skip("this tensorrt module has no builder")
    pycuda_or_skip()
    major = int(trt.__version__.split(".")[0])
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    # 10 and 11: explicit batch is the only mode (11 removed the flag); 8.x needs it for a (-1, K) input
    flags = 0 if major >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    x = network.add_input("input", trt.float32, (-1, K))
    rng = np.random.default_rng(0)
    keep: list[Any] = []  # the weights must outlive the build
    for _ in range(LAYERS):
        w = (rng.standard_normal((K, K)) / np.sqrt(K)).astype(np.float32)
        keep.append(w)
        c = network.add_constant((K, K), trt.Weights(w))
        none = trt.MatrixOperation.NONE
        mm = network.add_matrix_multiply(x, none, c.get_output(0), none)
        x = network.add_activation(mm.get_output(0), trt.ActivationType.RELU).get_output(0)
    x.name = "output"
    network.mark_output(x)
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 1 << 30)
    # as in test_real_trt.py: the staged 8.5 carries stub cuBLAS/cuDNN libraries that fail every call
    tactics = os.environ.get("TRTUI_REAL_TACTICS", "-CUBLAS,-CUBLAS_LT,-CUDNN" if major < 10 else "")
    if tactics:
        members = {n: int(m) for n, m in trt.TacticSource.__members__.items()}
        mask = apply_tactic_sources(config.get_tactic_sources(), parse_tactic_sources(tactics), members)
        config.set_tactic_sources(mask)
    # TensorRT 8.x lets a profile serve one execution context at a time: two streams need two profiles
    for _ in range(1 if major >= 10 else 2):
        profile = builder.create_optimization_profile()
        profile.set_shape("input", (1, K), (16, K), (MAX_BATCH, K))
        config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)
    assert plan is not None, "the test engine did not build"
    path = tmp_path_factory.mktemp("sweep") / "matmul_dynamic.engine"
    path.write_bytes(bytes(plan))
    return path


def test_batch_and_stream_curves_on_a_real_gpu(engine_path: Path) -> None:
    src = open_engine_source(engine_path, RunOptions(profile_every=0))
    assert isinstance(src, ReconfigurableSource)  # one engine load for every point
    batches = (1, 4, 16, 64, 128, 256, 512)
    planned = plan_points(batches, (1, 2))
    settings = settings_for(
        str(engine_path),
        engine_path.name,
        False,
        planned,
        duration_s=1.5,
        warmup_s=0.3,
        until_stable=False,
        budget_ms=None,
        knee_gain=0.10,
    )
    runner = SweepRunner(src, settings)
    try:
        result = runner.run()
    finally:
        src.stop()
    for line in render_table(result.points, result.verdict):
        print(line)
    assert result.stopped == "done", result.error
    by = {(p.point.batch, p.point.streams): p for p in result.points}
    for s in (1, 2):
        assert by[(512, s)].status == "does_not_fit" and "outside" in (by[(512, s)].reason or "")
        for b in batches[:-1]:
            p = by[(b, s)]
            assert p.ok, p.reason
            assert p.batch == b and p.streams == s and p.inferences > 50
            assert p.memory_per_context_mib is not None and p.memory_per_context_mib > 0
    sps = [by[(b, 1)].samples_per_s or 0.0 for b in batches[:-1]]
    med = [by[(b, 1)].median_ms or 0.0 for b in batches[:-1]]
    assert sps[3] > 4 * sps[0]  # batching pays at first: batch 64 gives far more than batch 1
    assert sps[-1] / sps[-2] < 1.9  # ...and the gain levels off (sub-linear at the top)
    assert med[-1] > 2 * med[0]  # latency grows with the work
    assert all(b >= a * 0.9 for a, b in itertools.pairwise(med))  # never really drops
    assert (by[(1, 2)].inferences_per_s or 0) > 1.05 * (by[(1, 1)].inferences_per_s or 0)
    knee = result.verdict.knee
    assert knee is not None and knee.batch is not None and knee.batch > 1


def test_cli_sweep_writes_json(engine_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "trtui",
            "sweep",
            str(engine_path),
            "--batch",
            "1..64",
            "--streams",
            "1,2",
            "--duration",
            "0.5",
            "--warmup",
            "0.2",
            "--p99-budget",
            "50ms",
            "--headless",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",  # the table has × and …; on the device the locale decoded as ASCII
        timeout=600,
    )
    print(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert not doc["simulated"] and doc["stopped"] == "done"
    assert len(doc["points"]) == 14 and all(p["status"] == "ok" for p in doc["points"])
    assert doc["knee"] is not None and doc["best"] is not None
    assert "SIMULATED" not in proc.stdout
