"""Cost of one full telemetry sample (every metric, every fallback walked), in ms of CPU time of
the sampling thread (time.thread_time), plus wall time.

- On the fixture trees of tests/telemetry (Orin JetPack 6 / 7.2, Thor, datacenter) with the fake
  NVML: the cost of trtui's own logic and file reads (tmpfs-backed fixture files, so real sysfs
  reads cost a little more, real NVML calls more still).
- With the real NVML when a driver is present (on the device machine): the datacenter case as it
  runs there. The GPU is idle; NVML's own CPU cost is included.

The ratio is the sample's CPU time against one poll interval (0.5 s): the fraction of one core
that the session's default telemetry interval spends sampling.
"""

from __future__ import annotations

import inspect
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from trtui.gpu.nvml import NvmlDevice
from trtui.pipeline.session import Session
from trtui.telemetry.sampler import TelemetrySampler

DEFAULT_INTERVAL_S: float = inspect.signature(Session).parameters["telemetry_interval_s"].default
COMMAND = "python -m bench telemetry"
FIXTURE_SAMPLES = 300
NVML_SAMPLES = 200

_TESTS = Path(__file__).resolve().parent.parent / "tests" / "telemetry"


def _row(name: str, value: float, unit: str, note: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": float(value), "unit": unit, "command": COMMAND, "note": note, **extra}


def _measure(sampler: TelemetrySampler, n: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per sample, after one warm-up sample (probing, caches)."""
    sampler.sample()
    c0, w0 = time.thread_time(), time.perf_counter()
    for _ in range(n):
        sampler.sample()
    c1, w1 = time.thread_time(), time.perf_counter()
    return (c1 - c0) * 1000.0 / n, (w1 - w0) * 1000.0 / n


def _fixture_rows() -> list[dict[str, Any]]:
    if not _TESTS.is_dir():
        return []
    sys.path.insert(0, str(_TESTS))
    try:
        import telemetry_fake_nvml as fake
        import telemetry_trees as trees
    finally:
        sys.path.remove(str(_TESTS))
    nvml_for = {
        "orin_jp6": fake.orin_nvgpu,
        "orin_jp72": fake.orin_nvgpu,
        "thor": fake.thor,
        "datacenter": fake.h100,
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="trtui-bench-telemetry-") as tmp:
        for name in ("orin_jp6", "orin_jp72", "thor", "datacenter"):
            tree = trees.PLATFORMS[name](Path(tmp) / name)
            with TelemetrySampler(NvmlDevice(nvml_for[name]()), roots=tree.roots, tegrastats=None) as sampler:
                cpu_ms, wall_ms = _measure(sampler, FIXTURE_SAMPLES)
            interval_ms = DEFAULT_INTERVAL_S * 1000.0
            rows.append(
                _row(
                    f"telemetry sample CPU, {name} fixture",
                    cpu_ms,
                    "ms",
                    f"mean of {FIXTURE_SAMPLES} full samples (fake NVML, fixture sysfs/proc, no tegrastats); "
                    f"wall {wall_ms:.3f} ms; ratio = share of one core at the default "
                    f"{DEFAULT_INTERVAL_S} s interval",
                    ratio=cpu_ms / interval_ms,
                    baseline=f"{interval_ms:.0f} ms poll interval",
                )
            )
    return rows


def _per_metric_ms(sampler: TelemetrySampler, n: int = 50) -> list[tuple[str, float]]:
    """Wall ms of each metric's walk (one NVML call or a few), slowest first."""
    out = []
    for metric in sampler.metrics:
        w0 = time.perf_counter()
        for _ in range(n):
            sampler._memo.clear()
            sampler._read(metric)
        out.append((metric.key, (time.perf_counter() - w0) * 1000.0 / n))
    sampler._memo.clear()
    return sorted(out, key=lambda kv: -kv[1])


def _nvml_rows() -> list[dict[str, Any]]:
    sampler = TelemetrySampler(NvmlDevice(), tegrastats=None)
    try:
        probe = sampler.sample()
        if sampler.nvml is None or not sampler.nvml.available:
            return []
        cpu_ms, wall_ms = _measure(sampler, NVML_SAMPLES)
        slowest = ", ".join(f"{k} {ms:.3f}" for k, ms in _per_metric_ms(sampler)[:5])
    finally:
        sampler.close()
    interval_ms = DEFAULT_INTERVAL_S * 1000.0
    return [
        _row(
            "telemetry sample CPU, real NVML",
            cpu_ms,
            "ms",
            f"mean of {NVML_SAMPLES} full samples on {probe.device_name} (idle GPU); wall {wall_ms:.3f} ms; "
            "ratio = share of one core at the default interval",
            ratio=cpu_ms / interval_ms,
            baseline=f"{interval_ms:.0f} ms poll interval",
        ),
        _row(
            "telemetry sample wall, real NVML",
            wall_ms,
            "ms",
            f"mean wall time of one full sample on {probe.device_name} (NVML calls block this long); "
            f"slowest metrics (ms): {slowest}",
        ),
    ]


def run() -> list[dict[str, Any]]:
    return _fixture_rows() + _nvml_rows()
