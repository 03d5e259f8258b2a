"""Helpers of the recording and analysis tests: the real trtexec fixtures (read in place, never
copied into the repo) and a way to replay a source through a session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from shared_support import missing_shared, shared_param_marks

from trtui.session import Session, Update
from trtui.sources.protocol import ProfileSource

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "trtexec"
FIXTURE_DIRS = sorted(p for p in FIXTURES.glob("*") if p.is_dir()) if FIXTURES.is_dir() else []
NO_FIXTURES = f"no trtexec fixtures at {FIXTURES} (../shared/fixtures/trtexec relative to the repo)"


def fixture_dirs() -> list[Any]:
    """One pytest param per fixture recording folder, or one skipped param when there are none."""
    if not FIXTURE_DIRS:
        return [pytest.param(None, marks=shared_param_marks(NO_FIXTURES), id="no-fixtures")]
    return [pytest.param(d, id=d.name) for d in FIXTURE_DIRS]


def need_fixtures() -> list[Path]:
    if not FIXTURE_DIRS:
        missing_shared(NO_FIXTURES)
    return FIXTURE_DIRS


def file_ending(folder: Path, ending: str) -> Path | None:
    found = sorted(folder.glob(f"*{ending}"))
    return found[0] if found else None


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def replay(source: ProfileSource) -> Update:
    """Run a (finite) source through a session on this thread; the final update."""
    session = Session(source)
    session.open()
    try:
        session.loop(until=None)
        return session.build_update()
    finally:
        session.close()
