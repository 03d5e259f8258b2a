"""Write the public names of an installed TensorRT Python module as JSON: every class, its public
methods, properties and nested enums, every enum member, as dotted names (`ICudaEngine.num_layers`,
`DataType.HALF`, `ILogger.Severity.WARNING`). The contract tests check the names trtui's adapters use
against such a dump (`tests/data/trt_api/tensorrt-8.5.3.1.json` was written from PyPI's real
`tensorrt==8.5.3.1` wheel, which imports without a GPU: its libraries dlopen libcuda only when used).

    python tests/tools/dump_trt_api.py [MODULE] > tensorrt-VERSION.json
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from typing import Any


def _is_enum(obj: Any) -> bool:
    return isinstance(getattr(obj, "__members__", None), dict)


def names_of(module: Any) -> list[str]:
    """Dotted public names of a pybind11 TensorRT module."""
    out: set[str] = set()

    def visit(prefix: str, obj: Any, depth: int) -> None:
        if _is_enum(obj):
            out.update(f"{prefix}.{m}" for m in obj.__members__)
        for attr in dir(obj):
            if attr.startswith("_") and attr != "__init__":
                continue
            if attr == "__init__" and "__init__" not in vars(obj):
                continue
            try:
                value = inspect.getattr_static(obj, attr)
            except AttributeError:
                continue
            out.add(f"{prefix}.{attr}")
            if depth < 2 and inspect.isclass(value):
                visit(f"{prefix}.{attr}", value, depth + 1)

    for attr in dir(module):
        if attr.startswith("_") and attr != "__version__":
            continue
        value = getattr(module, attr)
        if inspect.ismodule(value):
            continue
        out.add(attr)
        if inspect.isclass(value):
            visit(attr, value, 1)
    return sorted(out)


def main(argv: list[str]) -> int:
    name = argv[1] if len(argv) > 1 else "tensorrt"
    mod = importlib.import_module(name)
    json.dump({"module": name, "version": str(mod.__version__), "names": names_of(mod)}, sys.stdout,
              indent=0)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
