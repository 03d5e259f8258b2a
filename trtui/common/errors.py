"""Errors a user can cause, and how the CLI shows them.

Every bad input (a missing file, a wrong format, a bad option value) is raised as a `UserError`.
The CLI prints its one-line message on stderr and exits with code 2; nothing else is printed,
never a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with what the user asked for; `str(err)` is the one line the CLI prints."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        # One line: a user reads this in a terminal, and scripts grep it.
        super().__init__(" ".join(message.split()))


class MissingDependency(UserError):
    """Something trtui needs for this command is not installed (TensorRT, pycuda, onnx...)."""


class NoGpu(UserError):
    """No usable NVIDIA driver or GPU."""


class InternalError(UserError):
    """A bug in trtui, not the user's doing (e.g. an unexpected exception inside a screen): the CLI
    prints its one line and exits with code 1; the details were saved where the line says."""

    exit_code = 1


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP ended a headless command, which says in `str(err)` what it did
    about it (e.g. which files it wrote); the CLI prints that one line and exits with 130."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
