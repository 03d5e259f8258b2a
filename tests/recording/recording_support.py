"""Helpers of the recording, analysis and engine-info tests: the real trtexec fixtures (read in place, never
copied into the repo) and a way to replay a source through a session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from own_recordings import own_recording_dirs
from shared_support import missing_shared, shared_param_marks

from trtui.pipeline.session import Session
from trtui.sources.protocol import ProfileSource
from trtui.stats.update import Update

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "trtexec"
FIXTURE_DIRS = sorted(p for p in FIXTURES.glob("*") if p.is_dir()) if FIXTURES.is_dir() else []
NO_FIXTURES = f"no trtexec fixtures at {FIXTURES} (../shared/fixtures/trtexec relative to the repo)"


def fixture_dirs() -> list[Any]:
    """One pytest param per recording folder: the real trtexec recordings of ../shared where they
    exist (a placeholder that skips, or fails under CI, where they do not), and the small ones the
    project writes itself (own_recordings.py, both layer-info layouts) in every clone."""
    own = [pytest.param(d, id=d.name) for d in own_recording_dirs()]
    if not FIXTURE_DIRS:
        return [pytest.param(None, marks=shared_param_marks(NO_FIXTURES), id="no-fixtures"), *own]
    return [*(pytest.param(d, id=d.name) for d in FIXTURE_DIRS), *own]


def need_fixtures() -> list[Path]:
    """Recording folders to test with: the real ones where ../shared has them, else the project's."""
    return FIXTURE_DIRS or own_recording_dirs()


def need_shared() -> list[Path]:
    """The real recordings of ../shared: skip without them (fail under CI)."""
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
