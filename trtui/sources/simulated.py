"""The simulated demo engine: a deterministic (seeded) source of realistic timings.

Always labelled "simulated": nothing it produces was measured. It follows the same protocol as
the real TensorRT source, so the whole pipeline and UI can run (and be tested) without a GPU.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable

import numpy as np

from trtui.core.model import (
    DeviceSpec,
    ProfiledIteration,
    RunFacts,
    SourceBatch,
    SourceInfo,
    StartupStep,
    frozen_array,
)
from trtui.core.options import RunOptions
from trtui.core.reconfig import DoesNotFit, Reconfigured
from trtui.core.run_facts import mode_line
from trtui.kernels.simulated import SimulatedKernels
from trtui.sources import simulated_scaling as scaling
from trtui.sources.simulated_engine import BATCH, SimLayer, layer_costs, resnet50_layers, scaled_layers
from trtui.telemetry.sample import TelemetrySample

SIM_DEVICE = "Simulated GPU (H100-like)"
# the simulated GPU's facts for the roofline: an H100 SXM's SMs, clocks and bus
SIM_HARDWARE = DeviceSpec(SIM_DEVICE, (9, 0), 132, 1830.0, 2619.0, 5120, source="simulated")
GRAPH_LAUNCH_MS = 0.008  # per-inference overhead on top of the layers (CUDA graph launch)
EVENT_OVERHEAD_MS = 0.0015  # per-layer cost of the profiler's CUDA events in profiled iterations
JITTER = 0.03  # lognormal sigma of per-layer times
E2E_JITTER = 0.015  # lognormal sigma of whole-inference times
OUTLIER_P = 0.002  # probability that an inference is a slow outlier
JITTER_POOL = 1 << 16  # per-layer jitter factors are read from a pool of this many lognormal draws
THROTTLE_PERIOD_S = 40.0  # a simulated thermal slowdown every period...
THROTTLE_LEN_S = 4.0  # ...lasting this long...
THROTTLE_FACTOR = 1.12  # ...making everything this much slower
MAX_CATCH_UP_S = 2.0  # never simulate more than this much wall time in one read


class SimulatedSource:
    """A ResNet-50-shaped FP16 engine (or `options.layers` layers) "running" on a simulated GPU."""

    def __init__(
        self,
        options: RunOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        built = time.perf_counter()
        self.options = options or RunOptions()
        self._clock = clock
        n = self.options.layers
        self.layers: list[SimLayer] = scaled_layers(n) if n else resnet50_layers()
        self._costs = layer_costs(self.layers)
        self._names = tuple(layer.info.name for layer in self.layers)
        self._rng = np.random.default_rng(self.options.seed)
        # Per-layer jitter: each profiled iteration reads a run of this pool at a random offset
        # (drawing a lognormal per layer cost more CPU than the screen showing it, at 1,000 layers).
        self._jitter = self._rng.lognormal(0.0, JITTER, JITTER_POOL + len(self._costs))
        self._cols = np.arange(len(self._costs))
        self._every = max(0, self.options.profile_every)
        self._iteration = 0  # inferences simulated so far (profiled and not)
        self.sim_time = 0.0  # simulated GPU seconds since start
        self._carry = 0.0  # wall seconds not yet turned into whole inferences
        self._last_wall: float | None = None
        self._paused = False
        self._wake = threading.Event()
        self._stopped = False
        # batch and concurrent contexts (changed by reconfigure; see simulated_scaling)
        self.batch = BATCH
        self.streams = 1
        self._scale = 1.0
        self._kernels: SimulatedKernels | None = None  # --kernels: simulated kernel captures
        if self.options.kernels:
            self._kernels = SimulatedKernels([x.info for x in self.layers], self.options.seed)
        self._info = self._make_info()
        # start-up steps (labelled simulated): the layer model built above, then the wait for the
        # first profiled inference
        self._built_s = time.perf_counter() - built
        self._listener: Callable[[tuple[StartupStep, ...]], None] | None = None
        self._said_start = False
        self._first_profiled_since: float | None = None

    # -- description -----------------------------------------------------------------------------

    def _make_info(self) -> SourceInfo:
        kinds = Counter(layer.info.precision or "?" for layer in self.layers)
        total = sum(kinds.values())
        mix = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in kinds.most_common())
        facts = RunFacts(
            profile_every=self._every, cuda_graphs=True, simulated=True, streams=self.streams,
            kernels="simulated" if self.options.kernels else None,
        )
        label = "resnet50" if not self.options.layers else f"resnet50x{len(self.layers)}"
        return SourceInfo(
            kind="simulated",
            label=f"{label} (simulated)",
            simulated=True,
            device=SIM_DEVICE,
            trt_module=None,
            trt_version=None,
            precision=mix,
            shapes=(("input", (self.batch, 3, 224, 224)),),
            mode=mode_line(facts),
            streams=self.streams,
            aux_streams=0,
            layers=tuple(layer.info for layer in self.layers),
            extra={"engine": "simulated: costs from a model of each layer's work, not measured"},
            facts=facts,
            hardware=SIM_HARDWARE,
        )

    @property
    def info(self) -> SourceInfo:
        """The simulated engine; shapes and streams follow `reconfigure`."""
        return self._info

    @property
    def mean_latency_ms(self) -> float:
        return float(self._costs.sum()) * self._scale + GRAPH_LAUNCH_MS

    # -- simulated state shared with the simulated telemetry ------------------------------------

    def throttled(self, t: float | None = None) -> bool:
        t = self.sim_time if t is None else t
        return (t % THROTTLE_PERIOD_S) >= THROTTLE_PERIOD_S - THROTTLE_LEN_S

    # -- protocol --------------------------------------------------------------------------------

    def set_startup_listener(self, listener: Callable[[tuple[StartupStep, ...]], None]) -> None:
        """Called from inside `start()` with the simulated start-up steps (`ReportsStartup`)."""
        self._listener = listener

    def start(self) -> None:
        """Start the simulated clock and report the simulated start-up steps. Never fails; a second call
        only restarts the clock (the time between is not simulated)."""
        self._last_wall = self._clock()
        if self._said_start:
            return
        self._said_start = True
        steps = [StartupStep("deserialize", self._built_s, True)]
        if self._every:
            self._first_profiled_since = self._clock()
            steps.append(StartupStep("first profiled batch", None, True))
        if self._listener is not None:
            self._listener(tuple(steps))

    def set_paused(self, paused: bool) -> None:
        """While paused, `read` returns empty batches and the paused time is never simulated."""
        self._paused = paused
        self._last_wall = self._clock()
        self._wake.set()

    def stop(self) -> None:
        """Later reads return empty batches at once. Idempotent."""
        self._stopped = True
        self._wake.set()

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
        """Run `batch` samples per inference on `streams` concurrent contexts (simulated; see
        `simulated_scaling`). Raises DoesNotFit outside the simulated profile or memory."""
        b = self.batch if batch is None else int(batch)
        n = self.streams if streams is None else int(streams)
        if n < 1:
            raise DoesNotFit(f"{n} streams: at least 1", "other")
        problem = scaling.fit_problem(b, n)
        if problem is not None:
            raise DoesNotFit(problem[1], "memory" if problem[0] == "memory" else "profile")
        self.batch, self.streams = b, n
        self._scale = scaling.latency_scale(b, n)
        self._carry = 0.0
        self._last_wall = self._clock()
        self._info = self._make_info()
        return Reconfigured(b, n, self._info.shapes, scaling.context_memory_mib(b), "simulated")

    def read(self, timeout: float) -> SourceBatch:
        """Simulate the inferences that would have completed in the wall time since the last read."""
        if self._last_wall is None:
            self.start()
        if timeout > 0 and not self._stopped:
            self._wake.wait(timeout)
            self._wake.clear()
        now = self._clock()
        assert self._last_wall is not None
        elapsed = min(max(now - self._last_wall, 0.0), MAX_CATCH_UP_S)
        self._last_wall = now
        if self._paused or self._stopped:
            return SourceBatch(t=self.sim_time)
        return self.simulate(elapsed)

    # -- generation (deterministic for a seed) ---------------------------------------------------

    def simulate(self, wall_s: float) -> SourceBatch:
        """Simulate `wall_s` seconds of back-to-back inferences."""
        self._carry += wall_s
        per_inference_s = self.mean_latency_ms / 1000.0 / self.streams  # streams overlap
        n = int(self._carry / per_inference_s)
        self._carry -= n * per_inference_s
        return self.generate(n)

    def generate(self, n: int) -> SourceBatch:
        """Exactly `n` more inferences: every `profile_every`-th is profiled (layer times only;
        its latency is not reported), the rest are timed."""
        first = self._iteration
        idx = np.arange(first, first + n)
        profiled_mask = (idx % self._every == 0) if self._every else np.zeros(n, dtype=bool)
        n_prof = int(profiled_mask.sum())
        n_timed = n - n_prof
        slow = THROTTLE_FACTOR if self.throttled() else 1.0
        base = self.mean_latency_ms * slow
        lat = base * self._rng.lognormal(0.0, E2E_JITTER, n_timed)
        outliers = self._rng.random(n_timed) < OUTLIER_P
        lat[outliers] *= self._rng.uniform(1.3, 2.5, int(outliers.sum()))
        profiled: list[ProfiledIteration] = []
        if n_prof:  # all the profiled iterations of this batch in a few numpy calls (one row each)
            width = len(self._costs)
            starts = self._rng.integers(0, JITTER_POOL, n_prof)
            block = self._jitter[starts[:, None] + self._cols]
            block *= self._costs * (slow * self._scale)
            spikes = int(self._rng.binomial(n_prof * width, OUTLIER_P))  # slow outlier layers
            flat = block.reshape(-1)
            flat[self._rng.integers(0, flat.size, spikes)] *= self._rng.uniform(1.5, 4.0, spikes)
            block += EVENT_OVERHEAD_MS * 0.2  # per-layer events make layers look a bit slower
            block.setflags(write=False)  # each iteration's times are a read-only row of it
            gpu = block.sum(axis=1) + (EVENT_OVERHEAD_MS * width + GRAPH_LAUNCH_MS)
            for times, gpu_ms in zip(block, gpu.tolist(), strict=True):
                kernels = self._kernels.capture(self._names, times, self.sim_time) if self._kernels else None
                profiled.append(ProfiledIteration(self._names, times, gpu_ms, kernels))
        timed_s = float(lat.sum()) / 1000.0 / self.streams  # concurrent inferences overlap
        prof_s = sum(p.gpu_ms or 0.0 for p in profiled) / 1000.0
        self.sim_time += timed_s + prof_s
        self._iteration += n
        notices: tuple[str, ...] = ()
        startup: tuple[StartupStep, ...] = ()
        if profiled and self._first_profiled_since is not None:
            waited = max(self._clock() - self._first_profiled_since, 0.0)
            startup = (StartupStep("first profiled batch", waited, True),)
            self._first_profiled_since = None
        return SourceBatch(
            t=self.sim_time,
            latencies_ms=frozen_array(lat),
            latency_streams=(frozen_array(np.arange(first, first + n_timed) % self.streams, np.int64)
                             if self.streams > 1 else None),
            timing_wall_s=timed_s,
            profiled=tuple(profiled),
            notices=notices,
            startup=startup,
        )


class SimulatedTelemetry:
    """Telemetry of the simulated GPU, consistent with the simulated engine (busy, and slowed
    down by the same simulated thermal events). Always marked `simulated=True`."""

    def __init__(self, source: SimulatedSource, clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._clock = clock

    def sample(self) -> TelemetrySample:
        """A simulated sample of the demo's GPU at its simulated time: idle before start and while paused,
        slower and hotter during the simulated thermal slowdowns."""
        s = self._source
        t = s.sim_time
        throttled = s.throttled()
        wobble = math.sin(t / 7.0)
        busy = not s._paused and s._last_wall is not None  # idle before start (--idle-baseline)
        sm = (1755.0 if throttled else 1980.0) if busy else 345.0
        temp = 62.0 + 6.0 * ((t % THROTTLE_PERIOD_S) / THROTTLE_PERIOD_S) + wobble
        if throttled:
            temp += 8.0
        engine_mib = 180.0 + 0.002 * len(s.layers) + scaling.extra_memory_mib(s.batch, s.streams)
        load = scaling.relative_utilization(s.batch, s.streams)  # 1.0 in the demo's own configuration
        return TelemetrySample(
            t=self._clock(),
            simulated=True,
            device_name=SIM_DEVICE,
            mem_used_mib=1024.0 + engine_mib,
            mem_total_mib=81559.0,
            mem_free_mib=81559.0 - 1024.0 - engine_mib,
            process_mem_mib=engine_mib + 500.0,
            gpu_util_pct=min(99.5, 97.0 * load + wobble) if busy else 0.0,
            mem_util_pct=(41.0 + 3 * wobble) if busy else 0.0,
            sm_clock_mhz=sm,
            sm_clock_max_mhz=1980.0,
            mem_clock_mhz=2619.0,
            power_w=(70.0 + (450.0 + 25 * wobble) * min(1.05, load) if busy else 70.0),
            power_limit_w=700.0,
            temperature_c=temp,
            throttle_reasons=("SwThermalSlowdown",) if throttled else (),
            pcie_gen=5,
            pcie_width=16,
            sources=(("all", "simulated"),),
        )

    def close(self) -> None:
        """Nothing to free."""
        pass
