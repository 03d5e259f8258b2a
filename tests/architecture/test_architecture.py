"""The architecture's import rules, checked on the source (AST) and on live processes.

- Only `trtui/gpu/` may import the GPU stack (tensorrt, tensorrt_lean, tensorrt_lean_bindings,
  pycuda, pynvml, cuda-python's `cuda`, cupti-python's `cupti`, `nvtx`).
- Only `trtui/ui/` may import textual (rich is fine anywhere).
- Building the CLI parser, `trtui --help` and `trtui --version` load none of them, and `--help`
  imports no command module.

The floors of trtui (`FLOORS`, lowest first) are the architecture in one table. A module imports
only from its own package and from packages on lower floors; packages on one floor never import
each other. Every import counts: module-level, lazy (inside a function) and `if TYPE_CHECKING:`
(a type-only import still couples the two, and a reader has to follow it). The same counting
finds cycles, between packages and between modules (none allowed). On top of the floors:
- the aggregators (`PURE`) never import what reads the machine (the telemetry samplers);
- the UI reads published updates: never a source, a reader, the GPU package, the session runner
  or a remote feed (`UI_MUST_NOT_USE`); exports go through one narrow module (`UI_MAY_USE`);
- at most a handful of modules sit at `trtui/` top level (`TOP_LEVEL`).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from arch_scan import (
    Edge,
    cycles,
    edges,
    module_graph,
    module_index,
    package_graph,
    package_of,
    write_tree,
)

ROOT = Path(__file__).resolve().parents[2]
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
    """Every command's module (imported to build its arguments) loads neither at import time."""
    loaded = _loaded_after("import trtui.cli\nfor c in trtui.cli.COMMANDS:\n    trtui.cli.build_parser(c)")
    assert {"trtui", "numpy"} <= loaded  # the command modules were imported (numpy is fine there)
    assert sorted(loaded & set(HEAVY)) == []


