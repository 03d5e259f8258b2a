"""Layer details from TensorRT's engine inspector (full `tensorrt` module only: the lean runtime
compiles the inspector out). Without it, or for engines built with ProfilingVerbosity.NONE, trtui
knows the layers only by the names (or indices) the profiler reports."""

from __future__ import annotations

from typing import Any

from trtui.core.model import LayerInfo
from trtui.engine_info.layer_info import parse_layer_info
from trtui.gpu.runtime.trt_module import TrtModule

NO_INSPECTOR = (
    "layer types and tactics need the full TensorRT module (the lean runtime has no engine inspector)"
)


def inspect_layers(
    trt: TrtModule, engine: Any, context: Any | None
) -> tuple[tuple[LayerInfo, ...], str | None]:
    """(layers in engine order, None) or ((), why there are no details)."""
    if not trt.has_inspector:
        return (), NO_INSPECTOR
    mod = trt.module
    verbosity = getattr(engine, "profiling_verbosity", None)
    none = getattr(getattr(mod, "ProfilingVerbosity", None), "NONE", None)
    if verbosity is not None and none is not None and verbosity == none:
        return (), "the engine was built with profiling verbosity NONE: layers are known by index only"
    inspector: Any = None
    try:
        inspector = engine.create_engine_inspector()
        if inspector is None:
            return (), "the engine inspector is not available"
        if context is not None:
            inspector.execution_context = context  # resolves dynamic dimensions
        text = inspector.get_engine_information(mod.LayerInformationFormat.JSON)
        layers = parse_layer_info(str(text)).layers
    except Exception as exc:  # an odd engine, an inspector quirk: the run goes on without details
        return (), f"the engine inspector failed: {' '.join(str(exc).split())}"
    finally:
        del inspector  # before the context and engine it refers to
    return layers, None
