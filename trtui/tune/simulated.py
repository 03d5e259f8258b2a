"""A simulated TensorRT builder, for `trtui tune demo` and the tests. It builds nothing.

It models what a real build does as a pool limit changes, deterministically from a seed:

- below a threshold no tactic fits one node: the build fails with TensorRT's own "Could not find any
  implementation for node" (after "Skipping tactic ... requested size" lines);
- above it the build succeeds, skipping every tactic that asks for more than the limit; each enabled
  tactic makes inference faster, so latency improves with the limit up to a plateau, while the
  engine's device memory grows with the scratch of the tactics it picked;
- limits above what the device can give run out of memory during the build;
- one band of limits crashes the builder (SIGSEGV), one hangs it (killed at the timeout), and
  optionally one gets it killed (SIGKILL, the Jetson OOM killer).

Failures are produced as log lines and classified by `trtui.tune.logclass`, exactly like real ones.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field

from trtui.tune.attempt import (
    BuildAttempt,
    BuildLog,
    BuildProgress,
    CancelFlag,
    EventSink,
    null_sink,
)
from trtui.tune.logclass import classify_failure, classify_line, success_note, summarize
from trtui.tune.sizes import GIB, KIB, MIB, WORKSPACE, Pool

_NODE = "{ForeignNode[/model/blocks.3/attn/MatMul.../model/blocks.3/attn/Softmax]}"


@dataclass(frozen=True, slots=True)
class SimTactic:
    """One modelled tactic that the builder skips when the pool limit is below its scratch size."""

    requested_bytes: int  # scratch the tactic needs
    slowdown: float  # inference is (1 + slowdown) times slower while the tactic is skipped


@dataclass(frozen=True, slots=True)
class SimulatedModel:
    """The simulated network and device. All sizes in bytes."""

    seed: int = 0
    essential_bytes: int = 6 * MIB  # below this one node has no implementation at all
    tactics: tuple[SimTactic, ...] = ()
    base_latency_ms: float = 2.0  # with every tactic enabled
    noise: float = 0.003  # +-0.3% measurement noise, deterministic per (seed, limit)
    weights_bytes: int = 98 * MIB
    activations_bytes: int = 180 * MIB
    io_bytes: int = 12 * MIB
    device_free_bytes: int = int(6.5 * GIB)  # free device memory during the build
    device_total_bytes: int = 8 * GIB
    oom_above_bytes: int | None = int(4.5 * GIB)  # larger limits run out of memory while building
    crash_band: tuple[int, int] | None = None  # limits in [a, b] segfault
    hang_band: tuple[int, int] | None = None  # limits in [a, b] hang until the timeout
    killed_band: tuple[int, int] | None = None  # limits in [a, b] get SIGKILL
    first_build_s: float = 48.0  # simulated build time without a warm timing cache
    cached_build_s: float = 9.0  # with it
    layers: int = 12

    @staticmethod
    def generate(seed: int = 0, pool: Pool = WORKSPACE, **overrides: object) -> SimulatedModel:
        """A model for `pool` with tactic sizes drawn from `seed` (log-uniform between the essential
        size and the plateau); later tactics (larger scratch) bring smaller gains."""
        rng = random.Random(f"trtui-sim:{seed}:{pool.name}")
        unit, essential, plateau = MIB, 6, rng.uniform(300.0, 700.0)
        if pool.name == "tactic_shared_memory":
            unit, essential, plateau = KIB, 24, 200.0
        elif pool.name == "tactic_dram":
            unit, essential, plateau = MIB, 260, 2600.0
        slowdowns = (0.31, 0.17, 0.09, 0.012, 0.006)
        lo, hi = math.log(essential * 1.6), math.log(plateau)
        sizes = sorted(math.exp(rng.uniform(lo, hi)) for _ in slowdowns)
        tactics = tuple(
            SimTactic(int(s * unit) // 4096 * 4096 + 4096, d) for s, d in zip(sizes, slowdowns, strict=False)
        )
        fields: dict[str, object] = {
            "seed": seed,
            "essential_bytes": essential * unit,
            "tactics": tactics,
            "base_latency_ms": round(rng.uniform(1.2, 4.0), 3),
        }
        if pool.name == "tactic_shared_memory":
            fields["oom_above_bytes"] = None
        fields.update(overrides)
        return SimulatedModel(**fields)  # type: ignore[arg-type]

    # --- the model's answers ---------------------------------------------------------------------

    def enabled(self, limit: int) -> tuple[SimTactic, ...]:
        return tuple(t for t in self.tactics if t.requested_bytes <= limit)

    def skipped(self, limit: int) -> tuple[SimTactic, ...]:
        """The tactics a build at `limit` bytes skips (their scratch does not fit)."""
        return tuple(t for t in self.tactics if t.requested_bytes > limit)

    def true_latency_ms(self, limit: int) -> float:
        factor = 1.0
        for t in self.skipped(limit):
            factor *= 1.0 + t.slowdown
        return self.base_latency_ms * factor

    def measured_latency_ms(self, limit: int) -> float:
        digest = hashlib.sha256(f"{self.seed}:{limit}".encode()).digest()
        u = int.from_bytes(digest[:8], "little") / 2**64 * 2.0 - 1.0
        return round(self.true_latency_ms(limit) * (1.0 + self.noise * u), 4)

    def device_memory_bytes(self, limit: int) -> int:
        """Activation memory of the engine built at `limit` bytes: the activations plus the largest
        scratch of an enabled tactic (at least the essential size)."""
        scratch = max((t.requested_bytes for t in self.enabled(limit)), default=self.essential_bytes)
        return self.activations_bytes + max(scratch, self.essential_bytes)

    def smallest_good_limit(self, tolerance: float) -> int:
        """The exact answer the search should find (noise-free): the smallest limit whose latency is
        within `tolerance` of the plateau, and at least the essential size."""
        best = self.base_latency_ms
        candidates = sorted({self.essential_bytes, *(t.requested_bytes for t in self.tactics)})
        for c in candidates:
            if c >= self.essential_bytes and self.true_latency_ms(c) <= best * (1.0 + tolerance):
                return c
        return candidates[-1]  # pragma: no cover - the largest enables everything


def _in(band: tuple[int, int] | None, limit: int) -> bool:
    return band is not None and band[0] <= limit <= band[1]


@dataclass
class SimulatedBuilder:
    """`Builder` over a `SimulatedModel`. `time_scale` seconds of real time per simulated second
    (0: instant, for tests); `timeout_s` is the simulated time a hung build is allowed."""

    model: SimulatedModel = field(default_factory=SimulatedModel)
    time_scale: float = 0.0
    timeout_s: float = 1800.0
    max_hang_wall_s: float = 3.0  # a simulated hang never blocks longer than this in real time
    builds: int = 0
    _cancel: CancelFlag = field(default_factory=CancelFlag)

    @property
    def simulated(self) -> bool:
        """Always True: attempts are modelled, nothing is built."""
        return True

    def cancel(self) -> None:
        """End the running simulated build; it and every later build return "cancelled"."""
        self._cancel.set()

    def close(self) -> None:
        """Same as `cancel`: nothing else is held."""
        self._cancel.set()

    # --- one build --------------------------------------------------------------------------------

    def _sleep(self, simulated_s: float) -> bool:
        """Sleep the scaled time; False if cancelled meanwhile."""
        if self._cancel.is_set():
            return False
        wall = simulated_s * self.time_scale
        if wall > 0:
            return not self._cancel.wait(wall)
        return True

    def build(self, limit_bytes: int, on_event: EventSink | None = None) -> BuildAttempt:
        """The modelled attempt at `limit_bytes`, with the log lines and progress a real build would
        report (sent to `on_event`), after `time_scale` x the simulated build time."""
        emit = on_event or null_sink
        m = self.model
        if self._cancel.is_set():
            return BuildAttempt(0, limit_bytes, "cancelled", "cancelled before it started", simulated=True)
        self.builds += 1
        build_s = (m.first_build_s if self.builds == 1 else m.cached_build_s) * (
            1.0 + 0.1 * ((limit_bytes // MIB) % 7) / 7
        )
        lines: list[BuildLog] = []

        def log(sev: str, text: str) -> None:
            line = BuildLog(sev, text)
            lines.append(line)
            emit(line)

        def phases(upto_layer: int | None, total_s: float) -> bool:
            """Emit the progress-monitor phases; stop after `upto_layer` timing steps. False: cancelled."""
            per = total_s / (m.layers + 6)
            emit(BuildProgress("start", "Building engine", None, 0, 3))
            emit(BuildProgress("start", "Optimizing graph", "Building engine", 0, 4))
            for i in range(4):
                if not self._sleep(per):
                    return False
                emit(BuildProgress("step", "Optimizing graph", None, i, 4))
            emit(BuildProgress("finish", "Optimizing graph"))
            emit(BuildProgress("step", "Building engine", None, 0, 3))
            emit(BuildProgress("start", "Timing tactics", "Building engine", 0, m.layers))
            for i in range(m.layers if upto_layer is None else upto_layer):
                if not self._sleep(per):
                    return False
                emit(BuildProgress("step", "Timing tactics", None, i, m.layers))
            if upto_layer is not None:
                return True
            emit(BuildProgress("finish", "Timing tactics"))
            emit(BuildProgress("step", "Building engine", None, 1, 3))
            emit(BuildProgress("start", "Serializing engine", "Building engine", 0, 1))
            if not self._sleep(per * 2):
                return False
            emit(BuildProgress("step", "Serializing engine", None, 0, 1))
            emit(BuildProgress("finish", "Serializing engine"))
            emit(BuildProgress("step", "Building engine", None, 2, 3))
            emit(BuildProgress("finish", "Building engine"))
            return True

        def cancelled() -> BuildAttempt:
            return BuildAttempt(0, limit_bytes, "cancelled", "cancelled: the build was stopped",
                                simulated=True)

        # Signals and hangs do not depend on the log.
        if _in(m.crash_band, limit_bytes):
            if not phases(m.layers // 2, build_s):
                return cancelled()
            return BuildAttempt(0, limit_bytes, "crashed", "the builder crashed (SIGSEGV, simulated)",
                                build_s=build_s / 2, exit_code=-11, simulated=True)
        if _in(m.killed_band, limit_bytes):
            if not phases(m.layers // 3, build_s):
                return cancelled()
            return BuildAttempt(0, limit_bytes, "killed",
                                "killed (SIGKILL): on Jetson the OS kills builds that run out of memory "
                                "(simulated)", build_s=build_s / 3, exit_code=-9, simulated=True)
        if _in(m.hang_band, limit_bytes):
            if not phases(m.layers // 4, build_s):
                return cancelled()
            wall = min(self.timeout_s * self.time_scale, self.max_hang_wall_s)
            if wall > 0 and self._cancel.wait(wall):
                return cancelled()
            return BuildAttempt(0, limit_bytes, "timeout",
                                f"no result within {self.timeout_s:g} s: the build hung and was killed "
                                "(simulated)",
                                build_s=self.timeout_s, exit_code=-9, simulated=True)

        available = min(limit_bytes, m.device_free_bytes)
        skipped = m.skipped(limit_bytes)
        essential_missing = limit_bytes < m.essential_bytes
        oom = m.oom_above_bytes is not None and limit_bytes > m.oom_above_bytes
        if skipped or essential_missing:
            log("I", "[TRT] [I] Some tactics do not have sufficient workspace memory to run. Increasing "
                     "workspace size will enable more tactics, please check verbose output for requested "
                     "sizes.")
        requests = [t.requested_bytes for t in skipped]
        if essential_missing:
            requests.append(m.essential_bytes)
        for k, req in enumerate(sorted(requests)):
            log("W", f"[TRT] [W] Tactic Device request: {req // MIB}MB Available: {available // MIB}MB. "
                     "Device memory is insufficient to use tactic.")
            tactic_id = (m.seed * 7919 + k) & 0xFFFFFFFFFFFF
            log("W", f"[TRT] [W] UNSUPPORTED_STATE: Skipping tactic {k} due to insufficient memory on "
                     f"requested size of {req} detected for tactic 0x{tactic_id:016x}.")
        if oom:
            log("E", "[TRT] [E] 2: [virtualMemoryBuffer.cpp::resizePhysical::145] Error Code 2: OutOfMemory "
                     "(no further information)")
            log("W", f"[TRT] [W] Requested amount of GPU memory ({limit_bytes} bytes) could not be "
                     "allocated. There may not be enough free memory for allocation to succeed.")
        if essential_missing or oom:
            if not phases(m.layers * 2 // 3, build_s):
                return cancelled()
            log("E", f"[TRT] [E] 10: Could not find any implementation for node {_NODE}.")
            log("E", "[TRT] [E] 10: [optimizer.cpp::computeCosts::3869] Error Code 10: Internal Error "
                     f"(Could not find any implementation for node {_NODE}.)")
            summary = summarize(classify_line(x.text, x.severity) for x in lines)
            outcome, message = classify_failure(summary, limit_bytes)
            return BuildAttempt(0, limit_bytes, outcome, message, build_s=build_s * 0.7, log=summary,
                                exit_code=1, simulated=True)
        if not phases(None, build_s):
            return cancelled()
        summary = summarize(classify_line(x.text, x.severity) for x in lines)
        return BuildAttempt(
            0,
            limit_bytes,
            "ok",
            success_note(summary),
            build_s=round(build_s, 1),
            engine_bytes=m.weights_bytes + 3 * MIB,
            device_memory_bytes=m.device_memory_bytes(limit_bytes),
            weights_bytes=m.weights_bytes,
            io_bytes=m.io_bytes,
            latency_ms=m.measured_latency_ms(limit_bytes),
            log=summary,
            exit_code=0,
            simulated=True,
        )


# --- the demo -------------------------------------------------------------------------------------

DEMO_DEVICE = "Simulated GPU (8 GiB)"
DEMO_TIME_SCALE = 0.08  # a simulated 9 s build takes 0.7 s of real time


def _demo_base(pool: Pool, seed: int) -> SimulatedModel:
    if pool.name != WORKSPACE.name or seed != 0:
        return SimulatedModel.generate(seed, pool)
    # Hand-made so that the demo shows every behaviour: a node with no implementation below 96 MiB,
    # tactics switching on up to 1.1 GiB, and an out-of-memory build at the top of the budget.
    return SimulatedModel(
        seed=0,
        essential_bytes=96 * MIB,
        tactics=(
            SimTactic(150 * MIB + 28 * KIB, 0.31),
            SimTactic(236 * MIB + 12 * KIB, 0.17),
            SimTactic(410 * MIB + 8 * KIB, 0.09),
            SimTactic(700 * MIB, 0.012),
            SimTactic(1100 * MIB, 0.006),
        ),
        base_latency_ms=1.84,
    )


def demo_model(pool: Pool, plan: object, seed: int = 0) -> SimulatedModel:
    """The demo's model for `pool`, `plan` and `seed` (0: a hand-made workspace model): a crash at the
    limit of the 4th build of the fault-free search and a hang at the 5th build of the search that
    crashed, so the demo shows both."""
    from dataclasses import replace

    from trtui.tune.plan import TunePlan
    from trtui.tune.session import TuneSession

    assert isinstance(plan, TunePlan)
    model = _demo_base(pool, seed)

    def trajectory(m: SimulatedModel) -> list[int]:
        return [a.limit_bytes for a in TuneSession(plan, SimulatedBuilder(m), "demo").run().attempts]

    first = trajectory(model)
    if len(first) >= 4:
        model = replace(model, crash_band=(first[3], first[3]))
        second = trajectory(model)
        if len(second) >= 5:
            model = replace(model, hang_band=(second[4], second[4]))
    return model
