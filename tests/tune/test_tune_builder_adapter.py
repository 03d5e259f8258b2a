"""The TensorRT builder adapter (trtui/gpu/build/builder.py): its list of TensorRT names against the real lean
bindings and against the fake module the end-to-end tests run it with, and its behaviour without
TensorRT. (Real builds were not run: no TensorRT builder can be installed in this workplace.)"""

from __future__ import annotations

import enum
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from trtui.gpu.build import builder
from trtui.tune import protocol
from trtui.tune.real import format_shapes, parse_probe

FAKE_DIR = Path(__file__).with_name("fake_trt")
# The 10.0 fallback; every other listed name is run by the end-to-end tests with the fakes.
TRT85_NAMES = frozenset(json.loads(
    (Path(__file__).parents[1] / "data" / "trt_api" / "tensorrt-8.5.3.1.json").read_text())["names"])
NOT_EXERCISED_BY_THE_FAKE = {"ICudaEngine.device_memory_size"}
FULL_ONLY_CLASSES = {"Builder", "IBuilderConfig", "OnnxParser", "INetworkDefinition", "ITensor"}


def _resolve(module: Any, dotted: str) -> bool:
    obj = module
    for part in dotted.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def _load_fake() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fake_tensorrt_for_names", FAKE_DIR / "tensorrt.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _public_names(mod: ModuleType) -> set[str]:
    names = {"__version__"}
    for attr, value in vars(mod).items():
        if attr.startswith("_") or not isinstance(value, type) or value.__module__ != mod.__name__:
            continue
        names.add(attr)
        if issubclass(value, enum.Enum):
            names |= {f"{attr}.{m}" for m in value.__members__}
            continue
        for member, obj in vars(value).items():
            if member == "__init__" or not member.startswith("_"):
                if isinstance(obj, type) and issubclass(obj, enum.Enum):
                    names |= {f"{attr}.{member}.{m}" for m in obj.__members__}
                names.add(f"{attr}.{member}")
    return names


def test_every_name_is_listed_once_and_marked() -> None:
    names = [n for n, _ in builder.TRT_NAMES_USED]
    assert len(names) == len(set(names))
    assert set(names) >= builder.OPTIONAL_TRT_NAMES


def test_names_exist_in_the_real_lean_bindings_unless_marked_full_only() -> None:
    lean = pytest.importorskip("tensorrt_lean_bindings", reason="the lean bindings come with the test extras")
    for name, full_only in builder.TRT_NAMES_USED:
        assert _resolve(lean, name) != full_only, (name, full_only)


def test_the_fake_used_by_the_end_to_end_tests_covers_the_list_with_real_names_only() -> None:
    fake = _public_names(_load_fake())
    listed = {n for n, _ in builder.TRT_NAMES_USED}
    missing = listed - fake - NOT_EXERCISED_BY_THE_FAKE
    # the adapter's progress monitor subclasses these; the fake's base class is empty like the real one
    missing -= {"IProgressMonitor.phase_start", "IProgressMonitor.step_complete",
                "IProgressMonitor.phase_finish"}
    assert missing == set(), missing
    lean = pytest.importorskip("tensorrt_lean_bindings", reason="the lean bindings come with the test extras")
    for name in sorted(fake - listed):  # whatever else the fake defines must be real too
        if name.split(".")[0] in FULL_ONLY_CLASSES:
            continue
        if name.endswith(".__init__"):
            name = name.removesuffix(".__init__")
        assert _resolve(lean, name) or name in TRT85_NAMES, (
            f"the fake defines {name}, which neither the real 11.4 lean bindings nor the real 8.5.3 have")


def test_every_name_exists_in_the_real_tensorrt_8_5_unless_optional() -> None:
    """The builder against the public names of the real TensorRT 8.5.3 (dumped from PyPI's wheel)."""
    missing = {n for n, _ in builder.TRT_NAMES_USED if n not in TRT85_NAMES}
    assert missing <= builder.OPTIONAL_TRT_NAMES, sorted(missing - builder.OPTIONAL_TRT_NAMES)
    # and what 8.5 lacks is really what the code guards
    assert {"IProgressMonitor", "MemoryPoolType.TACTIC_DRAM", "ICudaEngine.device_memory_size_v2"} <= missing


def test_importing_the_adapter_needs_no_tensorrt() -> None:
    probe = ("import sys, trtui.gpu.build.builder; "
             "print([m for m in ('tensorrt', 'pycuda', 'pynvml') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="a tensorrt module is installed")
def test_child_without_tensorrt() -> None:
    done = subprocess.run([sys.executable, "-m", "trtui.gpu.build.builder", "probe"], capture_output=True,
                          text=True, check=True)
    probe = parse_probe(done.stdout)
    assert probe is not None and not probe.full and "not installed" in (probe.reason or "")
    done = subprocess.run([sys.executable, "-m", "trtui.gpu.build.builder", "build", "m.onnx", "--pool",
                           "WORKSPACE", "--limit", "1048576", "--engine", "x.engine"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == builder.EXIT_FATAL
    obj = protocol.decode(done.stdout.strip().splitlines()[-1])
    assert obj is not None and obj["ev"] == "error" and obj["kind"] == "fatal"
    expected = "building engines needs the TensorRT builder: the full 'tensorrt' package is not installed"
    assert obj["message"] == expected


def test_shapes_pass_to_the_child_in_a_form_it_parses_back() -> None:
    from trtui.engine_info.shapes import parse_shapes

    shapes = (("input", (1, 3, 224, 224)), ("in:0", (2, 77)))
    assert parse_shapes(format_shapes(shapes)) == shapes


def test_protocol_lines() -> None:
    line = protocol.encode("progress", kind="step", phase="Timing", step=3)
    obj = protocol.decode(line)
    assert obj is not None
    assert protocol.to_event(obj) is not None
    assert protocol.decode('{"not": "ours"}') is None
    assert protocol.decode("[TRT] [W] text") is None
    assert protocol.decode('{"trtui": 1, "ev": 3}') is None
    bogus = json.loads('{"trtui": 1, "ev": "progress", "kind": "bogus", "phase": "x"}')
    assert protocol.to_event(bogus) is None
    assert protocol.opt_float(float("nan")) is None and protocol.opt_int(True) is None
