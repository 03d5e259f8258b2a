"""Pure readers of each trtexec file kind (decoded JSON in, frozen values out).

Every reader validates what it uses and raises `UserError` with a one-line reason (without the
file name; the loader adds it). Nothing here touches the file system.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.common.errors import UserError
from trtui.common.json_kind import json_kind
from trtui.core.model import PROFILE_SUFFIX, FloatArray, IntArray, frozen_array


def profile_index(name: str) -> int:
    """The optimization profile a layer name belongs to: N of a trailing " [profile N]", else 0."""
    m = PROFILE_SUFFIX.search(name)
    return int(m.group(1)) if m else 0


def dedupe_names(names: list[str]) -> tuple[tuple[str, ...], int]:
    """Make names unique: the k-th repeat of "X" becomes "X (#k)" (k >= 2), in order, so the same
    rule on two files of one engine pairs the same layers. Returns the names and how many were
    renamed."""
    seen: dict[str, int] = {}
    taken = set(names)
    out: list[str] = []
    renamed = 0
    for name in names:
        k = seen.get(name, 0) + 1
        seen[name] = k
        if k == 1:
            out.append(name)
            continue
        new = f"{name} (#{k})"
        while new in taken:
            k += 1
            new = f"{name} (#{k})"
        taken.add(new)
        out.append(new)
        renamed += 1
    return tuple(out), renamed


# The largest number a recording may hold (ms, counts, percentages): a millisecond figure above it
# is 31 years, and sums and squares of up to millions of such values stay finite.
MAX_NUMBER = 1e12
MAX_COUNT = 10**15  # iterations / samples


def number(
    value: object,
    what: str,
    allow_nan: bool = False,
    minimum: float | None = 0.0,
    maximum: float = MAX_NUMBER,
) -> float:
    """A JSON number (not a boolean), finite unless `allow_nan`, >= `minimum`, |x| <= `maximum`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{what} is {json_kind(value)}, expected a number")
    try:
        x = float(value)
    except OverflowError:
        raise UserError(f"{what} is a {len(str(value))}-digit number, out of range") from None
    if math.isnan(x):
        if allow_nan:
            return x
        raise UserError(f"{what} is NaN, expected a number")
    if math.isinf(x):
        raise UserError(f"{what} is infinite, expected a finite number")
    if minimum is not None and x < minimum:
        raise UserError(f"{what} is {x:g}, expected a number >= {minimum:g}")
    if abs(x) > maximum:
        raise UserError(f"{what} is {x:g}, out of range (at most {maximum:g})")
    return x


