"""The real TensorRT lean runtime on a real GPU: files that are not loadable engines give trtui's
one-line errors, through the file checks or through TensorRT's own log.

Skips without the lean bindings, pycuda or a usable GPU. Run with: pytest -m gpu tests/gpu -s
"""

from __future__ import annotations

import importlib.util
import random
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gpu_support import pycuda_or_skip

from trtui.common.errors import UserError
from trtui.core.options import RunOptions
from trtui.sources.engine import open_engine_source

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu() -> None:
    pytest.importorskip("tensorrt_lean_bindings", reason="the TensorRT lean runtime is not installed")
    pycuda_or_skip()
    # trtui tries `tensorrt` first: the GPU stand-in's tensorrt.py must not be importable here (a test
    # that put tests/gpu/standin on sys.path once made these tests read the stand-in's errors).
    spec = importlib.util.find_spec("tensorrt")
    assert spec is None or "standin" not in str(spec.origin), f"tensorrt is shadowed by {spec.origin}"


def load_bytes(plan: bytes) -> str:
    """Deserialize raw bytes with the real lean runtime on the worker thread; the error it gives."""
    from trtui.gpu.runtime.cuda_check import check_cuda_device
    from trtui.gpu.runtime.engine_load import load_engine
    from trtui.gpu.runtime.trt_module import load_trt_module
    from trtui.gpu.runtime.worker import GpuWorker, PycudaPlatform

    check_cuda_device(0)
    trt = load_trt_module()

    def setup(driver: Any, res: Any, emit: Any) -> Any:
        load_engine(trt, plan, path="x.engine", allow_host_code=False, plugins=(), res=res)
        raise AssertionError("the bytes loaded as an engine")

    worker = GpuWorker(PycudaPlatform(0), setup)
    with pytest.raises(UserError) as info:
        worker.start(timeout=60)
    return str(info.value)


@pytest.mark.parametrize(
    ("plan", "fragment"),
    [
        (b"", "is empty"),
        (b"this is not an engine at all" * 10, "not a TensorRT engine TensorRT can read"),
        (b"ftrt" + bytes(12), "truncated or damaged"),
        (b"\x08\x07\x12\x07pytorch" + bytes(200), "not a TensorRT engine TensorRT can read"),
        # a plan header followed by noise: the runtime reads a platform tag that is not this machine's
        (b"ftrt" + random.Random(7).randbytes(65536), "built for another platform"),
    ],
    ids=["empty", "garbage", "truncated", "onnx-bytes", "ftrt-then-noise"],
)
def test_lean_runtime_failures_are_explained(gpu: None, plan: bytes, fragment: str) -> None:
    msg = load_bytes(plan)
    print(f"\n[{plan[:8]!r}] {msg}")
    assert fragment in msg and "\n" not in msg


def test_plan_magic_is_ftrt(gpu: None) -> None:
    """The header check's magic agrees with the runtime: a plan-sized file starting with 'ftrt' gets
    past TensorRT's magic-tag check, the same bytes with another tag do not."""
    body = bytes(4096)
    msg_ftrt = load_bytes(b"ftrt" + body)
    msg_ptrt = load_bytes(b"ptrt" + body)
    msg_other = load_bytes(b"xyzw" + body)
    print(f"\n[ftrt] {msg_ftrt}\n[ptrt] {msg_ptrt}\n[xyzw] {msg_other}")
    assert "not a TensorRT engine TensorRT can read" in msg_other
    assert "not a TensorRT engine TensorRT can read" not in msg_ftrt


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("empty.engine", b"", "empty (0 bytes)"),
        ("garbage.engine", b"GARBAGE!" * 100, "not a TensorRT engine"),
        ("model.onnx", b"\x08\x07\x12\x07pytorch", "ONNX model"),
        ("truncated.engine", b"ftrt" + bytes(100), "truncated.engine"),
        ("script.engine", b"#!/bin/sh\necho hi\n", "a text file"),
    ],
)
def test_open_engine_source_on_non_engines(
    gpu: None, tmp_path: Path, name: str, data: bytes, fragment: str
) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(UserError) as info:
        src = open_engine_source(path, RunOptions())
        try:
            src.start()
        finally:
            src.stop()
    msg = str(info.value)
    print(f"\n[{name}] {msg}")
    assert fragment in msg and "\n" not in msg


def test_cli_exits_2_with_one_line(gpu: None, tmp_path: Path) -> None:
    meta = b'{"task": "detect"}'
    cases = {
        "garbage.engine": b"GARBAGE!" * 100,
        "damaged.engine": b"ftrt" + bytes(4096),
        "yolo.engine": struct.pack("<I", len(meta)) + meta + b"ftrt" + bytes(4096),
    }
    for name, data in cases.items():
        path = write(tmp_path, name, data)
        proc = subprocess.run(
            [sys.executable, "-m", "trtui", "profile", str(path), "--duration", "1"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        print(f"\n[trtui profile {name}] rc={proc.returncode} stderr={proc.stderr.strip()!r}")
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("trtui: error: ")
