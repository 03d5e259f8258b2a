"""Turn what the user typed (`demo`, an engine file, a recording) into a source and its telemetry.

File checks happen here, before anything touches a GPU, so that a user learns that a file is wrong
before being told that a GPU is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trtui.common.errors import UserError
from trtui.common.paths import read_error, require_input
from trtui.core.options import RunOptions
from trtui.sources.protocol import ProfileSource
from trtui.telemetry.sample import TelemetrySource

if TYPE_CHECKING:
    from trtui.telemetry.sampler import TelemetrySampler

DEMO = "demo"
WHAT = "an engine file, a trtexec recording, or 'demo'"


def check_readable(spec: str) -> Path:
    """`spec` as a path if it is a readable file or folder; a one-line `UserError` otherwise (a pipe or
    device is refused before it is opened)."""
    path = Path(spec)
    require_input(path, WHAT, folder_ok=True)  # also refuses pipes and devices
    return path


def looks_like_json(path: Path) -> bool:
    """True if the file's first non-blank byte opens a JSON array or object."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip()
    except OSError as err:
        raise read_error(path, err, WHAT) from None
    return head[:1] in (b"[", b"{")


def open_source(spec: str, options: RunOptions) -> ProfileSource:
    """The source for `spec`: `demo`, a recording (folder or JSON file), or an engine file."""
    if options.shapes and (spec == DEMO or Path(spec).is_dir() or looks_like_json(check_readable(spec))):
        what = "the simulated demo has fixed input shapes" if spec == DEMO else "a recording is fixed"
        raise UserError(f"--shapes applies to an engine file only: {what}")
    if spec == DEMO:
        from trtui.sources.simulated import SimulatedSource

        return SimulatedSource(options)
    path = check_readable(spec)
    if not path.is_dir() and path.name.lower().endswith(".json") and not looks_like_json(path):
        raise UserError(
            f"{spec} is not a readable trtexec recording: a .json file, but it does not hold JSON "
            "(give a trtexec --exportProfile/--exportTimes file, an engine file, or 'demo')"
        )
    if path.is_dir() or looks_like_json(path):
        if options.kernels:
            raise UserError(
                f"{spec}: a trtexec recording has no kernel records (--kernels and --trace need an engine)"
            )
        from trtui.recording.source import open_recording

        return open_recording(path)
    from trtui.sources.engine import check_engine_request, open_engine_source
    from trtui.sources.engine_process import EngineProcessSource, in_process_requested

    if in_process_requested():
        return open_engine_source(path, options)
    return EngineProcessSource(check_engine_request(path, options), options)


def telemetry_for(source: ProfileSource, options: RunOptions) -> TelemetrySource | None:
    """The telemetry that goes with a source: simulated for the demo, none for a recording,
    the real GPU's for an engine."""
    from trtui.sources.simulated import SimulatedSource, SimulatedTelemetry

    if isinstance(source, SimulatedSource):
        return SimulatedTelemetry(source)
    if source.info.kind == "recording":
        return None
    return gpu_telemetry(options.device)


def gpu_telemetry(device_index: int = 0, tegrastats: str | None = "auto") -> TelemetrySampler:
    """The real GPU's telemetry: the sampler with its NVML reader injected (telemetry does not
    import the GPU package; pynvml itself is imported on the first sample)."""
    from trtui.gpu.nvml import NvmlDevice
    from trtui.telemetry.sampler import TelemetrySampler

    return TelemetrySampler(NvmlDevice(index=device_index), tegrastats=tegrastats)
