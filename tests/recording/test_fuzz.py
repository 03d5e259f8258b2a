"""Property-based tests: every reader, fed arbitrary or damaged input, either reads it or raises a
one-line UserError. Never another exception (a traceback in the CLI)."""

from __future__ import annotations

import json
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recording_support import FIXTURE_DIRS, file_ending
from shared_support import in_ci, missing_shared

from trtui.analysis.compare import compare
from trtui.analysis.report import analysis_text, comparison_text
from trtui.analysis.views import analyze
from trtui.common.errors import UserError
from trtui.engine_info.layer_info import parse_layer_info
from trtui.recording.files import decode_json, detect_kind
from trtui.recording.readers import (
    parse_build_metadata,
    parse_device_metadata,
    parse_profile,
    parse_profile_metadata,
    parse_times,
)
from trtui.recording.runs import load_run
from trtui.recording.source import open_recording
from trtui.recording.summary_reader import parse_summary

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values near and past every limit (float max, int64 max, 1e30, a 400-digit integer): drawn as
# often as any other kind of scalar, so that the fuzzing reaches them on purpose, not by chance.
HUGE = [1e30, 9.2e18, 2**63, 2**64, 1e308, -1e308, 1.7976931348623157e308, 10**400, 1e12, 1e15 + 1]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(HUGE),
    st.text(max_size=12),
)
KEYS = [
    "count",
    "name",
    "timeMs",
    "averageMs",
    "medianMs",
    "percentage",
    "latencyMs",
    "startEnqMs",
    "endEnqMs",
    "startH2dMs",
    "endD2hMs",
    "computeMs",
    "Layers",
    "Bindings",
    "I/O Tensors",
    "Name",
    "LayerType",
    "Inputs",
    "Outputs",
    "Dimensions",
    "Format/Datatype",
    "DataType",
    "Format",
    "TacticName",
    "Metadata",
    "StreamId",
    "IOMode",
    "ProfileInfo",
    "OptShape",
    "performance_summary",
    "inference_options",
    "device_information",
    "model_options",
    "build_options",
    "ComputeCapability",
    "schema",
    "layers",
    "source",
    "latency_ms",
    "simulated",
    "device",
    "mean_ms",
    "trtui",
    "Throughput",
]
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=6),
    ),
    max_leaves=30,
)
# Values shaped like each kind, with wrong types in places.
profile_like = st.lists(
    st.one_of(
        st.fixed_dictionaries({"count": scalars}),
        st.fixed_dictionaries(
            {"name": st.one_of(st.text(max_size=8), scalars), "timeMs": scalars},
            optional={"averageMs": scalars, "medianMs": scalars, "percentage": scalars},
        ),
        json_values,
    ),
    max_size=6,
)
times_like = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"latencyMs": scalars},
            optional=dict.fromkeys(
                ("startH2dMs", "endD2hMs", "startEnqMs", "endEnqMs", "computeMs"), scalars
            ),
        ),
        json_values,
    ),
    max_size=6,
)
tensor_like = st.one_of(
    st.fixed_dictionaries(
        {"Name": scalars},
        optional={
            "Dimensions": st.one_of(st.lists(scalars, max_size=4), scalars),
            "Format/Datatype": scalars,
            "DataType": scalars,
            "Datatype": scalars,
            "Format": scalars,
            "Location": scalars,
        },
    ),
    scalars,
)
layer_like = st.one_of(
    st.text(max_size=8),
    st.fixed_dictionaries(
        {"Name": st.one_of(st.text(max_size=8), scalars)},
        optional={
            "LayerType": scalars,
            "Inputs": st.one_of(st.lists(tensor_like, max_size=3), scalars),
            "Outputs": st.one_of(st.lists(tensor_like, max_size=3), scalars),
            "TacticName": scalars,
            "Metadata": scalars,
            "StreamId": scalars,
            "Origin": scalars,
        },
    ),
    json_values,
)
layer_info_like = st.fixed_dictionaries(
    {"Layers": st.one_of(st.lists(layer_like, max_size=5), scalars)},
    optional={
        "Bindings": st.one_of(st.lists(scalars, max_size=3), scalars),
        "I/O Tensors": st.one_of(
            st.lists(
                st.one_of(
                    tensor_like,
                    st.fixed_dictionaries(
                        {"Name": st.text(max_size=5)},
                        optional={"IOMode": scalars, "ProfileInfo": json_values},
                    ),
                ),
                max_size=3,
            ),
            scalars,
        ),
    },
)
summary_like = st.fixed_dictionaries(
    {"schema": st.sampled_from(["trtui.summary/1", "trtui.summary/2"])},
    optional={
        "layers": st.one_of(
            st.lists(
                st.one_of(
                    st.fixed_dictionaries(
                        {"name": st.one_of(st.text(max_size=6), scalars)},
                        optional={"count": scalars, "mean_ms": scalars, "total_ms": scalars, "type": scalars},
                    ),
                    json_values,
                ),
                max_size=4,
            ),
            scalars,
        ),
        "latency_ms": st.one_of(
            st.fixed_dictionaries({}, optional={"count": scalars, "mean": scalars}), scalars
        ),
        "source": st.one_of(
            st.fixed_dictionaries({}, optional={"simulated": scalars, "label": scalars}), scalars
        ),
        "device": scalars,
        "profiled_iterations": scalars,
        "notices": json_values,
        "throughput_per_s": scalars,
    },
)