def _imported_by(*argv: str) -> tuple[str, set[str]]:
    """stdout of `trtui ARGV...` run as `python -m trtui` runs it (`trtui.cli.main`, in a fresh
    process) and every module in `sys.modules` after it (`-X importtime` would miss a module
    imported with `importlib.import_module`, which is how the command modules are imported)."""
    code = (
        "import io, sys, contextlib\n"
        "from trtui.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        f"        code = main({list(argv)!r})\n"
        "    except SystemExit as exit:\n"
        "        code = exit.code\n"
        "assert code in (0, None), code\n"
        "print(out.getvalue())\n"
        "print('-- modules --')\n"
        "print('\\n'.join(sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out, _, modules = proc.stdout.partition("-- modules --\n")
    return out, set(modules.split())


def test_help_imports_no_command_module_and_no_heavy_dependency() -> None:
    """`trtui --help` lists every command with its help, yet imports no command module (each is
    imported when its command runs), no numpy, no aiohttp and no GPU stack or textual."""
    from trtui.cli import COMMANDS

    out, names = _imported_by("--help")
    for name, entry in COMMANDS.items():
        assert f"    {name}" in out and entry.help.split()[0] in out
    assert "trtui.cli" in names and "trtui.commands" in names
    assert sorted(n for n in names if n.startswith("trtui.commands.")) == []
    assert sorted({top(n) for n in names} & {*HEAVY, "numpy", "aiohttp", "rich"}) == []


def test_a_command_s_own_help_imports_that_command_only() -> None:
    out, names = _imported_by("profile", "--help")
    assert "--json" in out
    assert "trtui.commands.profile" in names
    assert "trtui.commands.tune" not in names and "trtui.commands.attach" not in names


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


# ---- floors inside trtui ------------------------------------------------------------------------

FLOORS: tuple[tuple[str, ...], ...] = (
    ("trtui.common",),  # leaf helpers: errors, JSON kinds, text formats, atomic writes, paths, signals
    ("trtui.core",),  # values crossing threads and processes, and the pure rules on them
    ("trtui.engine_info", "trtui.telemetry"),  # an engine as TensorRT describes it; GPU telemetry
    ("trtui.kernels", "trtui.tune"),  # kernels inside layers; the tuner's plan, search and results
    ("trtui.stats",),  # aggregators: per-layer and latency statistics, immutable snapshots
    ("trtui.analysis",),  # pure analysis of snapshots: views, comparisons, gates, the roofline
    ("trtui.recording",),  # trtexec recordings and trtui's own exports, read and written
    ("trtui.gpu",),  # the only package that touches TensorRT, CUDA and NVML
    ("trtui.sources",),  # what produces samples: the engine's process, the simulator, recordings
    ("trtui.pipeline", "trtui.remote", "trtui.sweep"),  # the session runner; serve/attach; sweeps
    ("trtui.ui",),  # Textual screens over published snapshots
    ("trtui.commands",),  # the composition root: one module per command
    ("trtui.cli",),  # the front door
    ("trtui.__main__", "trtui"),  # `python -m trtui`; the package (its version)
)
TOP_LEVEL = {"trtui", "trtui.__main__", "trtui.cli"}
PURE = ("trtui.stats", "trtui.analysis", "trtui.kernels.aggregate", "trtui.kernels.snapshot_values")
SAMPLERS = (
    "trtui.telemetry.sampler",
    "trtui.telemetry.jetson",
    "trtui.telemetry.tegrastats",
    "trtui.telemetry.fsread",
    "trtui.telemetry.nvml_reader",
)
UI = ("trtui.ui",)
UI_MUST_NOT_USE = (
    "trtui.sources",
    "trtui.gpu",
    "trtui.recording",
    "trtui.pipeline.session",
    "trtui.pipeline.idle_baseline",
    "trtui.commands",
    "trtui.remote.feed",
    "trtui.remote.hub",
    "trtui.remote.server",
    *SAMPLERS,
)
UI_MAY_USE = ("trtui.recording.export",)

TC = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def floor_of(module: str, floors: tuple[tuple[str, ...], ...] = FLOORS) -> tuple[int, str] | None:
    """(floor, package) of a module: its package's row in the table (the longest match)."""
    best: tuple[int, str] | None = None
    for n, row in enumerate(floors):
        for pkg in row:
            if (module == pkg or module.startswith(pkg + ".")) and (best is None or len(pkg) > len(best[1])):
                best = (n, pkg)
    return best


def floor_violations(graph: list[Edge], floors: tuple[tuple[str, ...], ...] = FLOORS) -> list[str]:
    """Imports that go up a floor, sideways between two packages of one floor, or from/to a module
    that has no floor."""
    found = []
    for e in graph:
        a, b = floor_of(e.source, floors), floor_of(e.target, floors)
        if a is None or b is None:
            found.append(f"{e} ({e.source if a is None else e.target} has no floor)")
        elif a[1] == b[1]:
            continue
        elif b[0] > a[0]:
            found.append(f"{e} (goes up: {a[1]} is on floor {a[0]}, {b[1]} on floor {b[0]})")
        elif b[0] == a[0]:
            found.append(f"{e} (sideways: {a[1]} and {b[1]} share floor {a[0]})")
    return found


def pure_violations(graph: list[Edge]) -> list[str]:
    return [
        f"{e} (aggregators never read the machine)"
        for e in graph
        if within(e.source, PURE) and within(e.target, SAMPLERS)
    ]


def ui_violations(graph: list[Edge]) -> list[str]:
    return [
        f"{e} (the UI reads published updates, not sources, readers, feeds or the session)"
        for e in graph
        if within(e.source, UI) and within(e.target, UI_MUST_NOT_USE) and not within(e.target, UI_MAY_USE)
    ]


def top_level_modules(package: Path) -> set[str]:
    return {f"trtui.{p.stem}" if p.stem != "__init__" else "trtui" for p in package.glob("*.py")}


TOY_FLOORS = (("trtui.common",), ("trtui.core",), ("trtui.stats", "trtui.telemetry"), ("trtui.ui",))


def test_the_floor_scan_counts_every_kind_of_import(tmp_path: Path) -> None:
    pkg = write_tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/common/__init__.py": "",
        "trtui/common/errors.py": "",
        "trtui/core/__init__.py": "",
        "trtui/core/model.py": "from trtui.common.errors import E\n",
        "trtui/stats/__init__.py": "",
        "trtui/stats/ok.py": "from trtui.core.model import X\nfrom . import other\n",
        "trtui/stats/other.py": TC + "    from trtui.ui import app\n",
        "trtui/telemetry/__init__.py": "",
        "trtui/telemetry/sample.py": "def f():\n    from trtui.stats.ok import Y\n",
        "trtui/ui/__init__.py": "",
        "trtui/ui/app.py": "import trtui.stats.ok\nimportlib.import_module('trtui.loose')\n",
        "trtui/loose.py": "",
        "trtui/common/json_kind.py": "from trtui.core import model\n",
    })
    found = floor_violations(edges(pkg), TOY_FLOORS)
    assert [f.split(" (")[0] for f in found] == [
        "trtui.common.json_kind:1 -> trtui.core.model",
        "trtui.stats.other:3 -> trtui.ui.app",
        "trtui.telemetry.sample:2 -> trtui.stats.ok",
        "trtui.ui.app:2 -> trtui.loose",
    ]
    assert "goes up" in found[0] and "goes up" in found[1]
    assert "sideways" in found[2] and "no floor" in found[3]


