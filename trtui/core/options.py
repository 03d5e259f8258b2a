"""Options of a profiling run, as parsed from the command line: shared by every command that runs an
engine (the live UI, `profile`, `sweep`) and by the sources that run it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run an engine, as the command line asked. It crosses to the engine's process as JSON
    (`asdict`, back through `trtui.sources.engine_child.options_from_json`), so every field is a
    plain value. The defaults are what a run without options gets."""

    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()  # --shapes input:1x3x224x224,...
    streams: int = 1  # --streams N: N execution contexts, each on its own stream
    transfers: bool = False  # --transfers: include H2D/D2H copies in each inference
    cuda_graph: bool = True  # --no-cuda-graph turns capture off
    profile_every: int = 10  # one profiled iteration in every N (0: never profile)
    allow_host_code: bool = False  # --allow-host-code: load plans with embedded host code
    plugins: tuple[str, ...] = ()  # --plugins LIB: plugin libraries to load (runs their code)
    device: int = 0  # CUDA device index
    seed: int = 0  # simulator / random inputs
    layers: int | None = None  # simulator: scale to N layers
    window: int = 256  # rolling window (iterations) of the statistics
    idle_baseline_s: float = 0.0  # --idle-baseline S: measure idle power for S s before the run
    kernels: bool = False  # --kernels: record the GPU kernels of profiled inferences (off by default)
    trace_path: str | None = None  # profile --trace FILE: Chrome trace of the profiled inferences
