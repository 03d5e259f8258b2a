"""The log classifier against real builder log lines from public issues (tests/tune/tune_real_logs.py)."""

from __future__ import annotations

import pytest
import tune_real_logs as real

from trtui.tune.attempt import TacticRequest
from trtui.tune.logclass import (
    classify_failure,
    classify_line,
    memory_was_short,
    severity_of,
    success_note,
    summarize_text,
)
from trtui.tune.sizes import GIB, MIB


def summary_of(lines: list[str]):  # type: ignore[no-untyped-def]
    return summarize_text("\n".join(lines))


def test_trt10_skip_and_device_request_lines_merge_into_one_exact_request() -> None:
    s = summary_of(real.ULTRALYTICS_22271)
    assert s.skipped_tactics == 2
    assert s.requests == (TacticRequest(629145600, 302 * MIB, exact=True),)
    assert s.max_requested_bytes == 600 * MIB


def test_workspace_zero_log_from_trtllm() -> None:
    s = summary_of(real.TRTLLM_7650)
    assert s.insufficient_workspace
    assert s.requests == (TacticRequest(5658624, 0, exact=True),)
    assert success_note(s) == "2 tactics skipped (asked up to 5.40 MiB)"
    # with a 0 limit that is simply the limit; with a 64 MiB limit, 0 available means the device was short
    assert memory_was_short(s, 0) is None
    assert memory_was_short(s, 64 * MIB) == s.requests[0]


def test_jetson_device_request_shows_the_device_was_short() -> None:
    s = summary_of(real.ULTRALYTICS_23760)
    assert s.requests[0].requested_bytes == 137625600 and s.requests[0].available_bytes == 98 * MIB
    assert memory_was_short(s, 4 * GIB) is not None


def test_8x_skip_sizes_in_mib_next_to_their_device_request() -> None:
    s = summary_of(real.YOLOV5_12248)
    assert [(r.requested_bytes, r.available_bytes, r.exact) for r in s.requests] == [
        (461 * MIB, 427 * MIB, False),
        (448 * MIB, 425 * MIB, False),
    ]
    assert s.requests[0].enough_bytes == 462 * MIB


def test_a_small_byte_count_without_a_matching_request_stays_bytes() -> None:
    s = summary_of(real.TRTLLM_493)  # "UNSUPPORTED_STATESkipping", no separator
    assert s.requests == (TacticRequest(66048, None, exact=True),)


def test_device_request_without_skip_line_is_known_to_the_mib() -> None:
    s = summary_of(real.TORCH2TRT_706)
    assert s.requests == (TacticRequest(2304 * MIB, 1536 * MIB, exact=False),)
    assert severity_of(real.TORCH2TRT_706[0]) == "E"


@pytest.mark.parametrize(
    ("lines", "limit", "outcome", "node"),
    [
        (real.TRT_2035, 16 * MIB, "no_implementation", "{ForeignNode[onnx::Gather_72...ScatterND_170]}"),
        (real.SPARSEDRIVE_3, GIB, "no_implementation",
         "{ForeignNode[(Unnamed Layer* 1247) [Shuffle].../layers.7/Transpose_2 + /layers.7/Reshape_4]}"),
        (real.TRT_4324, 256 * MIB, "no_implementation",
         "{ForeignNode[/blocks/blocks.10/attn/Gather_2_output_0[Constant].../blocks/blocks.11/Reshape_3]}"),
        (real.TRT_3046, 64 * MIB, "no_implementation", "/patch_embed/patch_embed.0/Conv"),
        (real.TRT_1893, 64 * MIB, "no_implementation", "ConvTranspose_1"),
        (real.TRT_477, GIB, "out_of_memory", "conv0_fwd"),
        (real.TRT_749, GIB, "out_of_memory", "9_full_with_bias"),
    ],
)
def test_no_implementation_is_found_and_named(lines: list[str], limit: int, outcome: str, node: str) -> None:
    s = summary_of(lines)
    assert s.no_implementation_node == node
    got, message = classify_failure(s, limit)
    assert got == outcome
    assert "\n" not in message and message.startswith("no implementation for node")


def test_no_implementation_says_what_the_skipped_tactic_asked_for() -> None:
    _, message = classify_failure(summary_of(real.TRT_2035), 16 * MIB)
    assert "the limit is too small (a skipped tactic asked for 27.8 MiB)" in message


def test_no_implementation_after_tactics_saw_less_than_the_limit_is_an_oom_in_disguise() -> None:
    lines = real.ULTRALYTICS_22271 + real.SPARSEDRIVE_3
    outcome, message = classify_failure(summary_of(lines), 4 * GIB)
    assert outcome == "out_of_memory"
    assert "600 MiB" in message and "302 MiB was available" in message
    # the same log with a limit below what was available: the limit was the constraint
    assert classify_failure(summary_of(lines), 256 * MIB)[0] == "no_implementation"


@pytest.mark.parametrize("lines", [real.DEEPSTREAM_366, real.VOLTAML_15])
def test_out_of_memory_while_building(lines: list[str]) -> None:
    s = summary_of(lines)
    assert s.out_of_memory
    assert s.max_requested_bytes in (4 * GIB, 16 * GIB)
    outcome, message = classify_failure(s, 8 * GIB)
    assert outcome == "out_of_memory" and "OutOfMemory" in message


def test_killed_line_from_a_jetson_nano() -> None:
    outcome, message = classify_failure(summary_of(real.TENSORRT_DEMOS_293), 512 * MIB)
    assert outcome == "killed" and "tactic_dram" in message


@pytest.mark.parametrize(
    ("line", "sev"),
    [
        ("[10/01/2025-08:26:34] [TRT] [W] UNSUPPORTED_STATE: Skipping", "W"),
        ("[06/07/2022-19:05:53] [E] Error[10]: [optimizer.cpp", "E"),
        ("ERROR: [TRT]: 2: [virtualMemoryBuffer.cpp::resizePhysical::160]", "E"),
        ("WARNING: [TRT]: Requested amount of GPU memory", "W"),
        ("info: Some tactics do not have sufficient workspace", "I"),
        ("[TensorRT] ERROR: Tactic Device request", "E"),
        ("Killed", ""),
    ],
)
def test_severity_prefixes(line: str, sev: str) -> None:
    assert severity_of(line) == sev


def test_unrelated_lines_are_other_and_fatal_lines_are_fatal() -> None:
    assert classify_line("[TRT] [I] [MemUsageChange] Init CUDA: CPU +89, GPU +0").kind == "other"
    line = classify_line("[E] [TRT] ModelImporter.cpp:773: While parsing node number 3 [Conv]:")
    assert line.kind == "fatal"
    outcome, _ = classify_failure(summarize_text(line.text), MIB)
    assert outcome == "fatal"


def test_a_failure_without_clues_is_a_generic_build_failure() -> None:
    assert classify_failure(summarize_text(""), MIB) == ("build_failed", "the builder returned no engine")
    outcome, message = classify_failure(summary_of(real.TRT_2035[-2:]), MIB)
    assert outcome == "build_failed" and "Engine could not be created" in message


def test_a_bracketed_warning_stays_a_warning_whatever_its_words() -> None:
    assert severity_of(real.TRT_749[0]) == "W"  # "... memory allocation error during getBestTactic"
    assert severity_of("[I] [TRT] no ERROR: here, an info line") == "I"
    assert severity_of("Error message: [optimizer.cpp::computeCosts::3867]") == ""
