"""Fixtures for the live-screen tests (the driver itself is in ui_driver.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ui_driver import Driver


@pytest.fixture
def driver() -> Driver:
    return Driver()


@pytest.fixture
def make_driver() -> Callable[..., Driver]:
    return Driver
