"""The engine-info tests read the recordings' layer-info files through the recording tests' helpers
(`recording_support`)."""

from __future__ import annotations

import sys
from pathlib import Path

_RECORDING = str(Path(__file__).resolve().parents[1] / "recording")
if _RECORDING not in sys.path:
    sys.path.insert(0, _RECORDING)
