"""Which TensorRT Python module is installed: the full `tensorrt`, else the lean runtime
(`tensorrt_lean`, or `tensorrt_lean_bindings`, the name its PyPI wheel installs).

Capabilities are probed by name: the lean module has no builder, no ONNX parser, no engine
inspector and no `init_libnvinfer_plugins` (they are compiled only with EXPORT_ALL_BINDINGS).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from trtui.common.errors import MissingDependency

MODULE_NAMES: tuple[str, ...] = ("tensorrt", "tensorrt_lean", "tensorrt_lean_bindings")

INSTALL_HINT = (
    "install TensorRT: on x86-64 'pip install tensorrt' (or the lean runtime "
    "'pip install tensorrt-lean-cu13-bindings tensorrt-lean-cu13-libs'); on Jetson use JetPack's "
    "TensorRT in a venv made with --system-site-packages"
)


@dataclass(frozen=True)
class TrtModule:
    """The imported module and what it can do."""

    name: str  # import name
    module: ModuleType
    version: str

    @property
    def lean(self) -> bool:
        """True for the lean runtime (no `Builder`): it can run engines but not build them."""
        return not hasattr(self.module, "Builder")

    @property
    def display_name(self) -> str:
        """'tensorrt' or 'tensorrt_lean' (the wheel's `tensorrt_lean_bindings` is the lean runtime)."""
        return "tensorrt_lean" if self.name == "tensorrt_lean_bindings" else self.name

    @property
    def has_inspector(self) -> bool:
        """True when the module has the engine inspector (full `tensorrt` only)."""
        return hasattr(self.module, "EngineInspector")

    @property
    def has_plugin_init(self) -> bool:
        """True when the module can load TensorRT's standard plugins (`init_libnvinfer_plugins`)."""
        return hasattr(self.module, "init_libnvinfer_plugins")


def load_trt_module(names: tuple[str, ...] = MODULE_NAMES) -> TrtModule:
    """Import the first TensorRT module that works. Raises MissingDependency naming what failed."""
    problems: list[str] = []
    for name in names:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name is not None and err.name != name and not name.startswith(err.name):
                problems.append(f"{name}: {err}")
            continue
        except (ImportError, OSError) as err:  # installed but broken (missing libnvinfer, CUDA libs)
            problems.append(f"{name}: {' '.join(str(err).split())}")
            continue
        if not hasattr(mod, "Runtime"):  # e.g. the `tensorrt` meta-package without its bindings
            problems.append(f"{name}: has no Runtime (incomplete install)")
            continue
        version = str(getattr(mod, "__version__", "unknown"))
        return TrtModule(name=name, module=mod, version=version)
    detail = f" ({'; '.join(problems)})" if problems else ""
    raise MissingDependency(f"TensorRT is not installed or does not load{detail}: {INSTALL_HINT}")
