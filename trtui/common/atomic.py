"""Atomic file writes, one implementation: a reader (or a crash) never sees a half-written file.

Data goes to a temporary file in the target's folder, is flushed to disk, then renamed over the
target (`os.replace` is atomic on POSIX and Windows); on any failure the temporary file is removed.
The temporary file has a unique name (`.NAME.XXXX.tmp`), or, with `fixed_partial=True`, the fixed
name `partial_path(target)` ("NAME.partial"): the tuner's build child writes engines that way, so
that when the child is killed mid-write its parent knows which half file to remove.

Two error policies over the one implementation:
- `atomic_file`, `write_atomic`, `copy_atomic`: an `OSError` propagates (the caller words it, or,
  in the build child, reports it as an event);
- `atomic_open`, `write_text_atomic`, `write_json_atomic`: a failure is a one-line `UserError`
  worded by `write_error`: "cannot write [WHAT ]PATH: REASON".
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from trtui.common.errors import UserError


def current_umask() -> int:
    """The process umask, read without changing it where the system says it (Linux), else by
    setting and restoring it."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def partial_path(path: Path) -> Path:
    """Where a `fixed_partial` write of `path` goes before the rename."""
    return path.with_name(path.name + ".partial")


@contextlib.contextmanager
def atomic_file(
    path: str | Path, mode: str = "w", encoding: str | None = "utf-8", *, fixed_partial: bool = False
) -> Iterator[IO[Any]]:
    """Open a temporary file beside `path` for writing (`mode` "w" or "wb"); rename it over `path`
    only if the block succeeds. OSError propagates. The file gets ordinary permissions (0666 less
    the umask), not the temporary file's 0600."""
    target = Path(path)
    enc = None if "b" in mode else encoding
    if fixed_partial:
        tmp = partial_path(target)
        fh: IO[Any] = open(tmp, mode, encoding=enc)  # noqa: SIM115 (closed below)
    else:
        directory = target.parent if str(target.parent) else Path(".")
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        tmp = Path(name)
        with contextlib.suppress(OSError):  # a file system without modes keeps its default
            os.fchmod(fd, 0o666 & ~current_umask())
        fh = os.fdopen(fd, mode, encoding=enc)
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically through `partial_path(path)`. OSError propagates."""
    with atomic_file(path, "wb", fixed_partial=True) as fh:
        fh.write(data)


def copy_atomic(src: Path, dst: Path, chunk: int = 1 << 22) -> None:
    """Copy a (possibly large) file to `dst` atomically through `partial_path(dst)`, streaming.
    OSError propagates."""
    with open(src, "rb") as fi, atomic_file(dst, "wb", fixed_partial=True) as fo:
        while block := fi.read(chunk):
            fo.write(block)


def write_error(path: str | Path, err: OSError, what: str | None = None) -> UserError:
    """The one-line error for a failed write of `path` (`what` names it: "--json")."""
    target = Path(path)
    name = f"{what} {target}" if what else str(target)
    parent = target.parent if str(target.parent) else Path(".")
    if isinstance(err, FileNotFoundError) and not parent.is_dir():
        return UserError(f"cannot write {name}: folder {parent} does not exist")
    return UserError(f"cannot write {name}: {err.strerror or err}")


@contextlib.contextmanager
def atomic_open(
    path: str | Path, mode: str = "w", encoding: str | None = "utf-8", what: str | None = None
) -> Iterator[IO[Any]]:
    """`atomic_file` whose failures (opening, writing, renaming) are one-line `UserError`s."""
    try:
        with atomic_file(path, mode, encoding) as fh:
            yield fh
    except OSError as err:
        raise write_error(path, err, what) from None


def write_text_atomic(path: str | Path, text: str, what: str | None = None) -> None:
    """`text` as UTF-8, atomically: readers see the old file or the whole new one, never a part. A
    failure is a one-line `UserError` ("cannot write [WHAT ]PATH: REASON")."""
    with atomic_open(path, what=what) as fh:
        fh.write(text)


def write_json_atomic(
    path: str | Path, obj: object, indent: int | None = None, what: str | None = None
) -> None:
    """`obj` as JSON (NaN and infinities refused: they are not JSON), atomically; UserError on failure.
    Compact by default: only then does `json` use its C encoder (at 20,000 layers an indented
    summary spends most of its time in the pure-Python one)."""
    text = json.dumps(obj, indent=indent, allow_nan=False, separators=None if indent else (",", ":"))
    write_text_atomic(path, text + "\n", what)
