"""What the live screen's `e` key can write, and the writing itself: an SVG screenshot, the layers
CSV or a recording folder, all from the latest published update (`trtui.recording.export`)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trtui.common.atomic import write_text_atomic
from trtui.common.errors import UserError
from trtui.stats.update import Update

FUNCTIONS = (("csv", "write_layers_csv"), ("recording", "export_recording"))


def export_module() -> Any:
    """`trtui.recording.export`, or None when this build has no exports."""
    try:
        return importlib.import_module("trtui.recording.export")
    except ImportError:
        return None


def export_available(update: Update | None) -> dict[str, str | None]:
    """kind -> None when it can be exported now, else why not."""
    module = export_module()
    have: dict[str, str | None] = {"svg": None}
    for kind, fn in FUNCTIONS:
        if update is None:
            have[kind] = "no data yet"
        elif module is None or not hasattr(module, fn):
            have[kind] = "not in this build"
        else:
            have[kind] = None
    return have


def write_export(
    kind: str, target: Path, update: Update | None, refresh_s: float, screenshot: Callable[[], str]
) -> None:
    """Write one export to `target`; raises UserError or OSError (the caller words them)."""
    if kind == "svg":
        write_text_atomic(target, screenshot())
        return
    module = export_module()
    if module is None or update is None:
        raise UserError("this export is not available")
    if kind == "csv":
        module.write_layers_csv(update, target)
    else:
        settings = dict(update.settings)
        settings["refresh_s"] = str(refresh_s)
        module.export_recording(update, target, settings)
