"""Helpers of the reliability tests: run the real CLI in a subprocess and judge its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# -- the corpus of bad input files (written by the `corpus` fixture in conftest.py) -----------------


def tiny_onnx() -> bytes:
    """A real (tiny) ONNX model if the onnx package is there, else an ONNX-like protobuf header."""
    try:
        from onnx import TensorProto, helper
    except ImportError:
        return b"\x08\x08\x12\x07pytorch\x1a\x032.1:\x00"
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "tiny", [x], [y])
    model = helper.make_model(graph, producer_name="trtui-tests")
    data: bytes = model.SerializeToString()
    return data


# name -> bytes of an "engine" that is not one
ENGINE_FILES: dict[str, bytes] = {
    "empty.engine": b"",
    "garbage.engine": bytes((i * 7919 + 13) % 256 for i in range(4096)),
    "truncated-header.engine": b"ftrt\x00\x00",
    "truncated-plan.engine": b"ftrt" + bytes(range(256)) * 4,
    "zeros.plan": bytes(1024),
    "text.engine": b"this is a text file, not an engine\n" * 10,
    "notes.txt": b"hello\n",
    "pickle.engine": b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94.",
    "archive.engine": b"PK\x03\x04" + bytes(100),
    "elf.engine": b"\x7fELF\x02\x01\x01" + bytes(100),
    "ultralytics-no-plan.engine": (12).to_bytes(4, "little") + b'{"batch": 1}' + b"xxxx" * 10,
}

# name -> text of a "recording" that is not one
RECORDING_FILES: dict[str, str] = {
    "malformed.json": '[{"count": 10}, {"name": "conv1", "timeMs": ',
    "malformed-object.json": '{"Layers": [{"Name": "a",}]}',
    "nan-word.json": "[NaN, Infinity, -Infinity]",
    "deep.json": "[" * 100_000 + "]" * 100_000,
    "empty-list.json": "[]",
    "empty-object.json": "{}",
    "numbers.json": "[1, 2, 3]",
    "nested-lists.json": "[[[]]]",
    "object-of-nothing-known.json": '{"hello": "world", "n": 1}',
    "profile-count-string.json": '[{"count": "ten"}, {"name": "a", "timeMs": 1.0, "averageMs": 0.1}]',
    "profile-name-number.json": '[{"count": 10}, {"name": 5, "timeMs": "x", "averageMs": null}]',
    "profile-negative.json": '[{"count": -3}, {"name": "a", "timeMs": -1, "averageMs": -0.1}]',
    "profile-huge.json": '[{"count": 1e400}, {"name": "a", "timeMs": 1e400, "averageMs": 1e400}]',
    "times-wrong-types.json": '[{"startEnqMs": "a", "endEnqMs": [], "latencyMs": {"x": 1}}]',
    "layers-wrong-types.json": '{"Layers": [1, "a", null, {"Name": 7, "Inputs": "x"}]}',
    "layers-not-list.json": '{"Layers": {"Name": "a"}}',
    "summary-wrong-types.json": json.dumps({"schema": "trtui.summary/1", "layers": 7, "latency_ms": "x"}),
    "metadata-wrong-types.json": json.dumps(
        {"performance_summary": [1, 2], "inference_options": "x", "device_information": 5}
    ),
}


def registered_commands() -> dict[str, str]:
    """`trtui.cli.COMMANDS`: the subcommands trtui registers (name -> module)."""
    from trtui.cli import COMMANDS

    return {name: entry.module for name, entry in COMMANDS.items()}


def need(command: str) -> None:
    """Fail the calling test unless `command` is registered in trtui/cli.py (a command that went
    missing is a defect, not a reason to skip)."""
    assert command in registered_commands(), f"'trtui {command}' is not registered in trtui/cli.py COMMANDS"


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra or {})
    env.update({"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "120", "PYTHONUNBUFFERED": "1"})
    env.pop("PYTHONWARNINGS", None)
    return env


def trtui_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "trtui", *args]


def run_cli(
    args: Sequence[str], cwd: Path, timeout: float = 30.0, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m trtui ARGS` without a terminal (stdin from /dev/null); `env`: extra variables."""
    return subprocess.run(
        trtui_argv(*args),
        cwd=cwd,
        env=cli_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], mentions: Sequence[str] = ()) -> str:
    """Exit 2, exactly one line on stderr ('trtui: error: ...'), no traceback anywhere.

    `mentions`: at least one of these strings must appear in the line (so that the error is
    about the input under test, not about something else)."""
    out = f"exit {proc.returncode}\n--- stderr\n{proc.stderr}--- stdout\n{proc.stdout}"
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, out
    lines = proc.stderr.strip("\n").splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith("trtui: error: "), out
    assert len(lines[0]) > len("trtui: error: ") + 10, out
    assert proc.returncode == 2, out
    if mentions:
        assert any(m in lines[0] for m in mentions), f"none of {list(mentions)} in: {lines[0]}"
    return lines[0]


