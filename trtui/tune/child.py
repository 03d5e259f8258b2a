"""Running each build in a child process, so that a crash, an OOM kill or a hang cannot take the
tuner down.

`ChildProcessBuilder` starts one child per build (by default `python -m trtui.gpu.build.builder build ...`),
in its own session so that killing it kills whatever it started. It reads the child's stdout and
stderr on two threads, turns protocol lines (`trtui.tune.protocol`) into progress and log events and
every other line into a raw log line, and ends the child on a timeout or a cancel with SIGKILL.

The child writes the engine to `<engine>.partial` and renames it into place before it reports a
result; the parent removes any `.partial` file after the child exits and any engine of a build that
did not succeed, so no half-written engine survives a kill.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from trtui.common.atomic import partial_path
from trtui.tune import protocol
from trtui.tune.attempt import BuildAttempt, BuildLog, CancelFlag, EventSink, LogSummary, Outcome, null_sink
from trtui.tune.logclass import LogLine, classify_failure, classify_line, success_note, summarize
from trtui.tune.sizes import trtexec_size

POLL_S = 0.05
_KEEP_LINES = 4000  # classified memory/error lines kept per build for the summary
_TAIL = 20  # raw lines kept to explain a crash


@dataclass(frozen=True, slots=True)
class ChildRequest:
    """What one child is asked to build."""

    attempt: int  # 1-based count of builds by this builder
    limit_bytes: int
    engine_path: Path


ArgvFactory = Callable[[ChildRequest], Sequence[str]]


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _reader(stream: IO[bytes], tag: str, out: queue.Queue[tuple[str, str | None]]) -> None:
    try:
        for raw in iter(stream.readline, b""):
            out.put((tag, raw.decode("utf-8", errors="replace").rstrip("\r\n")))
    except (OSError, ValueError):
        pass
    finally:
        out.put((tag, None))


class ChildProcessBuilder:
    """`Builder` that runs each build in a child process. Engines go to `workdir`."""

    def __init__(
        self,
        argv_for: ArgvFactory,
        workdir: Path,
        timeout_s: float,
        *,
        env: Mapping[str, str] | None = None,
        name: str = "build",
    ) -> None:
        self._argv_for = argv_for
        self.workdir = Path(workdir)
        self.timeout_s = timeout_s
        self._env = dict(env) if env is not None else None
        self._name = name
        self._cancel = CancelFlag()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._count = 0

    @property
    def simulated(self) -> bool:
        """Always False: every attempt is a real TensorRT build."""
        return False

    @property
    def pid(self) -> int | None:
        """The running child's process id, or None between builds."""
        with self._lock:
            return self._proc.pid if self._proc is not None else None

    # --- control, from any thread ----------------------------------------------------------------

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is not None:
            return
        try:
            if os.name == "posix":
                os.killpg(proc.pid, signal.SIGKILL)  # the child and anything it started
            else:  # pragma: no cover - not POSIX
                proc.kill()
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()

    def cancel(self) -> None:
        """Kill the running child now; every later build returns "cancelled" at once."""
        self._cancel.set()
        with self._lock:
            proc = self._proc
        if proc is not None:
            self._kill(proc)

    def close(self) -> None:
        """Kill a running child and reap it (waits up to 5 s); later builds return "cancelled".
        Engines already written stay in `workdir`."""
        self.cancel()
        self._reap(timeout=5.0)

    # --- one build ------------------------------------------------------------------------------

    def build(self, limit_bytes: int, on_event: EventSink | None = None) -> BuildAttempt:
        """Build at `limit_bytes` in a child process (its own process group), killed after
        `timeout_s`; the engine goes to `workdir`. Never raises for a failed build: the outcome says
        what happened. An interrupt (Ctrl-C) kills the child before it propagates."""
        emit = on_event or null_sink
        if self._cancel.is_set():
            return BuildAttempt(0, limit_bytes, "cancelled", "cancelled before it started")
        self._count += 1
        engine = self.workdir / f"attempt-{self._count:02d}-{self._name}-{trtexec_size(limit_bytes)}.engine"
        partial = partial_path(engine)
        for p in (engine, partial):
            p.unlink(missing_ok=True)
        argv = list(self._argv_for(ChildRequest(self._count, limit_bytes, engine)))
        started = time.monotonic()
        # The child is started from a short-lived thread: a signal handler that raises (Ctrl-C, or
        # SIGTERM through `interrupt_on_term`) runs in the main thread only, so it can never land
        # between the fork and the registration below and leave an unregistered child running.
        spawned: list[subprocess.Popen[bytes] | OSError] = []
        spawner = threading.Thread(target=self._spawn, args=(argv, spawned), name="trtui-build-spawn")
        try:
            spawner.start()
            spawner.join()
            outcome = spawned[0]
            if isinstance(outcome, OSError):
                return BuildAttempt(0, limit_bytes, "fatal", f"cannot start the build process: {outcome}")
            return self._watch(outcome, limit_bytes, engine, started, emit)
        except BaseException:
            # Interrupted (KeyboardInterrupt, SystemExit): the caller is going away, so the child goes
            # first, and no later build starts. A child the spawner registers after this is killed by
            # the spawner itself, as it sees the cancel flag.
            self.cancel()
            spawner.join(timeout=5.0)
            self._reap(timeout=5.0)
            raise
        finally:
            with self._lock:
                self._proc = None
            partial.unlink(missing_ok=True)

    def _spawn(self, argv: list[str], out: list[subprocess.Popen[bytes] | OSError]) -> None:
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env,
                start_new_session=(os.name == "posix"),
            )
        except OSError as err:
            out.append(err)
            return
        with self._lock:
            self._proc = proc
        if self._cancel.is_set():  # cancelled before or while the child started
            self._kill(proc)
        out.append(proc)

    def _reap(self, timeout: float) -> None:
        """Wait (bounded) for the killed child, so that it is gone, not a zombie, when we return."""
        with self._lock:
            proc = self._proc
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout)

    def _watch(
        self, proc: subprocess.Popen[bytes], limit: int, engine: Path, started: float, emit: EventSink
    ) -> BuildAttempt:
        lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
        assert proc.stdout is not None and proc.stderr is not None
        readers = [
            threading.Thread(target=_reader, args=(proc.stdout, "out", lines), daemon=True),
            threading.Thread(target=_reader, args=(proc.stderr, "err", lines), daemon=True),
        ]
        for t in readers:
            t.start()
        open_streams = 2
        stopped: str | None = None  # "cancelled" or "timeout"
        deadline = started + self.timeout_s
        kept: deque[LogLine] = deque(maxlen=_KEEP_LINES)
        tail: deque[str] = deque(maxlen=_TAIL)
        result: dict[str, Any] | None = None
        error: dict[str, Any] | None = None

        def handle(tag: str, text: str) -> None:
            nonlocal result, error
            obj = protocol.decode(text) if tag == "out" else None
            if obj is not None:
                ev = obj["ev"]
                if ev == "result":
                    result = obj
                elif ev == "error":
                    error = obj
                event = protocol.to_event(obj)
                if event is None:
                    return
                if isinstance(event, BuildLog):
                    _keep(classify_line(event.text, event.severity or None))
                emit(event)
                return
            if not text.strip():
                return
            tail.append(text)
            line = classify_line(text)
            _keep(line)
            emit(BuildLog(line.severity, text))

        def _keep(line: LogLine) -> None:
            if line.kind != "other":
                kept.append(line)

        killed_at: float | None = None
        while True:
            if stopped is None:
                if self._cancel.is_set():
                    stopped = "cancelled"
                elif time.monotonic() >= deadline:
                    stopped = "timeout"
                if stopped is not None:
                    self._kill(proc)
                    killed_at = time.monotonic()
            try:
                tag, text = lines.get(timeout=POLL_S)
            except queue.Empty:
                if proc.poll() is not None and (
                    open_streams == 0 or (killed_at is not None and time.monotonic() - killed_at > 2.0)
                ):
                    break  # exited and drained (or killed, and something else holds its pipes)
                continue
            if text is None:
                open_streams -= 1
                continue
            handle(tag, text)
        rc = proc.wait()
        for t in readers:
            t.join(timeout=1.0)
        while True:  # lines that arrived after the loop ended
            try:
                tag, text = lines.get_nowait()
            except queue.Empty:
                break
            if text is not None:
                handle(tag, text)
        build_s = round(time.monotonic() - started, 2)
        summary = summarize(kept)
        attempt = self._conclude(limit, engine, rc, stopped, result, error, summary, list(tail), build_s)
        if not attempt.ok:
            engine.unlink(missing_ok=True)
        return attempt

    def _conclude(
        self,
        limit: int,
        engine: Path,
        rc: int,
        stopped: str | None,
        result: dict[str, Any] | None,
        error: dict[str, Any] | None,
        summary: LogSummary,
        tail: list[str],
        build_s: float,
    ) -> BuildAttempt:
        def fail(outcome: Outcome, message: str) -> BuildAttempt:
            return BuildAttempt(0, limit, outcome, message, build_s=build_s, log=summary, exit_code=rc)

        if stopped == "cancelled":
            return fail("cancelled", "cancelled: the build process was killed")
        if stopped == "timeout":
            return fail("timeout", f"no result within {self.timeout_s:g} s: killed "
                                   "(it hung, or raise --timeout)")
        signum = -rc if rc < 0 else (rc - 128 if rc in (128 + signal.SIGKILL, 128 + signal.SIGSEGV) else 0)
        if signum == signal.SIGKILL:
            return fail("killed", "killed by SIGKILL: usually the OS ran out of memory "
                                  "(on Jetson lower tactic_dram or add swap)")
        if signum > 0:
            detail = next((t for t in tail if "Fatal Python error" in t or "Segmentation" in t), "")
            return fail("crashed", f"the build process crashed ({signal_name(signum)})"
                        + (f": {detail.strip()}" if detail else ""))
        if result is not None and rc == 0:
            size = engine.stat().st_size if engine.is_file() else None
            if size is None or size == 0:
                return fail("crashed", "the build process reported an engine but left no file")
            return BuildAttempt(
                0,
                limit,
                "ok",
                "; ".join(x for x in (success_note(summary), str(result.get("note") or "")) if x),
                build_s=protocol.opt_float(result.get("build_s")) or build_s,
                engine_bytes=size,
                device_memory_bytes=protocol.opt_int(result.get("device_memory_bytes")),
                weights_bytes=protocol.opt_int(result.get("weights_bytes")),
                io_bytes=protocol.opt_int(result.get("io_bytes")),
                latency_ms=protocol.opt_float(result.get("latency_ms")),
                engine_path=str(engine),
                log=summary,
                exit_code=rc,
            )
        if error is not None and error.get("kind") == "fatal":
            return fail("fatal", str(error.get("message") or "the model cannot be built"))
        outcome, message = classify_failure(summary, limit)
        if outcome == "build_failed" and error is not None and error.get("message"):
            message = str(error["message"])
        elif outcome == "build_failed" and tail and not summary.errors:
            message = f"the build process exited with status {rc}: {tail[-1].strip()[:160]}"
        return fail(outcome, message)


def python_module_argv(module: str, *args: str) -> list[str]:
    """`[python, -m, module, *args]` with this interpreter."""
    return [sys.executable, "-m", module, *args]
