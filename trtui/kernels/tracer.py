"""The interface a kernel tracer offers the inference loop (no GPU import), and record pairing.

The loop calls `begin()` just before it enqueues a profiled inference and `end()` right after
(so only that inference's launches are traced, never the timed ones), then `collect()` once the
inference completed on the GPU. `pair_markers` turns NVTX start/end marker records into ranges.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from trtui.core.kernel_records import KernelCapture, NvtxRange


class KernelTracer(Protocol):
    """A kernel recorder the GPU loop drives around each profiled inference
    (`trtui.gpu.runtime.cupti_tracer.CuptiKernelTracer`). Calls come from the loop's thread, in the
    order begin, end, collect; the engine session closes it when it tears down."""

    def begin(self) -> None:
        """Start recording kernel launches: called just before the profiled inference is enqueued.
        Cheap; must not block on the GPU."""

    def end(self) -> None:
        """Stop recording, right after the enqueue; what was recorded is kept for `collect`."""

    def collect(self) -> KernelCapture | None:
        """What was recorded between the last begin() and end() (None: nothing usable)."""
        ...

    def close(self) -> None:
        """Stop recording for good and release the recorder; a second call does nothing."""


MarkerEvent = tuple[int, int, str | None, int, str | None, str]  # id, ts, name, thread, domain, "start"/"end"


def pair_markers(events: Iterable[MarkerEvent]) -> tuple[NvtxRange, ...]:
    """Ranges from start/end marker events (matched by id; the name and domain come from the
    start). Unmatched starts or ends are dropped; instantaneous markers are ignored."""
    open_: dict[int, tuple[int, str | None, int, str | None]] = {}
    out: list[NvtxRange] = []
    for mid, ts, name, thread, domain, what in sorted(events, key=lambda e: e[1]):
        if what == "start":
            open_[mid] = (ts, name, thread, domain)
        elif what == "end" and mid in open_:
            t0, n, th, dom = open_.pop(mid)
            out.append(NvtxRange(n or name or "", t0, ts, th, dom or domain))
    out.sort(key=lambda r: (r.start_ns, -r.end_ns))
    return tuple(out)
