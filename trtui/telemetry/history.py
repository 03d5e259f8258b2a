"""Telemetry history (pure): bounded ring buffers -> immutable snapshots for sparklines, and the
correlation of latency spikes with what the clocks, temperature and throttle reasons did.

Times are the samples' `t` (time.monotonic() of the read); spike times passed to `correlate`
must use the same clock.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trtui.core.clock_reasons import slowdown_reasons
from trtui.telemetry.sample import TelemetrySample

# Sample fields kept as series, in display order.
SERIES: tuple[str, ...] = (
    "gpu_util_pct",
    "mem_util_pct",
    "mem_used_mib",
    "sm_clock_mhz",
    "mem_clock_mhz",
    "power_w",
    "temperature_c",
)
DEFAULT_CAPACITY = 240  # 2 minutes at the default 0.5 s interval


@dataclass(frozen=True, slots=True)
class TelemetrySnapshot:
    """What the UI draws: the newest sample and aligned histories (None = not reported then)."""

    latest: TelemetrySample | None
    times: tuple[float, ...] = ()
    gpu_util_pct: tuple[float | None, ...] = ()
    mem_util_pct: tuple[float | None, ...] = ()
    mem_used_mib: tuple[float | None, ...] = ()
    sm_clock_mhz: tuple[float | None, ...] = ()
    mem_clock_mhz: tuple[float | None, ...] = ()
    power_w: tuple[float | None, ...] = ()
    temperature_c: tuple[float | None, ...] = ()
    slowdown: tuple[tuple[str, ...], ...] = ()  # slowdown reasons active at each sample
    capacity: int = DEFAULT_CAPACITY

    def values(self, name: str) -> tuple[float, ...]:
        """A series without its gaps, ready for a sparkline."""
        if name not in SERIES:
            raise KeyError(f"unknown telemetry series {name!r}; known: {', '.join(SERIES)}")
        series: tuple[float | None, ...] = getattr(self, name)
        return tuple(v for v in series if v is not None)

    def index_at(self, t: float) -> int | None:
        """Index of the last sample taken at or before `t` (a sparkline marker), else None."""
        i = bisect_right(self.times, t) - 1
        return i if i >= 0 else None

    @property
    def mem_used_pct(self) -> float | None:
        s = self.latest
        if s is None or s.mem_used_mib is None or not s.mem_total_mib:
            return None
        return 100.0 * s.mem_used_mib / s.mem_total_mib

    @property
    def throttled(self) -> bool:
        """True when the newest sample has a clock-lowering reason active."""
        return bool(self.slowdown and self.slowdown[-1])


class TelemetryHistory:
    """Keeps the last `capacity` samples; `push` returns the new snapshot."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("history capacity must be at least 1")
        self.capacity = capacity
        self._samples: deque[TelemetrySample] = deque(maxlen=capacity)

    def push(self, sample: TelemetrySample) -> TelemetrySnapshot:
        """Add the newest sample (the oldest falls out past `capacity`) and return the new snapshot.
        ValueError when the sample is older than the last one. Not thread-safe: one thread pushes."""
        if self._samples and sample.t < self._samples[-1].t:
            raise ValueError("telemetry samples must arrive in time order")
        self._samples.append(sample)
        return self.snapshot()

    def extend(self, samples: Iterable[TelemetrySample]) -> TelemetrySnapshot:
        """`push` each sample in order; the snapshot after the last one."""
        for s in samples:
            self.push(s)
        return self.snapshot()

    @property
    def samples(self) -> tuple[TelemetrySample, ...]:
        """The kept samples, oldest first."""
        return tuple(self._samples)

    def snapshot(self) -> TelemetrySnapshot:
        """An immutable copy of the history: the latest sample, one series per metric and the slowdown
        reasons of each sample."""
        samples = tuple(self._samples)
        series = {name: tuple(getattr(s, name) for s in samples) for name in SERIES}
        return TelemetrySnapshot(
            latest=samples[-1] if samples else None,
            times=tuple(s.t for s in samples),
            slowdown=tuple(slowdown_reasons(s.throttle_reasons) for s in samples),
            capacity=self.capacity,
            **series,
        )

    def correlate(
        self, spike_times: Iterable[float], window_s: float = 2.0, label: str = "p99 jump"
    ) -> tuple[TelemetryEvent, ...]:
        return correlate(tuple(self._samples), spike_times, window_s=window_s, label=label)


@dataclass(frozen=True, slots=True)
class TelemetryEvent:
    """What the GPU was doing when a latency spike happened. Pairs are (before, at)."""

    t: float
    label: str
    sample_t: float | None
    sm_clock_mhz: tuple[float | None, float | None] = (None, None)
    mem_clock_mhz: tuple[float | None, float | None] = (None, None)
    temperature_c: tuple[float | None, float | None] = (None, None)
    power_w: tuple[float | None, float | None] = (None, None)
    gpu_util_pct: tuple[float | None, float | None] = (None, None)
    throttle_reasons: tuple[str, ...] | None = None  # slowdown reasons active at the spike
    new_reasons: tuple[str, ...] = ()  # of those, the ones not active before
    findings: tuple[str, ...] = ()
    suspicious: bool = False  # a clock drop, slowdown reason, or heat/power change was found

    def describe(self, t0: float | None = None) -> str:
        """One line for the event log: the label, the time (seconds since `t0` when given) and the
        findings."""
        when = f"t={self.t:.1f} s" if t0 is None else f"{self.t - t0:.1f} s"
        if not self.findings:
            return f"{self.label} at {when}: no clock, temperature or throttle change"
        return f"{self.label} at {when}: {', '.join(self.findings)}"


