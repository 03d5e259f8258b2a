"""`trtui telemetry`: one sample of every GPU metric (or repeated samples), as a table or JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

from trtui.common.errors import UserError

MIN_WATCH_S = 0.05


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--watch takes seconds (e.g. 0.5), not {text!r}") from None
    if not math.isfinite(value) or value < MIN_WATCH_S:
        raise argparse.ArgumentTypeError(f"--watch must be at least {MIN_WATCH_S} seconds, not {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--count takes a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--count must be 1 or more, not {text!r}")
    return value


def _device(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--device takes a GPU index (0, 1, ...), not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--device takes a GPU index (0, 1, ...), not {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (one object per line with --watch)")
    parser.add_argument(
        "--watch",
        type=_seconds,
        metavar="SECONDS",
        help="sample again every SECONDS until Ctrl-C",
    )
    parser.add_argument("--count", type=_count, metavar="N", help="with --watch: stop after N samples")
    parser.add_argument(
        "--device", type=_device, default=0, metavar="INDEX", help="NVML GPU index (default 0)"
    )
    parser.add_argument(
        "--no-tegrastats",
        action="store_true",
        help="never start tegrastats (Jetson); report only what NVML, sysfs and /proc give",
    )


def make_sampler(args: argparse.Namespace) -> Any:
    """Build the sampler (tests replace this to inject a fake NVML)."""
    from trtui.sources.factory import gpu_telemetry

    return gpu_telemetry(args.device, tegrastats=None if args.no_tegrastats else "auto")


def run(args: argparse.Namespace) -> int:
    from trtui.telemetry.report import counter_delta, counter_line, format_table, sample_to_dict

    if args.count is not None and args.watch is None:
        raise UserError("--count needs --watch SECONDS (a single sample is the default)")
    sampler = make_sampler(args)
    try:
        sample = sampler.sample()
        nv = getattr(sampler, "nvml", None)
        if nv is not None and getattr(nv, "bad_index", False):
            raise UserError(
                f"--device {args.device}: NVML sees {nv.device_count} GPU(s); use an index from 0 to "
                f"{max(0, nv.device_count - 1)}"
            )
        if getattr(sampler, "tegrastats_pending", False):
            # tegrastats was just started for a metric nothing else reports: wait for its first line.
            sampler.wait_for_tegrastats(2.0)
            sample = sampler.sample()
        taken = 0
        prev = None
        while True:
            delta = counter_delta(prev, sample)  # --watch: energy between samples (NVML counter)
            if args.json:
                unsupported = sampler.why_missing() if hasattr(sampler, "why_missing") else None
                data = sample_to_dict(sample, unsupported)
                if args.watch:
                    data["energy_since_last"] = delta
                print(json.dumps(data, indent=None if args.watch else 2, sort_keys=False))
            else:
                if args.watch and taken:
                    print()
                print(format_table(sample))
                line = counter_line(delta)
                if line:
                    print(line)
            sys.stdout.flush()
            taken += 1
            if args.watch is None or (args.count is not None and taken >= args.count):
                return 0
            time.sleep(args.watch)
            prev, sample = sample, sampler.sample()
    except KeyboardInterrupt:
        return 0
    finally:
        sampler.close()
