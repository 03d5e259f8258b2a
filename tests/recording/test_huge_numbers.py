"""Huge numbers in a recording or a summary (the issue's `"count": 1e30`, a count of 9.2e18,
`timeMs: 1e308`): `analyze`, `compare` and `profile` say so in one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trtui.cli import main

PROFILE = [
    {"count": 10},
    {"name": "conv1", "timeMs": 1.0, "averageMs": 0.1, "medianMs": 0.1, "percentage": 50.0},
    {"name": "conv2", "timeMs": 1.0, "averageMs": 0.1, "medianMs": 0.1, "percentage": 50.0},
]
SUMMARY = {
    "schema": "trtui.summary/1",
    "profiled_iterations": 10,
    "layers": [
        {"name": "conv1", "count": 10, "mean_ms": 0.1},
        {"name": "conv2", "count": 10, "mean_ms": 0.1},
    ],
}


def _profile(**change: object) -> list[dict[str, object]]:
    out = [dict(x) for x in PROFILE]
    for key, value in change.items():
        row = 0 if key == "count" else 1
        out[row][key] = value
    return out


def _summary(where: str, value: object) -> dict[str, object]:
    doc = json.loads(json.dumps(SUMMARY))
    if where == "profiled_iterations":
        doc[where] = value
    else:
        doc["layers"][0][where] = value
    return doc


CASES = [
    pytest.param("x.profile.json", _profile(count=1e30), "1e+30", id="profile-count-1e30"),
    pytest.param("x.profile.json", _profile(count=9.2e18), "9.2e+18", id="profile-count-9.2e18"),
    pytest.param("x.profile.json", _profile(timeMs=1e308), "1e+308", id="profile-timeMs-1e308"),
    pytest.param("x.profile.json", _profile(count=10**400), "digit", id="profile-count-400-digits"),
    pytest.param("x.timing.json", [{"latencyMs": 1e308}], "1e+308", id="times-latency-1e308"),
    pytest.param("s.json", _summary("count", 1e30), "1e+30", id="summary-count-1e30"),
    pytest.param("s.json", _summary("count", 9.2e18), "9.2e+18", id="summary-count-9.2e18"),
    pytest.param("s.json", _summary("mean_ms", 1e308), "1e+308", id="summary-mean-1e308"),
    pytest.param("s.json", _summary("profiled_iterations", 1e30), "1e+30", id="summary-iterations-1e30"),
]


@pytest.mark.parametrize(("name", "doc", "needle"), CASES)
@pytest.mark.parametrize("command", ["analyze", "compare", "profile"])
def test_huge_numbers_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, name: str, doc: object, needle: str
) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    args = [command, str(path)] + ([str(path)] if command == "compare" else [])
    if command == "profile":
        args += ["--json", str(tmp_path / "out.json")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("trtui: error: ") and "out of range" in err[0], err
    assert needle in err[0]


@pytest.mark.parametrize("stream", [10**400, 2**63, 1e308, float("nan")])
def test_a_huge_stream_id_in_layer_info_is_a_user_error(stream: object) -> None:
    from trtui.common.errors import UserError
    from trtui.engine_info.layer_info import parse_layer_info

    with pytest.raises(UserError, match="StreamId"):
        parse_layer_info({"Layers": [{"Name": "conv", "StreamId": stream}]})
