"""Atomic file writes: a reader (or a crash) never sees half a file.

Data goes to a temporary file in the same directory, is flushed to disk, then renamed over the
target (`os.replace` is atomic on POSIX and Windows). A process killed mid-write leaves only the
temporary file, which `partial_path` names so that the parent can remove it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from trtui.errors import UserError


def partial_path(path: Path) -> Path:
    """Where `write_atomic(path, ...)` writes before the rename."""
    return path.with_name(path.name + ".partial")


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically. OSError propagates (the caller words it)."""
    tmp = partial_path(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def copy_atomic(src: Path, dst: Path, chunk: int = 1 << 22) -> None:
    """Copy a (possibly large) file to `dst` atomically, streaming."""
    tmp = partial_path(dst)
    try:
        with open(src, "rb") as fi, open(tmp, "wb") as fo:
            while block := fi.read(chunk):
                fo.write(block)
            fo.flush()
            os.fsync(fo.fileno())
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, doc: Any, what: str = "JSON") -> None:
    """Write `doc` as indented JSON; a failure becomes a one-line `UserError`."""
    data = (json.dumps(doc, indent=2, sort_keys=False) + "\n").encode()
    try:
        write_atomic(path, data)
    except OSError as err:
        raise UserError(f"cannot write the {what} file {str(path)!r}: {err.strerror or err}") from None


def check_writable(path: Path, what: str) -> None:
    """Raise `UserError` now (before an hour of builds) if `path` cannot be written later."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError(f"{what} {str(path)!r} is a directory; give a file name")
    if not parent.is_dir():
        raise UserError(f"{what} {str(path)!r}: the directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise UserError(f"{what} {str(path)!r}: the directory {str(parent)!r} is not writable")
