"""Kernel records: what a kernel tracer (CUPTI, or the simulator) recorded around one profiled
inference. Values only: part of the model layer (`trtui.core.model` carries them).

Times are nanoseconds on the tracer's clock (CUPTI's timestamps); GPU kernel times and host API /
NVTX times share that clock. A `KernelCapture` travels inside the `ProfiledIteration` it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KernelRecord:
    """One kernel execution on the GPU."""

    name: str  # as recorded (often a mangled C++ name)
    start_ns: int
    end_ns: int
    stream: int  # the tracer's stream id
    correlation_id: int  # ties the kernel to the API call that launched it

    @property
    def duration_ns(self) -> int:
        """The kernel's time on the GPU in ns, never negative."""
        return max(0, self.end_ns - self.start_ns)


@dataclass(frozen=True, slots=True)
class LaunchCall:
    """The host API call that launched a kernel (cuLaunchKernel, cudaLaunchKernel, ...)."""

    correlation_id: int
    start_ns: int
    end_ns: int
    thread: int


@dataclass(frozen=True, slots=True)
class NvtxRange:
    """A host-side NVTX range (TensorRT pushes one per layer while it enqueues the layer's kernels)."""

    name: str
    start_ns: int
    end_ns: int
    thread: int
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class KernelCapture:
    """Everything recorded around one profiled inference."""

    kernels: tuple[KernelRecord, ...]
    launches: tuple[LaunchCall, ...] = ()
    ranges: tuple[NvtxRange, ...] = ()
    cost_s: float = 0.0  # host seconds that tracing added (enable/disable, flush, record parsing)
    simulated: bool = False
    dropped: int = 0  # records the tracer reported as lost