def _nearest(samples: Sequence[TelemetrySample], times: Sequence[float], t: float) -> int:
    i = bisect_right(times, t)
    if i == 0:
        return 0
    if i == len(times):
        return i - 1
    return i if times[i] - t < t - times[i - 1] else i - 1


def _change(before: float | None, at: float | None, rel: float, absolute: float) -> bool:
    if before is None or at is None:
        return False
    delta = abs(at - before)
    return delta >= absolute and delta >= rel * max(abs(before), 1e-9)


def correlate(
    samples: Sequence[TelemetrySample],
    spike_times: Iterable[float],
    window_s: float = 2.0,
    label: str = "p99 jump",
) -> tuple[TelemetryEvent, ...]:
    """For each spike time t: compare the sample nearest t (within `window_s`) with the last sample
    taken at or before t - window_s (or the first one in the window), and say what changed:
    "SM clock 1980->1410 MHz", "HwThermalSlowdown", "temperature 71->84 C"..."""
    ordered = sorted(samples, key=lambda s: s.t)
    times = [s.t for s in ordered]
    events: list[TelemetryEvent] = []
    for t in spike_times:
        if not ordered:
            events.append(TelemetryEvent(t=t, label=label, sample_t=None, findings=("no telemetry",)))
            continue
        at_i = _nearest(ordered, times, t)
        at = ordered[at_i]
        if abs(at.t - t) > window_s:
            events.append(
                TelemetryEvent(t=t, label=label, sample_t=None, findings=("no telemetry near that time",))
            )
            continue
        b_i = bisect_right(times, t - window_s) - 1
        if b_i < 0:
            b_i = 0
        before = ordered[min(b_i, at_i)]
        findings: list[str] = []
        suspicious = False

        pairs = {
            "sm": (before.sm_clock_mhz, at.sm_clock_mhz),
            "mem": (before.mem_clock_mhz, at.mem_clock_mhz),
            "temp": (before.temperature_c, at.temperature_c),
            "power": (before.power_w, at.power_w),
            "util": (before.gpu_util_pct, at.gpu_util_pct),
        }
        for key, name in (("sm", "SM clock"), ("mem", "memory clock")):
            b, a = pairs[key]
            if b is not None and a is not None and _change(b, a, 0.05, 15.0):
                findings.append(f"{name} {b:.0f}->{a:.0f} MHz")
                suspicious = suspicious or a < b
        now_reasons = slowdown_reasons(at.throttle_reasons)
        was_reasons = set(slowdown_reasons(before.throttle_reasons))
        new = tuple(r for r in now_reasons if r not in was_reasons)
        if now_reasons:
            findings.extend(now_reasons)
            suspicious = True
        b, a = pairs["temp"]
        if b is not None and a is not None and _change(b, a, 0.0, 3.0):
            findings.append(f"temperature {b:.0f}->{a:.0f} C")
            suspicious = suspicious or a > b
        elif a is not None and (findings or a >= 85.0):
            findings.append(f"temperature {a:.0f} C")
            suspicious = suspicious or a >= 85.0
        b, a = pairs["power"]
        if b is not None and a is not None and _change(b, a, 0.15, 1.0):
            findings.append(f"power {b:.0f}->{a:.0f} W")
        b, a = pairs["util"]
        if b is not None and a is not None and b >= 50.0 and b - a >= 30.0:
            findings.append(f"GPU util {b:.0f}->{a:.0f} %")
        if before.nvpmodel != at.nvpmodel and before.nvpmodel and at.nvpmodel:
            findings.append(f"nvpmodel {before.nvpmodel}->{at.nvpmodel}")
            suspicious = True
        events.append(
            TelemetryEvent(
                t=t,
                label=label,
                sample_t=at.t,
                sm_clock_mhz=pairs["sm"],
                mem_clock_mhz=pairs["mem"],
                temperature_c=pairs["temp"],
                power_w=pairs["power"],
                gpu_util_pct=pairs["util"],
                throttle_reasons=None if at.throttle_reasons is None else now_reasons,
                new_reasons=new,
                findings=tuple(findings),
                suspicious=suspicious,
            )
        )
    return tuple(events)


class SpikeEvents:
    """p99 jumps matched with what the GPU was doing then: a jump at `t` is looked up once a
    telemetry sample taken at or after `t` is in the history. Bounded: the last `keep` events."""

    def __init__(self, keep: int) -> None:
        self.events: deque[TelemetryEvent] = deque(maxlen=keep)
        self._pending: deque[float] = deque(maxlen=keep)

    def note(self, t: float) -> None:
        """Remember a p99 jump at `t` (the same clock as the samples' `t`) until `resolve` can match it."""
        self._pending.append(t)

    def resolve(self, history: TelemetryHistory, latest: TelemetrySample | None) -> list[TelemetryEvent]:
        """The events that could be matched now (also kept in `events`)."""
        new: list[TelemetryEvent] = []
        while self._pending and latest is not None and latest.t >= self._pending[0]:
            (event,) = history.correlate((self._pending.popleft(),))
            self.events.append(event)
            new.append(event)
        return new

