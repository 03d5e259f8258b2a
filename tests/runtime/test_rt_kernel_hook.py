"""The loop's kernel-tracing hook (fake driver, fake tracer): only profiled inferences are traced,
their captures travel in the ProfiledIteration, and a tracer that fails stops with one notice."""

from __future__ import annotations

import threading
from typing import Any

import rt_fakes as fk
from test_rt_loop import Profiled, Work

from trtui.core.kernel_records import KernelCapture, KernelRecord
from trtui.core.model import SourceBatch
from trtui.gpu.runtime.loop import InferenceLoop
from trtui.gpu.runtime.loop_types import Lane, LoopConfig


class FakeTracer:
    def __init__(self, work: Work, profiled: Profiled, fail_after: int | None = None) -> None:
        self.work, self.profiled = work, profiled
        self.active = False
        self.log: list[str] = []
        self.closed = False
        self.fail_after = fail_after
        self.collected = 0

    def begin(self) -> None:
        assert not self.active
        self.active = True
        self.marks = (self.work.calls, self.profiled.launches)
        self.log.append("begin")

    def end(self) -> None:
        assert self.active
        self.active = False
        # only the profiled launch happened in between: no timed inference was traced
        assert self.work.calls == self.marks[0]
        assert self.profiled.launches == self.marks[1] + 1
        self.log.append("end")

    def collect(self) -> KernelCapture | None:
        assert not self.active
        self.collected += 1
        if self.fail_after is not None and self.collected > self.fail_after:
            raise RuntimeError("CUPTI_ERROR_UNKNOWN\nsecond line")
        return KernelCapture((KernelRecord("k", 0, 10, 1, self.collected),))

    def close(self) -> None:
        self.closed = True


def run(tracer_fail_after: int | None = None) -> tuple[FakeTracer, list[SourceBatch]]:
    fk.reset()
    stop = threading.Event()
    work = Work(0.5, stop, 300)
    profiled = Profiled(2.0, ("a", "b"))
    tracer = FakeTracer(work, profiled, tracer_fail_after)
    driver = fk.FakeDriver()
    lanes = [Lane(index=0, stream=driver.Stream(), work=work)]
    out: list[SourceBatch] = []
    cfg = LoopConfig(warmup_s=0.0, flush_s=0.0, profile_every=5, use_graphs=False, profile_budget=1.0)
    loop = InferenceLoop(driver, lanes, cfg, out.append, profiled=profiled, kernel_tracer=tracer)
    loop.run(stop, threading.Event())
    return tracer, out


def profiled_of(out: list[SourceBatch]) -> list[Any]:
    return [p for b in out for p in b.profiled]


def test_each_profiled_inference_carries_its_capture() -> None:
    tracer, out = run()
    its = profiled_of(out)
    assert len(its) >= 3
    assert all(it.kernels is not None for it in its)
    assert [it.kernels.kernels[0].correlation_id for it in its] == list(range(1, len(its) + 1))
    assert tracer.log == ["begin", "end"] * len(its)  # the first (cold) profiled run is not traced


def test_a_failing_tracer_stops_with_one_notice_and_profiling_goes_on() -> None:
    _tracer, out = run(tracer_fail_after=1)
    its = profiled_of(out)
    assert its[0].kernels is not None and all(it.kernels is None for it in its[1:])
    assert len(its) >= 3
    notes = [n for b in out for n in b.notices if "kernel tracing stopped" in n]
    assert notes == ["kernel tracing stopped: CUPTI_ERROR_UNKNOWN second line"]
