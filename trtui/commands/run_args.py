"""Options shared by the commands that run a source (`open`, `demo`, `profile`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from trtui.common.errors import UserError
from trtui.core.options import RunOptions

if TYPE_CHECKING:
    from trtui.core.model import StartupStep


def positive_float(text: str) -> float:
    """argparse type: a finite number above 0 (NaN, infinity, 0 and negatives are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def int_in(lo: int, hi: int):  # type: ignore[no-untyped-def]
    """argparse type factory: a whole number from `lo` to `hi`, both included."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be between {lo} and {hi}: {text!r}")
        return value

    return parse


def add_run_arguments(p: argparse.ArgumentParser, engine: bool = True, demo: bool = True) -> None:
    """The "run options" group every command that runs a source shares (shapes, streams, transfers,
    CUDA graphs, profiling interval, plugins, device...): `engine` adds the options only a real engine
    takes, `demo` those of the simulated one. `options_from_args` reads them back."""
    g = p.add_argument_group("run options")
    if engine:
        g.add_argument(
            "--shapes",
            metavar="SPEC",
            help="input shapes in trtexec's syntax, e.g. input:1x3x224x224,mask:1x77 "
            "(default: each dynamic input's optimization-profile opt shape)",
        )
        g.add_argument(
            "--streams",
            type=int_in(1, 64),
            default=1,
            metavar="N",
            help="N execution contexts, each on its own CUDA stream (default 1)",
        )
        g.add_argument(
            "--transfers",
            action="store_true",
            help="include host-to-device and device-to-host copies in each inference",
        )
        g.add_argument(
            "--no-cuda-graph",
            dest="cuda_graph",
            action="store_false",
            help="launch with enqueue calls instead of capturing a CUDA graph",
        )
        g.add_argument(
            "--allow-host-code",
            action="store_true",
            help="allow plans with embedded host code (runs code from the engine file)",
        )
        g.add_argument(
            "--plugins",
            action="append",
            default=[],
            metavar="LIB",
            help="load a TensorRT plugin library (runs its code); may be repeated",
        )
        g.add_argument("--device", type=int_in(0, 63), default=0, metavar="N", help="CUDA device index")
    g.add_argument(
        "--profile-every",
        type=int_in(0, 1_000_000),
        default=10,
        metavar="N",
        help="profile one inference in every N (0: never; on a GPU at most 20%% of the time; "
        "latency is never taken from profiled inferences)",
    )
    g.add_argument(
        "--kernels",
        action="store_true",
        help="record the GPU kernels of the profiled inferences (CUPTI: pip install 'trtui[kernels]'; "
        "simulated in the demo); off by default, never touches latency",
    )
    g.add_argument(
        "--window",
        type=int_in(8, 100_000),
        default=256,
        metavar="N",
        help="rolling statistics window, in profiled iterations (default 256)",
    )
    g.add_argument(
        "--idle-baseline",
        type=positive_float,
        default=None,
        metavar="S",
        help="measure idle power for S seconds before the run; energy per inference is then also "
        "given net of idle (otherwise idle is measured while paused)",
    )
    if demo:
        g.add_argument(
            "--layers",
            type=int_in(1, 20_000),
            default=None,
            metavar="N",
            help="simulated engine only: scale to N layers (stress test)",
        )
        g.add_argument(
            "--seed", type=int_in(0, 2**32 - 1), default=0, help="simulated engine / random inputs seed"
        )


def add_verbose_argument(p: argparse.ArgumentParser, live: bool = False) -> None:
    """`--verbose`: the start-up steps on stderr (`live`: once the screen closes, not under it)."""
    when = "once the screen closes" if live else "as each one ends"
    p.add_argument(
        "--verbose",
        action="store_true",
        help=f"print each start-up step's duration on stderr ({when}): the GPU process, CUDA, "
        "TensorRT, deserializing, contexts and buffers, the inspector, first runs, warm-up, the "
        "first profiled inference",
    )


def step_line(step: StartupStep) -> str:
    """One start-up step for --verbose: `startup: deserialize 0.812 s`."""
    seconds = "?" if step.duration_s is None else f"{step.duration_s:.3f}"
    return f"startup: {step.name} {seconds} s" + (" (simulated)" if step.simulated else "")


def options_from_args(args: argparse.Namespace) -> RunOptions:
    """The `RunOptions` a command's arguments ask for; options the command does not have take their
    defaults. Raises UserError for combinations that cannot run (`--kernels` without profiling,
    `--layers` on a real engine)."""
    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    if getattr(args, "shapes", None) is not None:
        from trtui.engine_info.shapes import parse_shapes

        shapes = parse_shapes(args.shapes)
    layers = getattr(args, "layers", None)
    source = getattr(args, "source", "demo")
    if layers is not None and source != "demo":
        raise UserError("--layers only applies to the simulated demo engine ('trtui demo --layers N')")
    trace = getattr(args, "trace", None)
    kernels = bool(getattr(args, "kernels", False) or trace is not None)
    if kernels and args.profile_every == 0:
        raise UserError("--kernels and --trace record profiled inferences: they need --profile-every N > 0")
    return RunOptions(
        shapes=shapes,
        streams=getattr(args, "streams", 1),
        transfers=getattr(args, "transfers", False),
        cuda_graph=getattr(args, "cuda_graph", True),
        profile_every=args.profile_every,
        allow_host_code=getattr(args, "allow_host_code", False),
        plugins=tuple(getattr(args, "plugins", ())),
        device=getattr(args, "device", 0),
        seed=getattr(args, "seed", 0),
        layers=layers,
        window=args.window,
        idle_baseline_s=getattr(args, "idle_baseline", None) or 0.0,
        kernels=kernels,
        trace_path=str(trace) if trace is not None else None,
    )