READERS: list[Callable[[object], object]] = [
    parse_profile,
    parse_times,
    parse_layer_info,
    parse_summary,
    parse_profile_metadata,
    parse_build_metadata,
    parse_device_metadata,
]


def reads_or_refuses(reader: Callable[[object], object], value: object) -> None:
    try:
        reader(value)
    except UserError as err:
        assert str(err) and "\n" not in str(err)


@FUZZ
@given(json_values)
def test_every_reader_on_any_json(value: object) -> None:
    detect_kind(value)
    for reader in READERS:
        reads_or_refuses(reader, value)


@FUZZ
@given(profile_like)
def test_profile_reader(value: object) -> None:
    reads_or_refuses(parse_profile, value)


@FUZZ
@given(times_like)
def test_times_reader(value: object) -> None:
    reads_or_refuses(parse_times, value)


@FUZZ
@given(layer_info_like)
def test_layer_info_reader(value: object) -> None:
    reads_or_refuses(parse_layer_info, value)
    reads_or_refuses(parse_layer_info, json.dumps(value))


@FUZZ
@given(summary_like)
def test_summary_reader(value: object) -> None:
    reads_or_refuses(parse_summary, value)


@FUZZ
@given(st.binary(max_size=200))
def test_decoder_on_any_bytes(data: bytes) -> None:
    reads_or_refuses(decode_json, data)


def _open_both(path: Path) -> None:
    for opener in (open_recording, load_run):
        try:
            opener(path)
        except UserError as err:
            assert str(err) and "\n" not in str(err)
    try:
        run = load_run(path)
    except UserError:
        return
    # what reads, analyses and compares without a numpy warning, an overflow or a "nan%"
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        a = analyze(run.layers, run.infos)
        text = analysis_text(run, a) + comparison_text(compare(run, run))
    # (layer names may hold anything the fuzzing inserted: the figures are checked, not the names)
    assert not re.search(r"(?<![\w.])[-+]?(nan|inf)(%| ms)", text.lower()), text


@FUZZ
@given(st.one_of(json_values, profile_like, times_like, layer_info_like, summary_like))
def test_open_any_json_file(value: object) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.json"
        path.write_text(json.dumps(value))
        _open_both(path)
        _open_both(Path(d))


def _fixture_texts() -> list[bytes]:
    out = []
    for folder in FIXTURE_DIRS[:1]:
        for ending in (".profile.json", ".graph.json", ".profile.metadata.json"):
            f = file_ending(folder, ending)
            if f is not None:
                out.append(f.read_bytes()[:20000])
    return out


FIXTURE_TEXTS = _fixture_texts()
NO_TEXTS = "no trtexec fixtures at ../shared/fixtures/trtexec"


@pytest.mark.skipif(not FIXTURE_TEXTS and not in_ci(), reason=NO_TEXTS)  # in CI: fails in the body
@FUZZ
@given(st.data())
def test_damaged_fixture_files(data: st.DataObject) -> None:
    """Real files, cut short or with bytes replaced, deleted or inserted."""
    if not FIXTURE_TEXTS:
        missing_shared(NO_TEXTS)
    text = bytearray(data.draw(st.sampled_from(FIXTURE_TEXTS)))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["cut", "replace", "delete", "insert"]))
        pos = data.draw(st.integers(0, max(0, len(text) - 1)))
        if op == "cut":
            del text[pos:]
        elif op == "replace" and text:
            text[pos] = data.draw(st.sampled_from(b'{}[],:"0-.eE \x00\xff'))
        elif op == "delete" and text:
            del text[pos]
        else:
            text[pos:pos] = data.draw(
                st.sampled_from([b"[", b'"', b"nan", b",", b"{}", b"-1", b"1e999", b"null"])
            )
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.profile.json"
        path.write_bytes(bytes(text))
        _open_both(path)
