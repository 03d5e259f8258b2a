"""Sources whose batch size and number of concurrent contexts can change while they run.

`trtui sweep` and the live screen's shape/streams picker work with any `ProfileSource` that also
has `reconfigure`: the simulator models it, the TensorRT engine source reconfigures its contexts
within the optimization profile (one engine load for the whole sweep).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from trtui.core.model import SourceBatch, SourceInfo
from trtui.core.reconfig import DoesNotFit, FitProblem, Reconfigured

__all__ = ["DoesNotFit", "FitProblem", "ReconfigurableSource", "Reconfigured", "can_reconfigure"]

@runtime_checkable
class ReconfigurableSource(Protocol):
    """A `ProfileSource` with `reconfigure` (see the module docstring)."""

    @property
    def info(self) -> SourceInfo:
        """As `ProfileSource.info`; after `reconfigure` it names the new shapes and streams."""
        ...

    def start(self) -> None:
        """As `ProfileSource.start`."""
        ...

    def read(self, timeout: float) -> SourceBatch:
        """As `ProfileSource.read`."""
        ...

    def set_paused(self, paused: bool) -> None:
        """As `ProfileSource.set_paused`."""
        ...

    def stop(self) -> None:
        """As `ProfileSource.stop`."""
        ...

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
        """Switch to `batch` (None: keep) and `streams` contexts (None: keep); return once the new
        configuration runs. Every `read` after it returns holds only inferences of the new
        configuration (warm-up included: the caller discards what it needs). Raises `DoesNotFit`
        and keeps running the old configuration when the new one cannot run."""
        ...


def can_reconfigure(source: object) -> bool:
    """True when `source` has `reconfigure` (checked by shape, not by class)."""
    return isinstance(source, ReconfigurableSource)
