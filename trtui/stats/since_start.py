"""The exact since-start figures of each layer: count, sum, mean and M2 (Welford), min, max and the
last value, updated in place one iteration at a time or a block of iterations at a time.

A block (k iterations x n layers, every layer sampled) is folded in with a few vectorised
operations: its own mean and M2, combined with the running ones by Chan et al.'s parallel rule
(n = na + k, delta = mean_b - mean_a, mean = mean_a + delta k / n,
M2 = M2_a + M2_b + delta^2 na k / n). The result equals adding the rows one by one up to
floating-point rounding (a few ulps).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.core.model import FloatArray, IntArray


class SinceStart:
    """Per-layer running figures over every sample since start (NaN-free: a layer without a sample
    has count 0, and readers mask it)."""

    def __init__(self, n: int = 0) -> None:
        self.count: IntArray = np.zeros(n, dtype=np.int64)
        self.mean: FloatArray = np.zeros(n)
        self.m2: FloatArray = np.zeros(n)
        self.total: FloatArray = np.zeros(n)
        self.min: FloatArray = np.full(n, np.inf)
        self.max: FloatArray = np.full(n, -np.inf)
        self.last: FloatArray = np.full(n, np.nan)

    def grow(self, n: int) -> None:
        """Add layers (no samples yet) up to `n`."""
        extra = n - len(self.count)
        if extra <= 0:
            return
        self.count = np.concatenate([self.count, np.zeros(extra, dtype=np.int64)])
        self.mean = np.concatenate([self.mean, np.zeros(extra)])
        self.m2 = np.concatenate([self.m2, np.zeros(extra)])
        self.total = np.concatenate([self.total, np.zeros(extra)])
        self.min = np.concatenate([self.min, np.full(extra, np.inf)])
        self.max = np.concatenate([self.max, np.full(extra, -np.inf)])
        self.last = np.concatenate([self.last, np.full(extra, np.nan)])

    def add_all(self, x: FloatArray) -> None:
        """One iteration in which every layer has a sample (`x[i]` for layer i)."""
        count = self.count
        count += 1
        delta = x - self.mean
        self.mean += delta / count
        delta *= x - self.mean
        self.m2 += delta
        self.total += x
        np.minimum(self.min, x, out=self.min)
        np.maximum(self.max, x, out=self.max)
        self.last[:] = x

    def add_some(self, idx: npt.NDArray[Any], x: FloatArray) -> None:
        """One iteration with samples of the layers `idx` only (`x[j]` for layer `idx[j]`)."""
        cnt = self.count[idx] + 1
        delta = x - self.mean[idx]
        mean = self.mean[idx] + delta / cnt
        self.m2[idx] += delta * (x - mean)
        self.mean[idx] = mean
        self.count[idx] = cnt
        self.total[idx] += x
        self.min[idx] = np.minimum(self.min[idx], x)
        self.max[idx] = np.maximum(self.max[idx], x)
        self.last[idx] = x

    def add_block(self, block: FloatArray) -> None:
        """Iterations `block[0]`, `block[1]`, ... (k x n, every layer sampled in each), oldest first."""
        k = len(block)
        if k == 0:
            return
        bsum = block.sum(axis=0)
        bmean = bsum / k
        dev = block - bmean
        bm2 = np.einsum("ij,ij->j", dev, dev)
        na = self.count.astype(np.float64)
        n = na + k
        delta = bmean - self.mean
        self.mean += delta * (k / n)
        delta *= delta
        delta *= na * k / n
        self.m2 += bm2
        self.m2 += delta
        self.count += k
        self.total += bsum
        np.minimum(self.min, block.min(axis=0), out=self.min)
        np.maximum(self.max, block.max(axis=0), out=self.max)
        self.last[:] = block[-1]
