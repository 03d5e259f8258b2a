"""The GPU process: `python -m trtui.sources.engine_child`, started by `EngineProcessSource`.

It runs the engine (TensorRT, pycuda, the inference loop, the profiler callbacks) in a process of
its own, so that the parent's Python (the screen, the statistics) never holds the GIL that the
inference loop needs. Protocol (frames of `trtui.sources.batch_codec`):

- parent -> child, on stdin: one REQUEST (engine path and run options), then CONTROL frames
  (`{"op": "pause", "paused": bool}`, `{"op": "stop"}`, and `{"op": "reconfigure", "id", "batch",
  "streams"}`: change the batch size or the number of streams while running). End of stdin means the
  parent is gone.
- child -> parent, on the file descriptor that was stdout: INFO once the engine runs, or ERROR
  (`{"message", "exit_code"}`) if it could not start, after STEPS frames while it starts (the
  start-up steps that began or ended, at least every `STEPS_TICK_S`); then BATCH frames until the
  final batch (`finished`), and one REPLY per reconfiguration (`{"id", "ok": the new shapes and
  streams}`, or `does_not_fit`/`problem`, or `error`), written between two batches: every batch of the
  old configuration comes before it. Anything else the process prints (TensorRT, CUDA) goes to stderr.

The GPU thread never waits on the parent: batches queue in the worker and are merged here; if the
parent reads slowly, profiled iterations beyond `MAX_PROFILED_PER_FRAME` in one merged batch are
dropped (counted, and said in a notice). SIGINT is ignored (the parent owns Ctrl-C); SIGTERM, SIGHUP,
the end of stdin and the parent's death (a new parent process id) stop the engine, which frees the GPU.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import fields
from typing import IO, Any

from trtui.common.errors import UserError
from trtui.core.model import SourceBatch, StartupStep
from trtui.core.options import RunOptions
from trtui.sources import batch_codec as codec

MAX_PROFILED_PER_FRAME = 64
READ_S = 0.05
# For tests and stand-ins: a module imported first in the child (it may replace GPU modules).
PRELOAD_ENV = "TRTUI_CHILD_PRELOAD"


def options_from_json(d: dict[str, Any]) -> RunOptions:
    """The parent's `asdict(RunOptions)` back, every field (a field left out here was silently
    lost on its way to the GPU process: `--kernels` once was); JSON's lists become tuples again."""
    known = {f.name for f in fields(RunOptions)}
    unknown = set(d) - known
    if unknown:
        raise ValueError(f"unknown run options: {', '.join(sorted(unknown))}")
    values = dict(d)
    if "shapes" in values:
        values["shapes"] = tuple((str(n), tuple(int(x) for x in s)) for n, s in values["shapes"])
    if "plugins" in values:
        values["plugins"] = tuple(str(p) for p in values["plugins"])
    return RunOptions(**values)


class _Controls(threading.Thread):
    """Reads CONTROL frames from the parent; the end of the stream (or a broken one) means stop.

    A reconfiguration (`{"op": "reconfigure", "id", "batch", "streams"}`) is answered with a REPLY
    frame. This thread does not write it: it hands it to the serving loop (`replies`), which writes
    it between two batches. Every batch read before the change completed is written before the
    reply, so the parent can drop what came before the reply (it ran the old configuration). (A lock
    shared with the serving loop starved this thread on a GPU: the loop, never short of batches,
    took the lock back the moment it let it go, and a reply waited 20 s.)"""

    def __init__(
        self, inp: IO[bytes], source: Any, stop: threading.Event, replies: queue.SimpleQueue[dict[str, Any]]
    ) -> None:
        super().__init__(name="trtui-child-controls", daemon=True)
        self._inp, self._source, self._stop, self._replies = inp, source, stop, replies

    def _reconfigure(self, msg: dict[str, Any]) -> None:
        from dataclasses import asdict

        from trtui.core.reconfig import DoesNotFit

        reply: dict[str, Any] = {"id": msg.get("id")}
        batch, streams = msg.get("batch"), msg.get("streams")
        try:
            done = self._source.reconfigure(
                None if batch is None else int(batch), None if streams is None else int(streams)
            )
            reply["ok"] = asdict(done)
        except DoesNotFit as err:
            reply.update(does_not_fit=str(err), problem=err.problem)
        except UserError as err:
            reply["error"] = str(err)
        self._replies.put(reply)

    def run(self) -> None:
        try:
            while not self._stop.is_set():
                frame = codec.read_frame(self._inp)
                if frame is None:
                    break
                kind, payload = frame
                if kind != codec.CONTROL:
                    continue
                msg = codec.decode_json(payload)
                if msg.get("op") == "pause":
                    self._source.set_paused(bool(msg.get("paused")))
                elif msg.get("op") == "reconfigure":
                    self._reconfigure(msg)
                elif msg.get("op") == "stop":
                    break
        except (codec.FrameError, OSError, ValueError):
            pass
        self._stop.set()


