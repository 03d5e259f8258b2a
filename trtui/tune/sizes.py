"""Memory sizes and memory pools as users write them (trtexec's syntax) and as trtui prints them.

Sizes follow trtexec's `--memPoolSize`: a number with an optional base-2 suffix (`B`, `K`, `M`, `G`,
`T`; `KiB`/`MB`... are accepted and still mean base 2), decimals allowed, and a plain number means MiB:
`16M`, `1.5G`, `512K`, `1024` (= 1 GiB).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from trtui.common.errors import UserError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
TIB = 1024 * GIB

_UNITS = {"": MIB, "b": 1, "k": KIB, "m": MIB, "g": GIB, "t": TIB}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)


def parse_size(text: str, what: str = "size") -> int:
    """Bytes from trtexec's size syntax. Raises `UserError` with a one-line hint on bad input."""
    m = _SIZE_RE.match(text)
    if m is None:
        raise UserError(
            f"{what} {text!r} is not a size: write a number with an optional K/M/G suffix "
            "(base 2; a plain number is MiB), e.g. 512K, 16M, 1.5G, 1024"
        )
    number, exponent, prefix, byte_suffix = m.groups()
    unit_key = prefix.lower()
    if not unit_key and byte_suffix:
        unit_key = "b"  # "512B": bytes
    try:
        size = float(number) * (10.0 ** int(exponent) if exponent else 1.0) * _UNITS[unit_key]
    except OverflowError:
        size = math.inf
    if not math.isfinite(size) or size > 64 * TIB:
        raise UserError(f"{what} {text!r} is too large (at most 64T)")
    return math.ceil(size)


def format_size(n: int | float | None) -> str:
    """Human-readable, base 2: `512 B`, `4.0 KiB`, `384 MiB`, `1.50 GiB`. `?` for None."""
    if n is None:
        return "?"
    n = float(n)
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n < KIB:
        return f"{sign}{n:.0f} B"
    for unit, scale in (("TiB", TIB), ("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n >= scale:
            v = n / scale
            digits = 2 if v < 10 else 1 if v < 100 else 0
            return f"{sign}{v:.{digits}f} {unit}"
    return f"{sign}{n:.0f} B"  # pragma: no cover - unreachable


def trtexec_size(n: int) -> str:
    """The shortest exact trtexec spelling of `n` bytes: `16M`, `1536M`, `2G`, `48K`, `1000B`."""
    for suffix, scale in (("G", GIB), ("M", MIB), ("K", KIB)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{suffix}"
    return f"{n}B"


@dataclass(frozen=True, slots=True)
class Pool:
    """A TensorRT memory pool the tuner can limit."""

    name: str  # trtui's name: "workspace", "tactic_dram", "tactic_shared_memory"
    trt_enum: str  # member of trt.MemoryPoolType
    trtexec: str | None  # trtexec --memPoolSize name (trtexec has no tacticDRAM)
    polygraphy: str  # polygraphy --pool-limit name
    min_bytes: int  # default bottom of the search range
    max_bytes: int | None  # default top; None: the memory budget
    granularity: int  # limits are rounded up to a multiple of this
    description: str


WORKSPACE = Pool(
    name="workspace",
    trt_enum="WORKSPACE",
    trtexec="workspace",
    polygraphy="workspace",
    min_bytes=1 * MIB,
    max_bytes=None,
    granularity=MIB,
    description="scratch memory a layer's tactic may use",
)
TACTIC_DRAM = Pool(
    name="tactic_dram",
    trt_enum="TACTIC_DRAM",
    trtexec=None,
    polygraphy="tactic_dram",
    min_bytes=16 * MIB,
    max_bytes=None,
    granularity=MIB,
    description="memory the optimizer uses while timing tactics (on Jetson: all build-time memory)",
)
TACTIC_SHARED_MEMORY = Pool(
    name="tactic_shared_memory",
    trt_enum="TACTIC_SHARED_MEMORY",
    trtexec="tacticSharedMem",
    polygraphy="tactic_shared_memory",
    min_bytes=16 * KIB,
    max_bytes=256 * KIB,
    granularity=KIB,
    description="shared memory a tactic's kernels may use",
)
POOLS: dict[str, Pool] = {p.name: p for p in (WORKSPACE, TACTIC_DRAM, TACTIC_SHARED_MEMORY)}

# Every spelling trtexec, Polygraphy, the TensorRT enums and the docs use, squashed (lower case,
# no '_', '-' or spaces).
_POOL_ALIASES: dict[str, Pool] = {
    "workspace": WORKSPACE,
    "ws": WORKSPACE,
    "tacticdram": TACTIC_DRAM,
    "dram": TACTIC_DRAM,
    "tacticsharedmem": TACTIC_SHARED_MEMORY,
    "tacticsharedmemory": TACTIC_SHARED_MEMORY,
    "tacticsmem": TACTIC_SHARED_MEMORY,
    "sharedmem": TACTIC_SHARED_MEMORY,
    "sharedmemory": TACTIC_SHARED_MEMORY,
}


def parse_pool(text: str) -> Pool:
    """A pool from any common spelling (`workspace`, `tactic_dram`, `tacticDRAM`, `tacticSharedMem`,
    `TACTIC_SHARED_MEMORY`, `kTACTIC_DRAM`...). Raises `UserError` for anything else."""
    key = re.sub(r"[\s_\-]", "", text).lower()
    if key.startswith("k") and key[1:] in _POOL_ALIASES:  # C++ enum spelling, kWORKSPACE
        key = key[1:]
    key = key.removeprefix("memorypooltype.")
    pool = _POOL_ALIASES.get(key)
    if pool is None:
        if key.startswith("dla"):
            raise UserError(f"pool {text!r}: DLA pools are not tuned by trtui; use workspace, "
                            "tactic_dram or tactic_shared_memory")
        raise UserError(f"unknown pool {text!r}: use workspace, tactic_dram or tactic_shared_memory")
    return pool


def parse_range(text: str) -> tuple[int, int]:
    """`LO:HI` in size syntax, e.g. `1M:4G`. Raises `UserError` unless 0 < LO < HI."""
    parts = text.split(":")
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise UserError(f"range {text!r} is not LO:HI, e.g. 1M:4G")
    lo = parse_size(parts[0], "range start")
    hi = parse_size(parts[1], "range end")
    if lo <= 0:
        raise UserError(f"range {text!r}: the start must be above 0 (the search is on a log scale)")
    if hi <= lo:
        raise UserError(f"range {text!r}: the end must be larger than the start")
    return lo, hi


def round_up(n: float, granularity: int) -> int:
    """`n` rounded up to a multiple of `granularity` (at least one granule)."""
    return max(granularity, math.ceil(n / granularity) * granularity)
