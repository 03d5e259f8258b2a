"""Failed loads explained in one line, from the log texts TensorRT writes (8.5 to 11.4)."""

from __future__ import annotations

import pytest

from trtui.gpu.runtime.load_errors import explain_load_failure, explain_out_of_memory

CASES = [
    (["IRuntime::deserializeCudaEngine: Error Code 1: Serialization (Serialization assertion "
      "stdVersionRead == kSERIALIZATION_VERSION failed.Version tag does not match. Note: Current Version: "
      "240, Serialized Engine Version: 239)"], False, ["another TensorRT version", "plan format 239"]),
    (["Error Code 6: API Usage Error (The engine plan file is not compatible with this version of TensorRT, "
      "expecting library version 10.12.0.36 got 10.3.0.26, please rebuild.)"], False,
     ["another TensorRT version (built with 10.3.0.26)", "rebuild it with TensorRT 11.4.0.106"]),
    (["IRuntime::deserializeCudaEngine: Error Code 6: API Usage Error (The engine plan file is generated on "
      "an incompatible device, expecting compute 8.9 got compute 8.6, please rebuild.)"], False,
     ["another GPU (built for compute 8.9, this GPU is compute 8.6)"]),
    (["The current device is not compatible with this hardware-compatible engine. Expected compute "
      "capability >= 8.0"], False, ["compute capability 8.0 or newer"]),
    (["Serialization assertion plan->header.magicTag == rt::kPLAN_MAGIC_TAG failed."], False,
     ["not a TensorRT engine TensorRT can read"]),
    (["IRuntime::deserializeCudaEngine: Error Code 1: Internal Error Unexpected call to stub loadRunner "
      "for ReformatRunner"], True, ["not version-compatible", "--versionCompatible"]),
    (["Cannot deserialize engine with lean runtime since IRuntime::getEngineHostCodeAllowed() is false."],
     True, ["embedded host code", "--allow-host-code"]),
    (["Error Code 2: OutOfMemory (no further information)",
      "Requested amount of GPU memory (4294967296 bytes) could not be allocated."], False,
     ["not enough free GPU memory"]),
    (["IRuntime::deserializeCudaEngine: Error Code 3: API Usage Error (Cannot deserialize with an empty "
      "memory buffer.)"], True, ["is empty"]),
    (["Assertion bufferSize >= minBufferSize failed."], True, ["truncated or damaged"]),
    # seen from the 11.4 lean runtime on an H100 for b"ftrt" + 4096 zero bytes
    (["IRuntime::deserializeCudaEngine: Error Code 1: Serialization (Serialization assertion "
      "plan.header.size == blobSize failed. In parsePlan at /_src/runtime/dispatch/runtime.cpp:780)"], True,
     ["truncated or damaged"]),
    (["IRuntime::deserializeCudaEngine: Error Code 1: Serialization (Serialization assertion header.magicTag "
      "== kEXPECTED_MAGIC_TAG failed.Trying to load an engine created with incompatible serialization "
      "version (1936287860 != 1953657958). Check that the engine was not created using safety runtime, "
      "same OS was used and version compatibility parameters were set accordingly and that it is a TRT "
      "engine file. In throwUnlessHeaderOk at /_src/runtime/dispatch/runtime.cpp:48)"], True,
     ["not a TensorRT engine TensorRT can read"]),
    # the 11.4 lean runtime on an H100, given "ftrt" followed by random bytes (seen on the device)
    (["IRuntime::deserializeCudaEngine: Error Code 1: Serialization (Serialization assertion header.pad "
      "== expectedPlatformTag failed.Platform specific tag mismatch detected. TensorRT plan files are only "
      "supported on the target runtime platform they were created on.)"], True,
     ["built for another platform", "or it is damaged", "rebuild it on this machine"]),
    (["getPluginCreator could not find plugin: EfficientNMS_TRT version: 1"], False,
     ["plugin", "--plugins"]),
]


@pytest.mark.parametrize(("log", "lean", "fragments"), CASES)
def test_known_causes(log: list[str], lean: bool, fragments: list[str]) -> None:
    err = explain_load_failure(log, path="m.engine", module="tensorrt", version="11.4.0.106", lean=lean)
    msg = str(err)
    assert msg.startswith("m.engine") or "m.engine" in msg
    assert "\n" not in msg
    for frag in fragments:
        assert frag in msg


def test_unknown_cause_quotes_the_most_specific_line() -> None:
    log = ["[runtime.cpp::parsePlan::1] Error Code 2: Internal Error (something odd happened)",
           "Error Code 4: Internal Error (Engine deserialization failed.)"]
    msg = str(explain_load_failure(log, path="m.engine", module="tensorrt", version="10.3", lean=False))
    assert msg == "tensorrt 10.3 could not load m.engine: Internal Error (something odd happened)"


def test_source_locations_are_dropped_from_quoted_lines() -> None:
    log = ["[runtime.cpp::x::1] Error Code 2: Internal Error (odd thing. In parsePlan at /_src/rt.cpp:780)"]
    msg = str(explain_load_failure(log, path="m.engine", module="tensorrt", version="10.3", lean=False))
    assert msg == "tensorrt 10.3 could not load m.engine: Internal Error (odd thing.)"


def test_unknown_cause_on_lean_adds_the_vc_hint() -> None:
    msg = str(explain_load_failure(["weird"], path="m.engine", module="tensorrt_lean", version="11.4",
                                   lean=True))
    assert "version-compatible" in msg and "weird" in msg


def test_no_log_at_all() -> None:
    msg = str(explain_load_failure([], path="m.engine", module="tensorrt", version="10.3", lean=False))
    assert "could not load m.engine" in msg


def test_out_of_memory_numbers() -> None:
    msg = str(explain_out_of_memory("4 execution context(s)", 100 << 20, 300 << 20))
    assert "needs about 300 MiB, 100 MiB free" in msg and "--streams" in msg


def test_a_plan_of_the_other_tensorrt_family_is_named_before_deserializing() -> None:
    from trtui.gpu.runtime.load_errors import plan_family_mismatch

    err = plan_family_mismatch(b"ptrt", path="r18.engine", module="tensorrt", version="10.13.0.35")
    assert err is not None
    assert str(err) == ("r18.engine was built with TensorRT 8.x and cannot run on tensorrt 10.13.0.35: "
                        "engines never load across TensorRT versions; rebuild it from the ONNX model with "
                        "TensorRT "
                        "10.13.0.35")
    err = plan_family_mismatch(b"ftrt", path="m.engine", module="tensorrt", version="8.5.3.1")
    assert err is not None and "built with TensorRT 10 or later" in str(err)
    assert plan_family_mismatch(b"ptrt", path="m", module="tensorrt", version="8.6.1") is None
    assert plan_family_mismatch(b"ftrt", path="m", module="tensorrt_lean", version="11.4.0.106") is None
    assert plan_family_mismatch(b"zzzz", path="m", module="tensorrt", version="8.5.3.1") is None  # TRT says
