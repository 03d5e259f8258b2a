"""Per-layer times from TensorRT's IProfiler.

The callback runs once per layer per profiled iteration, on the thread that calls
`report_to_profiler()`, so it only appends: the name and the time, each to its own list through an
append bound when the profiler is made (no attribute look-up per call; measured in `python -m bench
runtime`, two bound appends cost less than building and appending one `(name, ms)` tuple and less
than splitting such pairs afterwards). `LayerSamples.take()` then turns one iteration's reports into
(names, times), reusing the previous names tuple when the layer set did not change (aggregators
skip re-keying on identity). Names are the engine's layer names, or decimal indices for engines
built with ProfilingVerbosity.NONE; layers missing from an iteration are simply absent from that
iteration, in report order.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


class LayerSamples:
    """What the profiler callback appends to (no TensorRT dependency).

    `names` and `times` are the same two list objects for the life of the instance (the callback
    holds their bound `append`): `take` and `clear` empty them, never replace them.
    """

    __slots__ = ("_last_list", "_last_names", "names", "times")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.times: list[float] = []
        self._last_names: tuple[str, ...] = ()
        self._last_list: list[str] = []  # the same names as a list, compared without a new tuple

    def append(self, name: str, ms: float) -> None:
        """One report: layer `name` took `ms` milliseconds (the callback does this through bound appends)."""
        self.names.append(name)
        self.times.append(ms)

    def clear(self) -> None:
        """Drop the reports not taken yet (before a `report_to_profiler()` whose iteration alone counts)."""
        self.names.clear()
        self.times.clear()

    def take(self) -> tuple[tuple[str, ...], list[float]]:
        """One iteration's reports; afterwards empty."""
        if self.names != self._last_list:  # a C-level comparison: cheap even at 20,000 layers
            self._last_list = self.names.copy()
            self._last_names = tuple(self._last_list)
        out_names = self._last_names
        times = self.times.copy()
        self.names.clear()
        self.times.clear()
        return out_names, times


def make_profiler(trt: ModuleType, samples: LayerSamples) -> Any:
    """A `trt.IProfiler` whose `report_layer_time` appends to `samples` and does nothing else."""
    base = trt.IProfiler
    add_name = samples.names.append
    add_time = samples.times.append

    class _Profiler(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            base.__init__(self)
            self.samples = samples

        def report_layer_time(self, layer_name: str, ms: float) -> None:
            add_name(layer_name)
            add_time(ms)

    return _Profiler()
