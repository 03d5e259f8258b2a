"""How the simulated engine's batch size and concurrent contexts change its timings (simulated).

A GPU running a small batch is under-used: a fixed share of its time goes to work that does not
grow with the batch (launch tails, partly filled waves). The model: one inference's latency is
proportional to `B_HALF + work`, where `work` is the samples in flight on the whole GPU (batch x
streams, plus a small contention cost per extra context). Throughput (samples/s) therefore grows
sub-linearly and levels off at high batch, while latency keeps growing linearly: a knee. Memory per
context grows with the batch (activations), so large batch x streams runs out of memory.

Every number here is *simulated*; the demo engine's profile allows batch 1..64.
"""

from __future__ import annotations

from trtui.sources.simulated_engine import BATCH

B_HALF = 4.0  # samples in flight at which the simulated GPU is half used
STREAM_CONTENTION = 0.04  # each extra concurrent context makes every sample this much dearer
MIN_BATCH, MAX_BATCH = 1, 64  # the demo engine's optimization profile (batch dimension)
DEVICE_MIB = 81559.0  # simulated H100-like device memory
RESERVED_MIB = 1024.0 + 500.0  # CUDA context and libraries
ENGINE_MIB = 180.0  # weights, shared by every context
CONTEXT_BASE_MIB = 40.0  # activation memory of a context that does not grow with the batch
PER_SAMPLE_MIB = 30.0  # activation + I/O memory per sample of the batch


def work(batch: int, streams: int) -> float:
    return float(streams * batch) * (1.0 + STREAM_CONTENTION * (streams - 1))


def latency_scale(batch: int, streams: int) -> float:
    """One inference's latency relative to the demo engine's own (batch 8, one stream)."""
    return (B_HALF + work(batch, streams)) / (B_HALF + BATCH)


def utilization_pct(batch: int, streams: int) -> float:
    w = work(batch, streams)
    return 100.0 * w / (w + B_HALF)


def relative_utilization(batch: int, streams: int) -> float:
    """Utilization relative to the demo engine's own configuration (batch 8, one stream)."""
    return utilization_pct(batch, streams) / utilization_pct(BATCH, 1)


def extra_memory_mib(batch: int, streams: int) -> float:
    """Device memory beyond what the demo engine uses in its own configuration."""
    return streams * context_memory_mib(batch) - context_memory_mib(BATCH)


def context_memory_mib(batch: int) -> float:
    """Device memory (MiB, simulated) one execution context needs at `batch`."""
    return CONTEXT_BASE_MIB + PER_SAMPLE_MIB * batch


def used_memory_mib(batch: int, streams: int) -> float:
    return RESERVED_MIB + ENGINE_MIB + streams * context_memory_mib(batch)


def fit_problem(batch: int, streams: int) -> tuple[str, str] | None:
    """(kind, one-line reason) when the configuration cannot run, else None."""
    if not MIN_BATCH <= batch <= MAX_BATCH:
        return "profile", (f"batch {batch} is outside the simulated engine's profile "
                           f"(batch {MIN_BATCH}..{MAX_BATCH})")
    need = used_memory_mib(batch, streams)
    if need > DEVICE_MIB:
        return "memory", (f"out of memory (simulated): {streams} context(s) at batch {batch} need "
                          f"{need / 1024:.1f} GiB of {DEVICE_MIB / 1024:.1f} GiB")
    return None
