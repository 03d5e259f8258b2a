"""Real builds: the child-process builder wired to `python -m trtui.gpu.build.builder`, and the probe that
asks a child (never this process) whether TensorRT's builder is installed and how much device memory
is free. The parent never imports tensorrt and never creates a CUDA context."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from trtui.tune import protocol
from trtui.tune.child import ChildProcessBuilder, ChildRequest, python_module_argv
from trtui.tune.sizes import Pool
from trtui.tune.tactics import TacticChanges, format_tactic_sources

BUILDER_MODULE = "trtui.gpu.build.builder"

Shapes = tuple[tuple[str, tuple[int, ...]], ...]


def format_shapes(shapes: Shapes) -> str:
    """trtexec's `--shapes` text for `trtui.engine_info.shapes.parse_shapes` in the child (names with
    ':' or ',' quoted)."""
    parts = []
    for name, dims in shapes:
        shown = f"'{name}'" if (":" in name or "," in name) else name
        parts.append(f"{shown}:{'x'.join(str(d) for d in dims)}")
    return ",".join(parts)


@dataclass(frozen=True, slots=True)
class Probe:
    """What `python -m trtui.gpu.build.builder probe` found."""

    full: bool  # the full tensorrt module, with the builder, imports
    tensorrt_version: str | None
    reason: str | None  # why not, when not full
    free_bytes: int | None
    total_bytes: int | None
    device: str | None
    memory_source: str | None  # "nvml" or "cuda"

    @property
    def major(self) -> int | None:
        """TensorRT's major version (10 for "10.3.0"); None when unknown."""
        try:
            return int((self.tensorrt_version or "").split(".")[0])
        except ValueError:
            return None


def parse_probe(stdout: str) -> Probe | None:
    for line in stdout.splitlines():
        obj = protocol.decode(line)
        if obj is not None and obj.get("ev") == "probe":
            return Probe(
                full=bool(obj.get("full")),
                tensorrt_version=_opt_str(obj.get("tensorrt_version")),
                reason=_opt_str(obj.get("reason")),
                free_bytes=protocol.opt_int(obj.get("free_bytes")),
                total_bytes=protocol.opt_int(obj.get("total_bytes")),
                device=_opt_str(obj.get("device")),
                memory_source=_opt_str(obj.get("memory_source")),
            )
    return None


def _opt_str(v: object) -> str | None:
    return v if isinstance(v, str) and v else None


def run_probe(device: int = 0, timeout_s: float = 120.0) -> Probe:
    """Run the probe child. A probe that crashes, hangs or prints nothing counts as "no builder"."""
    argv = python_module_argv(BUILDER_MODULE, "probe", "--device", str(device))
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL, check=False
        )
    except subprocess.TimeoutExpired:
        return Probe(False, None, f"could not be checked: the probe did not answer within {timeout_s:g} s",
                     None, None, None, None)
    except OSError as err:
        return Probe(False, None, f"could not be checked: the probe did not start: {err}", None, None, None,
                     None)
    probe = parse_probe(done.stdout)
    if probe is None:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Probe(False, None, f"could not be checked: the probe failed (exit {done.returncode}): {tail}",
                     None, None, None, None)
    return probe


def real_builder(
    onnx: Path,
    pool: Pool,
    workdir: Path,
    timeout_s: float,
    timing_cache: Path,
    *,
    shapes: Shapes = (),
    fp16: bool = False,
    bf16: bool = False,
    int8: bool = False,
    tactic_sources: TacticChanges = (),
    device: int = 0,
) -> ChildProcessBuilder:
    """A `ChildProcessBuilder` that builds `onnx` with `python -m trtui.gpu.build.builder build`."""
    extra: list[str] = []
    if shapes:
        extra += ["--shapes", format_shapes(shapes)]
    if fp16:
        extra.append("--fp16")
    if bf16:
        extra.append("--bf16")
    if int8:
        extra.append("--int8")
    if tactic_sources:
        extra.append(f"--tactic-sources={format_tactic_sources(tactic_sources)}")

    def argv_for(req: ChildRequest) -> list[str]:
        return python_module_argv(
            BUILDER_MODULE, "build", str(onnx),
            "--pool", pool.trt_enum,
            "--limit", str(req.limit_bytes),
            "--engine", str(req.engine_path),
            "--timing-cache", str(timing_cache),
            "--device", str(device),
            *extra,
        )

    return ChildProcessBuilder(argv_for, workdir, timeout_s, name=pool.name)


def probe_summary(probe: Probe) -> tuple[tuple[str, str], ...]:
    """The probe's facts for the result's `builder` field."""
    items = [("tensorrt", probe.tensorrt_version or "?")]
    if probe.device:
        items.append(("device", probe.device))
    return tuple(items)

