"""The one GPU worker thread.

It retains the device's primary context (the one TensorRT's CUDA runtime calls use) and pushes it
in its own thread, builds the session there (runtime, engine, contexts, streams, buffers, graphs),
runs the inference loop, and on the way out (stop, error, interpreter exit) releases everything in
order -- TensorRT objects, then CUDA memory, streams and events -- BEFORE it pops the context.
It talks to the consumer only through a thread-safe queue of `SourceBatch` pieces.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import queue
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from trtui.common.errors import MissingDependency, NoGpu, UserError
from trtui.core.model import SourceBatch, SourceInfo, StartupStep
from trtui.core.startup_steps import StepTimer
from trtui.gpu.runtime.loop import InferenceLoop
from trtui.gpu.runtime.loop_types import LoopError


class Platform(Protocol):
    """Makes a CUDA context current on the calling thread and undoes it."""

    def enter(self) -> Any:
        """Push the context; return the driver module (pycuda.driver or a fake)."""
        ...

    def exit(self) -> None:
        """Pop (and release) the context."""
        ...


class PycudaPlatform:
    """The device's primary context through pycuda (shared with TensorRT's runtime API calls)."""

    def __init__(self, device: int = 0) -> None:
        self.device = device
        self._ctx: Any = None
        self._cuda: Any = None

    def enter(self) -> Any:
        try:
            import pycuda.driver as cuda
        except ImportError as err:
            raise MissingDependency(
                f"pycuda is not installed or does not load ({err}): pip install \"trtui[gpu]\""
            ) from None
        try:
            cuda.init()
            ctx = cuda.Device(self.device).retain_primary_context()
            ctx.push()
        except cuda.Error as err:
            raise NoGpu(f"cannot use CUDA device {self.device}: {' '.join(str(err).split())}") from None
        self._ctx, self._cuda = ctx, cuda
        return cuda

    def exit(self) -> None:
        """Synchronize, pop the primary context and release it; a no-op when `enter` did not succeed.
        Call it after every TensorRT and CUDA object of the session was released."""
        if self._ctx is None:
            return
        cuda = self._cuda
        with contextlib.suppress(cuda.Error):
            cuda.Context.synchronize()
        cuda.Context.pop()
        with contextlib.suppress(cuda.Error, AttributeError):
            self._ctx.detach()
        self._ctx = None


class Resources:
    """What a session holds, released in a fixed order: TensorRT objects first (last created first:
    contexts, engine, runtime), then CUDA objects (buffers, streams, events), last created first.
    Each entry is the only strong reference the session keeps to its object."""

    def __init__(self) -> None:
        self._trt: list[tuple[str, Callable[[], None]]] = []
        self._cuda: list[tuple[str, Callable[[], None]]] = []
        self.released: list[str] = []  # names, in release order (for tests)

    def add_trt(self, name: str, release: Callable[[], None]) -> None:
        """Register a TensorRT object's release; released before every CUDA object, last added first."""
        self._trt.append((name, release))

    def add_cuda(self, name: str, release: Callable[[], None]) -> None:
        """Register a CUDA object's release; released after every TensorRT object, last added first."""
        self._cuda.append((name, release))

    def release_all(self) -> list[str]:
        """Release everything; returns the errors (as notices), never raises."""
        errors: list[str] = []
        for group in (self._trt, self._cuda):
            while group:
                name, release = group.pop()
                try:
                    release()
                    self.released.append(name)
                except Exception as exc:  # keep releasing the rest
                    errors.append(f"releasing {name} failed: {exc}")
            gc.collect()
        return errors


class Holder:
    """A box for one object whose only strong reference must be the session's (so that releasing
    it really destroys it)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def release(self) -> None:
        """Drop the session's reference, which destroys the object unless something else still holds it."""
        self.obj = None


@dataclass
class Session:
    """What a setup function builds on the worker thread."""

    info: SourceInfo
    loop: InferenceLoop
    reshaper: Any = None  # changes batch/streams while running (trtui.gpu.runtime.reshape), where supported


SetupFn = Callable[[Any, Resources, Callable[[SourceBatch], None]], Session]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


