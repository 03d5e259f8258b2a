"""The one dispatch over what trtui reads back: a trtexec recording (one of its files, or its
folder) or a trtui JSON summary. The live replay (`source.open_recording`) and `analyze` /
`compare` (`runs.load_run`) both start here, so they accept the same inputs with the same errors.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from trtui.common.errors import UserError
from trtui.common.paths import require_input
from trtui.recording.files import detect_kind, read_json
from trtui.recording.loader import Recording, load_recording
from trtui.recording.summary_reader import SummaryDoc, parse_summary

WHAT = "a trtexec recording (a file of it or its folder) or a trtui summary"


@dataclass(frozen=True, slots=True)
class SummaryFile:
    """A trtui JSON summary read back, and where it was."""

    doc: SummaryDoc
    path: Path


def load_input(path: Path) -> Recording | SummaryFile:
    """Read `path` as a recording or a summary. Raises UserError (one line) on bad input;
    warnings go to the recording's notices."""
    path = Path(path)
    if stat.S_ISDIR(require_input(path, WHAT, folder_ok=True).st_mode):
        return load_recording(path)
    obj, notes = read_json(path)
    if detect_kind(obj) == "summary":
        try:
            return SummaryFile(parse_summary(obj), path)
        except UserError as err:
            raise UserError(f"{path}: {err}") from None
    return load_recording(path, preread=(obj, notes))
