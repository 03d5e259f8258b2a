"""A stand-in for `python -m trtui.gpu.build.builder build`, run as a real child process by the tests.

    python fake_child.py MODE ENGINE [ARGS...]

It speaks the same protocol and writes the engine the same way (`trtui.common.atomic.write_atomic`),
then misbehaves as MODE says: segfaults, gets SIGKILLed, hangs mid-write, leaves a grandchild holding
its pipes, or prints canned builder log lines.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from trtui.common.atomic import partial_path, write_atomic
from trtui.tune import protocol


def out(ev: str, **fields: object) -> None:
    print(protocol.encode(ev, **fields), flush=True)


def progress(steps: int = 3) -> None:
    out("progress", kind="start", phase="Building engine", parent=None, total=steps)
    out("progress", kind="start", phase="Timing tactics", parent="Building engine", total=4)
    for i in range(4):
        out("progress", kind="step", phase="Timing tactics", step=i)
    out("progress", kind="finish", phase="Timing tactics")
    for i in range(steps):
        out("progress", kind="step", phase="Building engine", step=i)


def ok(engine: Path) -> None:
    progress()
    out("log", sev="W", msg="[TRT] [W] UNSUPPORTED_STATE: Skipping tactic 33 due to insufficient memory on "
        "requested size of 629145600 detected for tactic 0xa5a46bfbd719d757.")
    write_atomic(engine, b"PLAN" * 4096)
    out("progress", kind="finish", phase="Building engine")
    out("result", build_s=0.25, device_memory_bytes=50 << 20, weights_bytes=10 << 20, io_bytes=1 << 20,
        latency_ms=1.25, note="measured by the fake")


def main() -> int:
    mode, engine = sys.argv[1], Path(sys.argv[2])
    args = sys.argv[3:]
    if mode == "ok":
        ok(engine)
        return 0
    if mode == "noisy-ok":  # junk and JSON that is not ours on stdout, raw lines on stderr
        print("CUDA lazy loading is not enabled.", flush=True)
        print('{"not": "ours"}', flush=True)
        print("[TRT] [W] Tactic Device request: 600MB Available: 302MB. Device memory is insufficient to use "
              "tactic.", file=sys.stderr, flush=True)
        ok(engine)
        return 0
    if mode == "segv":
        faulthandler.enable()  # as trtui.gpu.build.builder does
        progress(1)
        print("[TRT] [I] about to crash", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(5)
        return 1
    if mode == "sigkill":
        print("Building an engine.  This would take a while...", flush=True)
        progress(1)
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(5)
        return 1
    if mode == "hang":  # half an engine on disk, then no more output
        progress(1)
        with open(partial_path(engine), "wb") as f:
            f.write(b"HALF")
            f.flush()
        time.sleep(600)
        return 1
    if mode == "grandchild":  # a grandchild inherits the pipes and outlives a plain kill of the child
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        out("log", sev="I", msg=f"grandchild {child.pid}")
        time.sleep(600)
        return 1
    if mode == "killed-after-write":  # the engine is complete, but the result never comes
        write_atomic(engine, b"PLAN" * 1024)
        os.kill(os.getpid(), signal.SIGKILL)
        return 1
    if mode == "result-without-file":
        out("result", build_s=0.1, device_memory_bytes=1, weights_bytes=1, io_bytes=1, latency_ms=1.0)
        return 0
    if mode == "canned":  # print a file of log lines (stderr, as TensorRT prints), exit with a status
        path, rc = Path(args[0]), int(args[1])
        for line in path.read_text().splitlines():
            print(line, file=sys.stderr, flush=True)
        return rc
    if mode == "canned-protocol":  # the same lines, through the logger protocol on stdout
        path, rc = Path(args[0]), int(args[1])
        for line in path.read_text().splitlines():
            out("log", sev="", msg=line)
        out("error", kind="build_failed", message="the builder returned no engine")
        return rc
    if mode == "fatal":
        out("error", kind="fatal",
            message="the ONNX model does not parse: In node 3 (importConv): UNSUPPORTED_NODE")
        return 3
    if mode == "traceback":
        raise RuntimeError("something in the builder broke")
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    raise SystemExit(main())
