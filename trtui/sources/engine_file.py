"""Checks on an engine file that need neither a GPU nor TensorRT: it exists, is readable, is not
empty, and its first bytes are a TensorRT plan (optionally behind the metadata prefix Ultralytics
writes). Only the header is read here, so a huge file of the wrong kind is refused at once.

TensorRT plans start with a 4-byte tag: ``ftrt`` from TensorRT 10 on (the runtime's
kEXPECTED_MAGIC_TAG, 0x74727466: the 11.4 lean runtime rejects any other first four bytes with
"magicTag == kEXPECTED_MAGIC_TAG failed", checked on an H100) and ``ptrt`` for TensorRT 8.x (seen on
engines built by the real TensorRT 8.5.3 on an H100). A plan of one version never loads in another;
`plan_generation` says which family wrote a plan, so the load error can say so. Ultralytics
``.engine`` files put
``<uint32 little-endian length><JSON metadata>`` in front of the plan; the plan that follows is what
TensorRT deserializes.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from trtui.common.errors import UserError
from trtui.common.paths import read_error, require_input

PLAN_MAGICS: tuple[bytes, ...] = (b"ftrt", b"ptrt")
# Which TensorRT family writes each tag (the major versions, for messages).
PLAN_FAMILIES: dict[bytes, str] = {b"ftrt": "10 or later", b"ptrt": "8.x"}
HEADER_BYTES = 64 * 1024
MAX_METADATA_BYTES = 16 * 1024 * 1024  # an Ultralytics metadata prefix is a few KiB
MIN_PLAN_BYTES = 32  # smaller than any plan header: surely truncated
ENGINE_WHAT = "a TensorRT engine file (.engine or .plan)"


@dataclass(frozen=True, slots=True)
class EngineFile:
    """A file that passed the header checks. The plan is ``size - plan_offset`` bytes at ``plan_offset``."""

    path: Path
    size: int
    plan_offset: int = 0
    metadata: Mapping[str, object] | None = field(default=None)  # Ultralytics metadata, if any

    @property
    def plan_size(self) -> int:
        return self.size - self.plan_offset


def _hex(head: bytes) -> str:
    return " ".join(f"{b:02x}" for b in head[:4])


def _looks_like_onnx(head: bytes) -> bool:
    """An ONNX ModelProto starts with ir_version (field 1, varint, 1..~20) and then another field
    of ModelProto (producer_name, producer_version, domain, model_version, doc_string, graph,
    opset_import, ...)."""
    if len(head) < 3 or head[0] != 0x08 or not 1 <= head[1] <= 0x20:
        return False
    return head[2] in (0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72, 0x7A)


def _other_format(head: bytes) -> str | None:
    """A short description of a well-known non-engine format, or None."""
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive (a PyTorch .pt checkpoint or similar)"
    if head.startswith(b"\x7fELF"):
        return "an ELF program or shared library"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip-compressed file; decompress it first"
    if head.startswith(b"\x89HDF"):
        return "an HDF5 file (a Keras model?)"
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy array file"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "a Python pickle (a PyTorch model?)"
    if head[4:8] == b"TFL3":
        return "a TensorFlow Lite model"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff") or head.startswith(b"GIF8"):
        return "an image"
    if len(head) >= 10:
        (n,) = struct.unpack("<Q", head[:8])
        if 2 <= n < 100_000_000 and head[8:10] == b'{"':
            return "a safetensors file"
    text = head.lstrip()
    if text[:1] in (b"{", b"["):
        return "a JSON file (trtexec exports are opened as recordings, not as engines)"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if b"\x00" not in head:
        return "a text file"
    return None


def _read_exact(f: BinaryIO, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = f.read(n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def _ultralytics_prefix(f: BinaryIO, head: bytes, size: int) -> tuple[int, Mapping[str, object]] | None:
    """(plan offset, metadata) if the file starts with Ultralytics' length + JSON prefix."""
    if len(head) < 8:
        return None
    (n,) = struct.unpack("<I", head[:4])
    if not 2 <= n <= MAX_METADATA_BYTES or 4 + n > size or head[4:5] != b"{":
        return None
    if 4 + n <= len(head):
        blob = head[4 : 4 + n]
    else:
        f.seek(4)
        blob = _read_exact(f, n)
    try:
        meta = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(meta, dict):
        return None
    return 4 + n, meta


