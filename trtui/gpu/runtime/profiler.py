"""Per-layer times from TensorRT's IProfiler.

The callback runs once per layer per profiled iteration, on the thread that calls
`report_to_profiler()`, so it only appends. `LayerSamples.take()` then turns one iteration's
reports into (names, times), reusing the previous names tuple when the layer set did not change
(aggregators skip re-keying on identity). Names are the engine's layer names, or decimal indices
for engines built with ProfilingVerbosity.NONE; layers missing from an iteration are simply absent
from that iteration, in report order.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


class LayerSamples:
    """What the profiler callback appends to (no TensorRT dependency)."""

    __slots__ = ("_last_names", "names", "times")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.times: list[float] = []
        self._last_names: tuple[str, ...] = ()

    def append(self, name: str, ms: float) -> None:
        self.names.append(name)
        self.times.append(ms)

    def clear(self) -> None:
        self.names.clear()
        self.times.clear()

    def take(self) -> tuple[tuple[str, ...], list[float]]:
        """One iteration's reports; afterwards empty."""
        out_names = tuple(self.names)
        if out_names == self._last_names:  # a C-level comparison: cheap even at 20,000 layers
            out_names = self._last_names
        else:
            self._last_names = out_names
        times = self.times
        self.names = []
        self.times = []
        return out_names, times


def make_profiler(trt: ModuleType, samples: LayerSamples) -> Any:
    """A `trt.IProfiler` whose `report_layer_time` appends to `samples` and does nothing else."""
    base = trt.IProfiler

    class _Profiler(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            base.__init__(self)
            self.samples = samples

        def report_layer_time(self, layer_name: str, ms: float) -> None:
            s = self.samples
            s.names.append(layer_name)
            s.times.append(ms)

    return _Profiler()