def finite_json(value: Any, depth: int = 0) -> Any:
    """A decoded JSON value kept as read (for attributes trtui only passes on), with every NaN or
    infinite number made None (missing)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 64:
        return None
    if isinstance(value, dict):
        return {k: finite_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [finite_json(v, depth + 1) for v in value]
    return value


# -- profile --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileData:
    """trtexec's per-layer profile, in file order. Arrays aligned with `names`; `median_ms` is NaN
    where the file has no `medianMs` (older TensorRT)."""

    names: tuple[str, ...]  # unique (repeats renamed "X (#2)")
    raw_names: tuple[str, ...]  # as in the file
    count: IntArray  # samples per layer (timeMs / averageMs, or the header's count)
    total_ms: FloatArray
    mean_ms: FloatArray
    median_ms: FloatArray
    percentage: FloatArray  # as written (NaN when absent or nan)
    iterations: int  # the header's "count" (iterations seen by the profiler)
    has_count_header: bool = True
    renamed: int = 0


def parse_profile(obj: object) -> ProfileData:
    """A decoded `.profile.json` (an optional `{"count": N}` header, then one object per layer).

    Without the header, the iteration count is estimated from timeMs / averageMs. Raises UserError
    on a shape or number it cannot use.
    """
    if not isinstance(obj, list):
        raise UserError(f"a profile must be a JSON array, this is {json_kind(obj)}")
    if not obj:
        raise UserError("the profile is empty (no count and no layers)")
    rows = obj
    iterations: int | None = None
    first = obj[0]
    has_header = isinstance(first, dict) and "count" in first and "name" not in first
    if has_header:
        assert isinstance(first, dict)
        c = number(first["count"], "the profile's count", maximum=MAX_COUNT)
        if not c.is_integer():
            raise UserError(f"the profile's count is {c:g}, expected a whole number")
        iterations = int(c)
        rows = obj[1:]
    if not rows:
        raise UserError("the profile lists no layers (was profiling on when it was exported?)")
    n = len(rows)
    names: list[str] = []
    total = np.empty(n)
    mean = np.empty(n)
    median = np.full(n, np.nan)
    pct = np.full(n, np.nan)
    for i, row in enumerate(rows):
        what = f"profile entry {i + 1}"
        if not isinstance(row, dict):
            raise UserError(f"{what} is {json_kind(row)}, expected an object with name and timeMs")
        name = row.get("name")
        if not isinstance(name, str):
            raise UserError(f"{what}: name is {json_kind(name)}, expected a string")
        what = f"{what} ('{name}')"
        if "timeMs" not in row:
            raise UserError(f"{what} has no timeMs")
        total[i] = number(row["timeMs"], f"{what}: timeMs")
        mean[i] = number(row["averageMs"], f"{what}: averageMs") if "averageMs" in row else np.nan
        if "medianMs" in row:
            median[i] = number(row["medianMs"], f"{what}: medianMs")
        if "percentage" in row:
            pct[i] = number(row["percentage"], f"{what}: percentage", allow_nan=True)
        names.append(name)
    with np.errstate(all="ignore"):
        est = np.where(mean > 0, total / mean, np.nan)
    if iterations is None:
        finite = est[np.isfinite(est)]
        iterations = int(np.rint(finite.max())) if len(finite) else 0
    # Per-layer sample count: trtexec's averageMs = timeMs / samples. Values are printed with
    # 6 significant digits, so a ratio within 0.1% of the header's count is that count.
    count = np.full(n, iterations, dtype=np.int64)
    finite_est = np.isfinite(est) & (est < 2**62)
    if iterations > 0:
        off = finite_est & (np.abs(est / iterations - 1.0) > 1e-3)
    else:
        off = finite_est
    count[off] = np.rint(est[off]).astype(np.int64)
    missing_mean = np.isnan(mean)
    if missing_mean.any():
        mean[missing_mean] = total[missing_mean] / max(iterations, 1)
    unique, renamed = dedupe_names(names)
    return ProfileData(
        names=unique,
        raw_names=tuple(names),
        count=frozen_array(count, np.int64),  # type: ignore[arg-type]
        total_ms=frozen_array(total),  # type: ignore[arg-type]
        mean_ms=frozen_array(mean),  # type: ignore[arg-type]
        median_ms=frozen_array(median),  # type: ignore[arg-type]
        percentage=frozen_array(pct),  # type: ignore[arg-type]
        iterations=iterations,
        has_count_header=has_header,
        renamed=renamed,
    )


# -- times ----------------------------------------------------------------------------------------

_START_KEYS = ("startH2dMs", "startComputeMs", "startInMs", "startEnqMs")
_END_KEYS = ("endD2hMs", "endComputeMs", "endOutMs", "endEnqMs")
@dataclass(frozen=True, slots=True)
class TimesData:
    """trtexec's per-inference trace (warm-up excluded)."""

    latency_ms: FloatArray  # latencyMs of each inference, in file order
    compute_ms: FloatArray  # computeMs (NaN where absent)
    enqueue_ms: FloatArray  # endEnqMs - startEnqMs (NaN where absent)
    wall_s: float  # first start to last end: throughput = count / wall_s, as trtexec computes it
    start_ms: float  # earliest start (run clock)


_NUMBER_TYPES = frozenset((int, float))


