"""The commands, one module each: `add_arguments(parser)` and `run(args) -> int` (the exit code).

This package is the composition root: a command builds the sources, sessions, feeds and apps it
needs and wires them together. `COMMANDS` is the registry the command line reads; it names each
command's module without importing it, so `trtui --help` lists every command while importing none
of them (a command's module, with its dependencies, is imported only when that command runs).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    """One subcommand: its name on the command line, its module under `trtui.commands`, and the
    one-line help `trtui --help` shows for it."""

    name: str
    module: str
    help: str


# `open` is the default: `trtui FILE` = `trtui open FILE`.
COMMANDS: tuple[Command, ...] = (
    Command(
        "open",
        "open_source",
        "open an engine file (runs it live), a trtexec recording, or 'demo' in the live UI",
    ),
    Command(
        "demo",
        "demo",
        "the live UI on the embedded simulated engine (labelled simulated; no GPU needed)",
    ),
    Command(
        "profile",
        "profile",
        "run a source headless for a while, then print and write a summary (JSON, CSV, "
        "trtexec files)",
    ),
    Command(
        "tune",
        "tune",
        "find the smallest memory-pool limit (workspace, tactic_dram, tactic_shared_memory) "
        "at which an ONNX model builds, fits the device memory and runs within a tolerance of "
        "its best latency; 'trtui tune demo' runs against a simulated builder",
    ),
    Command(
        "telemetry",
        "telemetry",
        "Print one sample of every GPU metric (NVML, Jetson sysfs//proc, tegrastats) with "
        "where it came from; n/a (null in --json) where the device does not report it.",
    ),
    Command(
        "compare",
        "compare",
        "compare two recordings or summaries: per-layer and per-type deltas, precision/tactic "
        "changes",
    ),
    Command(
        "analyze",
        "analyze",
        "time by layer type, precision and tactic family, reformat share, hotspots, the "
        "engine card and each layer against the roofline of a recording",
    ),
    Command(
        "sweep",
        "sweep",
        "measure latency and throughput at several batch sizes (--batch 1..32: powers of two) "
        "and numbers of concurrent contexts (--streams 1,2,4) with one engine load; shows the "
        "knee and the best point under --p99-budget; 'trtui sweep demo' sweeps the simulated "
        "engine",
    ),
    Command(
        "check",
        "check",
        "regression gate for CI: exit 1 when CANDIDATE is slower than --baseline beyond a "
        "threshold (median, p99, throughput, energy; --layers), with bootstrap confidence "
        "intervals",
    ),
    Command(
        "serve",
        "serve",
        "run a source headless and serve it: Prometheus /metrics, /snapshot JSON, /stream for "
        "'trtui attach'",
    ),
    Command(
        "attach",
        "attach",
        "the live screen of a 'trtui serve' run elsewhere; several URLs: a fleet overview",
    ),
)

