"""Energy per inference (pure): telemetry samples + inference counts -> immutable `EnergySnapshot`.

Energy per inference = energy over a window / inferences completed in that window. Two scopes,
reported separately:

- "gpu": NVML's total energy counter where the GPU has one (difference of the counter), else the
  GPU power reading (NVML power, a Jetson GPU or GPU+SoC rail, or the simulator's) integrated
  over time (trapezoids between samples);
- "module": a Jetson's whole module (its input rail, or the rails that add up to it; see
  `trtui.telemetry.power_rails`), integrated over time. Datacenter GPUs have no module figure.

Each consecutive pair of samples is one step: its energy, its duration and the inferences
completed in it. Steps while the run is paused are not counted as work; they measure the idle
power (the idle baseline), unless a baseline was measured before the run (`--idle-baseline S`).
A step into or out of a pause is neither (its power is part work, part idle).
A figure is given only for a window of at least `MIN_WINDOW_S` (the counter updates every
~20-100 ms). Every figure carries the rail it measured, how (counter or integrated power) and
its window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from trtui.core.rail_roles import RailRoles, rail_roles
from trtui.telemetry.sample import TelemetrySample

MIN_WINDOW_S = 1.0
DEFAULT_WINDOW_S = 5.0
MAX_STEP_S = 10.0  # a longer gap between samples is not integrated (power unknown in between)
SCOPES = ("gpu", "module")
COUNTER = "NVML total energy counter"


@dataclass(frozen=True, slots=True)
class EnergyPoint:
    """What one telemetry sample says about energy, with the inferences completed so far."""

    t: float
    inferences: int
    paused: bool = False
    counter_mj: float | None = None  # GPU scope: NVML counter
    gpu_w: float | None = None
    module_w: float | None = None
    gpu_rail: str | None = None  # what gpu_w measures
    module_rail: str | None = None
    simulated: bool = False


def point_from_sample(sample: TelemetrySample, inferences: int, paused: bool = False) -> EnergyPoint:
    """The energy reading of a telemetry sample: NVML counter and power, or Jetson rails."""
    roles: RailRoles | None = rail_roles(n for n, _ in sample.rails_w) if sample.rails_w else None
    gpu_w: float | None = None
    gpu_rail: str | None = None
    if roles is not None and roles.gpu:
        gpu_w, gpu_rail = roles.gpu_w(sample.rails_w), roles.gpu_label
    if gpu_w is None and sample.power_w is not None:
        source = dict(sample.sources).get("power_w", "")
        gpu_w = sample.power_w
        if sample.simulated:
            gpu_rail = "simulated GPU power"
        elif source.startswith("nvml"):
            gpu_rail = "NVML GPU board power"
        else:
            gpu_rail = f"GPU power ({source or 'unknown source'})"
    module_w = roles.module_w(sample.rails_w) if roles is not None else None
    return EnergyPoint(
        t=sample.t,
        inferences=int(inferences),
        paused=paused,
        counter_mj=sample.energy_mj,
        gpu_w=gpu_w,
        module_w=module_w,
        gpu_rail=gpu_rail,
        module_rail=roles.module_label if roles is not None and module_w is not None else None,
        simulated=sample.simulated,
    )


@dataclass(frozen=True, slots=True)
class EnergyFigure:
    """Energy per inference of one scope over one window."""

    scope: str  # "gpu" or "module"
    rail: str  # what was measured, e.g. "NVML total energy counter", "VDD_GPU_SOC (GPU+SoC rail)"
    method: str  # "counter", "integrated power", or "counter + integrated power"
    window: str  # "last 5.0 s" or "whole run"
    window_s: float  # seconds of running (not paused) time measured
    energy_j: float
    inferences: int
    mean_w: float | None
    j_per_inference: float | None
    inferences_per_j: float | None
    idle_w: float | None = None
    net_j_per_inference: float | None = None  # (mean_w - idle_w) * window_s / inferences
    simulated: bool = False

    def describe(self) -> str:
        """How the figure was measured: "rail, method, window"."""
        return f"{self.rail}, {self.method}, {self.window}"


@dataclass(frozen=True, slots=True)
class IdleBaseline:
    """The power drawn while no inference runs, per scope (W; None where that scope was not
    measured long enough), subtracted from the mean power for the net energy per inference."""

    gpu_w: float | None
    module_w: float | None
    seconds: float  # how long it was measured
    how: str  # "measured while paused" or "measured for 5.0 s before the run (--idle-baseline)"


@dataclass(frozen=True, slots=True)
class EnergySnapshot:
    """The energy figures as of one statistics tick. Powers in W (None: not measured); a scope
    missing from `window` or `total` has no figure yet (or no reading at all)."""

    gpu_now_w: float | None = None
    module_now_w: float | None = None
    gpu_rail: str | None = None
    module_rail: str | None = None
    window: tuple[EnergyFigure, ...] = ()  # rolling window, per scope
    total: tuple[EnergyFigure, ...] = ()  # whole run, per scope
    idle: IdleBaseline | None = None
    simulated: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def figure(self, scope: str, whole_run: bool = False) -> EnergyFigure | None:
        """The figure of `scope` ("gpu" or "module") over the rolling window, or the whole run;
        None when there is none."""
        for f in self.total if whole_run else self.window:
            if f.scope == scope:
                return f
        return None


@dataclass(frozen=True, slots=True)
class _Step:
    t_end: float
    dt: float
    inferences: int
    energy: tuple[float | None, float | None]  # J per scope, None = not measured in this step
    counter: bool  # the GPU energy came from the counter


def _step(a: EnergyPoint, b: EnergyPoint) -> _Step | None:
    dt = b.t - a.t
    if not 0 < dt <= MAX_STEP_S:
        return None
    gpu: float | None = None
    counter = False
    if a.counter_mj is not None and b.counter_mj is not None and b.counter_mj >= a.counter_mj:
        gpu, counter = (b.counter_mj - a.counter_mj) / 1000.0, True
    elif a.gpu_w is not None and b.gpu_w is not None:
        gpu = (a.gpu_w + b.gpu_w) / 2.0 * dt
    module = None
    if a.module_w is not None and b.module_w is not None:
        module = (a.module_w + b.module_w) / 2.0 * dt
    return _Step(b.t, dt, max(0, b.inferences - a.inferences), (gpu, module), counter)


class _Sum:
    """Sums of steps for one scope."""

    __slots__ = ("counter_steps", "dt", "energy", "inferences", "power_steps")

    def __init__(self) -> None:
        self.dt = 0.0
        self.energy = 0.0
        self.inferences = 0
        self.counter_steps = 0
        self.power_steps = 0

    def add(self, s: _Step, j: float, counter: bool) -> None:
        self.dt += s.dt
        self.energy += j
        self.inferences += s.inferences
        if counter:
            self.counter_steps += 1
        else:
            self.power_steps += 1


class EnergyTracker:
    """Feeds on `EnergyPoint`s (one per telemetry sample, in time order); `snapshot()` gives the
    figures for the last `window_s` seconds of running and for the whole run."""

    def __init__(self, window_s: float = DEFAULT_WINDOW_S) -> None:
        if not window_s >= MIN_WINDOW_S:
            raise ValueError(f"the energy window must be at least {MIN_WINDOW_S} s")
        self.window_s = window_s
        self._last: EnergyPoint | None = None
        self._recent: deque[_Step] = deque()
        self._total = {s: _Sum() for s in SCOPES}
        self._idle = {s: _Sum() for s in SCOPES}
        self._given_idle: IdleBaseline | None = None
        self._rails: dict[str, str | None] = {"gpu": None, "module": None}
        self._simulated = False

    def reset(self) -> None:
        """Forget the run's figures (statistics reset); the idle baseline is kept."""
        self._last = None
        self._recent.clear()
        self._total = {s: _Sum() for s in SCOPES}

    def set_idle_baseline(
        self, gpu_w: float | None, module_w: float | None, seconds: float, how: str
    ) -> None:
        """Use this baseline (measured before the run) instead of the one measured while paused."""
        self._given_idle = IdleBaseline(gpu_w, module_w, seconds, how)

    def add(self, p: EnergyPoint) -> None:
        """Count the step from the previous point to `p`. Points must come in time order
        (ValueError otherwise); a gap over `MAX_STEP_S` is not integrated."""
        if self._last is not None and p.t < self._last.t:
            raise ValueError("energy points must arrive in time order")
        last, self._last = self._last, p
        self._simulated = self._simulated or p.simulated
        if p.gpu_rail is not None or p.counter_mj is not None:
            self._rails["gpu"] = COUNTER if p.counter_mj is not None else p.gpu_rail
        if p.module_rail is not None:
            self._rails["module"] = p.module_rail
        if last is None:
            return
        step = _step(last, p)
        if step is None:
            return
        if p.paused != last.paused:
            return  # a step into or out of a pause is neither work nor idle
        idle = p.paused
        for i, scope in enumerate(SCOPES):
            j = step.energy[i]
            if j is None:
                continue
            counter = step.counter and scope == "gpu"
            if idle:
                if step.inferences == 0:
                    self._idle[scope].add(step, j, counter)
            else:
                self._total[scope].add(step, j, counter)
        if not idle:  # while paused, the last running window stays on show
            self._recent.append(step)
            while self._recent and self._recent[0].t_end <= p.t - self.window_s:
                self._recent.popleft()

    # ---- results --------------------------------------------------------------------------
    def idle_baseline(self) -> IdleBaseline | None:
        """The given baseline, else the one measured while paused (at least `MIN_WINDOW_S` of
        steps without inferences); None when there is neither."""
        if self._given_idle is not None:
            return self._given_idle
        g, m = self._idle["gpu"], self._idle["module"]
        seconds = max(g.dt, m.dt)
        if seconds < MIN_WINDOW_S:
            return None
        return IdleBaseline(
            g.energy / g.dt if g.dt >= MIN_WINDOW_S else None,
            m.energy / m.dt if m.dt >= MIN_WINDOW_S else None,
            seconds,
            "measured while paused",
        )

    def _figure(self, scope: str, s: _Sum, window: str, idle: IdleBaseline | None) -> EnergyFigure | None:
        rail = self._rails[scope]
        if s.dt < MIN_WINDOW_S or rail is None:
            return None
        if scope == "gpu" and s.counter_steps and s.power_steps:
            method = "counter + integrated power"
        elif scope == "gpu" and s.counter_steps:
            method = "counter"
        else:
            method = "integrated power"
        power_rail = self._last.gpu_rail if self._last is not None else None
        if scope == "gpu" and method != "counter" and rail == COUNTER and power_rail:
            # the counter did not advance (or went back) in some steps: those used the power reading
            rail = power_rail if method == "integrated power" else f"{COUNTER} + {power_rail}"
        mean_w = s.energy / s.dt
        n = s.inferences
        idle_w = None if idle is None else (idle.gpu_w if scope == "gpu" else idle.module_w)
        net = None
        if idle_w is not None and n > 0:
            net = max(0.0, mean_w - idle_w) * s.dt / n
        return EnergyFigure(
            scope=scope,
            rail=rail,
            method=method,
            window=window,
            window_s=s.dt,
            energy_j=s.energy,
            inferences=n,
            mean_w=mean_w,
            j_per_inference=s.energy / n if n > 0 else None,
            inferences_per_j=n / s.energy if s.energy > 0 else None,
            idle_w=idle_w,
            net_j_per_inference=net,
            simulated=self._simulated,
        )

    def snapshot(self) -> EnergySnapshot:
        """The figures for the rolling window and for the whole run since the last reset."""
        idle = self.idle_baseline()
        recent = {sc: _Sum() for sc in SCOPES}
        for step in self._recent:
            for i, sc in enumerate(SCOPES):
                j = step.energy[i]
                if j is not None:
                    recent[sc].add(step, j, step.counter and sc == "gpu")
        span = sum(st.dt for st in self._recent)
        window_words = f"last {span:.1f} s"
        window: list[EnergyFigure] = []
        total: list[EnergyFigure] = []
        for sc in SCOPES:
            f = self._figure(sc, recent[sc], window_words, idle)
            if f is not None:
                window.append(f)
            f = self._figure(sc, self._total[sc], "whole run", idle)
            if f is not None:
                total.append(f)
        notes: list[str] = []
        if self._last is not None and not window and span < MIN_WINDOW_S and self._rails["gpu"] is not None:
            notes.append(f"collecting: energy figures need at least {MIN_WINDOW_S:.0f} s of running")
        last = self._last
        return EnergySnapshot(
            gpu_now_w=last.gpu_w if last else None,
            module_now_w=last.module_w if last else None,
            gpu_rail=self._rails["gpu"],
            module_rail=self._rails["module"],
            window=tuple(window),
            total=tuple(total),
            idle=idle,
            simulated=self._simulated,
            notes=tuple(notes),
        )
