"""The GPU process's serving loop (`engine_child.serve`) with a source that always has batches coming,
as a real engine on a GPU does: a reconfiguration's reply must reach the parent promptly, and after
every batch of the old configuration.

On the H200, with a lock shared between the serving loop and the control thread, the loop took the
lock back each time it let it go and a reply waited ~20 s (a 12-point `trtui sweep` did not finish in
200 s; with the replies written by the serving loop it took 18 s). This machine's scheduler did not
reproduce that starvation with the old code; what this test holds on every machine is the order and
the promptness of the replies."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trtui.core.model import SourceBatch, SourceInfo
from trtui.core.options import RunOptions
from trtui.core.reconfig import Reconfigured
from trtui.sources import batch_codec as codec
from trtui.sources import engine as engine_mod
from trtui.sources import engine_child


class BusySource:
    """Like `EngineSource`: a GPU thread queues a result every 0.3 ms (an engine of 0.3 ms); a read
    takes what is queued. Latencies are tagged by the configuration that made them."""

    def __init__(self) -> None:
        self.info = SourceInfo(kind="engine", label="busy", simulated=False)
        self.config = 1.0
        self.stopped = threading.Event()
        self._out: queue.Queue[float] = queue.Queue()
        self._gpu = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopped.is_set():
            self._out.put(self.config)
            time.sleep(0.0003)

    def start(self) -> None:
        self._gpu.start()

    def read(self, timeout: float) -> SourceBatch:
        if self.stopped.is_set():
            return SourceBatch(t=time.monotonic(), finished=True)
        got = [self._out.get(timeout=timeout)]
        with contextlib.suppress(queue.Empty):
            while True:
                got.append(self._out.get_nowait())
        return SourceBatch(t=time.monotonic(), latencies_ms=np.asarray(got, np.float32))

    def reconfigure(self, batch: int | None, streams: int | None) -> Reconfigured:
        time.sleep(0.01)  # the change runs on the GPU thread; batches keep flowing meanwhile
        self.config = float(batch or 1)
        with contextlib.suppress(queue.Empty):  # what ran before is dropped, as EngineSource does
            while True:
                self._out.get_nowait()
        return Reconfigured(batch, streams or 1, (), None)

    def set_paused(self, paused: bool) -> None:
        pass

    def stop(self) -> None:
        self.stopped.set()


def frames(stream: Any) -> queue.Queue[tuple[int, bytes] | None]:
    """The child's frames, read by a thread of their own: a broken child fails the test, not hangs it."""
    got: queue.Queue[tuple[int, bytes] | None] = queue.Queue()

    def pump() -> None:
        while (frame := codec.read_frame(stream)) is not None:
            got.put(frame)
        got.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return got


def test_reply_comes_promptly_and_after_the_old_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    source = BusySource()
    monkeypatch.setattr(engine_mod, "open_engine_source", lambda path, options: source)
    monkeypatch.setattr(signal, "signal", lambda *a: None)  # serve() runs in a thread here
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    inp, parent_out = os.fdopen(to_child_r, "rb"), os.fdopen(to_child_w, "wb", buffering=0)
    out, parent_in = os.fdopen(from_child_w, "wb", buffering=0), os.fdopen(from_child_r, "rb")
    request = {"path": str(Path("busy.engine")), "options": asdict(RunOptions())}
    codec.write_frame(parent_out, codec.REQUEST, codec.encode_json(request))
    server = threading.Thread(target=engine_child.serve, args=(inp, out), daemon=True)
    server.start()
    got = frames(parent_in)

    def next_frame() -> tuple[int, bytes]:
        frame = got.get(timeout=10)
        assert frame is not None, "the serving loop ended"
        return frame

    try:
        frame = next_frame()
        assert frame is not None and frame[0] == codec.INFO
        decoder = codec.BatchDecoder()
        waits = []
        for batch in (2, 3, 4):
            sent = time.monotonic()
            codec.write_frame(parent_out, codec.CONTROL,
                              codec.encode_json({"op": "reconfigure", "id": batch, "batch": batch}))
            while True:
                frame = next_frame()
                if frame[0] == codec.REPLY:
                    reply = codec.decode_json(frame[1])
                    assert reply["id"] == batch and reply["ok"]["batch"] == batch
                    waits.append(time.monotonic() - sent)
                    break
                assert frame[0] == codec.BATCH
            # what follows the reply ran the new configuration only
            for _ in range(5):
                frame = next_frame()
                assert frame[0] == codec.BATCH
                lat = decoder.decode(frame[1]).latencies_ms
                assert set(np.unique(lat).tolist()) <= {float(batch)}
        assert max(waits) < 2.0, waits  # 20 s when the control thread starved
    finally:
        parent_out.close()  # the end of stdin: the child stops its source
        server.join(5)
        out.close()  # the reading thread sees the end and lets go of parent_in
        time.sleep(0.1)
        parent_in.close()
    assert not server.is_alive() and source.stopped.is_set()


def test_every_run_option_reaches_the_gpu_process() -> None:
    """Each field of RunOptions, set to a value other than its default, survives the JSON trip."""
    import json
    from dataclasses import fields

    changed = RunOptions(
        shapes=(("input", (4, 3, 224, 224)),), streams=3, transfers=True, cuda_graph=False, profile_every=7,
        allow_host_code=True, plugins=("/x/libp.so",), device=1, seed=5, layers=99, window=512,
        idle_baseline_s=2.5, kernels=True, trace_path="/tmp/t.json",
    )
    defaults = RunOptions()
    assert all(getattr(changed, f.name) != getattr(defaults, f.name) for f in fields(RunOptions)), (
        "a new RunOptions field: give it a non-default value above"
    )
    back = engine_child.options_from_json(json.loads(json.dumps(asdict(changed))))
    assert back == changed
    with pytest.raises(ValueError, match="unknown run options: bogus"):
        engine_child.options_from_json({**asdict(defaults), "bogus": 1})
