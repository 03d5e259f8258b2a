"""The one check of an input path and the one check of an output path (pure, no GPU), each with
one wording, used by every command before anything opens or writes a file.

Inputs: "<path>: no such file or folder (give <what>)", "<path>: is a folder; give <what>",
"<path>: is not a regular file (a pipe, socket or device); give <what>", "<path>: permission
denied (cannot read it)", "<path>: cannot read it (<reason>)". `read_error` words an `OSError`
met later (while opening or reading) the same way.

Outputs: "<option> <path>: is a folder; give a file name", "<option> <path>: folder <dir> does
not exist", "<option> <path>: folder <dir> is not writable"; for an output folder,
"<option> <path>: exists and is not a folder".
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from trtui.common.errors import UserError


def read_error(path: Path, err: OSError, what: str = "a file") -> UserError:
    """The one-line error for an `OSError` met while opening or reading an input `path`."""
    if isinstance(err, FileNotFoundError):
        return UserError(f"{path}: no such file or folder (give {what})")
    if isinstance(err, IsADirectoryError):
        return UserError(f"{path}: is a folder; give {what}")
    if isinstance(err, PermissionError):
        return UserError(f"{path}: permission denied (cannot read it)")
    return UserError(f"{path}: cannot read it ({err.strerror or err})")


def require_input(path: Path, what: str = "a file", *, folder_ok: bool = False) -> os.stat_result:
    """The `stat` of `path` if it is a readable regular file (or, with `folder_ok`, a readable
    folder); otherwise a one-line UserError. `what` names what to give, with its article
    ("a TensorRT engine file (.engine or .plan)").

    Named pipes, sockets and devices are refused before they are opened: opening a pipe would
    block, and reading a device would never end.
    """
    try:
        st = path.stat()
    except OSError as err:
        raise read_error(path, err, what) from None
    if stat.S_ISDIR(st.st_mode):
        if not folder_ok:
            raise UserError(f"{path}: is a folder; give {what}")
        if not os.access(path, os.R_OK | os.X_OK):
            raise UserError(f"{path}: permission denied (cannot read it)")
        return st
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{path}: is not a regular file (a pipe, socket or device); give {what}")
    if not os.access(path, os.R_OK):
        raise UserError(f"{path}: permission denied (cannot read it)")
    return st


def check_output_file(path: Path | None, option: str, allow_stdout: bool = False) -> None:
    """Fail early (before any work: a run, an hour of builds) if `path` cannot be written later as
    a new or replaced file. `option` names it for the user ("--json")."""
    if path is None or (allow_stdout and str(path) == "-"):
        return
    if path.is_dir():
        raise UserError(f"{option} {path}: is a folder; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"{option} {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{option} {path}: folder {parent} is not writable")


def check_output_folder(path: Path | None, option: str | None = None) -> None:
    """Fail early if `path` cannot be the folder outputs go into (it may not exist yet)."""
    if path is None:
        return
    name = f"{option} {path}" if option else str(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{name}: exists and is not a folder")
