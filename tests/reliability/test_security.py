"""trtui never unpickles, never evaluates strings as code, loads native code only in its GPU
package (where --plugins and --allow-host-code gate it), and writes only where it is asked to."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from reliability_support import ROOT, need, run_cli

PACKAGE = ROOT / "trtui"
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}
UNSAFE_CALLS = {"eval", "exec"}
NATIVE_LOADERS = {"CDLL", "PyDLL", "LoadLibrary", "dlopen"}


def findings(package: Path) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent)
        in_gpu = len(rel.parts) > 2 and rel.parts[1] == "gpu"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Import):
                found += [
                    f"{where} imports {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES
                ]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.split(".")[0] in UNSAFE_MODULES:
                    found.append(f"{where} imports from {node.module}")
            elif isinstance(node, ast.Call):
                func = node.func
                name = (
                    func.id
                    if isinstance(func, ast.Name)
                    else func.attr
                    if isinstance(func, ast.Attribute)
                    else ""
                )
                if name in UNSAFE_CALLS:
                    found.append(f"{where} calls {name}()")
                if name in NATIVE_LOADERS and not in_gpu:
                    found.append(f"{where} loads a native library with {name}() outside trtui/gpu/")
                for kw in node.keywords:
                    if kw.arg == "allow_pickle" and not (
                        isinstance(kw.value, ast.Constant) and not kw.value.value
                    ):
                        found.append(f"{where} passes allow_pickle")
    return found


def test_the_scan_finds_unsafe_code(tmp_path: Path) -> None:
    pkg = tmp_path / "trtui"
    (pkg / "gpu").mkdir(parents=True)
    (pkg / "gpu" / "plugins.py").write_text("import ctypes\nctypes.CDLL('libx.so')\n")
    (pkg / "bad.py").write_text(
        "import pickle\nfrom marshal import loads\nimport numpy as np\n"
        "def f(s):\n    eval(s)\n    builtins.exec(s)\n    np.load('x', allow_pickle=True)\n"
        "    ctypes.cdll.LoadLibrary('x')\n    re.compile(s)\n"
    )
    assert [f.split(" ", 1)[0] for f in findings(pkg)] == [
        "trtui/bad.py:1",
        "trtui/bad.py:2",
        "trtui/bad.py:5",
        "trtui/bad.py:6",
        "trtui/bad.py:7",
        "trtui/bad.py:8",
    ]


def test_no_unpickling_no_eval_no_native_loading_outside_gpu() -> None:
    assert findings(PACKAGE) == []


def test_profile_writes_only_the_files_asked_for(tmp_path: Path) -> None:
    need("profile")
    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    args = ["profile", "demo", "--duration", "1", "--json", "out.json", "--csv", "layers.csv"]
    proc = run_cli(args, cwd=work, env=env)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in work.iterdir()) == ["layers.csv", "out.json"]
    assert list(home.rglob("*")) == []
    summary = json.loads((work / "out.json").read_text())
    assert "simulated" in json.dumps(summary)