# A small supervisor, run as its own process: it becomes a "child subreaper" (Linux prctl), so
# that any process trtui leaves behind is re-parented to it and can be found (by ppid, from /proc)
# after trtui exits. It starts trtui, signals it, waits, and prints a JSON report.
SUPERVISOR = r"""
import ctypes, json, os, signal, subprocess, sys, time

def children(ppid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == ppid:
            out.append((int(entry), fields[0], stat.split("(", 1)[1].rsplit(")", 1)[0]))
    return out

def descendants(pid):
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child[0])
    return found

spec = json.loads(sys.argv[1])
# trtui starts as a terminal's foreground job does, with SIGINT at its default: a shell script starts
# its background jobs with SIGINT ignored, an ignored signal stays ignored across exec, and Python
# then installs no KeyboardInterrupt handler (a suite run from `.ci/run &` saw Ctrl-C do nothing)
signal.signal(signal.SIGINT, signal.SIG_DFL)
libc = ctypes.CDLL(None, use_errno=True)
subreaper = libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
    proc = subprocess.Popen(spec["argv"], cwd=spec["cwd"], stdin=subprocess.DEVNULL, stdout=out,
                            stderr=err, start_new_session=True)
    deadline = time.monotonic() + spec["delay"]
    # until_child: the delay is a minimum; wait (up to 20 s more) until a child process exists
    # (a loaded machine can take longer than the delay to start one)
    hard_deadline = deadline + (20.0 if spec.get("until_child") else 0.0)
    seen = {}
    def waiting():
        now = time.monotonic()
        return now < deadline or (not seen and now < hard_deadline)
    while proc.poll() is None and waiting():
        for pid, state, comm in descendants(proc.pid):
            seen[pid] = comm
        time.sleep(0.05)
    alive = proc.poll() is None
    t0 = time.monotonic()
    if alive and spec["signal"]:
        if spec["group"]:
            os.killpg(proc.pid, spec["signal"])
        else:
            os.kill(proc.pid, spec["signal"])
    try:
        rc = proc.wait(spec["timeout"])
    except subprocess.TimeoutExpired:
        rc = None
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    took = time.monotonic() - t0
time.sleep(0.05)  # a process still alive now outlived trtui: left behind
left = [(pid, state, comm) for pid, state, comm in children(os.getpid()) if state != "Z"]
for pid, state, comm in children(os.getpid()):
    try:
        if state != "Z":
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
print(json.dumps({"alive_at_signal": alive, "rc": rc, "seconds": took, "subreaper": subreaper,
                  "left_behind": left, "children_seen": seen}))
"""


def supervise(
    args: Sequence[str],
    cwd: Path,
    signum: int | None,
    delay: float,
    timeout: float = 10.0,
    group: bool = False,
    env: dict[str, str] | None = None,
    until_child: bool = False,
) -> dict[str, object]:
    """Run `python -m trtui ARGS` under the subreaper supervisor; send `signum` after `delay` s.

    Returns the supervisor's report plus the trtui process's "stdout" and "stderr"."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="trtui-supervise-") as tmp:
        spec = {
            "argv": trtui_argv(*args),
            "cwd": str(cwd),
            "signal": signum,
            "delay": delay,
            "timeout": timeout,
            "group": group,
            "until_child": until_child,
            "stdout": f"{tmp}/stdout",
            "stderr": f"{tmp}/stderr",
        }
        proc = subprocess.run(
            [sys.executable, "-c", SUPERVISOR, json.dumps(spec)],
            capture_output=True,
            text=True,
            env=cli_env(env),
            timeout=delay + timeout + 30 + (20 if until_child else 0),
        )
        assert proc.returncode == 0, proc.stderr
        report: dict[str, object] = json.loads(proc.stdout)
        report["stdout"] = Path(spec["stdout"]).read_text(errors="replace")
        report["stderr"] = Path(spec["stderr"]).read_text(errors="replace")
    return report


# Many CLI runs, cheaply: one Python process imports trtui (and what its commands import) once,
# then forks one child per command line. Each child runs `trtui.cli.main(argv)` exactly as
# `python -m trtui` does (trtui/__main__.py: `raise SystemExit(main())`), with its own stdin
# (/dev/null), stdout and stderr files, and an uncaught exception printed as Python prints it (a
# traceback, exit 1), and at most 4 GiB of address space. test_bad_inputs checks a sample against
# real `python -m trtui` runs.
FORK_DRIVER = r"""
import json, os, resource, signal, sys, time, traceback
spec = json.load(open(sys.argv[1]))
import numpy  # noqa: F401  (shared by most commands; imported once)
import trtui.cli
for command in trtui.cli.COMMANDS:
    trtui.cli.build_parser(command)  # imports that command's module
