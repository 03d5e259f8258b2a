"""Turn what the user typed (`demo`, an engine file, a recording) into a source and its telemetry.

File checks happen here, before anything touches a GPU, so that a user learns that a file is wrong
before being told that a GPU is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

from trtui.errors import UserError
from trtui.options import RunOptions
from trtui.paths import require_file
from trtui.sources.protocol import ProfileSource
from trtui.telemetry.sample import TelemetrySource

DEMO = "demo"


def check_readable(spec: str) -> Path:
    path = Path(spec)
    if not path.exists():
        raise UserError(
            f"{spec}: no such file or folder (give an engine file, a trtexec recording, or 'demo')"
        )
    if path.is_dir():
        if not os.access(path, os.R_OK | os.X_OK):
            raise UserError(f"{spec}: permission denied (cannot read the folder)")
        return path
    require_file(path, "engine file or trtexec recording")  # also refuses pipes and devices
    return path


def looks_like_json(path: Path) -> bool:
    """True if the file's first non-blank byte opens a JSON array or object."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip()
    except OSError as err:
        raise UserError(f"{path}: cannot read it ({err.strerror or err})") from None
    return head[:1] in (b"[", b"{")


def open_source(spec: str, options: RunOptions) -> ProfileSource:
    """The source for `spec`: `demo`, a recording (folder or JSON file), or an engine file."""
    if spec == DEMO:
        from trtui.sources.simulated import SimulatedSource

        return SimulatedSource(options)
    path = check_readable(spec)
    if path.is_dir() or looks_like_json(path):
        if options.kernels:
            raise UserError(
                f"{spec}: a trtexec recording has no kernel records (--kernels and --trace need an engine)"
            )
        from trtui.recording.source import open_recording

        return open_recording(path)
    from trtui.sources.engine import open_engine_source

    return open_engine_source(path, options)


def telemetry_for(source: ProfileSource, options: RunOptions) -> TelemetrySource | None:
    """The telemetry that goes with a source: simulated for the demo, none for a recording,
    the real GPU's for an engine."""
    from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry

    if isinstance(source, SimulatedSource):
        return SimulatedTelemetry(source)
    if source.info.kind == "recording":
        return None
    from trtui.telemetry.sampler import TelemetrySampler

    return TelemetrySampler(device_index=options.device)
