"""The architecture's import rules, checked on the source (AST) and on live processes.

- Only `trtui/gpu/` may import the GPU stack (tensorrt, tensorrt_lean, tensorrt_lean_bindings,
  pycuda, pynvml, cuda-python's `cuda`, cupti-python's `cupti`, `nvtx`).
- Only `trtui/ui/` may import textual (rich is fine anywhere).
- Building the CLI parser and `trtui --version` load none of them.

The layers within trtui (rules over the import graph of `arch_scan`), lowest first:

1. the model: `trtui.model`, `trtui.clock_reasons`, the pure rules on its values (`trtui.precision`:
   what a layer computes in; `trtui.format`: numbers as text; `trtui.rail_roles`: which power rail
   is the GPU's), the leaf helpers every layer may raise or word with (`trtui.errors`,
   `trtui.json_kind`), and the telemetry value types `trtui.telemetry.sample` / `trtui.telemetry.history`;
2. the aggregators: `trtui.stats.*`, the pure analysis `trtui.analysis.*`, the kernel statistics
   (`trtui.kernels.aggregate` with its pure helpers `attribute` and `names`; the kernel records
   themselves are values of layer 1, `trtui.kernel_records`) and the telemetry history, an
   aggregator of samples. They import only layers 1 and 2 (`MODEL_LAYER`);
3. readers and sources (`trtui.recording`, `trtui.sources`, `trtui.telemetry` samplers,
   `trtui.gpu`), then the session runner `trtui.session`;
4. the UI (`trtui.ui`) reads published updates, formatting helpers and the aggregators' values; it
   never imports a source, a reader, the GPU package or the session runner. Exports go through
   one narrow module (`UI_MAY_USE`: `trtui.recording.export`);
5. only `trtui.commands` (the composition root, with `trtui.sources.factory`) and `trtui.ui`
   import `trtui.session`.

No import cycle between packages (`trtui.X -> trtui.Y`, a top-level module counting as its own
package) nor between modules. How each kind of import counts:
- layer rules (aggregators, UI, session): every import, module-level, lazy (inside a function) or
  under `if TYPE_CHECKING:` (a type-only import still couples the layers);
- package cycles: module-level and lazy imports (a lazy import is a real dependency that runs
  later); `if TYPE_CHECKING:` imports are left out (they never run);
- module cycles: module-level imports only (what runs while a module is being imported: a lazy
  or type-checking import cannot make a partially initialised module fail).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from arch_scan import Edge, cycles, edges, module_graph, package_graph

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


# ---- layers inside trtui -----------------------------------------------------------------------

MODEL_LAYER = (
    "trtui.model",
    "trtui.precision",
    "trtui.format",
    "trtui.rail_roles",
    "trtui.kernel_records",
    "trtui.kernels.aggregate",
    "trtui.kernels.attribute",
    "trtui.kernels.names",
    "trtui.errors",
    "trtui.json_kind",
    "trtui.clock_reasons",
    "trtui.telemetry.sample",
    "trtui.telemetry.history",
    "trtui.stats",
    "trtui.analysis",
)
AGGREGATORS = (
    "trtui.stats",
    "trtui.analysis",
    "trtui.telemetry.history",
    "trtui.kernels.aggregate",
    "trtui.kernels.attribute",
    "trtui.kernels.names",
)
UI = ("trtui.ui",)
UI_MUST_NOT_USE = (
    "trtui.sources",
    "trtui.gpu",
    "trtui.recording",
    "trtui.session",
    "trtui.commands",
    "trtui.telemetry.sampler",
    "trtui.telemetry.jetson",
    "trtui.telemetry.tegrastats",
    "trtui.telemetry.fsread",
)
UI_MAY_USE = ("trtui.recording.export",)
SESSION_USERS = ("trtui.commands", "trtui.ui")


TC = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def aggregator_violations(graph: list[Edge]) -> list[str]:
    return [
        f"{e} (aggregators import only the model layer)"
        for e in graph
        if within(e.source, AGGREGATORS) and not within(e.target, MODEL_LAYER)
    ]


def ui_violations(graph: list[Edge]) -> list[str]:
    return [
        f"{e} (the UI reads published updates, not sources, readers or the session)"
        for e in graph
        if within(e.source, UI) and within(e.target, UI_MUST_NOT_USE) and not within(e.target, UI_MAY_USE)
    ]


def session_violations(graph: list[Edge]) -> list[str]:
    return [
        f"{e} (only commands and the UI import the session runner)"
        for e in graph
        if e.target == "trtui.session" and not within(e.source, SESSION_USERS)
    ]


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "trtui"


def test_the_layer_scan_catches_an_aggregator_that_reaches_up(tmp_path: Path) -> None:
    pkg = _tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/model.py": "",
        "trtui/sources/__init__.py": "",
        "trtui/sources/engine.py": "",
        "trtui/gpu/__init__.py": "",
        "trtui/gpu/nvml.py": "",
        "trtui/telemetry/__init__.py": "",
        "trtui/telemetry/sample.py": "",
        "trtui/telemetry/sampler.py": "",
        "trtui/stats/__init__.py": "",
        "trtui/stats/ok.py": (
            "from trtui.model import X\nfrom . import other\nimport trtui.telemetry.sample\n"
        ),
        "trtui/stats/other.py": TC + "    from trtui.gpu import nvml\n",
        "trtui/analysis/__init__.py": "",
        "trtui/analysis/bad.py": "def f():\n    from trtui.sources.engine import E\n",
        "trtui/telemetry/history.py": "from trtui.telemetry.sampler import S\n",
    })
    found = aggregator_violations(edges(pkg))
    assert [f.split(" (")[0] for f in found] == [
        "trtui.analysis.bad:2 -> trtui.sources.engine",
        "trtui.stats.other:3 -> trtui.gpu.nvml",
        "trtui.telemetry.history:1 -> trtui.telemetry.sampler",
    ]


def test_the_ui_scan_catches_sources_readers_and_the_session(tmp_path: Path) -> None:
    pkg = _tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/session.py": "",
        "trtui/feed.py": "",
        "trtui/recording/__init__.py": "",
        "trtui/recording/export.py": "",
        "trtui/recording/loader.py": "",
        "trtui/sources/__init__.py": "",
        "trtui/ui/__init__.py": "",
        "trtui/ui/app.py": (
            "from trtui.feed import UpdateFeed\n"
            "from trtui import session\n"
            "def export():\n"
            "    from trtui.recording import export\n"
            "    from trtui.recording.loader import load\n"
            "    importlib.import_module('trtui.sources')\n"
        ),
    })
    found = ui_violations(edges(pkg))
    assert [f.split(" (")[0] for f in found] == [
        "trtui.ui.app:2 -> trtui.session",
        "trtui.ui.app:5 -> trtui.recording.loader",
        "trtui.ui.app:6 -> trtui.sources",
    ]


def test_the_session_scan_lets_only_commands_and_the_ui_in(tmp_path: Path) -> None:
    pkg = _tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/session.py": "",
        "trtui/summary.py": "from trtui.session import Session\n",
        "trtui/commands/__init__.py": "",
        "trtui/commands/profile.py": "from trtui.session import Session\n",
        "trtui/ui/__init__.py": "",
        "trtui/ui/app.py": TC + "    from trtui.session import S\n",
        "trtui/recording/__init__.py": "",
        "trtui/recording/export.py": "def f():\n    from ..session import Session\n",
    })
    found = session_violations(edges(pkg))
    assert [f.split(" (")[0] for f in found] == [
        "trtui.recording.export:2 -> trtui.session",
        "trtui.summary:1 -> trtui.session",
    ]


def test_the_package_cycle_scan_counts_lazy_imports_but_not_type_checking(tmp_path: Path) -> None:
    pkg = _tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/model.py": "",
        "trtui/a/__init__.py": "",
        "trtui/a/m.py": "import trtui.b.n\nimport trtui.model\n",
        "trtui/b/__init__.py": "",
        "trtui/b/n.py": "def f():\n    from trtui.a import m\n",
        "trtui/c/__init__.py": "",
        "trtui/c/o.py": "import trtui.model\n" + TC + "    import trtui.a.m\n",
        "trtui/d.py": "from trtui.c import o\n",
    })
    # trtui.a -> trtui.c would close a cycle only through the TYPE_CHECKING import.
    (pkg / "a" / "p.py").write_text("from trtui import d\n")
    assert cycles(package_graph(edges(pkg))) == [["trtui.a", "trtui.b"]]


def test_the_module_cycle_scan_counts_only_module_level_imports(tmp_path: Path) -> None:
    pkg = _tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/x.py": "from trtui import y\n",
        "trtui/y.py": "try:\n    from .x import thing\nexcept ImportError:\n    pass\n",
        "trtui/lazy1.py": "import trtui.lazy2\n",
        "trtui/lazy2.py": "def f():\n    import trtui.lazy1\n",
        "trtui/tc1.py": "import trtui.tc2\n",
        "trtui/tc2.py": "import typing\nif typing.TYPE_CHECKING:\n    import trtui.tc1\n",
        "trtui/k/__init__.py": "from trtui.k.inner import A\n",
        "trtui/k/inner.py": "class C:\n    from trtui.k import helper\n",
        "trtui/k/helper.py": "from trtui.k import inner\n",
    })
    assert cycles(module_graph(edges(pkg))) == [["trtui.k.helper", "trtui.k.inner"], ["trtui.x", "trtui.y"]]


def test_aggregators_import_only_the_model_layer() -> None:
    assert aggregator_violations(edges(PACKAGE)) == []


def test_the_ui_never_imports_sources_readers_or_the_session() -> None:
    assert ui_violations(edges(PACKAGE)) == []


def test_only_commands_and_the_ui_import_the_session_runner() -> None:
    assert session_violations(edges(PACKAGE)) == []


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph(edges(PACKAGE))
    assert "trtui.gpu" in graph and "trtui.ui" in graph  # the scan sees the real packages
    assert cycles(graph) == []


def test_no_import_cycle_between_modules() -> None:
    graph = module_graph(edges(PACKAGE))
    assert "trtui.session" in graph
    assert cycles(graph) == []


def test_test_and_benchmark_scaffolding_stays_out_of_the_package() -> None:
    """The synthetic CUDA workload (kernels compiled with pycuda) is scaffolding for tests/gpu and bench/:
    it lives in bench/_synthetic.py, and nothing in the installed package compiles kernels or imports
    from bench/ or tests/."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module, line in imported_modules(tree):
            if module.startswith("pycuda.compiler") or top(module) in ("bench", "tests"):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert found == []
    assert (ROOT / "bench" / "_synthetic.py").is_file()