for name in ("trtui.sources.factory", "trtui.pipeline.session", "trtui.sources.simulated",
             "trtui.sources.engine", "trtui.sources.engine_file", "trtui.recording.source",
             "trtui.engine_info.shapes", "trtui.tune.sizes"):
    try:
        __import__(name)
    except Exception:
        pass
def child(case):
    try:
        # A reader that reads a huge file whole fails at once (MemoryError) instead of taking
        # the machine's memory: 4 GiB of address space is plenty for any bad-input case.
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        os.chdir(case["cwd"])
        fd_in = os.open(os.devnull, os.O_RDONLY)
        fd_out = os.open(case["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        fd_err = os.open(case["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd_in, 0); os.dup2(fd_out, 1); os.dup2(fd_err, 2)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        sys.argv = ["trtui", *case["args"]]
        try:
            code = trtui.cli.main(case["args"])
        except SystemExit as exit_:
            code = exit_.code
            if isinstance(code, str):
                print(code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(0 if code is None else int(code))
    except BaseException:
        os._exit(99)

results = {}
pending = list(spec["cases"])
running = {}  # pid -> (case, start)
while pending or running:
    while pending and len(running) < spec["parallel"]:
        case = pending.pop(0)
        pid = os.fork()
        if pid == 0:
            child(case)
        running[pid] = (case, time.monotonic())
    for pid, (case, t0) in list(running.items()):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            rc = os.waitstatus_to_exitcode(status)
        elif time.monotonic() - t0 > case["timeout"]:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            rc = None
        else:
            continue
        del running[pid]
        results[case["id"]] = {"rc": rc, "seconds": time.monotonic() - t0}
    time.sleep(0.002)
json.dump(results, open(sys.argv[2], "w"))
"""


def run_cli_many(
    cases: Sequence[tuple[str, Sequence[str]] | tuple[str, Sequence[str], float]],
    cwd: Path,
    timeout: float = 20.0,
    parallel: int = 4,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run many `trtui ARGS` command lines through FORK_DRIVER, `parallel` at a time; a case is
    (id, args) or (id, args, timeout_s). id -> CompletedProcess (returncode None: still running
    after its timeout, and killed)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="trtui-many-") as tmp:
        specs = [
            {
                "id": case[0],
                "args": list(case[1]),
                "cwd": str(cwd),
                "timeout": float(case[2]) if len(case) > 2 else timeout,  # type: ignore[misc]
                "out": f"{tmp}/{i}.out",
                "err": f"{tmp}/{i}.err",
            }
            for i, case in enumerate(cases)
        ]
        limit = sum(float(str(spec["timeout"])) for spec in specs) / parallel + 120
        Path(tmp, "spec.json").write_text(json.dumps({"cases": specs, "parallel": parallel}))
        proc = subprocess.run(
            [sys.executable, "-c", FORK_DRIVER, f"{tmp}/spec.json", f"{tmp}/results.json"],
            cwd=cwd,
            env=cli_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=limit,
        )
        assert proc.returncode == 0, proc.stderr
        results = json.loads(Path(tmp, "results.json").read_text())
        out: dict[str, subprocess.CompletedProcess[str]] = {}
        for spec in specs:
            r = results[spec["id"]]
            out[spec["id"]] = subprocess.CompletedProcess(
                ["trtui", *spec["args"]],
                r["rc"],
                Path(spec["out"]).read_text(errors="replace") if Path(spec["out"]).exists() else "",
                Path(spec["err"]).read_text(errors="replace") if Path(spec["err"]).exists() else "",
            )
    return out
