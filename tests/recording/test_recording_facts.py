"""A trtexec recording describes its run with facts (trtui.core.model.RunFacts), worded in
trtui/core/run_facts.py like every other source's, and the JSON summary says its profiling interval is
unknown (null)."""

from __future__ import annotations

from pathlib import Path

import pytest
from recording_support import fixture_dirs, replay

from trtui.core.run_facts import mode_line
from trtui.recording.source import open_recording
from trtui.recording.summary import summary_dict


@pytest.mark.parametrize("folder", fixture_dirs())
def test_recording_mode_comes_from_its_facts(folder: Path) -> None:
    source = open_recording(folder)
    info = source.info
    assert info.facts is not None and info.facts.recorded_by == "trtexec"
    assert info.mode == mode_line(info.facts)
    assert info.mode.startswith("recorded by trtexec")
    doc = summary_dict(replay(source))
    assert doc["source"]["mode"] == info.mode
    assert doc["source"]["profile_every"] is None and doc["source"]["profile_time_cap"] is None
