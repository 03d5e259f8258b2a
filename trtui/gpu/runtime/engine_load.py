"""Loading an engine (part of the TensorRT adapter, on the GPU worker thread): the runtime with a
logger that keeps TensorRT's messages, plugin libraries, deserialization, and a one-line reason when
it fails. TensorRT names used here are listed in `engine_session.TRT_NAMES_USED`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trtui.common.errors import UserError
from trtui.gpu.runtime.load_errors import explain_load_failure, plan_family_mismatch
from trtui.gpu.runtime.trt_logger import WARNING, LogStore, make_logger
from trtui.gpu.runtime.trt_module import TrtModule
from trtui.gpu.runtime.worker import Holder, Resources


def load_engine(
    trt_module: TrtModule, plan: bytes, *, path: str, allow_host_code: bool, plugins: Sequence[str],
    res: Resources, store: LogStore | None = None,
) -> tuple[Any, LogStore, int]:
    """Create the runtime (with a capturing logger), load plugins, deserialize. Returns the engine, the
    log store and the log mark taken just before deserializing. Raises UserError (one line) on failure.
    Needs a current CUDA context, and a usable GPU (checked before: see cuda_check)."""
    trt = trt_module.module
    mismatch = plan_family_mismatch(plan[:4], path=path, module=trt_module.display_name,
                                    version=trt_module.version)
    if mismatch is not None:
        raise mismatch
    store = store if store is not None else LogStore()
    logger = make_logger(trt, store)
    res.add_trt("logger", Holder(logger).release)  # released last among TensorRT objects
    runtime_h = Holder(trt.Runtime(logger))
    res.add_trt("runtime", runtime_h.release)
    runtime = runtime_h.obj
    if hasattr(runtime, "engine_host_code_allowed"):
        runtime.engine_host_code_allowed = bool(allow_host_code)
    if trt_module.has_plugin_init:
        trt.init_libnvinfer_plugins(logger, "")
    for lib in plugins:
        _load_plugin_library(trt, runtime, str(lib), store)
    mark = store.mark()
    engine_h = Holder(runtime.deserialize_cuda_engine(plan))
    if engine_h.obj is None:
        raise explain_load_failure(
            store.messages_since(mark, WARNING) or store.messages_since(0, WARNING),
            path=path, module=trt_module.display_name, version=trt_module.version, lean=trt_module.lean,
        )
    res.add_trt("engine", engine_h.release)
    return engine_h.obj, store, mark


def _load_plugin_library(trt: Any, runtime: Any, lib: str, store: LogStore) -> None:
    """TensorRT 10+: the runtime's plugin registry loads the library. TensorRT 8.x has no
    `load_library`: a plugin library registers its creators when it is loaded into the process
    (REGISTER_TENSORRT_PLUGIN), so it is loaded with the dynamic loader, globally."""
    registry = runtime.get_plugin_registry() if hasattr(runtime, "get_plugin_registry") else None
    if registry is not None and hasattr(registry, "load_library"):
        if registry.load_library(lib) is None:
            errs = store.messages_since(0, WARNING)
            why = f": {errs[-1]}" if errs else ""
            raise UserError(f"cannot load the plugin library {lib}{why}")
        return
    import ctypes

    try:
        ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
    except OSError as err:
        raise UserError(f"cannot load the plugin library {lib}: {' '.join(str(err).split())}") from None
