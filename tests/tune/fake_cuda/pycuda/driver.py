"""Fake `pycuda.driver` for the tuner's build child: a module-level face on the runtime tests' fake driver
(`tests/runtime/rt_fakes.FakeDriver`, a virtual GPU clock: an event pair around an enqueue measures
exactly the enqueued cost), so the child's latency measurement runs the live run's worker, adapter,
buffers and inference loop unchanged. 6 GiB of 8 GiB are free; detaching the primary context with
device memory still allocated fails (a leak check)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "runtime"))
import rt_fakes as fk

_driver = fk.FakeDriver(free_bytes=6 << 30)
_state = {"inited": False, "pushed": 0}
event_flags = fk.FakeDriver.event_flags
Stream = fk.FakeStream
DeviceAllocation = fk.FakeAllocation


class Error(Exception):
    pass


def init() -> None:
    _state["inited"] = True


def _leaks() -> list[int]:
    return [a.nbytes for a in fk.ALLOCATIONS if not a.freed]


class _PrimaryContext:
    def push(self) -> None:
        _state["pushed"] += 1

    def pop(self) -> None:
        Context.pop()

    def detach(self) -> None:
        if _state["pushed"] != 0:
            raise Error("detached while still current")
        if _leaks():
            raise Error(f"device memory not freed: {_leaks()}")


class Context:
    @staticmethod
    def synchronize() -> None:
        pass

    @staticmethod
    def pop() -> None:
        _state["pushed"] -= 1


class Device:
    def __init__(self, index: int) -> None:
        if not _state["inited"] or index != 0:
            raise Error(f"cuDeviceGet failed: invalid device ordinal {index}")

    @staticmethod
    def count() -> int:
        return 1

    def retain_primary_context(self) -> _PrimaryContext:
        return _PrimaryContext()

    def name(self) -> str:
        return "Fake GPU"


def mem_get_info() -> tuple[int, int]:
    free, _ = _driver.mem_get_info()
    return free, 8 << 30


def mem_alloc(nbytes: int) -> fk.FakeAllocation:
    assert nbytes > 0
    return _driver.mem_alloc(nbytes)


def memset_d8(buf: fk.FakeAllocation, value: int, count: int) -> None:
    assert not buf.freed and buf.nbytes >= count


def pagelocked_empty(n: int, dtype: Any) -> Any:
    return _driver.pagelocked_empty(n, dtype)


def memcpy_htod(dest: fk.FakeAllocation, src: Any) -> None:
    _driver.memcpy_htod(dest, src)


def memcpy_htod_async(dest: fk.FakeAllocation, src: Any, stream: fk.FakeStream) -> None:
    _driver.memcpy_htod_async(dest, src, stream)


def memcpy_dtoh_async(dest: Any, src: fk.FakeAllocation, stream: fk.FakeStream) -> None:
    _driver.memcpy_dtoh_async(dest, src, stream)


def Event(flags: int = 0) -> fk.FakeEvent:
    return fk.FakeEvent(flags)
