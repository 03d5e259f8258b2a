"""The same rule in every command: `--top -1` refused, `--json -` puts the JSON (alone) on stdout,
`--budget 0` refused, `--shapes` refused where it cannot apply or when a dimension is 0."""

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


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "r.profile.json"
    path.write_text(json.dumps(PROFILE))
    return path


def _one_line_error(capsys: pytest.CaptureFixture[str], *needles: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("trtui: error: "), err
    for needle in needles:
        assert needle in err[0]


@pytest.mark.parametrize("command", ["analyze", "compare", "profile"])
def test_top_minus_one_is_refused_everywhere(
    command: str, recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [command, str(recording)] + ([str(recording)] if command == "compare" else []) + ["--top", "-1"]
    assert main(args) == 2
    _one_line_error(capsys, "--top", "0 or more")


@pytest.mark.parametrize("command", ["analyze", "compare", "profile", "tune"])
def test_json_dash_is_stdout_alone_everywhere(
    command: str, recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = {
        "analyze": ["analyze", str(recording)],
        "compare": ["compare", str(recording), str(recording), "--text"],
        "profile": ["profile", str(recording)],
        "tune": ["tune", "demo", "--max-builds", "3", "--headless"],
    }[command]
    assert main([*args, "--json", "-"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)  # nothing but the JSON on stdout
    assert isinstance(data, dict) and data
    assert not Path("-").exists()


def test_budget_zero_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tune", "demo", "--budget", "0", "--headless"]) == 2
    _one_line_error(capsys, "--budget", "more than 0")


@pytest.mark.parametrize(
    ("source", "shapes", "needle"),
    [
        ("demo", "input:1x3x224x224", "engine file only"),
        ("RECORDING", "input:1x3x224x224", "engine file only"),
        ("demo", "input:0x3x224x224", "a dimension is 0"),
    ],
)
def test_shapes_that_cannot_apply_are_errors(
    source: str, shapes: str, needle: str, recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = str(recording) if source == "RECORDING" else source
    assert main(["profile", spec, "--shapes", shapes, "--duration", "0.2"]) == 2
    _one_line_error(capsys, needle)


def test_csv_dash_is_stdout_alone(recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", str(recording), "--csv", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("index,name,type,precision") and len(lines) == 3  # header + 2 layers
    assert not Path("-").exists()
    assert main(["profile", str(recording), "--csv", "-", "--json", "-"]) == 2
    _one_line_error(capsys, "only one of them")
