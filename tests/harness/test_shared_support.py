"""Tests that need ../shared skip in a fresh clone and fail in CI."""

from __future__ import annotations

import pytest
from shared_support import missing_shared, shared_param_marks


def test_missing_fixtures_skip_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        missing_shared("no fixtures")
    assert [m.name for m in shared_param_marks("no fixtures")] == ["skip"]


def test_missing_fixtures_fail_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no fixtures"):
        missing_shared("no fixtures")
    assert [m.name for m in shared_param_marks("no fixtures")] == ["needs_shared"]
