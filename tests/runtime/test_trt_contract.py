"""Contract: every TensorRT name trtui's adapters use exists in the real TensorRT lean bindings
(`tensorrt_lean_bindings`, installed with the test extras; it imports without a GPU), or is declared
full-module-only and used behind a capability check.

The fake TensorRT module of the runtime tests is held to the same contract: every public name it
defines must exist in the real bindings, so the adapter tests cannot pass by using a name the real
module lacks.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

trt: ModuleType = pytest.importorskip(
    "tensorrt_lean_bindings", reason="the TensorRT lean bindings are part of the test extras (x86-64 Linux)"
)

import rt_fakes  # noqa: E402  (beside this file: pytest puts its folder on sys.path)

from trtui.gpu.runtime import engine_session  # noqa: E402
from trtui.gpu.runtime.trt_module import TrtModule  # noqa: E402

# Compiled out of the lean/dispatch bindings (EXPORT_ALL_BINDINGS, see shared notes section 4.1).
FULL_ONLY_CLASSES = frozenset({"Builder", "IBuilderConfig", "OnnxParser", "INetworkDefinition", "ITensor",
                               "EngineInspector", "init_libnvinfer_plugins"})


def resolve(module: Any, dotted: str) -> Any:
    obj = module
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def exists(dotted: str) -> bool:
    try:
        resolve(trt, dotted)
    except AttributeError:
        return False
    return True


@pytest.mark.parametrize("name", engine_session.TRT_NAMES_USED)
def test_runtime_adapter_names_exist_in_the_lean_bindings(name: str) -> None:
    assert exists(name), f"{name} is used by gpu/runtime/engine_session.py but missing in {trt.__name__}"


@pytest.mark.parametrize("name", engine_session.TRT_FULL_ONLY_NAMES)
def test_full_only_names_are_really_full_only(name: str) -> None:
    assert not exists(name), f"{name} exists in the lean bindings: move it to TRT_NAMES_USED"
    assert name.split(".")[0] in FULL_ONLY_CLASSES


def test_capability_checks_see_the_lean_module_as_lean() -> None:
    m = TrtModule(name=trt.__name__, module=trt, version=trt.__version__)
    assert m.lean and not m.has_inspector and not m.has_plugin_init
    assert m.display_name == "tensorrt_lean"


def test_full_only_names_are_used_only_behind_capability_checks() -> None:
    loader = importlib.import_module("trtui.gpu.runtime.engine_load").__file__
    src = {p: Path(p).read_text() for p in (loader,
                                            importlib.import_module("trtui.gpu.runtime.inspector").__file__)}
    session = src[loader]
    assert "if trt_module.has_plugin_init:\n        trt.init_libnvinfer_plugins(" in session
    inspector = src[importlib.import_module("trtui.gpu.runtime.inspector").__file__]
    guard = inspector.index("if not trt.has_inspector:")
    assert guard < inspector.index("engine.create_engine_inspector()")


def _fake_names() -> list[str]:
    """Every public name the fake module defines: classes, their own methods/properties, enum members."""
    names: list[str] = []
    for attr, value in vars(rt_fakes.FakeTrt).items():
        if attr.startswith("_") and attr != "__version__":
            continue
        names.append(attr)
        if isinstance(value, type) and issubclass(value, enum.Enum):
            names += [f"{attr}.{m}" for m in value.__members__]
        elif isinstance(value, type):
            for member, obj in vars(value).items():
                if member.startswith("_"):
                    continue
                if callable(obj) or isinstance(obj, property) or member in getattr(value, "__slots__", ()):
                    names.append(f"{attr}.{member}")
            for slot in getattr(value, "__slots__", ()):
                if not slot.startswith("_"):
                    names.append(f"{attr}.{slot}")
    names += [f"ILogger.Severity.{m}" for m in rt_fakes.Severity.__members__]
    return sorted(set(names))


@pytest.mark.parametrize("name", _fake_names())
def test_fake_module_defines_only_real_names(name: str) -> None:
    assert exists(name), f"the fake TensorRT defines {name}, which {trt.__name__} does not have"


def test_fake_covers_every_name_the_adapter_uses() -> None:
    fake = set(_fake_names())
    missing = [n for n in engine_session.TRT_NAMES_USED if n not in fake]
    assert missing == []


def _builder_names() -> list[tuple[str, bool]]:
    try:
        builder = importlib.import_module("trtui.gpu.build.builder")
    except ImportError:
        return []
    return list(getattr(builder, "TRT_NAMES_USED", ()))


@pytest.mark.skipif(not _builder_names(), reason="trtui/gpu/build/builder.py has no TRT_NAMES_USED yet")
@pytest.mark.parametrize("entry", _builder_names(), ids=lambda e: e[0])
def test_builder_names(entry: tuple[str, bool]) -> None:
    name, full_only = entry
    if full_only:
        assert not exists(name) or name.split(".")[0] not in FULL_ONLY_CLASSES, (
            f"{name} is marked full-only but exists in the lean bindings")
    else:
        assert exists(name), f"{name} is used by trtui/gpu/build/builder.py but missing in {trt.__name__}"


def test_enum_members_used_by_name_match_io_buffers() -> None:
    from trtui.gpu.runtime.io_buffers import DTYPE_BITS

    real = set(trt.DataType.__members__)
    assert real <= set(DTYPE_BITS), f"DataType members without a size in io_buffers: {real - set(DTYPE_BITS)}"
    assert inspect.isclass(trt.IProfiler) and inspect.isclass(trt.IOutputAllocator)


def _standin_names() -> list[str]:
    """Public names the GPU-backed stand-in (tests/gpu/standin/tensorrt.py) defines at module level and
    as methods of its classes (read from its source: importing it needs a GPU stack)."""
    import ast

    tree = ast.parse((Path(__file__).parents[1] / "gpu" / "standin" / "tensorrt.py").read_text())
    names: list[str] = []
    helpers = {"Kernels", "layer_plan", "inspector_doc", "plan", "SRC", "THREADS"}  # test-side, not TensorRT
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name not in helpers:
            names.append(node.name)
            names += [f"{node.name}.{f.name}" for f in node.body
                      if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")]
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name) and not t.id.startswith("_")]
    return sorted(n for n in set(names) if n.split(".")[0] not in helpers)


@pytest.mark.parametrize("name", _standin_names())
def test_gpu_standin_defines_only_real_names(name: str) -> None:
    top = name.split(".")[0]
    assert exists(name) or top in FULL_ONLY_CLASSES, f"the GPU stand-in defines {name}, which TensorRT lacks"


def test_gpu_standin_covers_every_name_the_adapter_uses() -> None:
    standin = set(_standin_names()) | set(_fake_names())  # what it does not define, it inherits from the fake
    assert [n for n in engine_session.TRT_NAMES_USED if n not in standin] == []


# ---------------------------------------------------------------- the real TensorRT 8.5.3

TRT85_DUMP = Path(__file__).parents[1] / "data" / "trt_api" / "tensorrt-8.5.3.1.json"
TRT85 = frozenset(json.loads(TRT85_DUMP.read_text())["names"])
# What the runtime adapter uses that TensorRT 8.5.3 lacks, each guarded where it is used: plugin
# libraries are loaded with ctypes on 8.x (engine_load), shape-input values come from
# get_profile_shape_input (engine_tensors), aux streams and the _v2 size through getattr, and data types
# by name (io_buffers).
MISSING_IN_TRT85 = {
    "Runtime.engine_host_code_allowed", "Runtime.get_plugin_registry", "IPluginRegistry.load_library",
    "ICudaEngine.get_tensor_profile_values", "ICudaEngine.num_aux_streams",
    "ICudaEngine.device_memory_size_v2",
    "DataType.BF16", "DataType.INT64", "DataType.FP8", "DataType.INT4", "DataType.FP4",
}


def test_runtime_names_against_the_real_tensorrt_8_5() -> None:
    used = set(engine_session.TRT_NAMES_USED) | set(engine_session.TRT_FULL_ONLY_NAMES)
    assert {n for n in used if n not in TRT85} == MISSING_IN_TRT85
    # the 8.x fallbacks exist there
    assert {"ICudaEngine.get_profile_shape_input", "ICudaEngine.get_binding_index",
            "ICudaEngine.device_memory_size", "IExecutionContext.active_optimization_profile"} <= TRT85


def test_names_missing_in_8_5_are_only_used_behind_a_guard() -> None:
    modules = ("engine_load", "engine_tensors", "engine_session")
    src = "\n".join(
        Path(importlib.import_module(f"trtui.gpu.runtime.{m}").__file__ or "").read_text() for m in modules
    )
    assert 'hasattr(runtime, "engine_host_code_allowed")' in src
    assert 'hasattr(runtime, "get_plugin_registry")' in src and 'hasattr(registry, "load_library")' in src
    assert 'hasattr(engine, "get_tensor_profile_values")' in src
    assert 'getattr(engine, "num_aux_streams", 0)' in src
    assert 'getattr(engine, "device_memory_size_v2", 0)' in src
