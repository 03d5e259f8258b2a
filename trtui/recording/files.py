"""Reading a JSON file of a recording, and telling which kind of file it is by its content.

Kinds (`FileKind`), all recognised from the decoded JSON, never from the file name:

* "profile": trtexec `--exportProfile`, `[{"count": N}, {"name", "timeMs", "averageMs", ...}, ...]`;
* "layer_info": trtexec `--exportLayerInfo` / engine inspector, `{"Layers": [...], ...}`;
* "times": trtexec `--exportTimes`, `[{"startEnqMs", ..., "latencyMs"}, ...]`;
* "profile_metadata": `{"performance_summary", "inference_options", "device_information"}`
  (TREx's `.profile.metadata.json`, and trtui's export);
* "build_metadata": `{"model_options", "build_options"}` (TREx's `.build.metadata.json`);
* "device_metadata": `[{"Name", "ComputeCapability", "TotalMemory", ...}]` (TREx's `.metadata.json`);
* "summary": trtui's own JSON summary (`"schema": "trtui.summary/1"`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from trtui.common.errors import UserError
from trtui.common.paths import read_error, require_input

FileKind = Literal[
    "profile", "layer_info", "times", "profile_metadata", "build_metadata", "device_metadata", "summary"
]
CONTENT_KINDS: tuple[FileKind, ...] = ("profile", "layer_info", "times")
KIND_WORDS: dict[str, str] = {
    "profile": "per-layer profile",
    "layer_info": "layer info",
    "times": "per-inference times",
    "profile_metadata": "run metadata",
    "build_metadata": "build metadata",
    "device_metadata": "device metadata",
    "summary": "trtui summary",
}

SUMMARY_SCHEMA_PREFIX = "trtui.summary/"
_TIMES_KEYS = frozenset(
    ("latencyMs", "startEnqMs", "endEnqMs", "startComputeMs", "endComputeMs", "computeMs", "endToEndMs")
)
_PROFILE_META_KEYS = frozenset(("performance_summary", "inference_options", "device_information"))
_BUILD_META_KEYS = frozenset(("model_options", "build_options"))
_DEVICE_KEYS = frozenset(("ComputeCapability", "TotalMemory", "MULTIPROCESSOR_COUNT", "CLOCK_RATE"))
# trtexec prints C++ `nan`/`inf` (e.g. a percentage of an all-zero profile): not JSON.
_BARE_NONFINITE = re.compile(r"(?<=[:\[,])(\s*)(-?)(nan|inf)\b", re.I)

# Recording file names end like "<stem>.<word>.json"; used only to find a file's siblings.
_NAME_SUFFIXES = (
    ".profile.metadata", ".build.metadata", ".metadata", ".profile", ".graph", ".layers",
    ".layer_info", ".layerinfo", ".layer-info", ".timing", ".times", ".trace",
)


def recording_stem(path: Path) -> str:
    """`resnet.onnx.engine.profile.json` -> `resnet.onnx.engine` (for finding sibling files)."""
    name = path.name
    if name.lower().endswith(".json"):
        name = name[:-5]
    lower = name.lower()
    for suffix in _NAME_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def detect_kind(obj: object) -> FileKind | None:
    """The kind of a decoded JSON value, or None when it is none of the kinds."""
    if isinstance(obj, dict):
        if isinstance(obj.get("Layers"), list):
            return "layer_info"
        schema = obj.get("schema")
        if isinstance(schema, str) and schema.startswith(SUMMARY_SCHEMA_PREFIX):
            return "summary"
        if _PROFILE_META_KEYS & obj.keys():
            return "profile_metadata"
        if _BUILD_META_KEYS & obj.keys():
            return "build_metadata"
        return None
    if not isinstance(obj, list) or not obj:
        return None
    first = obj[0]
    if not isinstance(first, dict):
        return None
    if "count" in first and len(first) <= 2 and all(isinstance(x, dict) and "name" in x for x in obj[1:2]):
        return "profile"
    if "name" in first and "timeMs" in first:
        return "profile"  # a profile without its count header
    if _TIMES_KEYS & first.keys():
        return "times"
    if "Name" in first and _DEVICE_KEYS & first.keys():
        return "device_metadata"
    return None


def describe(obj: object) -> str:
    """A few words about a JSON value that is none of the kinds (for error messages)."""
    if isinstance(obj, dict):
        keys = ", ".join(list(obj)[:4])
        return f"a JSON object with keys {keys}" if keys else "an empty JSON object"
    if isinstance(obj, list):
        if not obj:
            return "an empty JSON array"
        return f"a JSON array of {type(obj[0]).__name__ if not isinstance(obj[0], dict) else 'objects'}"
    return f"a JSON {type(obj).__name__}"


def decode_json(data: bytes) -> tuple[object, tuple[str, ...]]:
    """Decode a JSON file's bytes; UserError (without the file name) when it is not JSON.
    Returns the value and notices (e.g. trtexec's bare `nan`, which is repaired)."""
    if not data.strip():
        raise UserError("the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError("not a text file (not UTF-8): expected a trtexec JSON export") from None
    try:
        return json.loads(text), ()
    except RecursionError:
        raise UserError("malformed JSON (nested too deeply)") from None
    except json.JSONDecodeError as err:
        first_err = err
    repaired, n = _BARE_NONFINITE.subn(_nonfinite, text)
    if n:
        try:
            return json.loads(repaired), (f"{n} bare nan/inf value(s) (written by trtexec) read as NaN",)
        except (json.JSONDecodeError, RecursionError):
            pass
    tail = len(text.rstrip())
    if first_err.pos >= tail - 1 or first_err.msg.startswith("Unterminated string"):
        raise UserError(
            f"the JSON ends early at line {first_err.lineno} (truncated file? was it still being written?)"
        )
    raise UserError(f"malformed JSON: {first_err.msg} at line {first_err.lineno} column {first_err.colno}")


def _nonfinite(m: re.Match[str]) -> str:
    word = "NaN" if m.group(3).lower() == "nan" else "Infinity"
    sign = "-" if m.group(2) and word == "Infinity" else ""
    return f"{m.group(1)}{sign}{word}"


MAX_JSON_BYTES = 1 << 30  # a 20,000-layer recording is ~25 MB; 1 GiB leaves room for long traces


def read_json(path: Path) -> tuple[object, tuple[str, ...]]:
    """Read and decode a JSON file; UserError with the file name on any problem."""
    st = require_input(path, "a JSON file")
    if st.st_size > MAX_JSON_BYTES:
        raise UserError(
            f"{path}: {st.st_size / 2**30:.1f} GiB is too large for a trtexec recording "
            f"(trtui reads recording files up to {MAX_JSON_BYTES // 2**30} GiB)"
        )
    try:
        data = path.read_bytes()
    except OSError as err:
        raise read_error(path, err, "a JSON file") from None
    try:
        return decode_json(data)
    except UserError as err:
        raise UserError(f"{path}: {err}") from None