def test_the_ui_scan_catches_sources_readers_feeds_and_the_session(tmp_path: Path) -> None:
    pkg = write_tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/pipeline/__init__.py": "",
        "trtui/pipeline/session.py": "",
        "trtui/pipeline/update_feed.py": "",
        "trtui/recording/__init__.py": "",
        "trtui/recording/export.py": "",
        "trtui/recording/loader.py": "",
        "trtui/remote/__init__.py": "",
        "trtui/remote/feed.py": "",
        "trtui/sources/__init__.py": "",
        "trtui/ui/__init__.py": "",
        "trtui/ui/app.py": (
            "from trtui.pipeline.update_feed import UpdateFeed\n"
            "from trtui.pipeline import session\n"
            "def export():\n"
            "    from trtui.recording import export\n"
            "    from trtui.recording.loader import load\n"
            "    importlib.import_module('trtui.sources')\n"
        ),
        "trtui/ui/fleet.py": TC + "    from trtui.remote.feed import RemoteFeed\n",
    })
    found = ui_violations(edges(pkg))
    assert [f.split(" (")[0] for f in found] == [
        "trtui.ui.app:2 -> trtui.pipeline.session",
        "trtui.ui.app:5 -> trtui.recording.loader",
        "trtui.ui.app:6 -> trtui.sources",
        "trtui.ui.fleet:3 -> trtui.remote.feed",
    ]


def test_the_pure_scan_catches_an_aggregator_reading_the_machine(tmp_path: Path) -> None:
    pkg = write_tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/telemetry/__init__.py": "",
        "trtui/telemetry/sample.py": "",
        "trtui/telemetry/sampler.py": "",
        "trtui/stats/__init__.py": "",
        "trtui/stats/ok.py": "from trtui.telemetry.sample import S\n",
        "trtui/stats/bad.py": "def f():\n    from trtui.telemetry.sampler import Sampler\n",
    })
    found = pure_violations(edges(pkg))
    assert [f.split(" (")[0] for f in found] == ["trtui.stats.bad:2 -> trtui.telemetry.sampler"]


