"""What a reconfiguration (another batch size, another number of concurrent contexts) answers:
values shared by the sources that can do it, the pipeline that asks for it and the screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
