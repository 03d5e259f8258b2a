"""A TensorRT engine run in a GPU process of its own, as a ProfileSource of this process.

`start()` launches `python -m trtui.sources.engine_child` in a new session (terminal signals reach
only this process, which stops the child itself), sends it the request, and waits for the engine's
`SourceInfo` or its one-line error. A reader thread turns the child's frames into `SourceBatch`es;
`read()` merges what arrived. `stop()` asks the child to stop, waits a little, then terminates and
finally kills it; the child frees the GPU on its way out. A child that dies without its final batch
is reported as one line with its exit status and the last thing it printed.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, replace
from typing import IO, Any

from trtui.common.errors import UserError
from trtui.core.model import SourceBatch, SourceInfo, StartupStep
from trtui.core.options import RunOptions
from trtui.core.reconfig import DoesNotFit, Reconfigured
from trtui.core.startup_steps import StepTimer
from trtui.sources import batch_codec as codec
from trtui.sources.engine_file import EngineFile
from trtui.sources.merge import merge_batches
from trtui.sources.protocol import StartupListener

STOP_WAIT_S = 1.0  # how long the child gets to stop by itself before it is terminated
STDERR_LINES = 20
MAX_STDERR_NOTICES = 20
WARNING_WORDS = re.compile(r"warn|error|could not be cleaned up|traceback", re.IGNORECASE)


class _ChildError(UserError):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def child_command() -> list[str]:
    return [sys.executable, "-m", "trtui.sources.engine_child"]


class EngineProcessSource:
    """Runs a TensorRT engine in a child process (see the module docstring)."""

    def __init__(self, engine_file: EngineFile, options: RunOptions) -> None:
        self._file = engine_file
        self._options = options
        from trtui.sources.engine import info_before_start

        self._info = info_before_start(engine_file, options)
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: queue.Queue[SourceBatch] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._threads: list[threading.Thread] = []
        self._finished: SourceBatch | None = None
        self._write_lock = threading.Lock()
        self._reconf_lock = threading.Lock()  # one reconfiguration at a time
        self._reply: dict[str, Any] | None = None
        self._reply_ready = threading.Event()
        self._reply_id = 0
        self._started = False
        self._stopped = False
        self._listener: StartupListener | None = None

    @property
    def info(self) -> SourceInfo:
        """Static facts; complete (device, TensorRT version, layers, mode) once `start()` returned."""
        return self._info

    def set_startup_listener(self, listener: StartupListener) -> None:
        """Called from inside `start()`, on its thread, with the start-up steps: the GPU process's
        own start (Python, imports), then the steps the GPU process reports (`ReportsStartup`)."""
        self._listener = listener

    def _pass_steps(self, steps: tuple[StartupStep, ...]) -> None:
        if self._listener is not None:
            self._listener(steps)

    @property
    def pid(self) -> int | None:
        """The GPU process's id; None before `start()`."""
        return self._proc.pid if self._proc is not None else None

    # -- start ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Launch the GPU process and wait until the engine runs (its `info` complete), passing on its
        start-up steps. Raises `UserError` with one line (the process is then ended); `RuntimeError` when
        called twice."""
        if self._started:
            raise RuntimeError("EngineProcessSource.start() called twice")
        self._started = True
        launch = StepTimer(lambda step: self._pass_steps((step,)))
        launch.begin("GPU process")  # until it says something: Python and trtui's imports there
        try:
            self._proc = subprocess.Popen(
                child_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as err:
            raise UserError(f"cannot start the GPU process: {err}") from None
        self._spawn(self._read_stderr, "trtui-gpu-stderr")
        try:
            request = {"path": str(self._file.path), "options": asdict(self._options)}
            self._send(codec.REQUEST, request)
            self._await_start(launch)
        except BaseException:
            self._kill()
            raise
        self._spawn(self._read_batches, "trtui-gpu-reader")

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _await_start(self, launch: StepTimer) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while True:
            try:
                frame = codec.read_frame(self._proc.stdout)
            except codec.FrameError:
                frame = None
            launch.end()
            if frame is None or frame[0] != codec.STEPS:
                break
            try:
                self._pass_steps(codec.decode_steps(frame[1]))
            except codec.FrameError:
                frame = None
                break
        if frame is not None and frame[0] == codec.INFO:
            self._info = codec.decode_info(frame[1])
            return
        if frame is not None and frame[0] == codec.ERROR:
            try:
                msg = codec.decode_json(frame[1])
                exit_code = int(msg.get("exit_code", 2))
            except (codec.FrameError, TypeError, ValueError):
                msg, exit_code = None, 2
            if msg is not None:
                self._proc.wait(5)
                raise _ChildError(str(msg.get("message")), exit_code)
        raise UserError(self._death_message("the GPU process ended before the engine ran"))

    # -- the child's output ---------------------------------------------------------------------

    def _read_stderr(self) -> None:
        """Keep the GPU process's last lines (for a crash's message); its warnings and errors
        (TensorRT's log, CUDA's "context could not be cleaned up") become notices."""
        assert self._proc is not None and self._proc.stderr is not None
        said = 0
        for raw in self._proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            self._stderr.append(line)
            if WARNING_WORDS.search(line) and said < MAX_STDERR_NOTICES:
                said += 1
                self._out.put(SourceBatch(t=time.monotonic(), notices=(f"GPU process: {line[:300]}",)))

    def _read_batches(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        decoder = codec.BatchDecoder()
        try:
            while True:
                frame = codec.read_frame(self._proc.stdout)
                if frame is None:
                    break
                kind, payload = frame
                if kind == codec.BATCH:
                    batch = decoder.decode(payload)
                    self._out.put(batch)
                    if batch.finished:
                        return
                elif kind == codec.REPLY:
                    self._take_reply(codec.decode_json(payload))
                elif kind == codec.ERROR:
                    message = str(codec.decode_json(payload).get("message"))
                    self._out.put(SourceBatch(t=time.monotonic(), finished=True, error=message))
                    return
        except (codec.FrameError, OSError) as err:
            self._out.put(SourceBatch(t=time.monotonic(), finished=True, error=f"the GPU process: {err}"))
            return
        if self._stopped:
            self._out.put(SourceBatch(t=time.monotonic(), finished=True))
            return
        self._out.put(
            SourceBatch(t=time.monotonic(), finished=True, error=self._death_message("the GPU process died"))
        )

    def _take_reply(self, reply: dict[str, Any]) -> None:
        """A reconfiguration's answer: the batches queued before it ran the old configuration."""
        if reply.get("id") != self._reply_id:
            return
        kept: list[SourceBatch] = []
        try:
            while True:
                piece = self._out.get_nowait()
                if piece.finished:
                    kept.append(piece)
        except queue.Empty:
            pass
        for piece in kept:
            self._out.put(piece)
        self._reply = reply
        self._reply_ready.set()

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
        """Another batch and/or number of contexts, done by the GPU process with the same engine
        (see `EngineSource.reconfigure`). Raises DoesNotFit; the previous configuration goes on."""
        from trtui.sources.engine import MAX_STREAMS

        if streams is not None and not 1 <= streams <= MAX_STREAMS:
            raise DoesNotFit(f"{streams} streams: between 1 and {MAX_STREAMS}", "other")
        proc = self._proc
        if proc is None or self._finished is not None or self._stopped:
            raise UserError("the engine is not running")
        with self._reconf_lock:
            self._reply_id += 1
            self._reply = None
            self._reply_ready.clear()
            try:
                self._send(codec.CONTROL, {"op": "reconfigure", "id": self._reply_id, "batch": batch,
                                           "streams": streams})
            except (OSError, ValueError):
                raise UserError("the engine is not running") from None
            while not self._reply_ready.wait(0.2):
                if proc.poll() is not None:
                    raise UserError(self._death_message("the GPU process died while reconfiguring"))
            reply: dict[str, Any] = self._reply or {}
        if "ok" in reply:
            ok = reply["ok"]
            done = Reconfigured(
                batch=ok.get("batch"),
                streams=int(ok["streams"]),
                shapes=tuple((str(n), tuple(int(x) for x in dims)) for n, dims in ok.get("shapes", ())),
                memory_per_context_mib=ok.get("memory_per_context_mib"),
                note=ok.get("note"),
            )
            self._info = replace(self._info, shapes=done.shapes, streams=done.streams)
            return done
        if "does_not_fit" in reply:
            raise DoesNotFit(str(reply["does_not_fit"]), reply.get("problem", "other"))
        raise UserError(str(reply.get("error") or "the reconfiguration failed"))

    def _death_message(self, what: str) -> str:
        assert self._proc is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(2)
        for thread in self._threads:
            if thread.name == "trtui-gpu-stderr":
                thread.join(1)
        code = self._proc.returncode
        status = "still running" if code is None else (f"signal {-code}" if code < 0 else f"exit code {code}")
        last = next((line for line in reversed(self._stderr) if line.strip()), "")
        return f"{what} ({status})" + (f": {last}" if last else "")

    # -- the ProfileSource interface -------------------------------------------------------------

    def read(self, timeout: float) -> SourceBatch:
        """What the GPU process sent since the last read (and its stderr warnings, as notices), merged
        into one batch; waits up to `timeout` s for the first piece. After the final batch every read
        returns `finished` again, with the same error."""
        if self._finished is not None:
            return SourceBatch(t=time.monotonic(), finished=True, error=self._finished.error)
        if self._proc is None:
            if timeout > 0:
                time.sleep(min(timeout, 0.05))
            return SourceBatch(t=time.monotonic())
        pieces: list[SourceBatch] = []
        try:
            pieces.append(self._out.get(timeout=timeout) if timeout > 0 else self._out.get_nowait())
            while True:
                pieces.append(self._out.get_nowait())
        except queue.Empty:
            pass
        batch = merge_batches(pieces, time.monotonic())
        if batch.finished:
            self._finished = batch
        return batch

    def _send(self, kind: int, msg: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        with self._write_lock:
            codec.write_frame(proc.stdin, kind, codec.encode_json(msg))

    def set_paused(self, paused: bool) -> None:
        """Ask the GPU process to pause or resume; a no-op when it is gone."""
        with contextlib.suppress(OSError, ValueError):
            self._send(codec.CONTROL, {"op": "pause", "paused": paused})

    def stop(self) -> None:
        """Stop the child and wait for it (it frees the GPU first). Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        proc = self._proc
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self._send(codec.CONTROL, {"op": "stop"})
        _close(proc.stdin)
        try:
            proc.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self._kill()
        for thread in self._threads:
            thread.join(2.0)
        _close(proc.stdout)
        _close(proc.stderr)

    def _kill(self) -> None:
        proc = self._proc
        if proc is None:
            return
        for sig_send, wait in ((proc.terminate, 3.0), (proc.kill, 5.0)):
            if proc.poll() is not None:
                return
            with contextlib.suppress(OSError):
                sig_send()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(wait)


def _close(stream: IO[bytes] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError, ValueError):
            stream.close()


def in_process_requested() -> bool:
    """TRTUI_IN_PROCESS=1 runs the engine in this process (debugging; the GPU then shares the GIL)."""
    return os.environ.get("TRTUI_IN_PROCESS") == "1"
