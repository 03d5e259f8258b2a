"""Fixtures for the live-screen tests (the driver itself is in ui_driver.py). The fleet overview's
tests take their demo updates from the remote tests' helpers (`remote_support`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from ui_driver import Driver

_REMOTE = str(Path(__file__).resolve().parents[1] / "remote")
if _REMOTE not in sys.path:
    sys.path.insert(0, _REMOTE)


@pytest.fixture
def driver() -> Driver:
    return Driver()


@pytest.fixture
def make_driver() -> Callable[..., Driver]:
    return Driver
