"""trtui never unpickles, never evaluates strings as code, loads native code only in its GPU
package (where --plugins and --allow-host-code gate it), and writes only where it is asked to."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from reliability_support import ROOT, need, run_cli
from shared_support import missing_shared

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


def _private_env(tmp_path: Path) -> tuple[dict[str, str], list[Path]]:
    """HOME, XDG folders and TMPDIR in empty folders of their own (to see what trtui writes)."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "TMPDIR": str(tmp),
    }
    return env, [home, tmp]


FIXTURE = ROOT.parent / "shared" / "fixtures" / "trtexec" / "resnet18-a100-fp16"

WRITES = [
    pytest.param("profile", ["profile", "demo", "--duration", "1"], [], id="profile-nothing"),
    pytest.param(
        "profile",
        ["profile", "demo", "--duration", "1", "--json", "out.json", "--csv", "layers.csv"],
        ["layers.csv", "out.json"],
        id="profile-json-csv",
    ),
    pytest.param(
        "profile", ["profile", "demo", "--duration", "1", "--export-dir", "rec"], ["rec"], id="profile-export"
    ),
    pytest.param("tune", ["tune", "demo", "--headless"], [], id="tune-nothing"),
    pytest.param("tune", ["tune", "demo", "--headless", "--json", "t.json"], ["t.json"], id="tune-json"),
    pytest.param("telemetry", ["telemetry", "--json"], [], id="telemetry"),
    pytest.param("compare", ["compare", str(FIXTURE), str(FIXTURE)], [], id="compare"),
]


@pytest.mark.parametrize(("command", "args", "expected"), WRITES)
def test_writes_only_the_files_asked_for(
    tmp_path: Path, command: str, args: list[str], expected: list[str]
) -> None:
    """The working folder ends up with exactly the outputs asked for; HOME and TMPDIR stay empty
    (no config, cache or temporary file left behind)."""
    need(command)
    if "compare" in args and not FIXTURE.is_dir():
        missing_shared(f"fixtures not found: {FIXTURE}")
    work = tmp_path / "work"
    work.mkdir()
    env, private = _private_env(tmp_path)
    proc = run_cli(args, cwd=work, env=env, timeout=120)
    assert "Traceback" not in proc.stderr
    if command == "telemetry" and proc.returncode != 0:
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    else:
        assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in work.iterdir()) == expected
    for folder in private:
        assert list(folder.rglob("*")) == [], f"{folder.name}: {list(folder.rglob('*'))}"
    if "out.json" in expected:
        assert json.loads((work / "out.json").read_text())["source"]["simulated"] is True
    if "rec" in expected:
        assert all(p.is_file() for p in (work / "rec").iterdir()) and any((work / "rec").iterdir())


def test_host_code_and_plugins_only_when_asked() -> None:
    """Plans with embedded host code are allowed only from the --allow-host-code option (never a
    literal True), and plugin libraries are loaded only in trtui/gpu/."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent)
        in_gpu = len(rel.parts) > 2 and rel.parts[1] == "gpu"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            literal_true = (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and node.value.value is True
                and any(
                    isinstance(t, ast.Attribute) and t.attr == "engine_host_code_allowed"
                    for t in node.targets
                )
            )
            if literal_true:
                found.append(f"{rel}:{getattr(node, 'lineno', '?')} allows host code unconditionally")
            loads_plugin = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "load_library"
            )
            if loads_plugin and not in_gpu:
                found.append(
                    f"{rel}:{getattr(node, 'lineno', '?')} loads a plugin library outside trtui/gpu/"
                )
    assert found == []
