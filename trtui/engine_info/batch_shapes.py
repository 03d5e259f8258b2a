"""Input shapes for a batch size: the first dimension of every input whose batch is dynamic, within
the optimization profile (pure; the GPU code passes in what the engine reports).

Used by the engine source's reconfigure (`trtui sweep`, the live shape/streams picker).
"""

from __future__ import annotations

from collections.abc import Sequence

from trtui.common.errors import UserError
from trtui.engine_info.shapes import InputProfile, ShapeList, format_shape, resolve_shapes


class BatchDoesNotFit(UserError):
    """The batch cannot run on this engine (static batch, or outside the profile)."""


def batch_of(profiles: Sequence[InputProfile], shapes: ShapeList) -> int | None:
    """The batch the shapes run: the first dimension of the first input whose first dimension is
    dynamic; else the first dimension of the first input of rank 2 or more; else None."""
    current = dict(shapes)
    for p in profiles:
        if p.shape and p.shape[0] < 0 and current.get(p.name):
            return int(current[p.name][0])
    for p in profiles:
        s = current.get(p.name)
        if s is not None and len(s) >= 2:
            return int(s[0])
    return None


def batch_range(profiles: Sequence[InputProfile]) -> tuple[int, int] | None:
    """The batch sizes every dynamic-batch input's profile allows (None: no dynamic batch)."""
    lo, hi = 1, None
    for p in profiles:
        if p.shape and p.shape[0] < 0 and p.min is not None and p.max is not None:
            lo = max(lo, p.min[0])
            hi = p.max[0] if hi is None else min(hi, p.max[0])
    return None if hi is None else (lo, hi)


def shapes_for_batch(profiles: Sequence[InputProfile], shapes: ShapeList, batch: int) -> ShapeList:
    """`shapes` with the batch dimension set to `batch`; raises BatchDoesNotFit for an engine
    without a dynamic batch or a batch outside the profile."""
    if batch < 1:
        raise BatchDoesNotFit(f"batch {batch}: at least 1")
    dynamic = [p for p in profiles if p.shape and p.shape[0] < 0]
    if not dynamic:
        fixed = batch_of(profiles, shapes)
        what = f"fixed at {fixed}" if fixed is not None else "not a dimension of its inputs"
        raise BatchDoesNotFit(f"batch {batch}: the engine's batch is {what} (no input has a dynamic "
                              "first dimension; rebuild it with a dynamic batch in its profile)")
    current = dict(shapes)
    wanted = dict(current)
    for p in dynamic:
        base = current.get(p.name) or p.opt or p.shape
        wanted[p.name] = (batch, *base[1:])
    try:
        return resolve_shapes(profiles, wanted)
    except UserError as err:
        rng = batch_range(profiles)
        hint = f" (the profile allows batch {rng[0]}..{rng[1]})" if rng else ""
        names = ", ".join(f"{n}:{format_shape(wanted[n])}" for n in (p.name for p in dynamic))
        raise BatchDoesNotFit(f"batch {batch} ({names}) is outside the engine's profile{hint}") from err
