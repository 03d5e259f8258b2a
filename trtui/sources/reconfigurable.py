"""Sources whose batch size and number of concurrent contexts can change while they run.

`trtui sweep` and the live screen's shape/streams picker work with any `ProfileSource` that also
has `reconfigure`: the simulator models it, the TensorRT engine source reconfigures its contexts
within the optimization profile (one engine load for the whole sweep).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from trtui.model import SourceBatch, SourceInfo

FitProblem = Literal["memory", "profile", "other"]


class DoesNotFit(Exception):
    """This configuration cannot run (out of memory, a shape outside the profile); the source
    still runs its previous configuration. `str(err)` is one line."""

    def __init__(self, message: str, problem: FitProblem = "other") -> None:
        super().__init__(" ".join(message.split()))
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Reconfigured:
    """What runs after a reconfiguration."""

    batch: int | None  # None: the engine has no batch dimension that can change
    streams: int
    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    memory_per_context_mib: float | None = None  # device memory one context needs (None: unknown)
    note: str | None = None


@runtime_checkable
class ReconfigurableSource(Protocol):
    """A `ProfileSource` with `reconfigure` (see the module docstring)."""

    @property
    def info(self) -> SourceInfo: ...

    def start(self) -> None: ...

    def read(self, timeout: float) -> SourceBatch: ...

    def set_paused(self, paused: bool) -> None: ...

    def stop(self) -> None: ...

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
        """Switch to `batch` (None: keep) and `streams` contexts (None: keep); return once the new
        configuration runs. Every `read` after it returns holds only inferences of the new
        configuration (warm-up included: the caller discards what it needs). Raises `DoesNotFit`
        and keeps running the old configuration when the new one cannot run."""
        ...


def can_reconfigure(source: object) -> bool:
    return isinstance(source, ReconfigurableSource)
