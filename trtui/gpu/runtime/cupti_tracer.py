"""Kernel tracing with NVIDIA CUPTI, through the `cupti-python` package (`pip install 'trtui[kernels]'`).

Activity kinds CONCURRENT_KERNEL (the kernels: name, start/end ns, stream, correlation id),
RUNTIME and DRIVER (the launch calls: host time and thread, by correlation id) and MARKER (NVTX
ranges) are enabled only between `begin()` and `end()`, which the inference loop calls around the
enqueue of a profiled inference; `collect()` flushes CUPTI's buffers once that inference completed.

NVTX: TensorRT emits its per-layer ranges through NVTX, which forwards them to the library named by
`NVTX_INJECTION64_PATH`, read at the first NVTX call of each library. For MARKER records to arrive,
that must be the *same* libcupti that cupti-python loaded (a second copy, e.g. another package's
libcupti, records into buffers nobody reads). `prepare_nvtx_injection()` loads cupti-python's
libcupti, finds its exact path (cuda-pathfinder's answer, checked against the process's memory
maps) and sets the variable; call it before TensorRT (or anything that uses NVTX) runs.

Every failure is a `CuptiUnavailable` with a one-line reason, for one notice; the run goes on.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from typing import Any

from trtui.core.kernel_records import KernelCapture, KernelRecord, LaunchCall
from trtui.kernels.tracer import MarkerEvent, pair_markers

INJECTION_VAR = "NVTX_INJECTION64_PATH"
KINDS = ("CONCURRENT_KERNEL", "RUNTIME", "DRIVER", "MARKER")
BUFFER_BYTES = 8 << 20
INSTALL_HINT = "pip install 'trtui[kernels]' (cupti-python and nvidia-cuda-cupti of your CUDA major)"
# CUPTI_ACTIVITY_FLAG_MARKER_* values, used when the module does not name them
MARKER_INSTANT, MARKER_START, MARKER_END = 1, 2, 4


class CuptiUnavailable(Exception):
    """Kernel tracing cannot run here; the message is one line."""


def import_cupti() -> Any:
    try:
        from cupti import cupti
    except ImportError:
        raise CuptiUnavailable(f"kernel tracing needs cupti-python: {INSTALL_HINT}") from None
    except Exception as exc:  # a broken install, a missing libcupti
        raise CuptiUnavailable(f"cupti-python cannot load: {_one_line(exc)}") from None
    return cupti


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def cupti_reason(cupti: Any, exc: BaseException) -> str:
    """A one-line explanation of a CUPTI error, with what to do about the usual ones."""
    status = getattr(exc, "status", None)
    name = ""
    try:
        name = cupti.Result(status).name if status is not None else ""
    except Exception:
        name = ""
    text = name or _one_line(exc)
    if "MULTIPLE_SUBSCRIBERS" in text or "NOT_COMPATIBLE" in text:
        return f"CUPTI is in use by another profiler (Nsight Systems/Compute?): {text}"
    if "INSUFFICIENT_PRIVILEGES" in text:
        return f"no permission to use GPU profiling (NVreg_RestrictProfilingToAdminUsers): {text}"
    return f"CUPTI cannot attach: {text}"


def loaded_libcupti(maps: str = "/proc/self/maps") -> list[str]:
    """Real paths of the libcupti copies mapped into this process (empty where maps cannot be read)."""
    found: dict[str, None] = {}
    try:
        with open(maps, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.split(None, 5)
                if len(parts) == 6 and os.path.basename(parts[5].strip()).startswith("libcupti.so"):
                    found[os.path.realpath(parts[5].strip())] = None
    except OSError:
        return []
    return list(found)


def libcupti_path(cupti: Any, maps: str = "/proc/self/maps") -> str:
    """The exact file of the libcupti that cupti-python uses (loading it if needed)."""
    load_error: str | None = None
    try:
        cupti.get_timestamp()  # any call loads the library (it may fail later, e.g. without a driver)
    except Exception as exc:
        load_error = _one_line(exc)
    path: str | None = None
    try:
        from cuda.pathfinder import load_nvidia_dynamic_lib

        path = str(load_nvidia_dynamic_lib("cupti").abs_path or "") or None
    except Exception:
        path = None
    mapped = loaded_libcupti(maps)
    if path is not None and mapped and os.path.realpath(path) not in mapped and len(mapped) == 1:
        path = mapped[0]  # what is really loaded wins over what pathfinder would load
    if path is None and len(mapped) == 1:
        path = mapped[0]
    if path is None:
        raise CuptiUnavailable(
            "cannot tell which libcupti cupti-python loaded"
            + (f" ({len(mapped)} are loaded)" if mapped else "")
            + (f": {load_error}" if load_error else "")
        )
    return path


def prepare_nvtx_injection(cupti: Any, maps: str = "/proc/self/maps") -> tuple[str, list[str]]:
    """Point NVTX at cupti-python's libcupti; returns (path, notices). Call before the first NVTX
    call of TensorRT (before the engine is loaded)."""
    path = libcupti_path(cupti, maps)
    notices: list[str] = []
    prev = os.environ.get(INJECTION_VAR)
    if prev and os.path.realpath(prev) != os.path.realpath(path):
        notices.append(f"{INJECTION_VAR} was {prev}; set to {path}, the libcupti that records kernels")
    os.environ[INJECTION_VAR] = path
    mapped = loaded_libcupti(maps)
    if len(mapped) > 1:
        notices.append(
            f"{len(mapped)} copies of libcupti are loaded ({', '.join(mapped)}); NVTX ranges go to {path}"
        )
    return path, notices


class CuptiKernelTracer:
    """Records the kernels, launch calls and NVTX ranges of the work enqueued between begin() and
    end(). One per process (CUPTI's activity API is process-wide)."""

    def __init__(self, cupti: Any, buffer_bytes: int = BUFFER_BYTES) -> None:
        self._c = cupti
        self._buffer_bytes = buffer_bytes
        self._lock = threading.Lock()
        self._kernels: list[KernelRecord] = []
        self._launches: list[LaunchCall] = []
        self._markers: list[MarkerEvent] = []
        self._cost = 0.0
        self._closed = False
        kind = cupti.ActivityKind
        try:
            self._kinds = [getattr(kind, k) for k in KINDS]
        except AttributeError as exc:
            raise CuptiUnavailable(f"this cupti-python lacks an activity kind: {exc}") from None
        self._k_kernel = {int(kind.CONCURRENT_KERNEL), int(getattr(kind, "KERNEL", -1))}
        self._k_api = {int(kind.RUNTIME), int(kind.DRIVER)}
        self._k_marker = int(kind.MARKER)
        flag = getattr(cupti, "ActivityFlag", None)
        self._f_start = int(getattr(flag, "MARKER_START", MARKER_START))
        self._f_end = int(getattr(flag, "MARKER_END", MARKER_END))
        self._thread_kind = int(getattr(getattr(cupti, "ActivityObjectKind", None), "THREAD", 2))
        try:
            cupti.activity_register_callbacks(self._requested, self._completed)
            for k in self._kinds:  # probe once: fail now, not in the middle of a run
                cupti.activity_enable(k)
            for k in self._kinds:
                cupti.activity_disable(k)
        except Exception as exc:
            raise CuptiUnavailable(cupti_reason(cupti, exc)) from None

    # -- CUPTI buffer callbacks (any thread) -------------------------------------------------

    def _requested(self) -> tuple[int, int]:
        return self._buffer_bytes, 0

    def _completed(self, activities: Any) -> None:
        kernels: list[KernelRecord] = []
        launches: list[LaunchCall] = []
        markers: list[MarkerEvent] = []
        for a in activities:
            try:
                kind = int(a.kind)
                if kind in self._k_kernel:
                    corr = int(a.correlation_id)
                    rec = KernelRecord(str(a.name), int(a.start), int(a.end), int(a.stream_id), corr)
                    kernels.append(rec)
                elif kind in self._k_api:
                    corr = int(a.correlation_id)
                    if corr:
                        launches.append(LaunchCall(corr, int(a.start), int(a.end), int(a.thread_id)))
                elif kind == self._k_marker:
                    m = self._marker(a)
                    if m is not None:
                        markers.append(m)
            except Exception:  # one odd record never stops the run
                continue
        with self._lock:
            self._kernels += kernels
            self._launches += launches
            self._markers += markers

    def _marker(self, a: Any) -> MarkerEvent | None:
        flags = int(getattr(a, "flags_", getattr(a, "flags", 0)))
        if flags & self._f_start:
            what = "start"
        elif flags & self._f_end or flags == 0:  # (cupti-python 13.4 does not name MARKER_END)
            what = "end"
        else:
            return None  # instantaneous or sync markers
        thread = 0
        if int(getattr(a, "object_kind", -1)) == self._thread_kind:
            thread = int(a.object_id.pt.thread_id)
        name = getattr(a, "name", None) or None
        domain = getattr(a, "domain", None) or None
        return (int(a.id), int(a.timestamp), name, thread, domain, what)

    # -- the loop's calls (the GPU worker thread) --------------------------------------------

    def begin(self) -> None:
        """Enable the activity kinds: records start here (right before the profiled enqueue)."""
        t0 = time.perf_counter()
        for k in self._kinds:
            self._c.activity_enable(k)
        self._cost += time.perf_counter() - t0

    def end(self) -> None:
        """Disable the activity kinds (right after the profiled enqueue); records already made are kept."""
        t0 = time.perf_counter()
        for k in self._kinds:
            self._c.activity_disable(k)
        self._cost += time.perf_counter() - t0

    def collect(self) -> KernelCapture | None:
        """Flush CUPTI and return the kernels, their launch calls and the NVTX ranges recorded since the last
        collect, with the tracer's own CPU cost; None when no kernel was recorded. Call once the traced
        inference completed."""
        t0 = time.perf_counter()
        self._c.activity_flush_all(1)  # forced: the traced inference has completed
        with self._lock:
            kernels, self._kernels = self._kernels, []
            launches, self._launches = self._launches, []
            markers, self._markers = self._markers, []
        ids = {k.correlation_id for k in kernels}
        launches = [c for c in launches if c.correlation_id in ids]
        ranges = pair_markers(markers)
        cost = self._cost + (time.perf_counter() - t0)
        self._cost = 0.0
        if not kernels:
            return None
        return KernelCapture(tuple(kernels), tuple(launches), ranges, cost_s=cost)

    def close(self) -> None:
        """Stop tracing and detach CUPTI, leaving no overhead behind. Idempotent, never raises."""
        if self._closed:
            return
        self._closed = True
        for k in self._kinds:
            with contextlib.suppress(Exception):
                self._c.activity_disable(k)
        with contextlib.suppress(Exception):
            self._c.activity_flush_all(1)
        with contextlib.suppress(Exception):
            self._c.finalize()  # detach CUPTI: no tracing overhead is left behind


def open_kernel_tracer() -> tuple[CuptiKernelTracer | None, list[str]]:
    """(tracer or None, notices): one notice says why kernels are off. Call before TensorRT loads."""
    try:
        cupti = import_cupti()
        _path, notices = prepare_nvtx_injection(cupti)
        return CuptiKernelTracer(cupti), notices
    except CuptiUnavailable as exc:
        return None, [f"kernels are off: {exc}"]
