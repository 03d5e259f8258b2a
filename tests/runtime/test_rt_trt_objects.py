"""trtui's TensorRT callback objects built on the real lean bindings (they import without a GPU): the
capturing logger and the profiler, called from Python as TensorRT's trampolines would call them."""

from __future__ import annotations

import threading

import pytest

from trtui.gpu.runtime.profiler import LayerSamples, make_profiler
from trtui.gpu.runtime.trt_logger import ERROR, INFO, VERBOSE, WARNING, LogStore, make_logger

trt = pytest.importorskip("tensorrt_lean_bindings", reason="the TensorRT lean bindings are test extras")


def test_logger_is_a_real_ilogger_and_captures_by_severity() -> None:
    logger = make_logger(trt)
    assert isinstance(logger, trt.ILogger)
    logger.log(trt.ILogger.Severity.ERROR, "boom")
    logger.log(trt.ILogger.Severity.WARNING, "careful")
    logger.log(trt.ILogger.Severity.INFO, "fyi")
    logger.log(trt.ILogger.Severity.VERBOSE, "noise")  # below the default INFO threshold
    store: LogStore = logger.store
    assert store.errors_since(0) == ["boom"]
    assert store.messages_since(0) == ["boom", "careful"]
    assert [ln.severity for ln in store.since(0)] == [ERROR, WARNING, INFO]
    mark = store.mark()
    logger.log(trt.ILogger.Severity.ERROR, "second")
    assert store.errors_since(mark) == ["second"]


def test_logger_is_thread_safe_and_bounded() -> None:
    store = LogStore(min_severity=VERBOSE, capacity=500)
    logger = make_logger(trt, store)

    def spam(k: int) -> None:
        for i in range(1000):
            logger.log(trt.ILogger.Severity.INFO, f"{k}:{i}")

    threads = [threading.Thread(target=spam, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = store.since(0)
    assert len(lines) == 500
    seqs = [ln.seq for ln in lines]
    assert seqs == sorted(seqs) and len(set(seqs)) == 500 and seqs[-1] == 8000


def test_profiler_is_a_real_iprofiler_that_only_appends() -> None:
    samples = LayerSamples()
    prof = make_profiler(trt, samples)
    assert isinstance(prof, trt.IProfiler)
    for name, ms in (("a", 0.1), ("b", 0.2), ("7", 0.3)):
        prof.report_layer_time(name, ms)
    names, times = samples.take()
    assert names == ("a", "b", "7") and times == [0.1, 0.2, 0.3]
    for name, ms in (("a", 0.4), ("b", 0.5), ("7", 0.6)):
        prof.report_layer_time(name, ms)
    again, times2 = samples.take()
    assert again is names and times2 == [0.4, 0.5, 0.6]  # same layer set: the same tuple object
    prof.report_layer_time("a", 1.0)
    third, _ = samples.take()
    assert third == ("a",) and samples.take() == ((), [])
