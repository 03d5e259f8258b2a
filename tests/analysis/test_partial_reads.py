"""A gate, a comparison or an analysis never uses half a recording silently (issue 22: a truncated
`*.profile.json` in the candidate read as every layer at 0 ms, "IMPROVED -100%", PASS, exit 0).
A file of a recording that cannot be read fully is an error (exit 2) naming it; a side without
per-layer times makes `check --layers` FAIL with the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from recording_support import fixture_dirs

from trtui.cli import main
from trtui.recording.loader import load_recording

KINDS = ("profile.json", "graph.json", "timing.json", "profile.metadata.json", "build.metadata.json")


def _copy(folder: Path, dst: Path) -> Path:
    shutil.copytree(folder, dst)
    return dst


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _kind_file(folder: Path, suffix: str) -> Path | None:
    """The recording's file named `*.suffix` (`x.profile.json` is not `x.profile.metadata.json`)."""
    found = sorted(p for p in folder.glob(f"*.{suffix}") if ".metadata" not in p.name[: -len(suffix)])
    return found[0] if found else None


@pytest.mark.parametrize("folder", fixture_dirs())
@pytest.mark.parametrize("suffix", KINDS)
def test_check_on_a_truncated_file_exits_2_naming_it(
    folder: Path, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cand = _copy(folder, tmp_path / "cand")
    target = _kind_file(cand, suffix)
    if target is None:
        pytest.skip(f"{folder.name} has no *.{suffix}")
    _truncate(target)
    code = main(["check", str(cand), "--baseline", str(folder), "--layers"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "cannot read all of the recording" in err and target.name in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("folder", fixture_dirs())
def test_a_truncated_sibling_of_the_named_file_is_an_error_too(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cand = _copy(folder, tmp_path / "cand")
    profile, timing = _kind_file(cand, "profile.json"), _kind_file(cand, "timing.json")
    assert profile is not None
    _truncate(profile)
    named = timing or _kind_file(cand, "graph.json")
    assert named is not None
    assert main(["check", str(named), "--baseline", str(folder), "--layers"]) == 2
    assert main(["check", str(folder), "--baseline", str(named)]) == 2
    err = capsys.readouterr().err
    assert "baseline" in err.splitlines()[-1] and profile.name in err


@pytest.mark.parametrize("folder", fixture_dirs())
def test_compare_and_analyze_refuse_a_truncated_profile(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cand = _copy(folder, tmp_path / "cand")
    profile = _kind_file(cand, "profile.json")
    assert profile is not None
    _truncate(profile)
    assert main(["compare", str(folder), str(cand), "--text"]) == 2
    assert main(["analyze", str(cand)]) == 2
    assert main(["analyze", str(cand), "--json", "-"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert all("cannot read all of the recording" in x and profile.name in x for x in lines)


@pytest.mark.parametrize("folder", fixture_dirs())
def test_the_live_replay_stays_lenient_but_lists_the_unread_file(folder: Path, tmp_path: Path) -> None:
    cand = _copy(folder, tmp_path / "cand")
    profile = _kind_file(cand, "profile.json")
    assert profile is not None
    _truncate(profile)
    rec = load_recording(cand)
    assert len(rec.unread) == 1 and profile.name in rec.unread[0]
    assert any("ends early" in n for n in rec.notices)
    assert load_recording(folder).unread == ()


@pytest.mark.parametrize("folder", fixture_dirs())
def test_check_layers_fails_with_the_reason_when_a_side_has_no_profile(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cand = _copy(folder, tmp_path / "cand")
    profile = _kind_file(cand, "profile.json")
    assert profile is not None
    profile.unlink()
    if _kind_file(cand, "graph.json") is None and _kind_file(cand, "timing.json") is None:
        pytest.skip("nothing left to open")
    code = main(["check", str(cand), "--baseline", str(folder), "--layers"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "IMPROVED" not in out and "PASS: " not in out
    assert "could not be judged: layer times" in out
    assert "the candidate cand/ has no per-layer times" in out
    code = main(["check", str(folder), "--baseline", str(cand), "--layers"])
    assert code == 1 and "the baseline cand/ has no per-layer times" in capsys.readouterr().out
