"""Fake `pycuda.driver` for the builder adapter's latency measurement: allocations are counted, events
report the time the fake TensorRT context last "ran" (`last_kernel_ms`)."""

from __future__ import annotations

import itertools
from typing import Any

last_kernel_ms = 0.0
_addresses = itertools.count(0x7F0000000000, 0x100000)
live: dict[int, int] = {}  # address -> bytes, for leak checks
_state = {"inited": False, "pushed": 0}


def init() -> None:
    _state["inited"] = True


class _Context:
    def push(self) -> None:
        _state["pushed"] += 1

    def pop(self) -> None:
        _state["pushed"] -= 1

    def detach(self) -> None:
        assert _state["pushed"] == 0, "detached while still current"
        assert not live, f"device memory not freed: {live}"


class Device:
    def __init__(self, index: int) -> None:
        assert _state["inited"] and index == 0

    def retain_primary_context(self) -> _Context:
        return _Context()

    def name(self) -> str:
        return "Fake GPU"


def mem_get_info() -> tuple[int, int]:
    return 6 << 30, 8 << 30


class DeviceAllocation:
    def __init__(self, nbytes: int) -> None:
        self.address = next(_addresses)
        live[self.address] = nbytes

    def __int__(self) -> int:
        return self.address

    def free(self) -> None:
        live.pop(self.address, None)


def mem_alloc(nbytes: int) -> DeviceAllocation:
    assert nbytes > 0
    return DeviceAllocation(nbytes)


def memset_d8(buf: DeviceAllocation, value: int, count: int) -> None:
    assert live[int(buf)] >= count


class Stream:
    handle = 1234

    def synchronize(self) -> None:
        pass


class Event:
    def record(self, stream: Any = None) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def time_till(self, other: Event) -> float:
        return last_kernel_ms
