"""The one atomic writer (`trtui.common.atomic`) and the one input/output path check
(`trtui.common.paths`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trtui.common import paths
from trtui.common.atomic import (
    atomic_file,
    atomic_open,
    copy_atomic,
    partial_path,
    write_atomic,
    write_json_atomic,
)
from trtui.common.errors import UserError


class Boom(Exception):
    pass


@pytest.mark.parametrize("fixed_partial", [False, True])
def test_a_failed_block_keeps_the_old_file_and_no_temporary(tmp_path: Path, fixed_partial: bool) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(Boom), atomic_file(target, fixed_partial=fixed_partial) as fh:
        fh.write("half")
        if fixed_partial:
            assert partial_path(target).exists()
        raise Boom
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_the_tuner_writes_through_the_fixed_partial_name(tmp_path: Path) -> None:
    target = tmp_path / "a.engine"
    seen: list[bool] = []
    with atomic_file(target, "wb", fixed_partial=True) as fh:
        fh.write(b"PLAN")
        seen.append(partial_path(target).exists())
    assert seen == [True] and target.read_bytes() == b"PLAN"
    assert not partial_path(target).exists()
    write_atomic(target, b"NEW")
    src = tmp_path / "src.bin"
    src.write_bytes(b"x" * 10_000)
    copy_atomic(src, tmp_path / "copy.bin", chunk=1000)
    assert target.read_bytes() == b"NEW" and (tmp_path / "copy.bin").read_bytes() == b"x" * 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.engine", "copy.bin", "src.bin"]


def test_raw_writes_raise_oserror_and_worded_writes_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "x.json"
    with pytest.raises(FileNotFoundError):
        write_atomic(missing, b"x")
    with pytest.raises(UserError, match=r"^cannot write --json .*x\.json: folder .*no does not exist$"):
        write_json_atomic(missing, {"a": 1}, what="--json")
    with pytest.raises(UserError, match=r"^cannot write .*out: "), atomic_open(tmp_path / "out") as fh:
        fh.write("x")
        raise OSError(28, "No space left on device")
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def test_json_is_written_whole(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "s.json", {"p99": 1.5, "n": 2})
    assert (tmp_path / "s.json").read_text() == '{"p99":1.5,"n":2}\n'
    write_json_atomic(tmp_path / "s.json", {"p99": 1.5}, indent=2)
    assert (tmp_path / "s.json").read_text() == '{\n  "p99": 1.5\n}\n'


def test_one_wording_for_input_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    what = "a JSON file"

    def err(p: Path, **kw: bool) -> str:
        with pytest.raises(UserError) as info:
            paths.require_input(p, what, **kw)
        return str(info.value)

    assert err(tmp_path / "nope") == f"{tmp_path / 'nope'}: no such file or folder (give a JSON file)"
    assert err(tmp_path) == f"{tmp_path}: is a folder; give a JSON file"
    assert paths.require_input(tmp_path, what, folder_ok=True).st_mode
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert err(fifo) == f"{fifo}: is not a regular file (a pipe, socket or device); give a JSON file"
    f = tmp_path / "f.json"
    f.write_text("{}")
    assert paths.require_input(f, what).st_size == 2
    monkeypatch.setattr(paths.os, "access", lambda *a, **k: False)
    assert err(f) == f"{f}: permission denied (cannot read it)"
    assert err(tmp_path, folder_ok=True) == f"{tmp_path}: permission denied (cannot read it)"
    assert str(paths.read_error(f, PermissionError(13, "Permission denied"))) == err(f)
    io_error = paths.read_error(f, OSError(5, "Input/output error"))
    assert str(io_error) == f"{f}: cannot read it (Input/output error)"


def test_one_wording_for_output_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def err(p: Path) -> str:
        with pytest.raises(UserError) as info:
            paths.check_output_file(p, "--json")
        return str(info.value)

    paths.check_output_file(tmp_path / "new.json", "--json")
    paths.check_output_file(Path("-"), "--json", allow_stdout=True)
    assert err(tmp_path) == f"--json {tmp_path}: is a folder; give a file name"
    no = tmp_path / "no"
    assert err(no / "x") == f"--json {no / 'x'}: folder {no} does not exist"
    monkeypatch.setattr(paths.os, "access", lambda *a, **k: False)
    assert err(tmp_path / "x") == f"--json {tmp_path / 'x'}: folder {tmp_path} is not writable"


def test_an_output_folder_may_be_new_but_not_a_file(tmp_path: Path) -> None:
    paths.check_output_folder(tmp_path / "new")
    paths.check_output_folder(tmp_path, "--export-dir")
    paths.check_output_folder(None)
    (tmp_path / "f").write_text("x")
    with pytest.raises(UserError, match=r"^--export-dir .*f: exists and is not a folder$"):
        paths.check_output_folder(tmp_path / "f", "--export-dir")
