"""A sweep's result: the points, the knee and the best point, as a table, JSON and CSV.

Files are written atomically (`trtui.common.atomic`), so a Ctrl-C or a crash never leaves half a file;
a cancelled sweep writes the points measured so far.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from trtui.common import format as fmt
from trtui.common.atomic import write_json_atomic, write_text_atomic
from trtui.common.format import ms
from trtui.sweep.analysis import Verdict, verdict
from trtui.sweep.plan import SweepPoint
from trtui.sweep.point import STATUS_TEXT, PointResult

Stopped = Literal["done", "cancelled", "error"]
STOPPED_TEXT: dict[str, str] = {
    "done": "sweep finished",
    "cancelled": "sweep cancelled (the points measured so far are kept)",
    "error": "sweep stopped by an error",
}
SCHEMA = "trtui.sweep/1"


@dataclass(frozen=True, slots=True)
class SweepSettings:
    """What the user asked the sweep for (written into its JSON, so a result says how it was made)."""

    source: str  # the source as the user named it on the command line
    label: str
    simulated: bool
    duration_s: float  # measuring time per point (the most, with until_stable)
    warmup_s: float  # per point, before measuring
    until_stable: bool
    budget_ms: float | None  # p99 budget for the best point; None: not asked
    knee_gain: float  # the least throughput gain (a fraction) a step must buy to pass the knee
    planned: tuple[SweepPoint, ...]


@dataclass(frozen=True, slots=True)
class SweepResult:
    """A sweep's measured points (in the order run) and how it stopped; a stopped sweep keeps
    the points measured before it stopped."""

    settings: SweepSettings
    points: tuple[PointResult, ...]
    stopped: Stopped
    error: str | None = None  # why it stopped, when `stopped` is "error"

    @property
    def verdict(self) -> Verdict:
        """The knee and best point of these points, under the settings' budget and knee gain."""
        return verdict(self.points, self.settings.budget_ms, self.settings.knee_gain)


def _f(x: float | None, digits: int) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:,.{digits}f}"


TABLE_COLUMNS = ("batch", "streams", "median ms", "p90 ms", "p99 ms", "infer/s", "samples/s",
                 "GPU %", "MiB/ctx", "mJ/sample", "")


def point_row(
    p: PointResult, knee: PointResult | None = None, best: PointResult | None = None
) -> tuple[str, ...]:
    """One table row (strings), the last cell marks the knee/best or says why a point is missing."""
    batch = "-" if p.batch is None else str(p.batch)
    marks = []
    if knee is not None and p is knee:
        marks.append("knee")
    if best is not None and p is best:
        marks.append("best")
    if not p.ok:
        return (batch, str(p.streams), "", "", "", "", "", "", _f(p.memory_per_context_mib, 0), "",
                f"{STATUS_TEXT[p.status]}: {p.reason or ''}".rstrip(": "))
    if p.stable is False:
        marks.append("not stable")
    energy = p.energy_per_sample_j * 1000 if p.energy_per_sample_j is not None else None
    return (
        batch, str(p.streams), ms(p.median_ms), ms(p.p90_ms), ms(p.p99_ms), _f(p.inferences_per_s, 0),
        _f(p.samples_per_s, 0), _f(p.gpu_util_pct, 0), _f(p.memory_per_context_mib, 0), _f(energy, 2),
        ", ".join(marks),
    )


def render_table(points: Sequence[PointResult], v: Verdict | None = None) -> list[str]:
    """The points as aligned text lines, header first; the knee and best point are marked when
    `v` is given."""
    knee = v.knee if v is not None else None
    best = v.best if v is not None else None
    rows = [TABLE_COLUMNS] + [point_row(p, knee, best) for p in points]
    widths = [max(len(r[i]) for r in rows) for i in range(len(TABLE_COLUMNS) - 1)]
    lines = []
    for r in rows:
        cells = [c.rjust(w) for c, w in zip(r[:-1], widths, strict=True)]
        lines.append(("  ".join(cells) + ("  " + r[-1] if r[-1] else "")).rstrip())
    return lines


