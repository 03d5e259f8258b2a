"""Checks on input paths that run before anything opens them (pure, no GPU)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from trtui.errors import UserError


def require_file(path: Path, what: str = "file") -> os.stat_result:
    """The `stat` of `path` if it is a readable regular file; otherwise a one-line UserError.

    Named pipes, sockets and devices are refused before they are opened: opening a pipe would
    block, and reading a device would never end.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file or folder") from None
    except OSError as err:
        raise UserError(f"{path}: cannot read it ({err.strerror or err})") from None
    if stat.S_ISDIR(st.st_mode):
        raise UserError(f"{path}: is a folder, expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{path}: is not a regular file (a pipe, socket or device); give a {what}")
    if not os.access(path, os.R_OK):
        raise UserError(f"{path}: permission denied (cannot read it)")
    return st


def check_output_file(path: Path | None, option: str, allow_stdout: bool = False) -> None:
    """Fail early (before any work) if `path` cannot be written as a new or replaced file."""
    if path is None or (allow_stdout and str(path) == "-"):
        return
    if path.is_dir():
        raise UserError(f"{option} {path}: is a folder; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"{option} {path}: folder {parent} does not exist")
