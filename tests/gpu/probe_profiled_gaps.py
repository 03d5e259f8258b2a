"""Device diagnostic (not a test): where does a profiled synthetic inference lose time? Times 6 spin
kernels of 100 us with an event after each, (a) launched onto an idle GPU, (b) queued behind a 2 ms
kernel so that every launch is in the queue before the first one runs.

    python tests/gpu/probe_profiled_gaps.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for bench/
from bench._synthetic import SyntheticWorkload


def main() -> None:
    import pycuda.driver as cuda

    cuda.init()
    ctx = cuda.Device(0).retain_primary_context()
    ctx.push()
    try:
        w = SyntheticWorkload(cuda, kernels=1, kernel_us=100.0)
        blocker = SyntheticWorkload(cuda, kernels=1, kernel_us=2000.0)
        stream = cuda.Stream()
        events = [cuda.Event() for _ in range(7)]
        for label, block in (("idle GPU", False), ("queued behind 2 ms", True)):
            layers: list[list[float]] = []
            host_us: list[float] = []
            for _ in range(50):
                stream.synchronize()
                if block:
                    blocker._launch(stream, 1)
                t0 = time.perf_counter()
                events[0].record(stream)
                for i in range(6):
                    w._launch(stream, 1)
                    events[i + 1].record(stream)
                host_us.append((time.perf_counter() - t0) * 1e6)
                events[-1].synchronize()
                layers.append([events[i].time_till(events[i + 1]) * 1000 for i in range(6)])
            arr: Any = np.array(layers)
            print(
                f"{label}: per-layer us median {np.median(arr, axis=0).round(1).tolist()}, "
                f"sum {np.median(arr.sum(axis=1)):.1f} us, host launch of 6 kernels+7 events "
                f"{np.median(host_us):.1f} us"
            )
        w.free()
        blocker.free()
        del stream, events
    finally:
        cuda.Context.pop()
        ctx.detach()


if __name__ == "__main__":
    main()
