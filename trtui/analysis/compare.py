"""Compare two runs (A = before/baseline, B = after): per-layer and per-type deltas joined by layer
name, layers found on one side only, total and end-to-end deltas, and layers whose precision or
tactic changed. Pure; `compare(a, b)` returns an immutable `Comparison`.

Joining (`trtui/analysis/matching.py`): by name, by name without trtexec's " [profile N]" suffix,
by the ONNX node / weight names fused names carry, then by aligning the compute layers in engine
order; reformat/quantize layers travel with the compute layer they serve (their time is in the
pair's). Each pair says how it was matched. Times are per inference (layer means).
Deltas are B - A; percentages are relative to A.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from trtui.analysis.matching import match_layers
from trtui.analysis.residuals import ResidualRow, residual_rows
from trtui.analysis.run import RunData
from trtui.analysis.run_energy import EnergyDelta, energy_deltas, energy_notices
from trtui.analysis.views import UNKNOWN, layer_times
from trtui.core.precision import layer_label
from trtui.core.tactic_family import tactic_family
from trtui.stats.groups import layer_type
from trtui.stats.snapshot import LatencyStats

SCHEMA = "trtui.compare/1"


def _pct(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not a or not math.isfinite(a) or not math.isfinite(b):
        return None
    return 100.0 * (b - a) / a


@dataclass(frozen=True, slots=True)
class LayerDelta:
    """One matched pair of layers: A's and B's time per inference (helper layers grouped with it
    included), the change (B - A; percent of A, None when A is 0 or unknown) and what each side says
    about the layer's type, precision and tactic (None: not known)."""

    name: str  # A's name
    b_name: str  # B's name (differs when joined without the " [profile N]" suffix)
    a_ms: float
    b_ms: float
    delta_ms: float
    delta_pct: float | None
    a_type: str | None
    b_type: str | None
    a_precision: str | None
    b_precision: str | None
    a_tactic: str | None
    b_tactic: str | None
    how: str = "name"  # how the pair was matched (trtui/analysis/matching.py)
    a_members: tuple[str, ...] = ()  # reformat/quantize layers of A grouped with it (in a_ms)
    b_members: tuple[str, ...] = ()
    a_label: str | None = None  # precision labels: "INT8→FP32" where the output type differs
    b_label: str | None = None
    # roofline efficiency of the layer itself (trtui.analysis.roofline); None: unknown
    a_efficiency_pct: float | None = None
    b_efficiency_pct: float | None = None

    @property
    def efficiency_change(self) -> float | None:
        """B's efficiency minus A's, in percentage points (None when either is unknown)."""
        if self.a_efficiency_pct is None or self.b_efficiency_pct is None:
            return None
        return self.b_efficiency_pct - self.a_efficiency_pct

    @property
    def precision_changed(self) -> bool:
        """Both sides know the layer's precision and they differ."""
        return bool(self.a_precision and self.b_precision and self.a_precision != self.b_precision)

    @property
    def tactic_changed(self) -> bool:
        """Both sides know the layer's tactic and they differ."""
        return bool(self.a_tactic and self.b_tactic and self.a_tactic != self.b_tactic)


@dataclass(frozen=True, slots=True)
class OneSided:
    """A layer found on one side only, with its time per inference and what is known of it."""

    name: str
    ms: float
    type: str | None
    precision: str | None


@dataclass(frozen=True, slots=True)
class GroupDelta:
    """A group of layers (one layer type or one precision): layer counts and summed time per inference
    on each side, B - A, and the percent change (None when A's time is 0)."""

    key: str
    a_layers: int
    b_layers: int
    a_ms: float
    b_ms: float
    delta_ms: float
    delta_pct: float | None


@dataclass(frozen=True, slots=True)
class StatDelta:
    """One figure on both sides (ms, or inferences/s for "throughput"); None where a side does not have
    it or it is not finite."""

    stat: str  # "mean", "median", "p90", "p99", "min", "max", "throughput"
    a: float | None
    b: float | None
    delta: float | None
    delta_pct: float | None


