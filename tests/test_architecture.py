"""The architecture's import rules, checked on the source (AST) and on live processes.

- Only `trtui/gpu/` may import the GPU stack (tensorrt, tensorrt_lean, tensorrt_lean_bindings,
  pycuda, pynvml, cuda-python's `cuda`, cupti-python's `cupti`, `nvtx`).
- Only `trtui/ui/` may import textual (rich is fine anywhere).
- Building the CLI parser and `trtui --version` load none of them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "trtui"
GPU_MODULES = {
    "tensorrt", "tensorrt_lean", "tensorrt_lean_bindings", "pycuda", "pynvml", "cuda", "cupti", "nvtx",
}
UI_MODULES = {"textual"}
HEAVY = sorted(GPU_MODULES | UI_MODULES)


def imported_modules(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """(dotted module name, line) of every absolute import in `tree`, including
    `importlib.import_module("x")` and `__import__("x")` with a literal name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.module, node.lineno
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            arg = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
            ):
                yield arg.value, node.lineno


def top(name: str) -> str:
    return name.split(".", 1)[0]


def violations(package: Path) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent)
        parts = rel.parts  # ("trtui", "gpu", "x.py")
        in_gpu = len(parts) > 2 and parts[1] == "gpu"
        in_ui = len(parts) > 2 and parts[1] == "ui"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module, line in imported_modules(tree):
            if top(module) in GPU_MODULES and not in_gpu:
                found.append(f"{rel}:{line} imports {module} (only trtui/gpu/ may)")
            if top(module) in UI_MODULES and not in_ui:
                found.append(f"{rel}:{line} imports {module} (only trtui/ui/ may)")
    return found


def test_the_scan_sees_every_kind_of_import(tmp_path: Path) -> None:
    pkg = tmp_path / "trtui"
    (pkg / "gpu").mkdir(parents=True)
    (pkg / "ui").mkdir()
    (pkg / "gpu" / "ok.py").write_text("import tensorrt\nimport pycuda.driver\n")
    (pkg / "ui" / "ok.py").write_text("from textual.app import App\nimport rich\n")
    (pkg / "stats.py").write_text(
        "import rich.text\n"
        "def f():\n"
        "    import pynvml\n"
        "    from cuda import cudart\n"
        "    importlib.import_module('tensorrt_lean')\n"
        "    __import__('textual.widgets')\n"
    )
    (pkg / "ui" / "bad.py").write_text("import tensorrt_lean_bindings\n")
    found = violations(pkg)
    assert [f.split(" ")[0] for f in found] == [
        "trtui/stats.py:3",
        "trtui/stats.py:4",
        "trtui/stats.py:5",
        "trtui/stats.py:6",
        "trtui/ui/bad.py:1",
    ]


def test_gpu_stack_only_in_gpu_package_and_textual_only_in_ui() -> None:
    assert PACKAGE.is_dir()
    assert violations(PACKAGE) == []


def _loaded_after(code: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return {top(m) for m in proc.stdout.split()}


def test_building_the_parser_loads_no_gpu_stack_or_textual() -> None:
    loaded = _loaded_after("import trtui.cli\ntrtui.cli.build_parser()")
    assert "trtui" in loaded
    assert sorted(loaded & set(HEAVY)) == []


def test_version_loads_no_gpu_stack_or_textual() -> None:
    # -X importtime lists every module the real `python -m trtui --version` process imported.
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "trtui", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("trtui ")
    names = {
        top(line.rsplit("|", 1)[1].strip())
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "trtui" in names
    assert sorted(names & set(HEAVY)) == []


@pytest.mark.parametrize("module", ["textual", "pynvml"])
def test_the_process_check_can_fail(module: str) -> None:
    """The sys.modules check sees a heavy module when one is imported (so the tests above can fail)."""
    pytest.importorskip(module)
    assert module in _loaded_after(f"import {module}")
