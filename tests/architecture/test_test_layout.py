"""The tests mirror the package: every folder under tests/ is named after a package of trtui
(`tests/stats/` holds the tests of `trtui/stats/`, `test_<module>.py` where a file is about one
module) or is one of the named cross-cutting folders below; only the listed helpers sit at tests/ top
level; and test file names are unique (the folders are not packages, so pytest imports each test
file by its bare name)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
PACKAGE = TESTS.parent / "trtui"

# Folders that are not a package of trtui, and what they hold.
CROSS_CUTTING = {
    "architecture": "the import rules, docstrings and this layout, checked on the source",
    "data": "files the tests read (TensorRT API dumps, real TensorRT 8.5 artifacts, the JUnit schema)",
    "docs": "README.md says what the code does",
    "harness": "the test suite's own helpers (tests that need ../shared fail in CI)",
    "reliability": "bad input, fuzzing, signals, lost terminals, security and soak, across commands",
    "runtime": "trtui/gpu/runtime and the engine sources that drive it, against fake TensorRT and CUDA"
    " (rt_fakes.py, also used by tests/gpu/standin, tests/tune and tests/ui); no GPU",
    "scripts": "the repository's scripts outside the package (sample_engines/make_onnx.py)",
    "tools": "tools that write test data (not tests)",
}

# Files at tests/ top level: the root configuration and helpers used by tests in several folders.
TOP_LEVEL = {"conftest.py", "shared_support.py"}


def _folders() -> list[str]:
    return sorted(p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _packages() -> set[str]:
    return {p.parent.name for p in PACKAGE.glob("*/__init__.py")}


def test_every_folder_is_a_package_of_trtui_or_a_named_cross_cutting_one() -> None:
    packages = _packages()
    assert {"stats", "ui", "gpu", "commands"} <= packages  # the package is where the test expects
    unknown = [f"tests/{name}/" for name in _folders() if name not in packages and name not in CROSS_CUTTING]
    assert not unknown, f"not a package of trtui nor a named cross-cutting folder: {unknown}"


def test_named_cross_cutting_folders_exist_and_are_not_package_names() -> None:
    folders = set(_folders())
    assert not [name for name in CROSS_CUTTING if name not in folders], "a named folder is gone: drop it"
    assert not CROSS_CUTTING.keys() & _packages(), "a package's tests live in its own folder"


def test_only_the_listed_files_sit_at_top_level() -> None:
    files = sorted(p.name for p in TESTS.iterdir() if p.is_file() and not p.name.startswith("."))
    assert "conftest.py" in files
    extra = [name for name in files if name not in TOP_LEVEL]
    assert not extra, f"move into the folder of the package (or named folder) they test: {extra}"


def test_test_file_names_are_unique_across_folders() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        if "__snapshots__" not in path.parts:
            where[path.name].append(str(path.relative_to(TESTS)))
    assert len(where) > 100
    same = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert not same, f"pytest imports test files by bare name (no __init__.py): {same}"
