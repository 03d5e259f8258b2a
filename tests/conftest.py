"""Root test configuration: the tests folder is importable (tests/shared_support.py), and a test
marked `needs_shared` fails when CI is set (see tests/shared_support.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# In CI the fuzz tests replay the same examples run after run (a failure there is repeatable);
# elsewhere hypothesis explores new ones each time.
try:
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")
except ImportError:  # the test extra brings hypothesis; without it the fuzz tests skip themselves
    pass

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)


def pytest_runtest_setup(item: pytest.Item) -> None:
    mark = item.get_closest_marker("needs_shared")
    if mark is not None:
        from shared_support import missing_shared

        missing_shared(str(mark.kwargs.get("reason", "../shared fixtures are missing")))
