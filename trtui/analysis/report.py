"""Plain-text reports of an analysis and of a comparison (what `trtui analyze` and
`trtui compare` print when not showing the UI). Fixed-width columns, no colour, no box drawing,
so the output can be piped, diffed and pasted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from trtui.analysis.compare import Comparison, GroupDelta, LayerDelta, StatDelta
from trtui.analysis.run import RunData
from trtui.analysis.views import Analysis, GroupRow
from trtui.common import format as fmt
from trtui.common.format import share
from trtui.core.tactic_family import tactic_family

NAME_WIDTH = 56


def ms(x: float | None, digits: int = 4) -> str:
    """A time in ms with `digits` decimals; "n/a" for None."""
    return "n/a" if x is None else f"{x:.{digits}f}"


def signed(x: float | None, digits: int = 4) -> str:
    """A change with its sign and `digits` decimals; "n/a" for None."""
    return "n/a" if x is None else f"{x:+.{digits}f}"


def pct(x: float | None) -> str:
    """A signed percent change with one decimal; "n/a" for None."""
    return "n/a" if x is None else f"{x:+.1f}%"


def clip(text: str, width: int = NAME_WIDTH) -> str:
    """For the screen: a name shortened to `width` cells (control characters escaped). Text
    reports keep full names."""
    text = fmt.safe(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _prec_change(d: LayerDelta) -> str:
    a = d.a_label or d.a_precision or "?"
    b = d.b_label or d.b_precision or "?"
    return f"{a} -> {b}" if d.precision_changed or a != b else a


def _matched_line(c: Comparison) -> str:
    hows = Counter(d.how for d in c.layers)
    parts = ", ".join(f"{n} by {how}" for how, n in hows.most_common())
    share = ""
    if c.matched_pct_a is not None and c.matched_pct_b is not None:
        share = f"; matched time: {c.matched_pct_a:.1f}% of A, {c.matched_pct_b:.1f}% of B"
    return (
        f"Layers: {c.a.layers} in A, {c.b.layers} in B; {len(c.layers)} matched"
        f"{' (' + parts + ')' if parts else ''}, {len(c.only_a)} only in A, {len(c.only_b)} only in B{share}"
    )


def _residual_lines(c: Comparison) -> list[str]:
    if not c.residuals:
        return []
    rows = [
        (r.a_name or "-", r.a_precision or "?", r.a_inputs or "?", r.b_name or "-", r.b_precision or "?",
         r.b_inputs or "?")
        for r in c.residuals
    ]
    return [
        f"Element-wise / residual Add layers: {len(rows)} (precision; input types, the residual second)",
        *table(("A layer", "A prec", "A inputs", "B layer", "B prec", "B inputs"), rows, left=6),
        "",
    ]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Columns padded to their widest cell; the first `left` columns left-aligned, others right."""
    cols = len(headers)
    widths = [max([len(headers[c])] + [len(r[c]) for r in rows]) for c in range(cols)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cells[c].ljust(widths[c]) if c < left else cells[c].rjust(widths[c]) for c in range(cols)
        ]
        return "  " + "  ".join(parts).rstrip()

    return [line(headers), "  " + "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _groups(title: str, rows: Sequence[GroupRow], limit: int | None = None) -> list[str]:
    shown = rows if limit is None else rows[:limit]
    out = [title]
    out += table(
        ("", "layers", "ms/inference", "share"),
        [(r.key, str(r.layers), ms(r.time_ms), share(r.share_pct)) for r in shown],
    )
    if limit is not None and len(rows) > limit:
        out.append(f"  ... {len(rows) - limit} more")
    return out


def run_header(run: RunData) -> str:
    sim = "  [SIMULATED: not measured]" if run.simulated else ""
    return f"{run.label}  ({run.origin}{', ' + run.device if run.device else ''}){sim}"


def analysis_text(run: RunData, a: Analysis, families: int = 12) -> str:
    """What `trtui analyze` prints for one run: header, end-to-end latency, time by layer type,
    precision and tactic family (the `families` largest), reformat share and hotspots."""
    lines = [run_header(run)]
    lat = run.latency
    if lat is not None and lat.count:
        tput = "" if lat.throughput_per_s is None else f"   throughput {lat.throughput_per_s:.1f}/s"
        lines.append(
            f"end-to-end latency ms: mean {ms(lat.mean)}  median {ms(lat.median)}  p99 {ms(lat.p99)}  "
            f"({lat.count} inferences){tput}"
        )
    lines.append(f"layers: {a.layers}   sum of layer times: {ms(a.total_ms)} ms per inference")
    lines += [f"note: {n}" for n in run.notices]
    if not a.details_known:
        lines.append("no layer details (no detailed layer info): types, precisions and tactics unknown")
    lines.append("")
    lines += ["Top layers", *table(
        ("#", "layer", "type", "precision", "ms", "share", "cum."),
        [
            (str(h.rank), h.name, h.type or "?", h.precision or "?", ms(h.time_ms),
             share(h.share_pct), share(h.cumulative_pct))
            for h in a.hotspots
        ],
        left=4,
    ), ""]
    lines += [*_groups("Time by layer type", a.by_type), ""]
    lines += [*_groups("Time by precision (what layers compute in)", a.by_precision), ""]
    lines += [*_groups("Time by tactic family", a.by_tactic_family, families), ""]
    rf = a.reformat
    origin = ", ".join(f"{g.key} {g.layers} ({g.share_pct:.1f}%)" for g in rf.by_origin)
    lines.append(
        f"Reformat layers: {rf.layers} of {a.layers}, {ms(rf.time_ms)} ms = {rf.share_pct:.1f}% of layer time"
        + (f"  [by origin: {origin}]" if origin else "")
    )
    return "\n".join(lines) + "\n"


def _stat_rows(stats: Sequence[StatDelta]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for s in stats:
        d = 1 if s.stat == "throughput" else 4
        rows.append((s.stat, ms(s.a, d), ms(s.b, d), signed(s.delta, d), pct(s.delta_pct)))
    return rows


def _group_delta_rows(groups: Sequence[GroupDelta]) -> list[tuple[str, ...]]:
    return [
        (g.key, str(g.a_layers), str(g.b_layers), ms(g.a_ms), ms(g.b_ms), signed(g.delta_ms),
         pct(g.delta_pct))
        for g in groups
    ]


def energy_table(c: Comparison) -> list[str]:
    """Energy per inference A vs B (J), per scope, with the rail each side measured."""
    if not c.energy:
        return []
    rows = []
    for d in c.energy:
        scope = "GPU" if d.scope == "gpu" else "module"
        rail = d.a_rail if d.same_rail else f"A {d.a_rail or 'n/a'}; B {d.b_rail or 'n/a'}"
        rows.append((f"{scope} ({rail})", fmt_j(d.a_j), fmt_j(d.b_j), fmt_j(d.delta_j), pct(d.delta_pct)))
    return ["Energy per inference (whole run)", *table(("", "A", "B", "B-A", "change"), rows), ""]


def fmt_j(x: float | None) -> str:
    from trtui.stats.energy_report import j_text

    return j_text(x)


def _efficiency_lines(c: Comparison, top: int) -> list[str]:
    """The largest changes of roofline efficiency (attainable / measured) between matched layers."""
    known = [d for d in c.layers if d.efficiency_change is not None]
    if not known:
        return ["Roofline efficiency: unknown (a run without device facts or layer work)", ""]
    big = sorted(known, key=lambda d: -abs(d.efficiency_change or 0.0))[:top]
    return [f"Largest roofline efficiency changes (top {len(big)} of {len(known)} with both known)", *table(
        ("layer (A)", "A eff %", "B eff %", "B-A (points)", "A ms", "B ms"),
        [
            (d.name, f"{d.a_efficiency_pct:.1f}", f"{d.b_efficiency_pct:.1f}",
             f"{d.efficiency_change:+.1f}", ms(d.a_ms), ms(d.b_ms))
            for d in big
        ],
    ), ""]


def comparison_text(c: Comparison, top: int = 20, listed: int = 20) -> str:
    """The comparison as text: `top` largest layer changes, `listed` names per list."""
    lines = []
    for side, s in (("A", c.a), ("B", c.b)):
        sim = "  [SIMULATED: not measured]" if s.simulated else ""
        lines.append(f"{side}: {s.label}  ({s.origin}{', ' + s.device if s.device else ''}){sim}")
    lines += [n if n.startswith("warning:") else f"note: {n}" for n in c.notices]
    lines.append("")
    if c.end_to_end:
        lines += ["End-to-end (unprofiled inferences; ms, throughput per s)", *table(
            ("", "A", "B", "B-A", "change"), _stat_rows(c.end_to_end)), ""]
    lines += energy_table(c)
    lines += ["Sum of layer times per inference (ms)", *table(
        ("", "A", "B", "B-A", "change"), _stat_rows((c.total, c.matched_total))), ""]
    lines.append(_matched_line(c))
    lines.append("")
    lines += ["By layer type", *table(
        ("type", "A n", "B n", "A ms", "B ms", "B-A", "change"), _group_delta_rows(c.by_type)), ""]
    lines += ["By precision", *table(
        ("precision", "A n", "B n", "A ms", "B ms", "B-A", "change"), _group_delta_rows(c.by_precision)), ""]
    big = c.largest(top)
    if big:
        lines += [f"Largest per-layer changes (top {len(big)} of {len(c.layers)} matched)", *table(
            ("layer (A)", "layer (B)", "matched by", "A ms", "B ms", "B-A", "change", "precision"),
            [
                (d.name, d.b_name if d.b_name != d.name else "=", d.how, ms(d.a_ms), ms(d.b_ms),
                 signed(d.delta_ms), pct(d.delta_pct), _prec_change(d))
                for d in big
            ],
            left=3,
        ), ""]
    lines += _residual_lines(c)
    lines += _efficiency_lines(c, top)
    pc = c.precision_changes
    lines.append(f"Precision changed: {len(pc)} layer(s)")
    lines += [
        f"  {d.name}{'' if d.b_name == d.name else ' | ' + d.b_name}: {_prec_change(d)}" for d in pc[:listed]
    ]
    if len(pc) > listed:
        lines.append(f"  ... {len(pc) - listed} more")
    tc = c.tactic_changes
    lines.append(f"Tactic changed: {len(tc)} layer(s)")
    for d in tc[:listed]:
        fa, fb = tactic_family(d.a_tactic), tactic_family(d.b_tactic)
        what = f"{fa} -> {fb}" if fa != fb else f"{fa} (same family, other kernel)"
        lines.append(f"  {d.name}: {what}")
    if len(tc) > listed:
        lines.append(f"  ... {len(tc) - listed} more")
    for side, only in (("A", c.only_a), ("B", c.only_b)):
        lines.append(f"Only in {side}: {len(only)} layer(s)")
        lines += [
            f"  {o.name}  {ms(o.ms)} ms  {o.type or ''}  {o.precision or ''}".rstrip() for o in only[:listed]
        ]
        if len(only) > listed:
            lines.append(f"  ... {len(only) - listed} more")
    return "\n".join(lines) + "\n"