def _write_replies(out: IO[bytes], replies: queue.SimpleQueue[dict[str, Any]]) -> None:
    while not replies.empty():  # only the serving loop takes from it
        codec.write_frame(out, codec.REPLY, codec.encode_json(replies.get()))


def _trim(batch: SourceBatch, dropped: list[int]) -> SourceBatch:
    if len(batch.profiled) <= MAX_PROFILED_PER_FRAME:
        return batch
    dropped[0] += len(batch.profiled) - MAX_PROFILED_PER_FRAME
    from dataclasses import replace

    return replace(batch, profiled=batch.profiled[-MAX_PROFILED_PER_FRAME:])


def serve(inp: IO[bytes], out: IO[bytes]) -> int:
    frame = codec.read_frame(inp)
    if frame is None or frame[0] != codec.REQUEST:
        return 2
    request = codec.decode_json(frame[1])
    preload = os.environ.get(PRELOAD_ENV)
    if preload:
        importlib.import_module(preload)
    from pathlib import Path

    from trtui.sources.engine import open_engine_source
    from trtui.sources.protocol import listen_to_startup

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    sent = [time.monotonic()]

    def send_steps(steps: tuple[StartupStep, ...]) -> None:
        """On this thread, from inside `start()`: the steps, or a tick now and then."""
        now = time.monotonic()
        if steps or now - sent[0] >= codec.STEPS_TICK_S:
            codec.write_frame(out, codec.STEPS, codec.encode_steps(steps))
            sent[0] = now

    try:
        source = open_engine_source(Path(request["path"]), options_from_json(request["options"]))
        listen_to_startup(source, send_steps)
        source.start()
    except UserError as err:
        reply = {"message": str(err), "exit_code": err.exit_code}
        codec.write_frame(out, codec.ERROR, codec.encode_json(reply))
        return 0
    codec.write_frame(out, codec.INFO, codec.encode_info(source.info))
    encoder = codec.BatchEncoder()
    replies: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
    _Controls(inp, source, stop, replies).start()
    dropped = [0]
    said_dropped = 0
    last_said = 0.0
    finished = False
    parent = os.getppid()
    try:
        while not finished:
            if os.getppid() != parent:  # the parent died (its end of stdin closing says so too)
                stop.set()
            if stop.is_set():
                source.stop()  # the final batch (finished) follows from the worker
            _write_replies(out, replies)  # after every batch read before the change (see _Controls)
            batch = _trim(source.read(READ_S), dropped)
            finished = batch.finished
            notices: tuple[str, ...] = ()
            now = time.monotonic()
            if dropped[0] > said_dropped and (now - last_said > 10.0 or finished):
                notices = (
                    f"{dropped[0]} profiled inferences were not shown: the display fell behind the GPU",
                )
                said_dropped, last_said = dropped[0], now
            if (batch.latencies_ms.size or batch.profiled or batch.notices or batch.startup or notices
                    or finished):
                codec.write_frame(out, codec.BATCH, encoder.encode(batch, notices))
    except (BrokenPipeError, OSError):
        pass  # the parent is gone: stop the engine and free the GPU
    finally:
        source.stop()
    return 0


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Frames go to what was stdout; anything printed from now on (TensorRT, CUDA) goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    inp = sys.stdin.buffer
    try:
        return serve(inp, out)
    except BrokenPipeError:
        return 0
    except Exception as err:  # a bug: one line for the parent, never a silent death
        with contextlib.suppress(OSError):
            msg = f"the GPU process failed: {type(err).__name__}: {' '.join(str(err).split())}"
            codec.write_frame(out, codec.ERROR, codec.encode_json({"message": msg, "exit_code": 1}))
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
