"""Why an engine did not load, in one line.

``Runtime.deserialize_cuda_engine`` returns None instead of raising; the reason is only in the log.
`explain_load_failure` maps the captured log lines to one `UserError` that says what is wrong and
what to do. Pure (no TensorRT import): the log texts it knows are those seen from TensorRT 8.5
to 11.4 (see shared/notes/tensorrt-api.md, section 4.5).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from trtui.common.errors import UserError

_VERSION_GOT = re.compile(r"expecting library version ([\w.]+) got ([\w.]*)")
_SER_VERSION = re.compile(r"Current Version: (\d+), Serialized Engine Version: (\d+)")
_COMPUTE = re.compile(r"expecting compute ([\d.]+) got compute ([\d.]+)")
_HWCOMPAT = re.compile(r"Expected compute capability >=\s*([\d.]+)")
_PLUGIN = re.compile(r"(?:plugin|Plugin)[^:]*?(?:creator|Creator)?[^:]*?(?:for|named|:)\s*['\"]?([\w:./-]+)")
_ERROR_CODE = re.compile(r"^.*?Error Code \d+: ")
_WHERE = re.compile(r"\s+In \w+ at [^\s)]+:\d+(\)?)$")  # "... In parsePlan at /_src/runtime.cpp:780)"


def _last_error(messages: Sequence[str]) -> str:
    """The most specific error line (the last one that is not the generic 'deserialization failed')."""
    generic = ("Engine deserialization failed", "deserializeCudaEngine failed")
    useful = [m for m in messages if m.strip() and not any(g in m for g in generic)]
    line = (useful or list(messages) or ["no message"])[-1]
    line = _ERROR_CODE.sub("", " ".join(line.split()))
    line = _WHERE.sub(r"\1", line)
    return line if len(line) <= 200 else line[:197] + "..."


def explain_load_failure(
    messages: Sequence[str],
    *,
    path: str,
    module: str,
    version: str,
    lean: bool,
) -> UserError:
    """One-line error for a failed deserialization, from the log lines captured while loading."""
    text = "\n".join(messages)
    rt = f"{module} {version}"
    if "empty memory buffer" in text:
        return UserError(f"{path} is empty: it is not a TensorRT engine")
    if "getEngineHostCodeAllowed" in text or "host code" in text.lower():
        return UserError(
            f"{path} contains embedded host code (a version-compatible plan with its own lean runtime), "
            "which runs code from the file: load it only if you trust it, with --allow-host-code"
        )
    m = _VERSION_GOT.search(text)
    if m or "Version tag does not match" in text or "kSERIALIZATION_VERSION" in text or (
        "not compatible with this version of TensorRT" in text
    ):
        built = f" (built with {m.group(2)})" if m and m.group(2) else ""
        sv = _SER_VERSION.search(text)
        if not built and sv:
            built = f" (plan format {sv.group(2)}, this runtime reads {sv.group(1)})"
        return UserError(
            f"{path} was built with another TensorRT version{built} and cannot run on {rt}: rebuild it "
            f"with TensorRT {version}, or build it version-compatible"
        )
    m = _COMPUTE.search(text)
    if m or "incompatible device" in text:
        detail = f" (built for compute {m.group(1)}, this GPU is compute {m.group(2)})" if m else ""
        return UserError(
            f"{path} was built for another GPU{detail}: rebuild it on this GPU, or build it "
            "hardware-compatible"
        )
    m = _HWCOMPAT.search(text)
    if m:
        return UserError(
            f"{path} is a hardware-compatible engine for compute capability {m.group(1)} or newer; "
            "this GPU is older: rebuild it on this GPU"
        )
    if "stub loadRunner" in text or ("lean" in text.lower() and "version compat" in text.lower()):
        return UserError(
            f"{path} is not version-compatible, and the lean TensorRT runtime ({rt}) can only load "
            "version-compatible engines: install the full TensorRT, or rebuild the engine with "
            "--versionCompatible"
        )
    if "OutOfMemory" in text or "out of memory" in text.lower() or "could not be allocated" in text:
        return UserError(
            f"not enough free GPU memory to load {path}: close other GPU programs or use a smaller engine"
        )
    if "magicTag" in text or "Magic tag does not match" in text:
        return UserError(
            f"{path} is not a TensorRT engine TensorRT can read (wrong header: a different file type, "
            "or an engine from a much older TensorRT)"
        )
    if "expectedPlatformTag" in text or "Platform specific tag mismatch" in text:
        return UserError(
            f"{path} was built for another platform (a TensorRT plan runs only on the OS and CPU "
            "architecture it was built on: a Windows, Jetson or x86-64 engine does not move between them), "
            "or it is damaged: rebuild it on this machine"
        )
    if (
        "bufferSize >= minBufferSize" in text
        or "header.size == blobSize" in text
        or "truncated" in text.lower()
        or "size mismatch" in text
    ):
        return UserError(f"{path} is truncated or damaged: rebuild or copy it again")
    if "plugin" in text.lower():
        m = _PLUGIN.search(text)
        which = f" ({m.group(1)})" if m else ""
        return UserError(
            f"{path} uses a TensorRT plugin that is not loaded{which}: pass its library with --plugins LIB"
        )
    if lean:
        return UserError(
            f"{rt} could not load {path}: {_last_error(messages)}. The lean runtime loads only "
            "version-compatible engines built with the same TensorRT major version"
        )
    return UserError(f"{rt} could not load {path}: {_last_error(messages)}")


# The first four bytes of a plan and the TensorRT majors that write them (seen: `ptrt` from the real
# TensorRT 8.5.3, `ftrt` from 10.x/11.x). A plan of one family never deserializes in the other.
_PLAN_TAG_MAJORS: dict[bytes, tuple[str, range]] = {
    b"ptrt": ("TensorRT 8.x", range(8, 10)),
    b"ftrt": ("TensorRT 10 or later", range(10, 100)),
}


def plan_family_mismatch(plan_head: bytes, *, path: str, module: str, version: str) -> UserError | None:
    """An error when the plan's tag says another TensorRT family wrote it than the one installed
    (checked before deserializing: TensorRT's own message is only "magicTag ... failed"); else None."""
    known = _PLAN_TAG_MAJORS.get(bytes(plan_head[:4]))
    try:
        major = int(version.split(".")[0])
    except ValueError:
        return None
    if known is None or major in known[1]:
        return None
    return UserError(
        f"{path} was built with {known[0]} and cannot run on {module} {version}: engines never load across "
        f"TensorRT versions; rebuild it from the ONNX model with TensorRT {version}"
    )


def explain_out_of_memory(what: str, free_bytes: int | None, need_bytes: int | None) -> UserError:
    """Out of GPU memory while setting up (contexts, buffers)."""
    detail = ""
    if free_bytes is not None and need_bytes is not None:
        detail = f" (needs about {need_bytes / 2**20:.0f} MiB, {free_bytes / 2**20:.0f} MiB free)"
    return UserError(
        f"not enough free GPU memory for {what}{detail}: use fewer --streams or smaller --shapes, "
        "or close other GPU programs"
    )
