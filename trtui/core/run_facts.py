"""The one place that words a run's facts (`trtui.core.model.RunFacts`) for users: the mode line of the
header, `trtui profile`'s text report and the JSON summary's `source.mode`, and the header notes
(aux streams, Ultralytics metadata). Every source -- simulated, engine, recording -- describes its
run with facts; this module turns them into text, so the same fact always reads the same.

Profiling, as the engine loop does it (`trtui.gpu.runtime.loop`): "1 in N inferences" means that after N-1
timed inferences (at least one; with several streams, rounded up to whole rounds of one inference
per stream) one profiled inference runs alone, and profiling never takes more than
`profile_time_cap` of the time (so profiled runs are sparser when they are long).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from trtui.core.model import RunFacts, SourceInfo

ULTRALYTICS_KEYS: tuple[str, ...] = ("task", "imgsz", "batch", "half")


def _on_off(flag: bool) -> str:
    return "on" if flag else "off"


def profiling_text(f: RunFacts) -> str | None:
    if f.profile_every is None:
        return None
    if f.profile_every <= 0:
        return "timing only"
    if f.profiling_off is not None:
        return "timing only (per-layer profiling unavailable)"
    text = f"timing + profiling 1 in {f.profile_every}"  # inferences: see the module docstring
    if f.profile_time_cap is not None and f.profile_time_cap < 1.0:
        text += f" (max {f.profile_time_cap * 100:.0f}% of time)"
    return text


def graphs_text(f: RunFacts) -> str | None:
    if f.cuda_graphs is None:
        return None
    if f.cuda_graphs:
        return "CUDA graph on"
    if f.graphs_asked is False:
        return "CUDA graph off"
    return f"CUDA graph off ({f.graphs_off or 'unavailable'})"


def _recorded_line(f: RunFacts) -> str:
    head = f"recorded by {f.recorded_by}"
    if f.recorded_mode is not None:
        return f"{head}: {f.recorded_mode}"
    bits = []
    for flag, word in ((f.cuda_graphs, "CUDA graph"), (f.separate_profiling, "separate profiling run"),
                       (f.spin_wait, "spin-wait"), (f.transfers, "data transfers")):
        if flag is not None:
            bits.append(f"{word} {_on_off(flag)}")
    return head + (": " + ", ".join(bits) if bits else "")


def mode_line(f: RunFacts) -> str:
    """The header's mode line, e.g. "timing + profiling 1 in 10 (max 20% of time),
    CUDA graph on, no transfers"."""
    if f.recorded_by is not None:
        return _recorded_line(f)
    parts = [profiling_text(f), graphs_text(f)]
    if f.transfers is not None:
        parts.append("transfers included" if f.transfers else "no transfers")
    if f.kernels is not None and not f.simulated:
        parts.append(f"kernels ({f.kernels})")
    elif f.kernels is not None:
        parts.append("kernels")
    line = ", ".join(p for p in parts if p)
    return f"{line} (simulated)" if f.simulated else line


def ultralytics_note(metadata: Mapping[str, object] | tuple[tuple[str, str], ...] | None) -> str | None:
    """ "task detect, imgsz [640, 640], ..." for an Ultralytics metadata header; None without one."""
    if metadata is None:
        return None
    items = dict(metadata)
    bits = [f"{k} {items[k]}" for k in ULTRALYTICS_KEYS if k in items]
    return ", ".join(bits) if bits else "metadata present"


def ultralytics_facts(metadata: Mapping[str, object] | None) -> tuple[tuple[str, str], ...] | None:
    """The metadata entries the note uses, as strings (a RunFacts field)."""
    if metadata is None:
        return None
    return tuple((k, str(metadata[k])) for k in ULTRALYTICS_KEYS if k in metadata)


def fact_notes(f: RunFacts) -> dict[str, str]:
    """Header notes that come from the facts (shown with `SourceInfo.extra`)."""
    notes: dict[str, str] = {}
    if f.aux_streams:
        notes["aux streams"] = f"{f.aux_streams} (the sum of layer times is not a latency)"
    md = ultralytics_note(f.ultralytics)
    if md is not None:
        notes["Ultralytics"] = md
    tax = profiler_tax_note(f)
    if tax is not None:
        notes["profiler tax"] = tax
    return notes


def profiler_tax_note(f: RunFacts) -> str | None:
    """What the profiler tax (profiled GPU time against the unprofiled latency) is made of, for runs
    that know how their profiled inferences were enqueued."""
    if f.profiled_graph is None or not f.profile_every or f.profiling_off is not None:
        return None
    if f.profiled_graph:
        return ("profiled inferences replay a CUDA graph, as timed ones do: the tax is TensorRT's own "
                "per-layer timing events")
    if f.cuda_graphs:
        why = f" ({f.profiled_graph_off})" if f.profiled_graph_off else ""
        return (f"profiled inferences are enqueued without a CUDA graph{why}: the tax also holds the launch "
                "gaps that the timed graph launches do not pay")
    return ("timed and profiled inferences are both enqueued: the tax is TensorRT's own per-layer timing "
            "events")


def worded(info: SourceInfo) -> SourceInfo:
    """`info` with its mode line and fact notes written from its facts (unchanged without facts)."""
    if info.facts is None:
        return info
    extra = {**info.extra, **fact_notes(info.facts)}
    return dataclasses.replace(info, mode=mode_line(info.facts), extra=extra)


def summary_fields(info: SourceInfo) -> dict[str, object]:
    """The JSON summary's numeric profiling facts: `profile_every` (an integer; 0: off; null: unknown)
    and `profile_time_cap` (the fraction of time profiling may take; null: no cap or unknown)."""
    f = info.facts
    if f is None:
        return {"profile_every": None, "profile_time_cap": None}
    every = f.profile_every
    if every is not None and f.profiling_off is not None:
        every = 0
    cap = f.profile_time_cap if every else None
    return {"profile_every": every, "profile_time_cap": cap}
