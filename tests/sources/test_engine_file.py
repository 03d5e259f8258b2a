"""Engine file checks: no GPU, no TensorRT, only the header is read."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from trtui.common.errors import UserError
from trtui.core.options import RunOptions
from trtui.sources.engine import open_engine_source
from trtui.sources.engine_file import (
    HEADER_BYTES,
    describe_header,
    inspect_engine_file,
    plan_generation,
    read_plan,
)

PLAN = b"ftrt" + bytes(range(256)) * 4


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def error_of(path: Path) -> str:
    with pytest.raises(UserError) as info:
        inspect_engine_file(path)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_plain_plan_is_accepted_and_read_whole(tmp_path: Path) -> None:
    p = write(tmp_path, "m.engine", PLAN)
    ef = inspect_engine_file(p)
    assert ef.plan_offset == 0 and ef.size == len(PLAN) and ef.metadata is None
    assert read_plan(ef) == PLAN


def test_tensorrt_8_plans_start_with_ptrt(tmp_path: Path) -> None:
    # The real TensorRT 8.5.3 writes "ptrt" (seen on an H100); 10.x and 11.x write "ftrt".
    ef = inspect_engine_file(write(tmp_path, "m.plan", b"ptrt" + bytes(100)))
    assert ef.plan_offset == 0
    assert plan_generation(b"ptrt") == "8.x" and plan_generation(b"ftrt") == "10 or later"
    assert describe_header(b"ptrt" + bytes(10)) == "a TensorRT engine"


def test_other_tags_are_not_a_plan(tmp_path: Path) -> None:
    assert "71 74 72 74" in error_of(write(tmp_path, "m.plan", b"qtrt" + bytes(100)))
    assert plan_generation(b"qtrt") is None


def test_ultralytics_metadata_prefix_is_skipped(tmp_path: Path) -> None:
    meta = json.dumps({"task": "detect", "imgsz": [640, 640], "batch": 1}).encode()
    p = write(tmp_path, "yolo.engine", struct.pack("<I", len(meta)) + meta + PLAN)
    ef = inspect_engine_file(p)
    assert ef.plan_offset == 4 + len(meta)
    assert ef.metadata is not None and ef.metadata["task"] == "detect"
    assert read_plan(ef) == PLAN


def test_ultralytics_prefix_with_long_metadata_beyond_the_header(tmp_path: Path) -> None:
    meta = json.dumps({"names": {str(i): "x" * 50 for i in range(2000)}}).encode()
    assert len(meta) > HEADER_BYTES
    p = write(tmp_path, "yolo.engine", struct.pack("<I", len(meta)) + meta + PLAN)
    assert read_plan(inspect_engine_file(p)) == PLAN


def test_ultralytics_prefix_without_plan_is_refused(tmp_path: Path) -> None:
    meta = json.dumps({"task": "detect"}).encode()
    msg = error_of(write(tmp_path, "yolo.engine", struct.pack("<I", len(meta)) + meta + b"nope" * 20))
    assert "Ultralytics" in msg and "no TensorRT plan" in msg


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in error_of(tmp_path / "nope.engine")


def test_directory(tmp_path: Path) -> None:
    assert "is a folder" in error_of(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    assert "empty (0 bytes)" in error_of(write(tmp_path, "m.engine", b""))


def test_truncated_plan(tmp_path: Path) -> None:
    assert "truncated" in error_of(write(tmp_path, "m.engine", b"ftrt" + bytes(4)))


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trtui.sources.engine_file as engine_file

    p = write(tmp_path, "m.engine", PLAN)

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(engine_file, "open", denied, raising=False)
    assert "permission denied" in error_of(p)


def test_onnx_by_suffix_and_by_content(tmp_path: Path) -> None:
    by_suffix = error_of(write(tmp_path, "model.onnx", b"whatever"))
    assert "ONNX model" in by_suffix and "trtui tune" in by_suffix
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, producer_name="pytorch")
    p = tmp_path / "renamed.engine"
    onnx.save(model, str(p))
    msg = error_of(p)
    assert "ONNX model" in msg and "trtui tune" in msg


@pytest.mark.parametrize(
    ("head", "word"),
    [
        (b"PK\x03\x04" + bytes(60), "zip"),
        (b"\x7fELF" + bytes(60), "ELF"),
        (b"\x80\x04\x95" + bytes(60), "pickle"),
        (b'{"Layers": []}', "JSON"),
        (b"hello, I am text\n" * 4, "text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(60), "image"),
        (bytes([0x13, 0x37, 0xFE, 0x01]) + bytes(60), "13 37 fe 01"),
    ],
)
def test_other_formats_are_named(tmp_path: Path, head: bytes, word: str) -> None:
    msg = error_of(write(tmp_path, "m.engine", head))
    assert "not a TensorRT engine" in msg and word in msg


def test_huge_non_engine_is_refused_from_its_header(tmp_path: Path) -> None:
    p = tmp_path / "huge.engine"
    with open(p, "wb") as f:  # 4 GiB sparse file: reading it whole would take long and much memory
        f.write(b"GARBAGE!")
        f.seek(4 << 30)
        f.write(b"\0")
    msg = error_of(p)
    assert "not a TensorRT engine" in msg


def test_open_engine_source_checks_options_and_file_without_gpu_imports(tmp_path: Path) -> None:
    write(tmp_path, "x.onnx", b"\x08\x07\x12\x07pytorch")
    code = f"""
import sys
from pathlib import Path
from trtui.common.errors import UserError
from trtui.core.options import RunOptions
from trtui.sources.engine import open_engine_source
try:
    open_engine_source(Path({str(tmp_path / 'x.onnx')!r}), RunOptions())
except UserError as e:
    print(e)
src = open_engine_source(Path({str(write(tmp_path, 'ok.engine', PLAN))!r}), RunOptions())
print(src.info.kind, src.info.label, src.info.simulated)
heavy = [m for m in ('tensorrt', 'tensorrt_lean_bindings', 'pycuda', 'cuda', 'pynvml') if m in sys.modules]
print('heavy:', heavy)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    assert "ONNX model" in lines[0]
    assert lines[1] == "engine ok.engine False"
    assert lines[2] == "heavy: []"


@pytest.mark.parametrize("streams", [0, 65])
def test_bad_stream_count(tmp_path: Path, streams: int) -> None:
    with pytest.raises(UserError, match="--streams"):
        open_engine_source(write(tmp_path, "m.engine", PLAN), RunOptions(streams=streams))