def test_the_cycle_scans_count_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    pkg = write_tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/a/__init__.py": "",
        "trtui/a/m.py": "import trtui.b.n\n",
        "trtui/b/__init__.py": "",
        "trtui/b/n.py": "def f():\n    from trtui.a import m\n",
        "trtui/c/__init__.py": "",
        "trtui/c/o.py": "import trtui.d.p\n",
        "trtui/d/__init__.py": "",
        "trtui/d/p.py": TC + "    import trtui.c.o\n",
        "trtui/x.py": "from trtui import y\n",
        "trtui/y.py": "try:\n    from .x import thing\nexcept ImportError:\n    pass\n",
        "trtui/k/__init__.py": "from trtui.k.inner import A\n",
        "trtui/k/inner.py": "class C:\n    from trtui.k import helper\n",
        "trtui/k/helper.py": "import typing\nif typing.TYPE_CHECKING:\n    from trtui.k import inner\n",
        "trtui/e/__init__.py": "",
        "trtui/e/one.py": "import trtui.e.two\n",
        "trtui/e/two.py": "",
    })
    found = edges(pkg)
    assert cycles(package_graph(found)) == [
        ["trtui.a", "trtui.b"], ["trtui.c", "trtui.d"], ["trtui.x", "trtui.y"],
    ]
    assert cycles(module_graph(found)) == [
        ["trtui.a.m", "trtui.b.n"],
        ["trtui.c.o", "trtui.d.p"],
        ["trtui.k.helper", "trtui.k.inner"],
        ["trtui.x", "trtui.y"],
    ]


def test_every_package_has_a_floor_and_every_import_respects_the_floors() -> None:
    found = edges(PACKAGE)
    packages = {package_of(m) for m in module_index(PACKAGE)}
    assert {"trtui.gpu", "trtui.ui", "trtui.core", "trtui.pipeline"} <= packages  # the scan sees the tree
    assert sorted(p for p in packages if floor_of(p) is None) == []
    assert floor_violations(found) == []


def test_aggregators_never_read_the_machine() -> None:
    assert pure_violations(edges(PACKAGE)) == []


def test_the_ui_never_imports_sources_readers_feeds_or_the_session() -> None:
    assert ui_violations(edges(PACKAGE)) == []


APPS = (
    "trtui.ui.app",
    "trtui.ui.fleet_app",
    "trtui.ui.sweep_app",
    "trtui.ui.tune_app",
    "trtui.ui.compare_app",
)
APP_BUILDERS = ("trtui.commands",)  # the composition root builds the apps; nothing in the UI does


def app_import_violations(graph: list[Edge]) -> list[str]:
    """Imports of an app module from anywhere but the command layer: screens and widgets get
    what they show from the app (attributes down) and post messages up, never import it."""
    return [
        f"{e} (only the command layer imports an app; screens get their data from it)"
        for e in graph
        if within(e.target, APPS) and e.source != e.target and not within(e.source, APP_BUILDERS)
    ]


def test_the_app_scan_catches_a_screen_importing_the_app(tmp_path: Path) -> None:
    pkg = write_tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/commands/__init__.py": "",
        "trtui/commands/attach.py": "def run():\n    from trtui.ui.fleet_app import FleetApp\n",
        "trtui/ui/__init__.py": "",
        "trtui/ui/app.py": "from trtui.ui.details import DetailsScreen\n",
        "trtui/ui/fleet_app.py": "",
        "trtui/ui/details.py": "def f():\n    from trtui.ui.app import TrtuiApp\n",
        "trtui/ui/palette.py": TC + "    from trtui.ui import app\n",
        "trtui/ui/other.py": "import trtui.ui.fleet_app\n",
    })
    found = app_import_violations(edges(pkg))
    assert [f.split(" (")[0] for f in found] == [
        "trtui.ui.details:2 -> trtui.ui.app",
        "trtui.ui.other:1 -> trtui.ui.fleet_app",
        "trtui.ui.palette:3 -> trtui.ui.app",
    ]


def test_only_the_command_layer_imports_the_apps() -> None:
    graph = edges(PACKAGE)
    assert any(within(e.target, APPS) for e in graph)  # the commands do import them
    assert app_import_violations(graph) == []


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph(edges(PACKAGE))
    assert "trtui.gpu" in graph and "trtui.ui" in graph
    assert cycles(graph) == []


def test_no_import_cycle_between_modules() -> None:
    graph = module_graph(edges(PACKAGE))
    assert "trtui.pipeline.session" in graph
    assert cycles(graph) == []


def test_only_a_handful_of_modules_at_the_top_level() -> None:
    assert top_level_modules(PACKAGE) == TOP_LEVEL


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