@dataclass(frozen=True, slots=True)
class RunSide:
    """What a comparison says about one side: where the run came from, its layer count, the sum of its
    layer times per inference (ms) and its number of timed inferences (0: no latency)."""

    label: str
    origin: str
    path: str | None
    device: str | None
    simulated: bool
    layers: int
    layer_sum_ms: float
    inferences: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """Everything `compare(a, b)` found, ready for the text report, the UI and the JSON export
    (`comparison_dict`)."""

    a: RunSide
    b: RunSide
    layers: tuple[LayerDelta, ...]  # matched layers, in A's order
    only_a: tuple[OneSided, ...]
    only_b: tuple[OneSided, ...]
    by_type: tuple[GroupDelta, ...]  # largest |delta| first
    by_precision: tuple[GroupDelta, ...]
    total: StatDelta  # sum of all layers' time per inference (matched or not)
    matched_total: StatDelta  # sum over matched layers only
    end_to_end: tuple[StatDelta, ...]  # latency statistics and throughput; empty when unknown
    notices: tuple[str, ...]
    matched_pct_a: float | None = None  # share of A's layer time in matched pairs
    matched_pct_b: float | None = None
    residuals: tuple[ResidualRow, ...] = ()  # element-wise / residual-Add layers on each side
    energy: tuple[EnergyDelta, ...] = ()  # J per inference, per scope, where either side has it

    @property
    def precision_changes(self) -> tuple[LayerDelta, ...]:
        """Matched layers whose precision changed, in A's order."""
        return tuple(d for d in self.layers if d.precision_changed)

    @property
    def tactic_changes(self) -> tuple[LayerDelta, ...]:
        """Matched layers whose tactic changed, in A's order."""
        return tuple(d for d in self.layers if d.tactic_changed)

    def largest(self, n: int) -> tuple[LayerDelta, ...]:
        """The `n` matched layers with the largest absolute change."""
        return tuple(sorted(self.layers, key=lambda d: (-abs(d.delta_ms), d.name))[: max(0, n)])


def _stat(stat: str, a: float | None, b: float | None) -> StatDelta:
    a = a if a is not None and math.isfinite(a) else None
    b = b if b is not None and math.isfinite(b) else None
    delta = b - a if a is not None and b is not None else None
    return StatDelta(stat, a, b, delta, _pct(a, b))


def _end_to_end(a: LatencyStats | None, b: LatencyStats | None) -> tuple[StatDelta, ...]:
    if (a is None or a.count == 0) and (b is None or b.count == 0):
        return ()
    out = [
        _stat(stat, getattr(a, stat) if a else None, getattr(b, stat) if b else None)
        for stat in ("mean", "median", "p90", "p99", "min", "max")
    ]
    out.append(_stat("throughput", a.throughput_per_s if a else None, b.throughput_per_s if b else None))
    return tuple(out)


def _side(r: RunData) -> RunSide:
    t = layer_times(r.layers)
    return RunSide(
        r.label, r.origin, r.path, r.device, r.simulated, len(r.layers), float(t.sum()),
        r.latency.count if r.latency else 0,
    )


def _group(
    a_keys: dict[str, str], b_keys: dict[str, str], a_ms: dict[str, float], b_ms: dict[str, float]
) -> tuple[GroupDelta, ...]:
    acc: dict[str, list[float]] = {}
    for name, k in a_keys.items():
        s = acc.setdefault(k, [0, 0, 0.0, 0.0])
        s[0] += 1
        s[2] += a_ms[name]
    for name, k in b_keys.items():
        s = acc.setdefault(k, [0, 0, 0.0, 0.0])
        s[1] += 1
        s[3] += b_ms[name]
    rows = [
        GroupDelta(k, int(na), int(nb), ta, tb, tb - ta, _pct(ta, tb)) for k, (na, nb, ta, tb) in acc.items()
    ]
    rows.sort(key=lambda g: (-abs(g.delta_ms), g.key))
    return tuple(rows)


def _efficiencies(run: RunData) -> dict[str, float]:
    """Each layer's roofline efficiency (%), where the run's device and the layer's work are known."""
    from trtui.analysis.engine_view import engine_view

    rf = engine_view(run).roofline
    if rf is None:
        return {}
    return {r.name: r.efficiency_pct for r in rf.rows if r.efficiency_pct is not None}