def _column(records: list[Any], key: str, minimum: float | None) -> npt.NDArray[Any] | None:
    """One field of every record as floats, or None when any value is not a plain valid number
    (then the careful per-record path finds and names the problem)."""
    try:
        values = [r[key] for r in records]
    except (KeyError, TypeError):
        return None
    if not {type(v) for v in values} <= _NUMBER_TYPES:
        return None
    try:
        col = np.array(values, dtype=np.float64)
    except OverflowError:
        return None
    if not np.isfinite(col).all() or (minimum is not None and (col < minimum).any()):
        return None
    if len(col) and float(np.abs(col).max()) > MAX_NUMBER:
        return None
    return col


def _times_fast(obj: list[Any]) -> tuple[npt.NDArray[Any], ...] | None:
    """The common case, vectorised: every record is an object with the same keys."""
    first = obj[0]
    if type(first) is not dict or "latencyMs" not in first:
        return None
    keys = first.keys()
    if any(type(r) is not dict or r.keys() != keys for r in obj):
        return None
    n = len(obj)
    nan = np.full(n, np.nan)
    lat = _column(obj, "latencyMs", 0.0)
    if lat is None:
        return None
    cols: dict[str, npt.NDArray[Any]] = {}
    for key in ("computeMs", *_START_KEYS, *_END_KEYS):
        if key in keys:
            col = _column(obj, key, 0.0 if key == "computeMs" else None)
            if col is None:
                return None
            cols[key] = col
    s = next((cols[k] for k in _START_KEYS if k in cols), nan)
    e = next((cols[k] for k in _END_KEYS if k in cols), nan)
    enq = cols["endEnqMs"] - cols["startEnqMs"] if "startEnqMs" in cols and "endEnqMs" in cols else nan
    return lat, cols.get("computeMs", nan), enq, s, e


def parse_times(obj: object) -> TimesData:
    """A decoded `.times.json` (one object per inference, with at least latencyMs). Raises
    UserError, naming the inference, on a record it cannot use."""
    if not isinstance(obj, list):
        raise UserError(f"a times file must be a JSON array, this is {json_kind(obj)}")
    if not obj:
        raise UserError("the times file lists no inferences")
    fast = _times_fast(obj)
    if fast is not None:
        return _times_data(*fast)
    n = len(obj)
    lat = np.empty(n)
    comp = np.full(n, np.nan)
    enq = np.full(n, np.nan)
    starts = np.full(n, np.nan)
    ends = np.full(n, np.nan)
    for i, rec in enumerate(obj):
        what = f"inference {i + 1}"
        if not isinstance(rec, dict):
            raise UserError(f"{what} is {json_kind(rec)}, expected an object with latencyMs")
        if "latencyMs" not in rec:
            raise UserError(f"{what} has no latencyMs")
        lat[i] = number(rec["latencyMs"], f"{what}: latencyMs")
        if "computeMs" in rec:
            comp[i] = number(rec["computeMs"], f"{what}: computeMs")
        s = next((k for k in _START_KEYS if k in rec), None)
        e = next((k for k in _END_KEYS if k in rec), None)
        if s is not None:
            starts[i] = number(rec[s], f"{what}: {s}", minimum=None)
        if e is not None:
            ends[i] = number(rec[e], f"{what}: {e}", minimum=None)
        if "startEnqMs" in rec and "endEnqMs" in rec:
            enq[i] = number(rec["endEnqMs"], f"{what}: endEnqMs", minimum=None) - number(
                rec["startEnqMs"], f"{what}: startEnqMs", minimum=None
            )
    return _times_data(lat, comp, enq, starts, ends)


def _times_data(
    lat: npt.NDArray[Any],
    comp: npt.NDArray[Any],
    enq: npt.NDArray[Any],
    starts: npt.NDArray[Any],
    ends: npt.NDArray[Any],
) -> TimesData:
    if np.isfinite(starts).any() and np.isfinite(ends).any():
        start = float(np.nanmin(starts))
        wall_ms = float(np.nanmax(ends)) - start
    else:
        start, wall_ms = 0.0, 0.0
    if not wall_ms > 0:  # no usable stamps: back to back
        wall_ms = float(lat.sum())
    return TimesData(
        latency_ms=frozen_array(lat),  # type: ignore[arg-type]
        compute_ms=frozen_array(comp),  # type: ignore[arg-type]
        enqueue_ms=frozen_array(enq),  # type: ignore[arg-type]
        wall_s=wall_ms / 1000.0,
        start_ms=start,
    )