class GpuWorker:
    """Runs `setup(driver, resources, emit)` and then the session's loop on one thread."""

    def __init__(self, platform: Platform, setup: SetupFn, *, name: str = "trtui-gpu") -> None:
        self._platform = platform
        self._setup = setup
        self.out: queue.Queue[SourceBatch] = queue.Queue()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._ready = threading.Event()
        self._done = threading.Event()
        self._setup_error: UserError | None = None
        self.info: SourceInfo | None = None
        self.resources = Resources()
        self.loop: InferenceLoop | None = None
        self.reshaper: Any = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._started = False
        # Start-up steps: timed on the worker thread (the setup times its own steps with `steps`);
        # until the session runs they wait here for `start()`'s thread, which hands them to
        # `on_steps`; after that they go out in batches, in order with the batches.
        self._early_steps: queue.SimpleQueue[StartupStep] = queue.SimpleQueue()
        self.steps = StepTimer(self._take_step)
        self.on_steps: Callable[[tuple[StartupStep, ...]], None] | None = None

    # ------------------------------------------------------------ consumer side

    def start(self, timeout: float | None = None) -> SourceInfo:
        """Start the thread and wait until the session runs. Raises the setup's UserError (after
        everything was released). Ctrl-C while waiting stops the worker and re-raises."""
        if self._started:
            raise RuntimeError("GpuWorker.start() called twice")
        self._started = True
        _live_workers.add(self)
        self._thread.start()
        try:
            waited = 0.0
            while not self._ready.wait(0.1):
                self._pass_steps()
                waited += 0.1
                if timeout is not None and waited >= timeout:
                    self.stop()
                    raise UserError(f"the GPU worker did not start within {timeout:.0f} s")
        except KeyboardInterrupt:
            self.stop()
            raise
        self._pass_steps()
        if self._setup_error is not None:
            self._thread.join()
            raise self._setup_error
        assert self.info is not None
        return self.info

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the loop; any thread. While paused the GPU idles and reconfigurations still run."""
        if paused:
            self._paused.set()
        else:
            self._paused.clear()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to finish and wait for the thread (which frees everything). Idempotent."""
        self._stop.set()
        self._paused.clear()
        if self._started and self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        _live_workers.discard(self)

    @property
    def alive(self) -> bool:
        """True while the worker thread runs (also during setup and release)."""
        return self._thread.is_alive()

    def _pass_steps(self) -> None:
        """The steps timed since the last call, to `on_steps` (an empty tuple: a tick)."""
        got: list[StartupStep] = []
        while True:
            try:
                got.append(self._early_steps.get_nowait())
            except queue.Empty:
                break
        if self.on_steps is not None:
            self.on_steps(tuple(got))

    # ------------------------------------------------------------ worker thread

    def _emit(self, batch: SourceBatch) -> None:
        self.out.put(batch)

    def _take_step(self, step: StartupStep) -> None:
        if self._ready.is_set():
            self.out.put(SourceBatch(t=time.monotonic(), startup=(step,)))
        else:
            self._early_steps.put(step)

    def _main(self) -> None:
        error: str | None = None
        notices: list[str] = []
        entered = False
        session: Session | None = None
        try:
            with self.steps.step("CUDA context"):
                driver = self._platform.enter()
            entered = True
            session = self._setup(driver, self.resources, self._emit)
            self.loop = session.loop
            self.info = session.info
            self.reshaper = session.reshaper
            self._ready.set()
            session.loop.run(self._stop, self._paused)
        except UserError as exc:
            if self._ready.is_set():
                error = str(exc)
            else:
                self._setup_error = type(exc)(str(exc))  # no traceback: it would keep frames alive
        except LoopError as exc:
            if self._ready.is_set():
                error = str(exc)
            else:  # the first inference (run while setting up) failed: start() raises it
                self._setup_error = UserError(str(exc))
        except BaseException as exc:  # any other failure ends the run, with a reason
            text = f"GPU worker failed: {type(exc).__name__}: {_one_line(exc)}"
            if self._ready.is_set():
                error = text
            else:
                self._setup_error = UserError(text)
            tb = exc.__traceback__
            if tb is not None:
                traceback.clear_frames(tb)
        finally:
            if not self._ready.is_set():
                self.steps.end()  # the step that failed: its time counts too
            session = None  # drop the local reference before releasing
            if self.loop is not None:
                try:
                    self.loop.close()
                except Exception as exc:
                    notices.append(f"stopping the inference loop failed: {_one_line(exc)}")
                self.loop = None
            self.reshaper = None
            notices += self.resources.release_all()
            gc.collect()
            if entered:
                try:
                    self._platform.exit()
                except Exception as exc:
                    notices.append(f"releasing the CUDA context failed: {_one_line(exc)}")
            last = SourceBatch(t=time.monotonic(), notices=tuple(notices), finished=True, error=error)
            self.out.put(last)
            self._done.set()
            self._ready.set()


_live_workers: weakref.WeakSet[GpuWorker] = weakref.WeakSet()


@atexit.register
def _stop_live_workers() -> None:
    """If the program exits without stopping a source (an unhandled exception, Ctrl-C in an odd
    place), stop the worker so that it frees the GPU objects before the interpreter goes away."""
    for worker in list(_live_workers):
        worker.stop(timeout=10.0)
