"""The child-process builder against real child processes (tests/tune/fake_child.py): builds that
succeed, segfault, get SIGKILLed, hang, leave grandchildren, or print real builder logs."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest
import tune_real_logs as real

from trtui.tune.attempt import BuildEvent, BuildLog, BuildProgress
from trtui.tune.child import ChildProcessBuilder, ChildRequest
from trtui.tune.progress import ProgressTracker
from trtui.tune.sizes import MIB

FAKE = str(Path(__file__).with_name("fake_child.py"))

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the child handling is tested with POSIX signals")


def fake(mode: str, *args: str):  # type: ignore[no-untyped-def]
    def argv(req: ChildRequest) -> list[str]:
        return [sys.executable, FAKE, mode, str(req.engine_path), *args]

    return argv


def builder(tmp_path: Path, mode: str, *args: str, timeout_s: float = 20.0) -> ChildProcessBuilder:
    return ChildProcessBuilder(fake(mode, *args), tmp_path, timeout_s)


def leftovers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


def test_a_good_build_reports_measurements_progress_and_logs(tmp_path: Path) -> None:
    events: list[BuildEvent] = []
    b = builder(tmp_path, "ok")
    a = b.build(64 * MIB, on_event=events.append)
    assert a.outcome == "ok", a.message
    assert a.engine_path is not None and Path(a.engine_path).read_bytes() == b"PLAN" * 4096
    assert a.engine_bytes == 4 * 4096
    measured = (a.device_memory_bytes, a.weights_bytes, a.io_bytes, a.latency_ms)
    assert measured == (50 << 20, 10 << 20, 1 << 20, 1.25)
    assert a.build_s == 0.25
    assert a.log.skipped_tactics == 1 and a.log.max_requested_bytes == 629145600
    assert "measured by the fake" in a.message and "1 tactic skipped" in a.message
    tracker = ProgressTracker()
    for e in events:
        if isinstance(e, BuildProgress):
            tracker.update(e)
    assert tracker.fraction() == 1.0
    assert any(isinstance(e, BuildLog) and "Skipping tactic 33" in e.text for e in events)
    assert leftovers(tmp_path) == [Path(a.engine_path).name]


def test_noise_on_stdout_and_stderr_is_read_as_log_lines(tmp_path: Path) -> None:
    events: list[BuildEvent] = []
    a = builder(tmp_path, "noisy-ok").build(64 * MIB, on_event=events.append)
    assert a.outcome == "ok"
    logs = [e.text for e in events if isinstance(e, BuildLog)]
    assert "CUDA lazy loading is not enabled." in logs and '{"not": "ours"}' in logs
    # the raw stderr device-request line merges with the protocol skip line of the same tactic
    assert a.log.requests[0].requested_bytes == 629145600
    assert a.log.requests[0].available_bytes == 302 * MIB


def test_a_segfault_is_a_crash_and_the_builder_survives(tmp_path: Path) -> None:
    b = builder(tmp_path, "segv")
    a = b.build(8 * MIB)
    assert a.outcome == "crashed"
    assert "SIGSEGV" in a.message
    assert "Fatal Python error: Segmentation fault" in a.message  # faulthandler, as the builder enables it
    assert a.exit_code == -11
    assert leftovers(tmp_path) == []
    # the same builder keeps working
    b2 = ChildProcessBuilder(fake("ok"), tmp_path, 20.0)
    assert b2.build(8 * MIB).outcome == "ok"


def test_sigkill_is_reported_as_killed_like_the_oom_killer(tmp_path: Path) -> None:
    a = builder(tmp_path, "sigkill").build(8 * MIB)
    assert a.outcome == "killed"
    assert a.exit_code == -9
    assert "out of memory" in a.message


def test_a_hang_is_killed_at_the_timeout_and_leaves_no_half_engine(tmp_path: Path) -> None:
    b = builder(tmp_path, "hang", timeout_s=1.0)
    t0 = time.monotonic()
    a = b.build(8 * MIB)
    took = time.monotonic() - t0
    assert a.outcome == "timeout"
    assert 0.9 <= took < 5.0
    assert "no result within 1 s" in a.message
    assert leftovers(tmp_path) == []  # the .partial the child was writing is gone


def test_a_grandchild_holding_the_pipes_is_killed_with_the_child(tmp_path: Path) -> None:
    events: list[BuildEvent] = []
    a = builder(tmp_path, "grandchild", timeout_s=1.0).build(8 * MIB, on_event=events.append)
    assert a.outcome == "timeout"
    pid = next(int(e.text.split()[-1]) for e in events if isinstance(e, BuildLog) and "grandchild" in e.text)
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def test_cancel_from_another_thread_kills_the_build_and_later_builds(tmp_path: Path) -> None:
    b = builder(tmp_path, "hang", timeout_s=30.0)
    started = threading.Event()

    def on_event(e: BuildEvent) -> None:
        started.set()

    result = []
    worker = threading.Thread(target=lambda: result.append(b.build(8 * MIB, on_event=on_event)))
    t0 = time.monotonic()
    worker.start()
    assert started.wait(10.0)
    b.cancel()
    worker.join(10.0)
    assert not worker.is_alive()
    assert result[0].outcome == "cancelled"
    assert time.monotonic() - t0 < 8.0
    assert leftovers(tmp_path) == []
    again = b.build(8 * MIB)
    assert again.outcome == "cancelled"


def test_an_interrupt_in_the_building_thread_kills_the_child_before_it_propagates(tmp_path: Path) -> None:
    """Ctrl-C or SIGTERM (`interrupt_on_term`) raises KeyboardInterrupt wherever the headless tuner's
    main thread is, often inside `build`: the child must be dead and no half engine left when the
    exception reaches the caller, and no later build may start."""
    b = builder(tmp_path, "hang", timeout_s=30.0)
    seen: list[int] = []

    def on_event(e: BuildEvent) -> None:
        pid = b.pid
        assert pid is not None
        seen.append(pid)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        b.build(8 * MIB, on_event=on_event)
    assert seen and not _alive(seen[0])  # killed and reaped before build() returned
    assert b.pid is None
    assert leftovers(tmp_path) == []
    assert b.build(8 * MIB).outcome == "cancelled"


def test_an_engine_without_a_result_is_not_kept(tmp_path: Path) -> None:
    a = builder(tmp_path, "killed-after-write").build(8 * MIB)
    assert a.outcome == "killed"
    assert leftovers(tmp_path) == []


def test_a_result_without_an_engine_file_is_a_crash(tmp_path: Path) -> None:
    a = builder(tmp_path, "result-without-file").build(8 * MIB)
    assert a.outcome == "crashed"
    assert "no file" in a.message


def test_fatal_errors_stop_with_the_childs_message(tmp_path: Path) -> None:
    a = builder(tmp_path, "fatal").build(8 * MIB)
    assert a.outcome == "fatal"
    assert "UNSUPPORTED_NODE" in a.message


def test_a_python_traceback_is_a_build_failure_with_its_last_line(tmp_path: Path) -> None:
    a = builder(tmp_path, "traceback").build(8 * MIB)
    assert a.outcome == "build_failed"
    assert "RuntimeError: something in the builder broke" in a.message


def test_a_command_that_cannot_start_is_fatal(tmp_path: Path) -> None:
    b = ChildProcessBuilder(lambda req: [str(tmp_path / "no-such-program")], tmp_path, 5.0)
    a = b.build(8 * MIB)
    assert a.outcome == "fatal"
    assert "cannot start" in a.message


@pytest.mark.parametrize(
    ("lines", "rc", "outcome", "words"),
    [
        (real.TRT_2035, 1, "no_implementation", "ScatterND_170"),
        (real.SPARSEDRIVE_3, 1, "no_implementation", "(Unnamed Layer* 1247)"),
        (real.TRT_477, 1, "out_of_memory", "conv0_fwd"),
        (real.DEEPSTREAM_366 + real.TRT_1893, 1, "out_of_memory", "ConvTranspose_1"),
        (real.TENSORRT_DEMOS_293, 1, "killed", "killed"),
    ],
)
@pytest.mark.parametrize("mode", ["canned", "canned-protocol"])
def test_real_logs_from_a_child_are_classified(
    tmp_path: Path, mode: str, lines: list[str], rc: int, outcome: str, words: str
) -> None:
    log = tmp_path / "canned.log"
    log.write_text("\n".join(lines) + "\n")
    work = tmp_path / "work"
    work.mkdir()
    a = ChildProcessBuilder(fake(mode, str(log), str(rc)), work, 20.0).build(16 * MIB)
    assert a.outcome == outcome, a.message
    assert words in a.message
    assert leftovers(work) == []
