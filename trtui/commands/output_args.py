"""Output options that mean the same in every command: `--top N` (0 or more), `--json -` (the
JSON on stdout, alone), `--budget SIZE` (more than 0)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MAX_TOP = 1_000_000


def top_count(text: str) -> int:
    """`--top N`: a whole number from 0 (the same rule in analyze, compare and profile)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= MAX_TOP:
        raise argparse.ArgumentTypeError(f"must be 0 or more (at most {MAX_TOP}): {text!r}")
    return value


def json_to_stdout(path: Path | str | None) -> bool:
    """True for `--json -`: the JSON goes to stdout, and nothing else does."""
    return path is not None and str(path) == "-"


def write_json_stdout(data: object) -> None:
    """Write `data` as indented JSON on stdout (`--json -`); NaN and infinity are refused, not written."""
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()
