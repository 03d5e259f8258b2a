"""Simulated kernels for the simulated demo engine: what a kernel tracer would record around one
profiled inference, made up from each layer's type and tactic. Always `simulated=True`.

Every layer launches one main kernel (its tactic name, or a generic kernel of its type); some add
small helper kernels as TensorRT's do (convolution offset tables before a strided 3x3 convolution,
a split-K reduction after the classifier GEMM). Kernel times share the layer's profiler time, less
a simulated launch gap per kernel. The host side is simulated too: one NVTX range per layer around
the launch calls, so the NVTX attribution path runs exactly as on a GPU.

Uses its own random generator, so turning kernels on changes no other simulated number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from trtui.core.kernel_records import KernelCapture, KernelRecord, LaunchCall, NvtxRange
from trtui.core.model import LayerInfo

SIM_STREAM = 13
SIM_THREAD = 4242
LAUNCH_GAP_NS = 1_500  # GPU idle between two kernels of a layer
HOST_LAUNCH_NS = 2_500  # host time of one launch call
HOST_AHEAD_NS = 400_000  # the host enqueues this far ahead of the GPU
KERNEL_JITTER = 0.02

OFFSETS = "_ZN8cask_trt20computeOffsetsKernelILb0ELb0EEEvNS_20ComputeOffsetsParamsE"
REFORMAT = "_ZN15genericReformat16copyPackedKernelIf6__halfLi1ELb1EEEviPvPKvii"
SPLITK = (
    "_Z19splitKreduce_kernelILi32ELi16EiffffLb1ELb0ELb0EEv18cublasSplitKParamsIT4_EPKT2_PKT3_PS6_PKS3_"
    "PKT5_SD_PKS5_PS3_PvlPSB_Pi"
)


def kernel_plan(info: LayerInfo) -> tuple[tuple[str, float], ...]:
    """(kernel name, share of the layer's kernel time) for the kernels one layer launches."""
    main = info.tactic or f"{(info.type or 'generic').lower()}_kernel"
    if info.type == "Reformat":
        return ((REFORMAT, 1.0),)
    if info.type == "CaskConvolution":
        kernel = info.params.get("Kernel") if info.params else None
        stride = info.params.get("Stride") if info.params else None
        if kernel == [3, 3] and stride == [2, 2]:
            return ((OFFSETS, 0.04), (main, 0.96))
        return ((main, 1.0),)
    if info.type == "CaskGemm":
        return ((main, 0.85), (SPLITK, 0.15))
    return ((main, 1.0),)


class SimulatedKernels:
    """Kernel captures for the simulated engine's profiled inferences."""

    def __init__(self, layers: Sequence[LayerInfo], seed: int = 0) -> None:
        self._plans = {info.name: kernel_plan(info) for info in layers}
        self._rng = np.random.default_rng([seed, 14])
        self._corr = 1

    def capture(self, names: Sequence[str], times_ms: Iterable[float], t_s: float) -> KernelCapture:
        """The kernels of one profiled inference whose layers took `times_ms`, starting at `t_s`."""
        gpu = int(t_s * 1e9) + HOST_AHEAD_NS
        host = int(t_s * 1e9)
        kernels: list[KernelRecord] = []
        launches: list[LaunchCall] = []
        ranges: list[NvtxRange] = []
        enqueue_start = host
        for name, ms in zip(names, times_ms, strict=True):
            plan = self._plans.get(name) or ((f"{name}_kernel", 1.0),)
            layer_ns = max(int(ms * 1e6), 1000)
            busy = max(layer_ns - LAUNCH_GAP_NS * len(plan), len(plan) * 500)
            jitter = self._rng.lognormal(0.0, KERNEL_JITTER, len(plan))
            r0 = host
            host += 300
            t = gpu
            for (kname, share), j in zip(plan, jitter, strict=True):
                dur = max(int(busy * share * j), 200)
                t += LAUNCH_GAP_NS
                kernels.append(KernelRecord(kname, t, t + dur, SIM_STREAM, self._corr))
                launches.append(LaunchCall(self._corr, host, host + HOST_LAUNCH_NS, SIM_THREAD))
                self._corr += 1
                host += HOST_LAUNCH_NS + 200
                t += dur
            ranges.append(NvtxRange(name, r0, host, SIM_THREAD, "TensorRT"))
            host += 300
            gpu += layer_ns
        ranges.append(NvtxRange("ExecutionContext::enqueue (simulated)", enqueue_start, host, SIM_THREAD))
        return KernelCapture(tuple(kernels), tuple(launches), tuple(ranges), simulated=True)
