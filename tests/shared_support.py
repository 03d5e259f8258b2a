"""Tests that read `../shared/fixtures/` (the real trtexec recordings, kept outside the repo): they
skip in a clone without them, and fail when the `CI` environment variable is set, so that CI never
passes by skipping them. The format tests that must run in every clone use the small recordings
the project writes itself (tests/recording/own_recordings.py)."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def missing_shared(reason: str) -> None:
    """Skip (a fresh clone) or fail (CI) a test whose ../shared fixtures are not there."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set: tests that need ../shared fail instead of skipping)")
    pytest.skip(reason)


def shared_param_marks(reason: str) -> list[pytest.MarkDecorator]:
    """Marks for the one placeholder parameter used when no fixture folder exists."""
    return [pytest.mark.needs_shared(reason=reason)] if in_ci() else [pytest.mark.skip(reason=reason)]
