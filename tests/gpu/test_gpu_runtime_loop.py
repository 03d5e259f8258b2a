"""The inference loop and GPU worker on a real GPU, with a synthetic workload (pycuda kernels that spin
for a known time) standing in for an engine: the GPU stays busy, event timings agree with the
kernels' own measured cost, resources are freed, and a failing enqueue is survived and reported.

Skips without pycuda, nvcc or a usable GPU. Run with: pytest -m gpu tests/gpu -s (prints figures).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from typing import Any

import numpy as np
import pytest
from gpu_support import pycuda_or_skip

from trtui.core.model import SourceBatch
from trtui.gpu.runtime.loop_types import LoopConfig
from trtui.gpu.runtime.worker import GpuWorker, PycudaPlatform
from trtui.sources.merge import merge_batches

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def cuda() -> Any:
    return pycuda_or_skip()


def graphs_or_skip() -> Any:
    pytest.importorskip("cuda.bindings.runtime", reason="cuda-python is not installed")
    from trtui.gpu.runtime.cuda_graphs import CudaGraphs

    return CudaGraphs()


def run_synthetic(
    seconds: float, *, graphs: bool, results: dict[str, Any] | None = None, **kw: Any
) -> tuple[GpuWorker, list[SourceBatch]]:
    from bench._synthetic import build_synthetic_session

    cfg = kw.pop("config", None) or LoopConfig(use_graphs=graphs, profile_every=0, warmup_s=0.3)

    def setup(driver: Any, res: Any, emit: Any) -> Any:
        g = graphs_or_skip() if graphs else None
        return build_synthetic_session(driver, res, emit, graphs=g, config=cfg, results=results, **kw)

    worker = GpuWorker(PycudaPlatform(0), setup)
    worker.start(timeout=120)
    out: list[SourceBatch] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and worker.alive:
        with contextlib.suppress(queue.Empty):
            out.append(worker.out.get(timeout=0.1))
    worker.stop()
    while not worker.out.empty():
        out.append(worker.out.get_nowait())
    return worker, out


def free_memory(cuda: Any) -> int:
    """Free device memory, read on a thread of its own with the primary context pushed."""
    box: list[int] = []

    def read() -> None:
        ctx = cuda.Device(0).retain_primary_context()
        ctx.push()
        try:
            box.append(int(cuda.mem_get_info()[0]))
        finally:
            cuda.Context.pop()
            ctx.detach()

    t = threading.Thread(target=read)
    t.start()
    t.join()
    return box[0]


def test_graphs_keep_the_gpu_busy(cuda: Any) -> None:
    res: dict[str, Any] = {}
    _, out = run_synthetic(2.0, graphs=True, results=res, kernels=20, kernel_us=25.0)
    assert res["graphs_on"]
    batch = merge_batches(out, 0.0)
    stats = res["stats"]
    busy_wall = float(batch.latencies_ms.sum()) / 1000 / batch.timing_wall_s
    own_ns, count = res["own"]
    kernel_busy = batch.latencies_ms.size * 20 * own_ns / count / 1e9 / batch.timing_wall_s
    print(
        f"\n[graphs on] {batch.latencies_ms.size / batch.timing_wall_s:.0f} it/s, idle between iterations "
        f"{100 * stats.idle_fraction:.2f}% of GPU time, event time {100 * busy_wall:.1f}% and kernel time "
        f"{100 * kernel_busy:.1f}% of timing wall time, depth {res['depth']}"
    )
    assert batch.error is None and batch.latencies_ms.size > 1000
    assert stats.idle_fraction < 0.02
    assert busy_wall > 0.95


@pytest.mark.parametrize(("kernel_us", "target"), [(5.0, 0.95), (25.0, 0.99)], ids=["0.1ms", "0.5ms"])
def test_several_inferences_per_graph_launch(cuda: Any, kernel_us: float, target: float) -> None:
    """Short inferences: one graph launch runs several, with timing events between them. Each
    latency is still one inference's GPU time (the kernels' own cost plus the GPU's gaps between
    the 20 dependent kernels), and the GPU stays busy with inferences: >= 95% of wall time for a
    0.1 ms engine and >= 99% for 0.5 ms (the issue's targets), idle < 1% between launches."""
    res: dict[str, Any] = {}
    _, out = run_synthetic(2.0, graphs=True, results=res, kernels=20, kernel_us=kernel_us)
    batch = merge_batches(out, 0.0)
    stats = res["stats"]
    own_ns, count = res["own"]
    per_inference_ms = 20 * own_ns / count / 1e6
    kernel_busy = batch.latencies_ms.size * per_inference_ms / 1000 / batch.timing_wall_s
    busy = float(batch.latencies_ms.sum()) / 1000 / batch.timing_wall_s
    median = float(np.median(batch.latencies_ms))
    print(
        f"\n[{20 * kernel_us / 1000:.1f} ms engine] {stats.per_launch} inferences per launch, "
        f"{stats.depth} launches in flight, {batch.latencies_ms.size / batch.timing_wall_s:.0f} it/s, "
        f"inferences {100 * busy:.1f}% and kernels {100 * kernel_busy:.1f}% of wall time, "
        f"latency median {median * 1000:.1f} us "
        f"(kernels' own {per_inference_ms * 1000:.1f} us), idle {100 * stats.idle_fraction:.2f}%"
    )
    assert batch.error is None and not batch.notices, batch.notices
    assert stats.per_launch > 1 and abs(stats.per_launch - 1.0 / median) <= 1  # ~1 ms of GPU work a launch
    assert per_inference_ms * 0.995 <= median <= per_inference_ms * 1.25  # + the gaps between kernels
    assert busy >= target and stats.idle_fraction < 0.01


def test_without_graphs_the_loop_still_queues_ahead(cuda: Any) -> None:
    res: dict[str, Any] = {}
    _, out = run_synthetic(1.5, graphs=False, results=res, kernels=20, kernel_us=25.0)
    batch = merge_batches(out, 0.0)
    stats = res["stats"]
    busy_wall = float(batch.latencies_ms.sum()) / 1000 / batch.timing_wall_s
    own_ns, count = res["own"]
    kernel_busy = batch.latencies_ms.size * 20 * own_ns / count / 1e9 / batch.timing_wall_s
    print(
        f"\n[graphs off] {batch.latencies_ms.size / batch.timing_wall_s:.0f} it/s, idle "
        f"{100 * stats.idle_fraction:.2f}%, event time {100 * busy_wall:.1f}% and kernel time "
        f"{100 * kernel_busy:.1f}% of timing wall time"
    )
    assert not res["graphs_on"] and batch.latencies_ms.size > 500
    assert busy_wall > 0.5


@pytest.mark.parametrize("graphs", [True, False], ids=["graphs", "no-graphs"])
def test_event_timings_agree_with_the_kernels_own_cost(cuda: Any, graphs: bool) -> None:
    res: dict[str, Any] = {}
    _, out = run_synthetic(1.5, graphs=graphs, results=res, kernels=5, kernel_us=200.0)
    batch = merge_batches(out, 0.0)
    own_ns, count = res["own"]
    own_per_kernel_ms = own_ns / count / 1e6
    expected = 5 * own_per_kernel_ms
    median = float(np.median(batch.latencies_ms))
    print(
        f"\n[{'graphs' if graphs else 'plain'}] event median {median * 1000:.1f} us, kernels' own "
        f"{expected * 1000:.1f} us ({count} kernels)"
    )
    assert own_per_kernel_ms == pytest.approx(0.2, rel=0.02)  # the kernels spin what they were told
    assert expected * 0.995 <= median <= expected * 1.03 + 0.01


def test_profiled_inferences_report_layers_and_never_count_as_latency(cuda: Any) -> None:
    res: dict[str, Any] = {}
    cfg = LoopConfig(use_graphs=True, profile_every=5, warmup_s=0.2, profile_budget=0.5)
    _, out = run_synthetic(
        1.5, graphs=True, results=res, kernels=5, kernel_us=100.0, profiled=True, config=cfg
    )
    batch = merge_batches(out, 0.0)
    its = batch.profiled
    assert len(its) > 20
    assert all(p.names == tuple(f"layer{i}" for i in range(6)) for p in its)
    layer_sum = np.array([p.times_ms.sum() for p in its])
    gpu = np.array([p.gpu_ms for p in its])
    print(
        f"\n[profiling] {len(its)} profiled, sum of layers {layer_sum.mean() * 1000:.1f} us, profiled GPU "
        f"{gpu.mean() * 1000:.1f} us, unprofiled {np.median(batch.latencies_ms) * 1000:.1f} us"
    )
    # 6 "layers" of 100 us each, queued behind timing work (no idle start): the per-layer events
    # cost a few microseconds each, never less than the kernels themselves
    assert np.all(layer_sum >= 0.6 * 0.995)
    assert np.all(layer_sum <= gpu * 1.001)
    assert float(np.median(layer_sum)) < 0.6 * 1.1
    assert float(batch.latencies_ms.max()) < 0.55  # 5 kernels: profiled (6 kernels) never a latency
    assert its[0].names is its[-1].names


def test_resources_are_freed(cuda: Any) -> None:
    before = free_memory(cuda)
    for _ in range(3):
        worker, out = run_synthetic(0.3, graphs=True, kernels=4, kernel_us=20.0, hold_bytes=1 << 30)
        assert not worker.alive
        assert merge_batches(out, 0.0).notices == ()  # no release errors
        assert "held memory" in worker.resources.released and "loop" in worker.resources.released
    after = free_memory(cuda)
    print(
        f"\n[memory] free before {before / 2**20:.0f} MiB, after 3 runs holding 1 GiB each "
        f"{after / 2**20:.0f} MiB"
    )
    assert abs(before - after) < 64 << 20


def test_a_failing_enqueue_is_survived_and_reported(cuda: Any) -> None:
    _, out = run_synthetic(1.0, graphs=False, kernels=4, kernel_us=50.0, fail_calls=frozenset({200}))
    batch = merge_batches(out, 0.0)
    assert "inference failed on stream 0: enqueue returned False" in batch.notices
    assert batch.error is None and batch.finished
    failed_at = next(i for i, b in enumerate(out) if b.notices)
    after = sum(b.latencies_ms.size for b in out[failed_at + 1 :])
    assert after > 100  # inference went on after the failure


def test_an_enqueue_that_keeps_failing_ends_the_run(cuda: Any) -> None:
    before = free_memory(cuda)
    worker, out = run_synthetic(
        3.0, graphs=False, kernels=4, kernel_us=50.0, fail_from=300, hold_bytes=512 << 20
    )
    batch = merge_batches(out, 0.0)
    assert batch.finished and batch.error == "inference keeps failing on stream 0: enqueue returned False"
    assert not worker.alive
    assert abs(free_memory(cuda) - before) < 64 << 20


def test_streams_run_concurrently(cuda: Any) -> None:
    res: dict[str, Any] = {}
    _, out = run_synthetic(1.5, graphs=True, results=res, streams=4, kernels=4, kernel_us=50.0)
    batch = merge_batches(out, 0.0)
    assert batch.latency_streams is not None
    counts = np.bincount(batch.latency_streams, minlength=4)
    tput = batch.latencies_ms.size / batch.timing_wall_s
    print(f"\n[4 streams] {tput:.0f} it/s in all, per stream {counts.tolist()}")
    assert counts.min() > 0.8 * counts.max()
    # 4 single-block kernels run side by side: more than one stream's worth of throughput
    assert tput > 1.5 / (4 * 0.05e-3)  # 1.5x one stream (4 kernels x 50 us)
