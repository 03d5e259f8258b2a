"""Reading TensorRT builder logs: which lines talk about memory, and what a failed build died of.

The builder explains memory trouble only in its log (the Python API just returns None):

- `Tactic Device request: 826MB Available: 186MB. Device memory is insufficient to use tactic.`
- `[W] UNSUPPORTED_STATE: Skipping tactic 0 due to insufficient memory on requested size of 5658624
  detected for tactic 0x1673e3594ce11cea.` (TensorRT 10; bytes). Some 8.x builds print the size in MiB
  next to a matching `Tactic Device request` line, and some spell it "insuficient".
- `Some tactics do not have sufficient workspace memory to run. Increasing workspace size ...`
- `Error Code 10: Internal Error (Could not find any implementation for node {ForeignNode[...]}.)`:
  no tactic fitted for that node, which is either too small a limit or, when tactics saw less memory
  than the limit allowed, an out-of-memory in disguise.
- `Error Code 2: OutOfMemory (no further information)`, `Requested amount of GPU memory (N bytes) could
  not be allocated`, `Cuda Error in ...allocate: 2 (out of memory)`.
- `Killed`: what a shell prints when the kernel's OOM killer ends a build (Jetson).

Everything here is pure: lines in, values out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from trtui.tune.attempt import LogSummary, Outcome, TacticRequest
from trtui.tune.sizes import MIB, format_size

LineKind = Literal[
    "device_request",
    "skipped_tactic",
    "insufficient_workspace",
    "no_implementation",
    "out_of_memory",
    "killed",
    "fatal",
    "error",
    "other",
]


@dataclass(frozen=True, slots=True)
class LogLine:
    """One classified line. Sizes in bytes; `raw_size` is the unconverted number of a skip line."""

    kind: LineKind
    severity: str  # E, W, I, V or ""
    text: str
    requested_bytes: int | None = None
    available_bytes: int | None = None
    raw_size: int | None = None
    node: str | None = None


_DEVICE_REQUEST = re.compile(
    r"Tactic Device request:\s*(\d+)\s*MB\s+Available:\s*(\d+)\s*MB", re.IGNORECASE
)
_SKIPPED = re.compile(
    r"Skipping tactic\s+\S+\s+due to insuf+icient memory on requested size of\s+(\d+)", re.IGNORECASE
)
_INSUFFICIENT_WS = re.compile(r"tactics do not have sufficient workspace memory", re.IGNORECASE)
_NO_IMPL = re.compile(r"could not find any implementation for node\s*(.*)$", re.IGNORECASE)
_NO_IMPL_TAIL = re.compile(
    r"(?:\s+due to insufficient.*|,\s*try increasing.*|\.?\)+\s*$|\.\s*$)", re.IGNORECASE
)
_REQUESTED_ALLOC = re.compile(r"Requested amount of GPU memory \((\d+) bytes\) could not be allocated")
_OOM = re.compile(
    r"OutOfMemory|out of memory|could not be allocated|memory allocation error|cudaErrorMemoryAllocation",
    re.IGNORECASE,
)
_KILLED = re.compile(r"^\s*Killed\s*$")
_FATAL = re.compile(
    r"Failed to parse|UNSUPPORTED_NODE|ModelImporter\.cpp|Network must have at least one output|"
    r"has dynamic or shape inputs, but no optimization profile",
    re.IGNORECASE,
)
_BRACKET_SEVERITY = re.compile(r"\[([EWIV])\]")
_WORD_SEVERITY = re.compile(
    r"\b(INTERNAL_ERROR|ERROR|WARNING|INFO|VERBOSE)\b:|^\s*(error|warning|info|verbose)\s*:|\b(Error)\[\d+\]"
)
_SEVERITY_LETTER = {"INTERNAL_ERROR": "E", "ERROR": "E", "WARNING": "W", "INFO": "I", "VERBOSE": "V",
                    "error": "E", "warning": "W", "info": "I", "verbose": "V", "Error": "E"}
# Lower-case words that every line of interest contains: substring tests on the lower-cased line decide
# cheaply whether the regular expressions need to run at all (most builder lines are of no interest).
_KEYWORDS = (
    "tactic device request", "skipping tactic", "implementation for node", "sufficient workspace",
    "outofmemory", "out of memory", "could not be allocated", "memory allocation error",
    "cudaerrormemoryallocation", "killed", "failed to parse", "unsupported_node", "modelimporter.cpp",
    "at least one output", "no optimization profile",
)


def severity_of(text: str) -> str:
    """E/W/I/V from the usual prefixes: `[TRT] [W]`, `[E] [TRT]`, `Error[10]:`, `[TensorRT] ERROR:`,
    `ERROR: [TRT]:`, `error:`; "" when there is none. A bracketed tag wins over words in the message."""
    m = _BRACKET_SEVERITY.search(text)
    if m:
        return m.group(1)
    m = _WORD_SEVERITY.search(text)
    if m:
        return _SEVERITY_LETTER[next(g for g in m.groups() if g)]
    return ""


def _node_name(rest: str) -> str | None:
    name = _NO_IMPL_TAIL.sub("", rest.strip()).strip()
    return name or None


def classify_line(text: str, severity: str | None = None) -> LogLine:
    """Classify one log line. `severity` overrides the one read from the text (structured logs)."""
    text = text.rstrip("\r\n")
    sev = severity if severity is not None else severity_of(text)
    low = text.lower()
    if not any(k in low for k in _KEYWORDS):
        return LogLine("error" if sev == "E" else "other", sev, text)
    m = _DEVICE_REQUEST.search(text) if "device request" in low else None
    if m:
        return LogLine("device_request", sev, text, requested_bytes=int(m.group(1)) * MIB,
                       available_bytes=int(m.group(2)) * MIB)
    m = _SKIPPED.search(text) if "skipping tactic" in low else None
    if m:
        n = int(m.group(1))
        return LogLine("skipped_tactic", sev, text, requested_bytes=n, raw_size=n)
    m = _NO_IMPL.search(text) if "implementation for node" in low else None
    if m:
        return LogLine("no_implementation", sev or "E", text, node=_node_name(m.group(1)))
    if "sufficient workspace" in low and _INSUFFICIENT_WS.search(text):
        return LogLine("insufficient_workspace", sev, text)
    if _OOM.search(text):
        m = _REQUESTED_ALLOC.search(text)
        return LogLine("out_of_memory", sev, text, requested_bytes=int(m.group(1)) if m else None)
    if _KILLED.match(text):
        return LogLine("killed", sev, text)
    if _FATAL.search(text):
        return LogLine("fatal", sev or "E", text)
    if sev == "E":
        return LogLine("error", sev, text)
    return LogLine("other", sev, text)


_MAX_REQUESTS = 64
_MAX_ERRORS = 5


def _same_tactic(r: TacticRequest, mib: int) -> bool:
    """Whether a `Tactic Device request: <mib>MB` line describes request `r` (sizes there are rounded
    down to the MiB)."""
    if r.exact:
        return r.requested_bytes // MIB == mib
    return abs(r.requested_bytes // MIB - mib) <= 1


def summarize(lines: Iterable[LogLine]) -> LogSummary:
    """Fold classified lines into a `LogSummary`.

    A skip line gives the exact size in bytes; a `Tactic Device request` line gives it rounded down to
    the MiB plus what was available, and is merged into the skip line of the same tactic. Some 8.x
    builds print the skip size in MiB too: a skip number below 1 MiB that equals (within 1) the MiB
    figure of a device-request line of the same log is read as MiB.
    """
    items = list(lines)
    device: list[tuple[int, int | None]] = [
        (ln.requested_bytes // MIB, ln.available_bytes)
        for ln in items if ln.kind == "device_request" and ln.requested_bytes is not None
    ]
    device_mib = {v for v, _ in device}
    found: dict[tuple[int, bool], TacticRequest] = {}  # (bytes, exact) -> request
    skipped = 0
    insufficient = False
    node: str | None = None
    oom = False
    killed = False
    errors: list[str] = []
    fatal: str | None = None
    for ln in items:
        if ln.kind == "skipped_tactic" and ln.raw_size is not None:
            skipped += 1
            n = ln.raw_size
            if n < MIB and any(abs(n - v) <= 1 for v in device_mib):
                found.setdefault((n * MIB, False), TacticRequest(n * MIB, None, exact=False))
            else:
                found.setdefault((n, True), TacticRequest(n, None))
        elif ln.kind == "insufficient_workspace":
            insufficient = True
        elif ln.kind == "no_implementation":
            if node is None:
                node = ln.node or "?"
        elif ln.kind == "out_of_memory":
            oom = True
        elif ln.kind == "killed":
            killed = True
        elif ln.kind == "fatal" and fatal is None:
            fatal = ln.text.strip()
        if ln.severity == "E" and len(errors) < _MAX_ERRORS:
            errors.append(ln.text.strip())
    for v, avail in device:
        match = next((key for key, r in found.items() if _same_tactic(r, v)), None)
        if match is None:
            match = (v * MIB, False)
            found[match] = TacticRequest(v * MIB, avail, exact=False)
        old = found[match]
        known = [a for a in (old.available_bytes, avail) if a is not None]
        found[match] = TacticRequest(old.requested_bytes, min(known) if known else None, old.exact)
    requests = sorted(found.values(), key=lambda r: (-r.requested_bytes, not r.exact))[:_MAX_REQUESTS]
    return LogSummary(
        skipped_tactics=skipped or len(device),
        requests=tuple(requests),
        insufficient_workspace=insufficient,
        no_implementation_node=node,
        out_of_memory=oom,
        killed_line=killed,
        errors=tuple(errors),
        fatal=fatal,
    )


def summarize_text(text: str) -> LogSummary:
    """`summarize` over the lines of a block of log text."""
    return summarize(classify_line(line) for line in text.splitlines() if line.strip())


def memory_was_short(summary: LogSummary, limit_bytes: int) -> TacticRequest | None:
    """A tactic that saw clearly less memory than the limit allowed: the device, not the limit, was
    short (an out-of-memory in disguise). The worst such request, or None."""
    short = [
        r for r in summary.requests
        if r.available_bytes is not None and r.available_bytes < 0.9 * limit_bytes
        and r.available_bytes < r.requested_bytes
    ]
    if not short:
        return None
    return min(short, key=lambda r: (r.available_bytes or 0, -r.requested_bytes))


def _clip(text: str, n: int = 160) -> str:
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 1] + "…"


def _asked(summary: LogSummary) -> str:
    sizes = [r.requested_bytes for r in summary.requests]
    if not sizes:
        return ""
    if len(sizes) == 1:
        return f" (a skipped tactic asked for {format_size(sizes[0])})"
    return f" (skipped tactics asked for {format_size(min(sizes))} to {format_size(max(sizes))})"


def classify_failure(summary: LogSummary, limit_bytes: int) -> tuple[Outcome, str]:
    """The outcome and a one-line reason for a build that produced no engine, from its log."""
    if summary.fatal is not None:
        return "fatal", _clip(summary.fatal)
    if summary.killed_line:
        return "killed", "killed by the OS (usually out of host memory; on Jetson lower tactic_dram)"
    short = memory_was_short(summary, limit_bytes)
    if summary.no_implementation_node is not None:
        node = _clip(summary.no_implementation_node, 80)
        if short is not None:
            return "out_of_memory", (
                f"no implementation for node {node}: the device ran out of memory "
                f"(a tactic asked for {format_size(short.requested_bytes)}, "
                f"{format_size(short.available_bytes)} was available)"
            )
        if summary.out_of_memory:
            return "out_of_memory", f"no implementation for node {node}: the device ran out of memory"
        too_small = f"no implementation for node {node}: the limit is too small{_asked(summary)}"
        return "no_implementation", too_small
    if summary.out_of_memory:
        first = next((e for e in summary.errors if _OOM.search(e)), "out of memory")
        return "out_of_memory", _clip(first)
    if summary.errors:
        return "build_failed", _clip(summary.errors[0])
    return "build_failed", "the builder returned no engine"


def success_note(summary: LogSummary) -> str:
    """A short note for a successful build that skipped tactics ("" when none were skipped)."""
    if summary.skipped_tactics == 0 and not summary.insufficient_workspace:
        return ""
    biggest = summary.max_requested_bytes
    if summary.skipped_tactics and biggest:
        n = summary.skipped_tactics
        return f"{n} tactic{'' if n == 1 else 's'} skipped (asked up to {format_size(biggest)})"
    return "some tactics skipped for want of memory"