# -- metadata -------------------------------------------------------------------------------------


def _section(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UserError(f"'{key}' is {json_kind(value)}, expected an object")
    return value


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class ProfileMetadata:
    """TREx's `.profile.metadata.json` (and trtui's): the run's summary, options and device."""

    device: str | None
    performance: Mapping[str, Any]
    inference_options: Mapping[str, str]
    device_information: Mapping[str, str]
    trtui: Mapping[str, Any] = field(default_factory=dict)  # present in trtui's exports

    @property
    def simulated(self) -> bool:
        """True when trtui exported it from a simulated run."""
        return bool(self.trtui.get("simulated", False))

    @property
    def throughput(self) -> float | None:
        """The performance summary's Throughput (inferences/s); None when absent or not a usable
        number."""
        v = self.performance.get("Throughput")
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= MAX_NUMBER:
            return None  # also NaN (read as None already) and 400-digit integers
        return float(v)


def parse_profile_metadata(obj: object) -> ProfileMetadata:
    """A decoded `.profile.metadata.json`. Values of the option and device sections become text;
    NaN or infinite numbers become None. Raises UserError when a section is not an object."""
    if not isinstance(obj, dict):
        raise UserError(f"run metadata must be a JSON object, this is {json_kind(obj)}")
    perf = finite_json(_section(obj, "performance_summary"))
    opts = {str(k): _text(v) for k, v in _section(obj, "inference_options").items()}
    dev = {str(k): _text(v) for k, v in _section(obj, "device_information").items()}
    trtui = finite_json(_section(obj, "trtui"))
    device = dev.get("Selected Device") or dev.get("Device") or None
    return ProfileMetadata(device, perf, opts, dev, trtui)


@dataclass(frozen=True, slots=True)
class BuildMetadata:
    """TREx's `.build.metadata.json`: the model and build options as text."""

    model_options: Mapping[str, str]
    build_options: Mapping[str, str]

    @property
    def precision(self) -> str | None:
        """The build options' Precision as written (e.g. "FP32+FP16"); None when not recorded."""
        return self.build_options.get("Precision")


def parse_build_metadata(obj: object) -> BuildMetadata:
    """A decoded `.build.metadata.json`; UserError when it or a section is not an object."""
    if not isinstance(obj, dict):
        raise UserError(f"build metadata must be a JSON object, this is {json_kind(obj)}")
    return BuildMetadata(
        {str(k): _text(v) for k, v in _section(obj, "model_options").items()},
        {str(k): _text(v) for k, v in _section(obj, "build_options").items()},
    )


@dataclass(frozen=True, slots=True)
class DeviceMetadata:
    """TREx's `.metadata.json`: one dict of CUDA device attributes per device (the first is used)."""

    name: str | None
    attributes: Mapping[str, Any]

    @property
    def simulated(self) -> bool:
        """True when trtui wrote it for a simulated device."""
        return bool(self.attributes.get("Simulated", False))

    @property
    def compute_capability(self) -> str | None:
        """The compute capability as "major.minor"; None when absent or not two small whole numbers."""
        cc = self.attributes.get("ComputeCapability")
        if isinstance(cc, list) and len(cc) == 2 and all(type(x) is int and 0 <= x < 1000 for x in cc):
            return f"{cc[0]}.{cc[1]}"
        return None


def parse_device_metadata(obj: object) -> DeviceMetadata:
    """A decoded `.metadata.json`: the first device's attributes (NaN or infinite numbers become
    None). Raises UserError when it is not a non-empty array of objects."""
    if not isinstance(obj, list) or not obj:
        raise UserError("device metadata must be a non-empty JSON array of objects")
    first = obj[0]
    if not isinstance(first, dict):
        raise UserError(f"device metadata entry 1 is {json_kind(first)}, expected an object")
    name = first.get("Name")
    if name is not None and not isinstance(name, str):
        raise UserError(f"device metadata: Name is {json_kind(name)}, expected a string")
    return DeviceMetadata(name, finite_json(first))