def summary_lines(result: SweepResult) -> list[str]:
    """How the sweep ended, its knee and its best point, in sentences (one per line)."""
    v = result.verdict
    out = [f"{STOPPED_TEXT[result.stopped]}: {sum(p.ok for p in result.points)} of "
           f"{len(result.settings.planned)} points measured"
           + (f" ({result.error})" if result.error else "")]
    if v.knee is not None:
        out.append(f"knee: {describe(v.knee)} — {v.knee_reason}")
    else:
        out.append(f"knee: none — {v.knee_reason}")
    if result.settings.budget_ms is not None:
        if v.best is not None:
            out.append(f"best under p99 {ms(result.settings.budget_ms)} ms: {describe(v.best)}")
        else:
            out.append(f"best under p99 {ms(result.settings.budget_ms)} ms: none — {v.best_reason}")
    if result.settings.simulated:
        out.append("(simulated: these numbers come from a model of a GPU, nothing was measured)")
    return out


def describe(p: PointResult) -> str:
    """One measured point in words: batch, streams, samples/s and p99."""
    batch = "engine's batch" if p.batch is None else f"batch {p.batch}"
    return (f"{batch}, {p.streams} stream{'s' if p.streams != 1 else ''}: "
            f"{_f(p.samples_per_s, 0)} samples/s at p99 {ms(p.p99_ms)} ms")


# ---------------------------------------------------------------- JSON / CSV

CSV_FIELDS = ("batch", "streams", "status", "reason", "inferences", "timing_s", "median_ms", "p90_ms",
              "p99_ms", "p99_ci_low_ms", "p99_ci_high_ms", "inferences_per_s", "samples_per_s",
              "gpu_util_pct", "memory_per_context_mib", "energy_per_sample_j", "stable", "knee", "best",
              "simulated")


def point_dict(p: PointResult, v: Verdict) -> dict[str, Any]:
    def clean(x: float | None) -> float | None:
        return x if x is None or math.isfinite(x) else None

    ci = p.p99_ci_ms
    return {
        "batch": p.batch,
        "streams": p.streams,
        "status": p.status,
        "reason": p.reason,
        "inferences": p.inferences,
        "timing_s": clean(p.timing_s) if p.ok else None,
        "median_ms": clean(p.median_ms),
        "p90_ms": clean(p.p90_ms),
        "p99_ms": clean(p.p99_ms),
        "p99_ci_low_ms": clean(ci[0]) if ci else None,
        "p99_ci_high_ms": clean(ci[1]) if ci else None,
        "inferences_per_s": clean(p.inferences_per_s),
        "samples_per_s": clean(p.samples_per_s),
        "gpu_util_pct": clean(p.gpu_util_pct),
        "memory_per_context_mib": clean(p.memory_per_context_mib),
        "energy_per_sample_j": clean(p.energy_per_sample_j),
        "stable": p.stable,
        "knee": v.knee is p,
        "best": v.best is p,
        "simulated": p.simulated,
    }


def result_json(result: SweepResult) -> dict[str, Any]:
    s = result.settings
    v = result.verdict
    return {
        "schema": SCHEMA,
        "source": s.source,
        "label": s.label,
        "simulated": s.simulated,
        "stopped": result.stopped,
        "error": result.error,
        "settings": {
            "duration_s": s.duration_s,
            "warmup_s": s.warmup_s,
            "until_stable": s.until_stable,
            "p99_budget_ms": s.budget_ms,
            "knee_gain_pct": 100 * s.knee_gain,
            "planned": [{"batch": p.batch, "streams": p.streams} for p in s.planned],
        },
        "points": [point_dict(p, v) for p in result.points],
        "knee": ({"batch": v.knee.batch, "streams": v.knee.streams, "reason": v.knee_reason}
                 if v.knee else None),
        "best": ({"batch": v.best.batch, "streams": v.best.streams, "reason": v.best_reason}
                 if v.best else None),
        "best_reason": v.best_reason,
    }


def _cell(value: object) -> object:
    return fmt.safe(value) if isinstance(value, str) else value


def result_csv(result: SweepResult) -> str:
    v = result.verdict
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for p in result.points:
        row = point_dict(p, v)
        w.writerow({k: "" if row[k] is None else _cell(row[k]) for k in CSV_FIELDS})
    return buf.getvalue()


def write_outputs(result: SweepResult, json_path: Path | None, csv_path: Path | None) -> None:
    """Write the files asked for (atomically; an unwritable path is a one-line UserError)."""
    if json_path is not None:
        write_json_atomic(json_path, result_json(result))
    if csv_path is not None:
        write_text_atomic(csv_path, result_csv(result))