def compare(a: RunData, b: RunData) -> Comparison:
    """A (the baseline) against B (the candidate). What a side lacks (layer details, latency, energy)
    leaves its fields None or empty and is said in `notices`."""
    a_t = dict(zip(a.layers.names, layer_times(a.layers).tolist(), strict=True))
    b_t = dict(zip(b.layers.names, layer_times(b.layers).tolist(), strict=True))
    m = match_layers(a.layers.names, a.info, b.layers.names, b.info)
    a_eff, b_eff = _efficiencies(a), _efficiencies(b)

    deltas = []
    for p in m.pairs:
        an, bn = p.a, p.b
        ai, bi = a.info(an), b.info(bn)
        x = a_t[an] + sum(a_t[h] for h in p.a_members)
        y = b_t[bn] + sum(b_t[h] for h in p.b_members)
        deltas.append(LayerDelta(
            an, bn, x, y, y - x, _pct(x, y),
            ai.type if ai else None, bi.type if bi else None,
            ai.precision if ai else None, bi.precision if bi else None,
            ai.tactic if ai else None, bi.tactic if bi else None,
            p.how, p.a_members, p.b_members, layer_label(ai), layer_label(bi),
            a_eff.get(an), b_eff.get(bn),
        ))
    only_a_names = m.only_a
    b_free = m.only_b

    def one(run: RunData, times: dict[str, float], name: str) -> OneSided:
        i = run.info(name)
        return OneSided(name, times[name], i.type if i else None, layer_label(i))

    only_a = tuple(one(a, a_t, n) for n in only_a_names)
    only_b = tuple(one(b, b_t, n) for n in b_free)

    def keys(run: RunData, attr: str) -> dict[str, str]:
        out = {}
        for n in run.layers.names:
            i = run.info(n)
            out[n] = layer_type(i) if attr == "type" else (getattr(i, attr) if i else None) or UNKNOWN
        return out

    a_sum, b_sum = sum(a_t.values()), sum(b_t.values())
    ma = sum(d.a_ms for d in deltas)
    mb = sum(d.b_ms for d in deltas)
    notices: list[str] = []
    if a.simulated or b.simulated:
        which = " and ".join(x for x, r in (("A", a), ("B", b)) if r.simulated)
        notices.append(f"{which} {'is' if ' and ' not in which else 'are'} simulated: not measured")
    if a.device and b.device and a.device != b.device:
        notices.append(f"different devices: A on {a.device}, B on {b.device}")
    for side, r in (("A", a), ("B", b)):
        if not len(r.layers):
            notices.append(f"{side} has no per-layer times")
        elif not any(r.info(n) is not None and r.info(n).type for n in r.layers.names):  # type: ignore[union-attr]
            notices.append(f"{side} has no layer details (types, precisions, tactics): no layer info")
        if r.latency is None or r.latency.count == 0:
            notices.append(f"{side} has no end-to-end latency (no times file)")
    pct_a = min(100.0, 100.0 * ma / a_sum) if a_sum > 0 and math.isfinite(a_sum) else None
    pct_b = min(100.0, 100.0 * mb / b_sum) if b_sum > 0 and math.isfinite(b_sum) else None
    low = [f"{s} {v:.0f}%" for s, v in (("A", pct_a), ("B", pct_b)) if v is not None and v < 50.0]
    if low:
        notices.insert(0, f"warning: less than half the layer time is matched ({', '.join(low)}): "
                          "the engines may not come from one network")
    families_changed = sum(
        1 for d in deltas if d.tactic_changed and tactic_family(d.a_tactic) != tactic_family(d.b_tactic)
    )
    if families_changed:
        notices.append(f"{families_changed} matched layer(s) changed tactic family")
    energy = energy_deltas(a.energy, b.energy)
    notices.extend(energy_notices(energy))
    return Comparison(
        a=_side(a),
        b=_side(b),
        layers=tuple(deltas),
        only_a=only_a,
        only_b=only_b,
        by_type=_group(keys(a, "type"), keys(b, "type"), a_t, b_t),
        by_precision=_group(keys(a, "precision"), keys(b, "precision"), a_t, b_t),
        total=_stat("layer sum", a_sum, b_sum),
        matched_total=_stat("matched layer sum", ma, mb),
        end_to_end=_end_to_end(a.latency, b.latency),
        notices=tuple(notices),
        matched_pct_a=pct_a,
        matched_pct_b=pct_b,
        residuals=residual_rows(m, dict(a.infos), dict(b.infos), a_t, b_t),
        energy=energy,
    )


def comparison_dict(c: Comparison) -> dict[str, object]:
    """JSON-ready (schema "trtui.compare/1"); times in ms, percentages relative to A."""
    d: dict[str, object] = {"schema": SCHEMA}
    d.update(asdict(c))
    layers = []
    for ld in c.layers:
        row = asdict(ld)
        row["precision_changed"] = ld.precision_changed
        row["tactic_changed"] = ld.tactic_changed
        layers.append(row)
    d["layers"] = layers
    d["precision_changes"] = [ld.name for ld in c.precision_changes]
    d["tactic_changes"] = [ld.name for ld in c.tactic_changes]
    return json_clean(d)  # type: ignore[return-value]


def json_clean(x: object) -> object:
    """NaN/inf -> None so that the JSON is strict."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: json_clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_clean(v) for v in x]
    return x
