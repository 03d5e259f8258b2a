"""A synthetic GPU workload that stands in for an engine: each "inference" launches `kernels` pycuda
kernels that each spin for `kernel_us` microseconds of GPU time (read from the GPU's global timer).
The kernels also add their own measured duration and a count to a device counter, so tests can
compare the loop's CUDA-event timings with what the kernels themselves measured.

Test and benchmark scaffolding, outside the installed package: used by the runtime benchmark
(bench/runtime.py) and the GPU tests (tests/gpu, which import `bench._synthetic` from the repository
root; pytest puts it on sys.path). Needs pycuda and nvcc (the kernel is compiled at first use). Call
everything on the GPU worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trtui.core.model import RunFacts, SourceBatch, SourceInfo
from trtui.core.run_facts import mode_line
from trtui.gpu.runtime.loop import InferenceLoop
from trtui.gpu.runtime.loop_types import GraphBackend, Lane, LoopConfig
from trtui.gpu.runtime.worker import Holder, Resources, Session

KERNEL_SOURCE = r"""
extern "C" __global__ void spin(unsigned long long ns, unsigned long long *own)
{
    unsigned long long t0, t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    do {
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    } while (t - t0 < ns);
    if (threadIdx.x == 0 && blockIdx.x == 0) {
        atomicAdd(own, t - t0);
        atomicAdd(own + 1, 1ULL);
    }
}
"""


class SyntheticWorkload:
    """Spin kernels on pycuda streams. `fail_calls`: call numbers (1-based, over all lanes) whose
    enqueue returns False; `fail_from`: every call from this one on fails."""

    def __init__(self, driver: Any, *, kernels: int = 20, kernel_us: float = 25.0,
                 fail_calls: frozenset[int] = frozenset(), fail_from: int | None = None) -> None:
        from pycuda.compiler import SourceModule

        self._driver = driver
        self.kernels = kernels
        self.kernel_ns = int(kernel_us * 1000)
        self._module = SourceModule(KERNEL_SOURCE, no_extern_c=True)
        self._fn = self._module.get_function("spin")
        self._fn.prepare("QP")
        self.counter = driver.mem_alloc(16)
        driver.memset_d8(self.counter, 0, 16)
        self.calls = 0
        self.fail_calls = fail_calls
        self.fail_from = fail_from
        self._streams: dict[int, Any] = {}

    def _launch(self, stream: Any, n: int) -> None:
        for _ in range(n):
            self._fn.prepared_async_call((1, 1), (32, 1, 1), stream, np.uint64(self.kernel_ns),
                                         self.counter)

    def work_for(self, stream: Any) -> Callable[[int], bool]:
        self._streams[int(stream.handle)] = stream

        def work(handle: int) -> bool:
            self.calls += 1
            failing = self.fail_from is not None and self.calls >= self.fail_from
            if self.calls in self.fail_calls or failing:
                return False
            self._launch(stream, self.kernels)
            return True

        return work

    def own(self) -> tuple[float, int]:
        """(total ns the kernels measured themselves, kernels run) since the last reset."""
        host = np.zeros(2, dtype=np.uint64)
        self._driver.Context.synchronize()
        self._driver.memcpy_dtoh(host, self.counter)
        return float(host[0]), int(host[1])

    def reset_own(self) -> None:
        self._driver.Context.synchronize()
        self._driver.memset_d8(self.counter, 0, 16)

    def free(self) -> None:
        self._streams.clear()
        if self.counter is not None:
            self.counter.free()
            self.counter = None
        self._fn = None
        self._module = None


class SyntheticProfiled:
    """A profiled inference: the same kernels with an event pair around each one ("layers")."""

    def __init__(self, workload: SyntheticWorkload, driver: Any, stream: Any,
                 extra_kernels: int = 1) -> None:
        self._w = workload
        self._stream = stream
        n = workload.kernels + extra_kernels
        self._events = [driver.Event() for _ in range(n + 1)]
        self.names = tuple(f"layer{i}" for i in range(n))

    def launch(self, handle: int) -> bool:
        ev = self._events
        ev[0].record(self._stream)
        for i in range(len(self.names)):
            self._w._launch(self._stream, 1)
            ev[i + 1].record(self._stream)
        return True

    def collect(self) -> tuple[tuple[str, ...], list[float]]:
        ev = self._events
        ev[-1].synchronize()
        return self.names, [ev[i].time_till(ev[i + 1]) for i in range(len(self.names))]

    def free(self) -> None:
        self._events = []


def build_synthetic_session(
    driver: Any, res: Resources, emit: Callable[[SourceBatch], None], *, streams: int = 1,
    kernels: int = 20, kernel_us: float = 25.0, graphs: GraphBackend | None = None,
    config: LoopConfig | None = None,
    profiled: bool = False, fail_calls: frozenset[int] = frozenset(), fail_from: int | None = None,
    hold_bytes: int = 0, results: dict[str, Any] | None = None,
) -> Session:
    """A session like an engine's, with the synthetic workload instead of TensorRT. At shutdown,
    `results` gets "own" (the kernels' own ns and count), "stats" (LoopStats) and "depth"."""
    cfg = config or LoopConfig(use_graphs=graphs is not None, profile_every=10 if profiled else 0)
    w = SyntheticWorkload(driver, kernels=kernels, kernel_us=kernel_us, fail_calls=fail_calls,
                          fail_from=fail_from)
    res.add_cuda("synthetic workload", w.free)
    if hold_bytes:  # stands in for engine weights and activations, to see that memory comes back
        big = Holder(driver.mem_alloc(hold_bytes))

        def free_big() -> None:
            big.obj.free()
            big.release()

        res.add_cuda("held memory", free_big)
    lanes = []
    for i in range(streams):
        sh = Holder(driver.Stream())
        res.add_cuda(f"stream {i}", sh.release)
        lanes.append(Lane(index=i, stream=sh.obj, work=w.work_for(sh.obj)))
    prof = None
    if profiled:
        prof = SyntheticProfiled(w, driver, lanes[0].stream)
        res.add_cuda("profiled events", prof.free)
    loop = InferenceLoop(driver, lanes, cfg, emit, graphs=graphs, profiled=prof)
    res.add_cuda("loop", loop.close)
    if results is not None:
        out = results

        def snapshot() -> None:  # runs first at shutdown (after the worker closed the loop)
            out["own"] = w.own()
            out["stats"] = loop.stats
            out["depth"] = loop.depth
            out["graphs_on"] = loop.graphs_on

        res.add_cuda("results", snapshot)
    loop.prepare()
    facts = RunFacts(profile_every=cfg.profile_every if prof is not None else 0,
                     profile_time_cap=cfg.profile_budget if prof is not None else None,
                     cuda_graphs=loop.graphs_on, graphs_asked=graphs is not None, transfers=False,
                     streams=streams)
    info = SourceInfo(kind="engine", label=f"synthetic {kernels}x{kernel_us:g}us", simulated=False,
                      streams=streams, mode=mode_line(facts), facts=facts)
    return Session(info=info, loop=loop)
