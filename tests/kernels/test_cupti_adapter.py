"""The CUPTI adapter against a fake `cupti` module (cupti-python's API shape): records become
kernels, launch calls and paired NVTX ranges; only begin()..end() is traced; failures become one
notice; NVTX is pointed at the libcupti that is loaded."""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from trtui.gpu.runtime import cupti_tracer as ct
from trtui.kernels.attribute import attribute


class Kind(enum.IntEnum):
    CONCURRENT_KERNEL = 10
    RUNTIME = 5
    DRIVER = 6
    MARKER = 12
    KERNEL = 3


class Flag(enum.IntEnum):
    NONE = 0
    MARKER_INSTANTANEOUS = 1
    MARKER_START = 2


class ObjKind(enum.IntEnum):
    PROCESS = 1
    THREAD = 2


class Result(enum.IntEnum):
    SUCCESS = 0
    ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED = 39
    ERROR_INSUFFICIENT_PRIVILEGES = 35


class CuptiError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"status {status}")
        self.status = status


class FakeCupti:
    """Delivers, on flush, the records of the work "launched" while kinds were enabled."""

    ActivityKind = Kind
    ActivityFlag = Flag
    ActivityObjectKind = ObjKind
    cuptiError = CuptiError

    def __init__(self, fail_enable: int | None = None) -> None:
        self.Result = Result
        self.enabled: set[int] = set()
        self.pending: list[Any] = []
        self.callbacks: Any = None
        self.fail_enable = fail_enable
        self.flushes = 0
        self.finalized = False

    def get_timestamp(self) -> int:
        return 1

    def activity_register_callbacks(self, requested: Any, completed: Any) -> None:
        self.callbacks = (requested, completed)

    def activity_enable(self, kind: int) -> None:
        if self.fail_enable is not None:
            raise CuptiError(self.fail_enable)
        self.enabled.add(int(kind))

    def activity_disable(self, kind: int) -> None:
        self.enabled.discard(int(kind))

    def finalize(self) -> None:
        self.finalized = True

    def activity_flush_all(self, flag: int) -> None:
        self.flushes += 1
        records, self.pending = self.pending, []
        if records:
            self.callbacks[1](records)

    # the "application": launches with a host range around them
    def launch_layer(self, name: str, corr: int, t: int, thread: int = 99) -> None:
        if int(Kind.MARKER) in self.enabled:
            self.pending.append(marker(corr, t, name, Flag.MARKER_START, thread))
            self.pending.append(marker(corr, t + 10, None, 4, thread))  # MARKER_END (unnamed in the enum)
        if int(Kind.DRIVER) in self.enabled:
            self.pending.append(
                SimpleNamespace(
                    kind=Kind.DRIVER, correlation_id=corr, start=t + 2, end=t + 3, thread_id=thread
                )
            )
        if int(Kind.CONCURRENT_KERNEL) in self.enabled:
            self.pending.append(
                SimpleNamespace(
                    kind=Kind.CONCURRENT_KERNEL,
                    name=f"_Z4k{corr}v",
                    start=1000 + t,
                    end=1005 + t,
                    stream_id=7,
                    correlation_id=corr,
                )
            )


def marker(mid: int, ts: int, name: str | None, flags: int, thread: int) -> Any:
    return SimpleNamespace(
        kind=Kind.MARKER,
        id=mid,
        timestamp=ts,
        name=name,
        flags_=int(flags),
        domain="TensorRT",
        object_kind=ObjKind.THREAD,
        object_id=SimpleNamespace(pt=SimpleNamespace(thread_id=thread)),
    )


def test_only_the_traced_window_is_recorded_and_attributed() -> None:
    fake = FakeCupti()
    tracer = ct.CuptiKernelTracer(fake)
    assert fake.enabled == set()  # the probe enabled and disabled again
    fake.launch_layer("before", 1, 0)
    tracer.begin()
    fake.launch_layer("conv", 2, 100)
    fake.launch_layer("fc", 3, 200)
    tracer.end()
    fake.launch_layer("after", 4, 300)
    cap = tracer.collect()
    assert cap is not None
    assert [k.correlation_id for k in cap.kernels] == [2, 3]
    assert [(r.name, r.domain, r.thread) for r in cap.ranges] == [
        ("conv", "TensorRT", 99),
        ("fc", "TensorRT", 99),
    ]
    assert {c.correlation_id for c in cap.launches} == {2, 3}
    assert cap.cost_s > 0 and not cap.simulated
    att = attribute(cap, ["conv", "fc"], [0.01, 0.01])
    assert att.method == "nvtx" and att.kernel_layer == (0, 1)
    assert tracer.collect() is None  # nothing since
    tracer.close()
    tracer.close()
    assert fake.finalized and fake.enabled == set()


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (Result.ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED, "another profiler"),
        (Result.ERROR_INSUFFICIENT_PRIVILEGES, "no permission"),
    ],
)
def test_cupti_that_cannot_attach_is_one_line(status: int, words: str) -> None:
    with pytest.raises(ct.CuptiUnavailable) as err:
        ct.CuptiKernelTracer(FakeCupti(fail_enable=status))
    assert words in str(err.value) and "\n" not in str(err.value)


def test_without_cupti_python_kernels_are_off_with_one_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cupti", None)  # import fails
    tracer, notices = ct.open_kernel_tracer()
    assert tracer is None
    assert len(notices) == 1 and "cupti-python" in notices[0] and "trtui[kernels]" in notices[0]


def test_the_loaded_libcupti_is_found_in_the_memory_maps(tmp_path: Path) -> None:
    lib = tmp_path / "site" / "nvidia" / "cu13" / "lib" / "libcupti.so.13"
    lib.parent.mkdir(parents=True)
    lib.write_bytes(b"")
    maps = tmp_path / "maps"
    maps.write_text(
        f"7f00-7f01 r-xp 00000000 08:01 123 {lib}\n"
        f"7f01-7f02 r--p 00001000 08:01 123 {lib}\n"
        "7f02-7f03 r-xp 00000000 08:01 124 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
        "7f03-7f04 rw-p 00000000 00:00 0 \n"
    )
    assert ct.loaded_libcupti(str(maps)) == [os.path.realpath(lib)]
    assert ct.loaded_libcupti(str(tmp_path / "nope")) == []


def test_nvtx_injection_points_at_that_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cuda.pathfinder", None)  # fall back on the maps
    lib = tmp_path / "libcupti.so.13"
    lib.write_bytes(b"")
    other = tmp_path / "torch" / "libcupti.so.12"
    other.parent.mkdir()
    other.write_bytes(b"")
    maps = tmp_path / "maps"
    maps.write_text(f"7f00-7f01 r-xp 00000000 08:01 1 {lib}\n")
    monkeypatch.setenv(ct.INJECTION_VAR, str(other))
    path, notices = ct.prepare_nvtx_injection(FakeCupti(), str(maps))
    assert path == os.path.realpath(lib) and os.environ[ct.INJECTION_VAR] == path
    assert len(notices) == 1 and str(other) in notices[0]
    # two copies loaded and no pathfinder answer: refuse to guess
    maps.write_text(f"7f00-7f01 r-xp 00000000 08:01 1 {lib}\n7f02-7f03 r-xp 00000000 08:01 2 {other}\n")
    with pytest.raises(ct.CuptiUnavailable, match="2 are loaded"):
        ct.prepare_nvtx_injection(FakeCupti(), str(maps))
