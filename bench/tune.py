"""Benchmarks of the workspace tuner's own costs (no GPU, no TensorRT: the builds themselves are what
takes minutes on a real machine; these figures are what trtui adds around them).

- builder log classification: lines per second through `classify_line` + `summarize`, on a mix of
  real builder lines (tests/tune/tune_real_logs.py style), against a baseline of one bare regex search
  per line (the least any line filter must do).
- search decision: microseconds `next_step` takes to choose the next limit after a finished
  simulated search's attempts (at most 10; 7 with the seed-0 model).
- child-process build overhead: wall ms of one `ChildProcessBuilder.build` whose child imports trtui's
  protocol, writes a small engine atomically and reports a result, against a bare `python -c pass`
  started and waited for with `subprocess.run`.
- a whole simulated search (`trtui tune demo --headless` without its sleeps): ms.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._timing import median_seconds
from trtui.tune.child import ChildProcessBuilder, ChildRequest
from trtui.tune.logclass import classify_line, summarize
from trtui.tune.plan import make_plan
from trtui.tune.search import next_step
from trtui.tune.session import TuneSession
from trtui.tune.simulated import SimulatedBuilder, SimulatedModel, demo_model
from trtui.tune.sizes import GIB, WORKSPACE

COMMAND = "python -m bench tune"

_LINES = [
    "[10/01/2025-08:26:34] [TRT] [W] UNSUPPORTED_STATE: Skipping tactic 33 due to insufficient memory on "
    "requested size of 629145600 detected for tactic 0xa5a46bfbd719d757.",
    "[10/01/2025-08:26:34] [TRT] [W] Tactic Device request: 600MB Available: 302MB. Device memory is "
    "insufficient to use tactic.",
    "[11/16/2024-00:05:47] [TRT] [I] [MemUsageChange] Init builder kernel library: CPU +3255, GPU +428, "
    "now: CPU 20159, GPU 1615 (MiB)",
    "[11/16/2024-00:05:47] [TRT] [I] Global timing cache in use. Profiling results in this builder pass "
    "will be stored.",
    "[03/16/2026-17:30:57] [TRT] [E] 10: Could not find any implementation for node {ForeignNode[(Unnamed "
    "Layer* 1247) [Shuffle].../layers.7/Transpose_2 + /layers.7/Reshape_4]}.",
    "[12/09/2022-20:25:24] [TRT] [E] 2: [virtualMemoryBuffer.cpp::resizePhysical::145] Error Code 2: "
    "OutOfMemory (no further information)",
]

_CHILD = (
    "import sys; from pathlib import Path; from trtui.tune import protocol; "
    "from trtui.common.atomic import write_atomic; "
    "write_atomic(Path(sys.argv[1]), b'PLAN' * 1024); "
    "print(protocol.encode('result', build_s=0.0, device_memory_bytes=1, weights_bytes=1, io_bytes=1, "
    "latency_ms=1.0), flush=True)"
)


def _row(name: str, value: float, unit: str, note: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": float(value), "unit": unit, "command": COMMAND, "note": note, **extra}




def log_classification() -> list[dict[str, Any]]:
    lines = _LINES * 2000
    pattern = re.compile(r"Skipping tactic")

    def classify() -> None:
        summarize(classify_line(line) for line in lines)

    def bare() -> None:
        for line in lines:
            pattern.search(line)

    ours = len(lines) / median_seconds(classify)
    base = len(lines) / median_seconds(bare)
    return [_row("tune: builder log lines classified", ours, "lines/s",
                 "classify_line + summarize over real builder lines (memory, errors, progress noise)",
                 ratio=ours / base, baseline=base),
            _row("tune: bare regex search per line (baseline)", base, "lines/s",
                 "one compiled re.search per line: the least a line filter does")]


def search_decision() -> list[dict[str, Any]]:
    plan = make_plan(WORKSPACE, int(5.85 * GIB), "bench")
    attempts = list(TuneSession(plan, SimulatedBuilder(SimulatedModel.generate(0)), "b").run().attempts)[:10]
    per = median_seconds(lambda: [next_step(plan, attempts) for _ in range(200)]) / 200
    return [_row(f"tune: next_step after {len(attempts)} attempts", per * 1e6, "us",
                 "the pure search's decision for the next limit (once per build)")]


def child_overhead() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        def argv(req: ChildRequest) -> list[str]:
            return [sys.executable, "-c", _CHILD, str(req.engine_path)]

        builder = ChildProcessBuilder(argv, Path(tmp), timeout_s=60.0)

        def build() -> None:
            a = builder.build(1 << 20)
            assert a.ok, a.message

        ours = median_seconds(build)
        base = median_seconds(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    return [_row("tune: child build round trip (no TensorRT)", ours * 1e3, "ms",
                 "start a child, import trtui's protocol, write the engine atomically, read the result, "
                 "clean up; a real build adds TensorRT's own minutes",
                 ratio=ours / base, baseline=base * 1e3),
            _row("tune: bare python -c pass (baseline)", base * 1e3, "ms", "interpreter start and exit")]


def simulated_search() -> list[dict[str, Any]]:
    plan = make_plan(WORKSPACE, int(5.85 * GIB), "bench")
    model = demo_model(WORKSPACE, plan)
    t = median_seconds(lambda: TuneSession(plan, SimulatedBuilder(model), "demo").run())
    return [_row("tune: whole simulated demo search", t * 1e3, "ms",
                 "the demo's search (crash, hang, OOM included) with the simulated builder's sleeps off")]


def run() -> list[dict[str, Any]]:
    return [*log_classification(), *search_decision(), *child_overhead(), *simulated_search()]