def describe_header(head: bytes) -> str:
    """What a file's first bytes say it is, for messages about a file of the wrong kind: "a TensorRT
    engine", "an ONNX model", a well-known format, or its first bytes."""
    if head[:4] in PLAN_MAGICS:
        return "a TensorRT engine"
    if len(head) >= 8 and head[4:5] == b"{" and any(m in head for m in PLAN_MAGICS):
        return "a TensorRT engine (with an Ultralytics metadata header)"
    if _looks_like_onnx(head):
        return "an ONNX model"
    return _other_format(head) or f"a file that starts with bytes {_hex(head)}"


def plan_generation(plan_head: bytes) -> str | None:
    """The TensorRT versions that write a plan starting with `plan_head` ("8.x", "10 or later"), or None
    when the tag is not a known one."""
    return PLAN_FAMILIES.get(bytes(plan_head[:4]))


def onnx_advice(path: Path) -> str:
    """The message for an ONNX model given where an engine was expected: how to build one, into a
    file other than the model itself (a model named `x.engine` gets `x.built.engine`)."""
    out = path.with_suffix(".engine")
    if out.name == path.name:
        out = path.with_name(f"{path.stem}.built.engine")
    renamed = f" (it is named like an engine; consider renaming it to {path.stem}.onnx)" if (
        path.suffix.lower() != ".onnx") else ""
    return (f"{path} is an ONNX model, not a TensorRT engine{renamed}: build an engine from it with "
            f"'trtui tune {path}' (or trtexec --onnx={path} --saveEngine={out})")


def inspect_engine_file(path: Path) -> EngineFile:
    """Check that `path` holds a TensorRT engine, reading only its header. Raises UserError."""
    st = require_input(path, ENGINE_WHAT)
    if path.suffix.lower() == ".onnx":
        raise UserError(onnx_advice(path))
    if st.st_size == 0:
        raise UserError(f"{path} is empty (0 bytes): it is not a TensorRT engine; rebuild or copy it again")
    try:
        with open(path, "rb") as f:
            head = _read_exact(f, HEADER_BYTES)
            if head[:4] in PLAN_MAGICS:
                if st.st_size < MIN_PLAN_BYTES:
                    raise UserError(f"{path} is truncated ({st.st_size} bytes): rebuild or copy it again")
                return EngineFile(path=path, size=st.st_size)
            prefix = _ultralytics_prefix(f, head, st.st_size)
            if prefix is not None:
                offset, meta = prefix
                f.seek(offset)
                magic = _read_exact(f, 4)
                if magic in PLAN_MAGICS and st.st_size - offset >= MIN_PLAN_BYTES:
                    return EngineFile(path=path, size=st.st_size, plan_offset=offset, metadata=meta)
                raise UserError(
                    f"{path} has an Ultralytics metadata header but no TensorRT plan after it "
                    "(truncated or not exported as an engine): export it again"
                )
    except OSError as err:
        raise read_error(path, err, ENGINE_WHAT) from None
    if _looks_like_onnx(head):
        raise UserError(onnx_advice(path))
    kind = _other_format(head)
    if kind is not None:
        raise UserError(f"{path} is not a TensorRT engine: it is {kind}")
    raise UserError(
        f"{path} is not a TensorRT engine: it starts with bytes {_hex(head)}, not a TensorRT plan header"
    )


def read_plan(engine: EngineFile) -> bytes:
    """The plan bytes (without any metadata prefix). Raises UserError if the file changed."""
    try:
        with open(engine.path, "rb") as f:
            f.seek(engine.plan_offset)
            data = f.read()
    except OSError as err:
        raise UserError(f"cannot read {engine.path}: {err.strerror or err}") from None
    if len(data) != engine.plan_size:
        raise UserError(f"{engine.path} changed while trtui was reading it: try again")
    return data


def describe_size(n: int) -> str:
    """'12.3 MiB' style size for messages."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


__all__ = [
    "PLAN_MAGICS", "EngineFile", "describe_header", "describe_size", "inspect_engine_file", "onnx_advice",
    "read_plan",
]
