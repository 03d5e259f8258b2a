"""Percentiles defined the way trtexec's report defines them, so that trtui and a trtexec log held
side by side show the same figures.

trtexec (`samples/common/sampleReporting.cpp` in NVIDIA/TensorRT) sorts the times and takes, for
percentile p, the value at index `max(n - 1 - floor((1 - p/100) * n), 0)`: nearest rank, no
interpolation. The index is computed in single precision there (`float` percentile, `int32_t`
count), and so here, so that `n * (1 - p/100)` truncates the same way (for n = 1000 and p = 99 it
is 9, not 10). The median is the middle value, or the mean of the two middle values when `n` is
even. Pure; one definition used for every finite set of times (recordings, summaries, windows).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt


def trtexec_index(n: int, p: float) -> int:
    """The index trtexec reads in `n` sorted times for percentile `p` (0..100)."""
    if n <= 0:
        raise ValueError("no times")
    if not 0.0 <= p <= 100.0:
        raise ValueError(f"percentile {p} is not in [0, 100]")
    one, hundred = np.float32(1.0), np.float32(100.0)
    fraction = np.float32(one - np.float32(p) / hundred)
    exclude = int(np.float32(fraction * np.float32(n)))
    return max(n - 1 - exclude, 0)


def trtexec_indices(n: npt.NDArray[Any], p: float) -> npt.NDArray[Any]:
    """`trtexec_index` for an array of counts (each >= 1), vectorised."""
    counts = np.asarray(n, dtype=np.int64)
    fraction = np.float32(np.float32(1.0) - np.float32(p) / np.float32(100.0))
    exclude = (fraction * counts.astype(np.float32)).astype(np.int64)  # float32 product, truncated
    out: npt.NDArray[Any] = np.maximum(counts - 1 - exclude, 0)
    return out


@functools.lru_cache(maxsize=32)
def min_samples_for(p: float) -> int:
    """The fewest times for which trtexec's percentile `p` (< 100) is not simply the maximum:
    2 for the median's index, 10 for p90, 20 for p95, 101 for p99 (single-precision rounding
    makes p99 of 100 times the maximum)."""
    if not 0.0 <= p < 100.0:
        raise ValueError(f"percentile {p} is not in [0, 100)")
    n = 1
    while trtexec_index(n, p) >= n - 1:
        n += 1
    return n


def trtexec_percentile(sorted_values: npt.NDArray[Any] | Sequence[float], p: float) -> float:
    """Percentile `p` of ascending `sorted_values`, by trtexec's definition."""
    return float(sorted_values[trtexec_index(len(sorted_values), p)])


def trtexec_median(sorted_values: npt.NDArray[Any] | Sequence[float]) -> float:
    """The median of ascending `sorted_values`: the middle value, or the mean of the two middle."""
    n = len(sorted_values)
    if n == 0:
        raise ValueError("no times")
    m = n // 2
    if n % 2:
        return float(sorted_values[m])
    return (float(sorted_values[m - 1]) + float(sorted_values[m])) / 2.0


def summary_percentiles(values: npt.NDArray[Any]) -> tuple[float, float, float, float]:
    """(median, p90, p95, p99) of unsorted `values`, by trtexec's definitions."""
    srt = np.sort(np.asarray(values, dtype=np.float64))
    return (
        trtexec_median(srt),
        trtexec_percentile(srt, 90.0),
        trtexec_percentile(srt, 95.0),
        trtexec_percentile(srt, 99.0),
    )
