"""Fixtures of the reliability tests: a corpus of bad input files, built once per session."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_support import ENGINE_FILES, RECORDING_FILES, tiny_onnx

SPARSE_BYTES = 8 << 30  # 8 GiB, sparse: nothing may read it whole


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder of bad inputs (see ENGINE_FILES, RECORDING_FILES, plus special cases)."""
    root = tmp_path_factory.mktemp("corpus")
    for name, data in ENGINE_FILES.items():
        (root / name).write_bytes(data)
    for name, text in RECORDING_FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    onnx = tiny_onnx()
    (root / "model.onnx").write_bytes(onnx)
    (root / "model-onnx-content.engine").write_bytes(onnx)  # an ONNX model under an engine's name
    (root / "empty.onnx").write_bytes(b"")
    (root / "garbage.onnx").write_bytes(ENGINE_FILES["garbage.engine"])
    (root / "text.onnx").write_text("graph { node { op_type: 'Relu' } }\n")
    os.mkfifo(root / "pipe.engine")
    os.mkfifo(root / "pipe.onnx")
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
