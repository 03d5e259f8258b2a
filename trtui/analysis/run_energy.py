"""Energy per inference of a run, as `compare` and `check` read it: from a trtui summary's
"energy" block, a trtui export's run metadata ("trtui" -> "energy"), or a live session's
snapshot; and the A-vs-B difference per scope ("gpu", "module"). Pure.

Only the whole-run figures are used. Scopes are compared only with the same scope; a
different rail on the two sides (an NVML counter against an integrated rail) is said in a
notice, since such figures are not strictly comparable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from trtui.common.errors import UserError
from trtui.common.json_kind import json_kind
from trtui.stats.energy import SCOPES, EnergySnapshot


@dataclass(frozen=True, slots=True)
class RunEnergy:
    """One scope's whole-run energy per inference, with what was measured (`rail`), how (`method`) and
    over what (`window`, in words and seconds)."""

    scope: str  # "gpu" or "module"
    j_per_inference: float
    rail: str
    method: str
    window: str
    window_s: float | None = None
    inferences: int | None = None
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class EnergyDelta:
    """One scope on both sides: J per inference, B - A, percent of A, and each side's rail (None: the
    side has no figure for that scope)."""

    scope: str
    a_j: float | None  # J per inference
    b_j: float | None
    delta_j: float | None
    delta_pct: float | None
    a_rail: str | None
    b_rail: str | None

    @property
    def same_rail(self) -> bool:
        """Both sides measured the same rail, so the figures are strictly comparable."""
        return self.a_rail is not None and self.a_rail == self.b_rail


def _text(obj: Mapping[str, object], key: str, what: str) -> str:
    v = obj.get(key)
    if not isinstance(v, str):
        raise UserError(f"{what}.{key} is {json_kind(v)}, expected a string")
    return v


def _opt_num(obj: Mapping[str, object], key: str, what: str) -> float | None:
    v = obj.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise UserError(f"{what}.{key} is {json_kind(v)}, expected a number or null")
    return float(v)


def energy_from_block(block: object, what: str = "energy") -> dict[str, RunEnergy]:
    """The whole-run figures of an "energy" block (`trtui.stats.energy_report.energy_dict`);
    {} for null. UserError when the block is there but malformed."""
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise UserError(f"'{what}' is {json_kind(block)}, expected an object or null")
    whole = block.get("whole_run") or {}
    if not isinstance(whole, dict):
        raise UserError(f"{what}.whole_run is {json_kind(whole)}, expected an object")
    simulated = block.get("simulated", False) is True
    out: dict[str, RunEnergy] = {}
    for scope in SCOPES:
        fig = whole.get(scope)
        if fig is None:
            continue
        w = f"{what}.whole_run.{scope}"
        if not isinstance(fig, dict):
            raise UserError(f"{w} is {json_kind(fig)}, expected an object")
        j = _opt_num(fig, "j_per_inference", w)
        if j is None:
            continue
        n = _opt_num(fig, "inferences", w)
        out[scope] = RunEnergy(
            scope=scope,
            j_per_inference=j,
            rail=_text(fig, "rail", w),
            method=_text(fig, "method", w),
            window=_text(fig, "window", w),
            window_s=_opt_num(fig, "window_s", w),
            inferences=None if n is None else int(n),
            simulated=simulated or fig.get("simulated") is True,
        )
    return out


def energy_from_snapshot(e: EnergySnapshot | None) -> dict[str, RunEnergy]:
    """A live session's whole-run figures by scope; {} when there is no energy snapshot, and a scope
    without a figure per inference is left out."""
    if e is None:
        return {}
    return {
        f.scope: RunEnergy(
            f.scope, f.j_per_inference, f.rail, f.method, f.window, f.window_s, f.inferences, f.simulated
        )
        for f in e.total
        if f.j_per_inference is not None
    }


def energy_deltas(a: Mapping[str, RunEnergy], b: Mapping[str, RunEnergy]) -> tuple[EnergyDelta, ...]:
    """Per scope present on either side: B - A in J per inference, % relative to A."""
    out = []
    for scope in SCOPES:
        ea, eb = a.get(scope), b.get(scope)
        if ea is None and eb is None:
            continue
        aj = ea.j_per_inference if ea else None
        bj = eb.j_per_inference if eb else None
        delta = bj - aj if aj is not None and bj is not None else None
        pct = 100.0 * delta / aj if delta is not None and aj else None
        out.append(EnergyDelta(scope, aj, bj, delta, pct, ea.rail if ea else None, eb.rail if eb else None))
    return tuple(out)


def energy_notices(deltas: tuple[EnergyDelta, ...]) -> list[str]:
    """One notice per scope that a side lacks or that the two sides measured on different rails."""
    notes = []
    for d in deltas:
        scope = "GPU" if d.scope == "gpu" else "module"
        if d.a_j is None or d.b_j is None:
            side = "A" if d.a_j is None else "B"
            notes.append(f"{side} has no {scope} energy per inference")
        elif not d.same_rail:
            notes.append(f"{scope} energy measured differently: A {d.a_rail}, B {d.b_rail}")
    return notes
