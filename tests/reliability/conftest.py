"""Fixtures of the reliability tests: a corpus of bad input files, built once per session."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

SPARSE_BYTES = 8 << 30  # 8 GiB, sparse: nothing may read it whole


def _tiny_onnx() -> bytes:
    """A real (tiny) ONNX model if the onnx package is there, else an ONNX-like protobuf header."""
    try:
        from onnx import TensorProto, helper
    except ImportError:
        return b"\x08\x08\x12\x07pytorch\x1a\x032.1:\x00"
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "tiny", [x], [y])
    model = helper.make_model(graph, producer_name="trtui-tests")
    data: bytes = model.SerializeToString()
    return data


# name -> bytes of an "engine" that is not one
ENGINE_FILES: dict[str, bytes] = {
    "empty.engine": b"",
    "garbage.engine": bytes((i * 7919 + 13) % 256 for i in range(4096)),
    "truncated-header.engine": b"ftrt\x00\x00",
    "truncated-plan.engine": b"ftrt" + bytes(range(256)) * 4,
    "zeros.plan": bytes(1024),
    "text.engine": b"this is a text file, not an engine\n" * 10,
    "notes.txt": b"hello\n",
    "pickle.engine": b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94.",
    "archive.engine": b"PK\x03\x04" + bytes(100),
    "elf.engine": b"\x7fELF\x02\x01\x01" + bytes(100),
    "ultralytics-no-plan.engine": (12).to_bytes(4, "little") + b'{"batch": 1}' + b"xxxx" * 10,
}

# name -> text of a "recording" that is not one
RECORDING_FILES: dict[str, str] = {
    "malformed.json": '[{"count": 10}, {"name": "conv1", "timeMs": ',
    "malformed-object.json": '{"Layers": [{"Name": "a",}]}',
    "nan-word.json": "[NaN, Infinity, -Infinity]",
    "deep.json": "[" * 100_000 + "]" * 100_000,
    "empty-list.json": "[]",
    "empty-object.json": "{}",
    "numbers.json": "[1, 2, 3]",
    "nested-lists.json": "[[[]]]",
    "object-of-nothing-known.json": '{"hello": "world", "n": 1}',
    "profile-count-string.json": '[{"count": "ten"}, {"name": "a", "timeMs": 1.0, "averageMs": 0.1}]',
    "profile-name-number.json": '[{"count": 10}, {"name": 5, "timeMs": "x", "averageMs": null}]',
    "profile-negative.json": '[{"count": -3}, {"name": "a", "timeMs": -1, "averageMs": -0.1}]',
    "profile-huge.json": '[{"count": 1e400}, {"name": "a", "timeMs": 1e400, "averageMs": 1e400}]',
    "times-wrong-types.json": '[{"startEnqMs": "a", "endEnqMs": [], "latencyMs": {"x": 1}}]',
    "layers-wrong-types.json": '{"Layers": [1, "a", null, {"Name": 7, "Inputs": "x"}]}',
    "layers-not-list.json": '{"Layers": {"Name": "a"}}',
    "summary-wrong-types.json": json.dumps({"schema": "trtui.summary/1", "layers": 7, "latency_ms": "x"}),
    "metadata-wrong-types.json": json.dumps(
        {"performance_summary": [1, 2], "inference_options": "x", "device_information": 5}
    ),
}


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder of bad inputs (see ENGINE_FILES, RECORDING_FILES, plus special cases)."""
    root = tmp_path_factory.mktemp("corpus")
    for name, data in ENGINE_FILES.items():
        (root / name).write_bytes(data)
    for name, text in RECORDING_FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    onnx = _tiny_onnx()
    (root / "model.onnx").write_bytes(onnx)
    (root / "model-onnx-content.engine").write_bytes(onnx)  # an ONNX model under an engine's name
    (root / "empty.onnx").write_bytes(b"")
    (root / "garbage.onnx").write_bytes(ENGINE_FILES["garbage.engine"])
    (root / "text.onnx").write_text("graph { node { op_type: 'Relu' } }\n")
    os.mkfifo(root / "pipe.engine")
    for name, head in (
        ("huge-sparse.engine", b""),
        ("huge-sparse-magic.engine", b"ftrt"),
        ("huge-sparse.onnx", b""),
        ("huge-sparse-header.onnx", onnx[:16]),
        ("huge-sparse.json", b"[{"),
    ):
        with open(root / name, "wb") as fh:
            fh.write(head)
        os.truncate(root / name, SPARSE_BYTES)
    (root / "a-directory").mkdir()
    (root / "a-directory" / "readme.txt").write_text("not a recording\n")
    (root / "empty-directory").mkdir()
    bad_rec = root / "recording-folder-bad"
    bad_rec.mkdir()
    (bad_rec / "model.engine.profile.json").write_text('[{"count": 10}, {"name": ')
    (bad_rec / "model.engine.times.json").write_text('[{"latencyMs": "slow"}]')
    noperm = root / "no-permission.engine"
    noperm.write_bytes(b"ftrt" + bytes(64))
    noperm.chmod(0)
    yield root
    noperm.chmod(0o600)
    for name in (
        "huge-sparse.engine",
        "huge-sparse-magic.engine",
        "huge-sparse.onnx",
        "huge-sparse-header.onnx",
        "huge-sparse.json",
    ):
        with contextlib.suppress(OSError):
            (root / name).unlink()
