"""What the GPU tests share: skipping cleanly without NVML or a CUDA device, and `trtui telemetry
--json` as a user runs it. (Test files import it by name: pytest puts this folder on sys.path.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest


def nvml_or_skip() -> Any:
    """pynvml, initialised, with at least one GPU; else the test is skipped."""
    pynvml = pytest.importorskip("pynvml", reason="pynvml (nvidia-ml-py) is not installed")
    try:
        pynvml.nvmlInit()
    except Exception as err:
        pytest.skip(f"no NVIDIA driver: {err}")
    if pynvml.nvmlDeviceGetCount() < 1:
        pytest.skip("NVML sees no GPU")
    return pynvml


def pycuda_or_skip() -> Any:
    """pycuda.driver, initialised, with a usable CUDA device; else the test is skipped."""
    drv = pytest.importorskip("pycuda.driver", reason="pycuda is not installed")
    try:
        drv.init()
        if drv.Device.count() < 1:
            pytest.skip("no CUDA device")
    except drv.Error as err:
        pytest.skip(f"no usable CUDA device: {err}")
    return drv


def telemetry_json() -> dict[str, Any]:
    """`trtui telemetry --json` (tegrastats off), checked to exit 0."""
    proc = subprocess.run(
        [sys.executable, "-m", "trtui", "telemetry", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TRTUI_TEGRASTATS": "none"},
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data
