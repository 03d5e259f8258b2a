"""The regression gate's result as a short text verdict, JSON ("trtui.check/1"), JUnit XML (what
CI systems read: one test case per check, a <failure> per regression) and a Markdown summary
for a pull-request comment. Pure."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

from trtui.analysis.gate import SCHEMA, Check, GateResult
from trtui.common import format as fmt
from trtui.stats.energy_report import j_text

MAX_LAYER_ROWS = 15  # per report: the failing layers, then the largest changes


def value_text(c: Check, x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    if c.unit == "ms":
        return f"{x:.4f} ms"
    if c.unit == "J/inference":
        return f"{j_text(x)}/inf"
    return f"{x:,.1f}/s"


def change_text(c: Check) -> str:
    return "n/a" if c.change_pct is None else f"{c.change_pct:+.1f}%"


def ci_text(c: Check) -> str:
    if c.ci_low_pct is None or c.ci_high_pct is None:
        return "no CI"
    return f"[{c.ci_low_pct:+.1f}%, {c.ci_high_pct:+.1f}%]"


def limit_text(c: Check, threshold: float) -> str:
    return f"{'+' if c.higher_is_worse else '-'}{threshold:g}%"


def shown_checks(r: GateResult) -> list[Check]:
    """Every non-layer check; layers: the failing ones first, then the largest changes."""
    main = [c for c in r.checks if c.kind != "layer"]
    layers = [c for c in r.checks if c.kind == "layer"]
    layers.sort(key=lambda c: (c.status != "fail", -(c.worse_pct or 0.0), c.name))
    return main + layers[:MAX_LAYER_ROWS]


def verdict_line(r: GateResult) -> str:
    n = len(r.checks)
    sim = " [SIMULATED: not measured]" if r.simulated else ""
    return _verdict(r, n) + sim


def _verdict(r: GateResult, n: int) -> str:
    if r.passed:
        better = sum(1 for c in r.checks if c.status == "improved")
        extra = f", {better} improved" if better else ""
        return f"PASS: no regression beyond {r.settings.max_regression_pct:g}% ({n} checks{extra})"
    limit = f"{r.settings.max_regression_pct:g}%"
    regressed = [c for c in r.failures if c.change_pct is not None]
    unjudged = [c for c in r.failures if c.change_pct is None]  # what could not be measured
    parts = []
    for fails, words in ((regressed, f"regressed beyond {limit}"), (unjudged, "could not be judged")):
        if fails:
            names = ", ".join(c.name for c in fails[:5])
            more = f" and {len(fails) - 5} more" if len(fails) > 5 else ""
            parts.append(f"{len(fails)} of {n} checks {words}: {names}{more}")
    return "FAIL: " + "; ".join(parts)


def gate_text(r: GateResult) -> str:
    """The verdict and a fixed-width table of the shown checks (`shown_checks`), the rule applied and
    the notices, for the terminal."""
    conf = f"{100 * r.settings.confidence:g}%"
    lines = [
        f"trtui check: {verdict_line(r)}",
        f"baseline:  {r.baseline}",
        f"candidate: {r.candidate}",
    ]
    rows = [
        (
            c.name,
            value_text(c, c.baseline),
            value_text(c, c.candidate),
            change_text(c),
            ci_text(c),
            c.status.upper(),
        )
        for c in shown_checks(r)
    ]
    head = ("check", "baseline", "candidate", "change", f"{conf} CI", "result")
    widths = [max(len(head[i]), *(len(row[i]) for row in rows)) for i in range(len(head))] if rows else []
    if rows:
        widths[0] = min(widths[0], 48)

        def cut(s: str, w: int) -> str:
            return s if len(s) <= w else s[: w - 1] + "…"

        lines.append(
            "  "
            + "  ".join(
                h.ljust(w) if i == 0 else h.rjust(w)
                for i, (h, w) in enumerate(zip(head, widths, strict=True))
            )
        )
        for row in rows:
            cells = [cut(row[0], widths[0]).ljust(widths[0])]
            cells += [row[i].rjust(widths[i]) for i in range(1, len(head))]
            lines.append("  " + "  ".join(cells))
    hidden = len(r.checks) - len(rows)
    if hidden > 0:
        lines.append(f"  ... {hidden} more layer checks (all in --json / --junit)")
    lines.append(
        f"rule: a check fails when it is more than {r.settings.max_regression_pct:g}% worse AND its {conf} "
        f"bootstrap interval (seed {r.settings.seed}, {r.settings.resamples} resamples) excludes 0"
    )
    lines += [f"fail: {c.name}: {c.reason}" for c in r.failures if c.change_pct is None]
    lines += [f"note: {n}" for n in r.notices]
    return "\n".join(lines) + "\n"


def _num(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def gate_dict(r: GateResult) -> dict[str, Any]:
    """JSON-ready, schema "trtui.check/1": the verdict, the settings and every check; NaN and inf become
    None."""
    s = r.settings
    return {
        "schema": SCHEMA,
        "passed": r.passed,
        "exit_code": r.exit_code,
        "verdict": verdict_line(r),
        "baseline": r.baseline,
        "candidate": r.candidate,
        "settings": {
            "max_regression_pct": s.max_regression_pct,
            "confidence": s.confidence,
            "resamples": s.resamples,
            "seed": s.seed,
            "layers": s.layers,
            "layer_floor_ms": s.layer_floor_ms,
        },
        "checks": [
            {
                "name": c.name,
                "kind": c.kind,
                "unit": c.unit,
                "baseline": _num(c.baseline),
                "candidate": _num(c.candidate),
                "change_pct": _num(c.change_pct),
                "ci_low_pct": _num(c.ci_low_pct),
                "ci_high_pct": _num(c.ci_high_pct),
                "higher_is_worse": c.higher_is_worse,
                "status": c.status,
                "reason": c.reason,
            }
            for c in r.checks
        ],
        "notices": list(r.notices),
    }


def gate_junit(r: GateResult) -> str:
    """JUnit XML: <testsuites><testsuite name="trtui check"> with one <testcase> per check."""
    failures = len(r.failures)
    skipped = sum(1 for c in r.checks if c.status == "skipped")
    suites = ET.Element(
        "testsuites",
        name="trtui check",
        tests=str(len(r.checks)),
        failures=str(failures),
        errors="0",
        time="0",
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="trtui check",
        tests=str(len(r.checks)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time="0",
    )
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("baseline", r.baseline),
        ("candidate", r.candidate),
        ("max_regression_pct", f"{r.settings.max_regression_pct:g}"),
        ("confidence", f"{r.settings.confidence:g}"),
        ("seed", str(r.settings.seed)),
    ):
        ET.SubElement(props, "property", name=key, value=value)
    for c in r.checks:
        case = ET.SubElement(suite, "testcase", classname=f"trtui.check.{c.kind}", name=c.name, time="0")
        detail = (
            f"{c.name}: {value_text(c, c.baseline)} -> {value_text(c, c.candidate)} ({change_text(c)}, "
            f"{ci_text(c) if c.ci_low_pct is None else 'CI ' + ci_text(c)}): {c.reason}"
        )
        if c.status == "fail":
            failure = ET.SubElement(case, "failure", message=c.reason, type="regression")
            failure.text = detail
        elif c.status == "skipped":
            ET.SubElement(case, "skipped", message=c.reason)
        else:
            out = ET.SubElement(case, "system-out")
            out.text = detail
    if r.notices:
        err = ET.SubElement(suite, "system-out")
        err.text = "\n".join(r.notices)
    for el in suites.iter():  # names and reasons are untrusted: no control character reaches the XML
        el.attrib.update({k: fmt.safe(v) for k, v in el.attrib.items()})
        if el.text:
            el.text = fmt.safe_block(el.text)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _md(text: str) -> str:
    return fmt.safe(text.replace("\n", " ")).replace("|", "\\|").replace("`", "'")


def gate_markdown(r: GateResult) -> str:
    """A Markdown summary for a pull-request comment: the verdict, a table of the shown checks and the
    notices; names are escaped so that untrusted text cannot break the table."""
    conf = f"{100 * r.settings.confidence:g}%"
    icon = {"pass": "✅", "fail": "❌", "improved": "🟢", "skipped": "⚪"}
    title = "✅ trtui check passed" if r.passed else "❌ trtui check failed"
    lines = [
        f"### {title}",
        "",
        f"{_md(verdict_line(r))}",
        "",
        f"Baseline `{_md(r.baseline)}` · candidate `{_md(r.candidate)}`",
        "",
        f"| check | baseline | candidate | change | {conf} CI | limit | result |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    shown = shown_checks(r)
    limit = r.settings.max_regression_pct
    lines.extend(
        f"| {_md(c.name)} | {value_text(c, c.baseline)} | {value_text(c, c.candidate)} "
        f"| {change_text(c)} | {ci_text(c)} | {limit_text(c, limit)} | {icon[c.status]} {c.status} |"
        for c in shown
    )
    if len(r.checks) > len(shown):
        lines += ["", f"_{len(r.checks) - len(shown)} more layer checks in the JSON report._"]
    lines += [
        "",
        f"A check fails when it is more than {limit:g}% worse and its {conf} bootstrap "
        f"interval (seed {r.settings.seed}) excludes zero.",
    ]
    if r.notices:
        lines.append("")
        lines += [f"- {_md(n)}" for n in r.notices]
    return "\n".join(lines) + "\n"
