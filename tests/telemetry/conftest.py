"""Telemetry test fixtures: fixture trees per platform, fake NVML profiles, a fake tegrastats."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import telemetry_trees as trees  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the real /sys or starts a real tegrastats by accident."""
    for name in ("TRTUI_SYSFS_ROOT", "TRTUI_PROC_ROOT", "TRTUI_FS_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRTUI_TEGRASTATS", "none")


@pytest.fixture(params=sorted(trees.PLATFORMS))
def platform_tree(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, trees.Tree]]:
    name = request.param
    yield name, trees.PLATFORMS[name](tmp_path)
