"""Builders of kernel captures for the kernel tests (synthetic, deterministic)."""

from __future__ import annotations

from collections.abc import Sequence

from trtui.core.kernel_records import KernelCapture, KernelRecord, LaunchCall, NvtxRange

THREAD = 7


def build_capture(
    layers: Sequence[tuple[str, Sequence[int]]],
    *,
    t0: int = 1_000_000,
    gap: int = 1_000,
    stream: int = 3,
    enclosing: str | None = "enqueue",
    with_ranges: bool = True,
    inner: dict[str, str] | None = None,
) -> KernelCapture:
    """One inference: for each (layer, kernel durations ns) a host range holding the launch calls,
    and the kernels back to back on `stream` (with `gap` ns before each). `inner` names an extra
    non-layer range nested inside a layer's range (e.g. Myelin's own)."""
    kernels: list[KernelRecord] = []
    launches: list[LaunchCall] = []
    ranges: list[NvtxRange] = []
    host = 10
    gpu = t0
    corr = 100
    for name, durs in layers:
        r0 = host
        host += 5
        i0 = host
        for j, d in enumerate(durs):
            gpu += gap
            kernels.append(KernelRecord(f"{name}_k{j}", gpu, gpu + d, stream, corr))
            launches.append(LaunchCall(corr, host, host + 3, THREAD))
            corr += 1
            host += 10
            gpu += d
        if inner and name in inner:
            ranges.append(NvtxRange(inner[name], i0, host, THREAD))
        host += 5
        ranges.append(NvtxRange(name, r0, host, THREAD, "TensorRT"))
    if enclosing:
        ranges.append(NvtxRange(enclosing, 0, host + 10, THREAD))
    return KernelCapture(tuple(kernels), tuple(launches), tuple(ranges) if with_ranges else ())
