"""Every command, fed bad input, says so in one line on stderr and exits 2: never a traceback.

The corpus (conftest.py) is fed to every registered command. The cases run once per session, four
at a time, each in a child process forked from one process that imported trtui once
(reliability_support.FORK_DRIVER: `trtui.cli.main(argv)` as `python -m trtui` runs it, an uncaught
exception printed as a traceback, 4 GiB of address space, a time limit); each test then judges its
own case. A sample of the cases also runs through the real entry point (`python -m trtui`, a fresh
interpreter) and must give the same answer. A case for a command that is not registered yet in
trtui/cli.py is skipped, naming the command.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from reliability_support import (
    ENGINE_FILES,
    RECORDING_FILES,
    assert_one_line_error,
    cli_env,
    need,
    registered_commands,
    run_cli,
    run_cli_many,
    trtui_argv,
)


@dataclass(frozen=True)
class Case:
    id: str
    command: str
    args: tuple[str, ...]
    mentions: tuple[str, ...] = ()  # one of these must be in the error line
    option: str | None = None  # skip unless the command has this option
    timeout: float = 20.0  # seconds before the case counts as hung (killed, fails)
    marks: tuple[pytest.MarkDecorator, ...] = field(default=())


ENGINE_CASES = [
    *sorted(ENGINE_FILES),
    "model.onnx",
    "model-onnx-content.engine",
    "huge-sparse.engine",
    "huge-sparse-magic.engine",
    "a-directory",
    "no-such-file.engine",
]
RECORDING_CASES = [*sorted(RECORDING_FILES), "empty-directory", "recording-folder-bad", "huge-sparse.json"]
SOURCE_COMMANDS = ("open", "profile")  # the commands that take an engine file or a recording
# `compare A B`: A bad (B is bad too: compare must refuse one of them, in one line)
COMPARE_CASES = [
    *RECORDING_CASES,
    "empty.engine",
    "garbage.engine",
    "huge-sparse.engine",
    "a-directory",
    "no-such-file.json",
]
# `tune MODEL`: models that are not ONNX models (or not there)
MODEL_CASES = [
    "empty.onnx",
    "garbage.onnx",
    "text.onnx",
    "huge-sparse.onnx",
    "huge-sparse-header.onnx",
    "a-directory",
    "no-such-model.onnx",
    "garbage.engine",
    "malformed.json",
]


def _source(command: str, path: str) -> tuple[str, ...]:
    return (command, path, "--duration", "1") if command == "profile" else (command, path)


BAD_SHAPES = [
    " ",
    "input",
    "input:",
    ":1x3x224x224",
    "input:1x3x",
    "input:x3",
    "input:1xx3",
    "input:-1x3",
    "input:1.5x3",
    "input:ax3",
    "input:1x3,,mask:1x7",
    "input:1x3,input:1x3",
    "'input:1x3",
    "input=1x3x224x224",
]

VALUES: list[tuple[str, tuple[str, ...], str]] = [
    *[("profile", ("demo", "--duration", v), "--duration") for v in ("abc", "0", "-1", "nan", "inf", "")],
    *[("demo", ("--refresh", v), "--refresh") for v in ("abc", "0", "-0.5", "nan", "inf")],
    *[("open", ("demo", "--refresh", v), "--refresh") for v in ("abc", "0", "-2")],
    *[("demo", ("--cpu-budget", v), "--cpu-budget") for v in ("x", "0", "-1")],
    *[("profile", ("x.engine", "--streams", v), "--streams") for v in ("0", "65", "abc", "1.5", "-1")],
    *[("open", ("x.engine", "--streams", v), "--streams") for v in ("0", "100")],
    *[("profile", ("demo", "--layers", v), "--layers") for v in ("0", "20001", "abc", "-5")],
    *[("demo", ("--layers", v), "--layers") for v in ("0", "1e9")],
    *[("profile", ("demo", "--window", v), "--window") for v in ("3", "abc", "1000000")],
    *[("profile", ("demo", "--profile-every", v), "--profile-every") for v in ("-1", "x")],
    *[("profile", ("x.engine", "--device", v), "--device") for v in ("-1", "64", "gpu0")],
    *[("profile", ("demo", "--top", v), "--top") for v in ("x", "1.5")],
    ("profile", ("demo", "--refresh", "1"), "--refresh"),  # profile has no --refresh
    *[("telemetry", ("--watch", v), "--watch") for v in ("abc", "0", "-1", "nan")],
    *[("telemetry", ("--count", v), "--count") for v in ("abc", "1.5")],
    ("telemetry", ("--device", "abc"), "--device"),
]


def _positionals(command: str) -> tuple[str, ...]:
    """'demo' for each required positional argument of a command (so an option error is reached)."""
    from trtui.cli import build_parser

    sub = next(a for a in build_parser(command)._actions if a.dest == "command")
    parser = sub.choices[command]  # type: ignore[index]
    required = [a for a in parser._actions if not a.option_strings and a.nargs not in ("?", "*")]
    return ("demo",) * len(required)


def _options(command: str) -> set[str]:
    from trtui.cli import build_parser

    sub = next(a for a in build_parser(command)._actions if a.dest == "command")
    return set(sub.choices[command]._option_string_actions)  # type: ignore[index]


BAD_SIZES = ["", "abc", "-1", "-5M", "1.2.3G", "12Q", "1e400", "999999T", "G", "1 G B", "0x10"]


def _source_cases(cmd: str) -> list[Case]:
    engine = [Case(f"engine-{cmd}-{name}", cmd, _source(cmd, name)) for name in ENGINE_CASES]
    recording = [
        Case(
            f"recording-{cmd}-{name}",
            cmd,
            _source(cmd, name),
        )
        for name in RECORDING_CASES
    ]
    empty = Case(
        f"shapes-{cmd}-empty",
        cmd,
        (cmd, "shapes.engine", "--shapes="),
        ("shapes",),
    )
    shapes = [
        Case(
            f"shapes-{cmd}-{spec!r}",
            cmd,
            (cmd, "shapes.engine", f"--shapes={spec}"),
            ("shapes",),
        )
        for spec in BAD_SHAPES
    ]
    return [*engine, *recording, empty, *shapes]


def _all_cases() -> list[Case]:
    cases = [c for cmd in SOURCE_COMMANDS for c in _source_cases(cmd)]
    cases.append(
        Case("layers-with-engine", "profile", ("profile", "shapes.engine", "--layers", "10"), ("--layers",))
    )
    cases += [
        Case(f"value-{cmd}-{'_'.join(args) or 'empty'}", cmd, (cmd, *args), (option,))
        for cmd, args, option in VALUES
    ]
    cases += [Case(f"model-tune-{name}", "tune", ("tune", name, "--headless")) for name in MODEL_CASES]
    cases += [
        Case(f"pipe-{cmd}", cmd, (*_source(cmd, "pipe.engine"), *extra), timeout=3.0)
        for cmd, extra in (
            ("profile", ()),
            ("open", ()),
            ("compare", ("pipe.engine",)),
        )
    ]
    cases.append(Case("pipe-tune", "tune", ("tune", "pipe.onnx", "--headless"), timeout=3.0))
    cases += [
        Case(
            f"compare-{name}",
            "compare",
            ("compare", name, "empty-list.json"),
        )
        for name in COMPARE_CASES
    ]
    cases += [
        Case(
            f"budget-{size!r}",
            "tune",
            ("tune", "demo", f"--budget={size}", "--headless"),
            ("--budget", "budget", repr(size)),
            option="--budget",
        )
        for size in BAD_SIZES
    ]
    cases += [
        Case(f"cli-{'_'.join(args)}", args[0] if args[0] in ("profile", "open") else "", args)
        for args in (("frobnicate",), ("--frobnicate",), ("-z",), ("profile",), ("open",))
    ]
    cases += [
        Case(
            f"unknown-option-{cmd}",
            cmd,
            (cmd, *_positionals(cmd), "--no-such-option-xyz"),
            ("--no-such-option-xyz",),
        )
        for cmd in sorted(registered_commands())
    ]
    return cases


CASES = _all_cases()


@pytest.fixture(scope="session")
def results(corpus: Path, request: pytest.FixtureRequest) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every selected case whose command is registered (forked from one process; see
    reliability_support.FORK_DRIVER); case id -> completed process."""
    (corpus / "shapes.engine").write_bytes(b"ftrt" + bytes(256))  # passes the header check
    commands = registered_commands()
    params = [item.callspec.params for item in request.session.items if hasattr(item, "callspec")]
    selected = {p["case"].id for p in params if isinstance(p.get("case"), Case)}
    selected |= {p["case_id"] for p in params if p.get("case_id") in REAL_SAMPLE}
    todo = [
        (c.id, c.args, c.timeout)
        for c in CASES
        if c.id in selected and (not c.command or c.command in commands)
    ]
    return run_cli_many(todo, cwd=corpus)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_bad_input_gives_one_line_and_exit_2(
    results: dict[str, subprocess.CompletedProcess[str]], case: Case
) -> None:
    if case.command:
        need(case.command)
    if case.option:
        assert case.option in _options(case.command), f"'trtui {case.command}' has no {case.option} option"
    proc = results[case.id]
    assert_one_line_error(proc, mentions=case.mentions)


# The same answers from the real entry point (`python -m trtui`, a fresh interpreter each time),
# for a sample of the cases; the huge sparse files also show that only a header is read.
REAL_SAMPLE = [
    "engine-profile-empty.engine",
    "engine-profile-garbage.engine",
    "engine-profile-model.onnx",
    "engine-profile-huge-sparse.engine",
    "engine-profile-huge-sparse-magic.engine",
    "engine-open-a-directory",
    "recording-profile-malformed.json",
    "recording-profile-deep.json",
    "recording-open-empty-directory",
    "shapes-profile-'input:1xx3'",
    "value-profile-demo_--duration_abc",
    "cli-frobnicate",
]


@pytest.mark.parametrize("case_id", REAL_SAMPLE)
def test_real_entry_point_gives_the_same_answer(
    corpus: Path, results: dict[str, subprocess.CompletedProcess[str]], case_id: str
) -> None:
    case = next(c for c in CASES if c.id == case_id)
    if case.command:
        need(case.command)
    (corpus / "shapes.engine").write_bytes(b"ftrt" + bytes(256))
    t0 = time.monotonic()
    real = run_cli(case.args, cwd=corpus, timeout=30)
    seconds = time.monotonic() - t0
    line = assert_one_line_error(real, mentions=case.mentions)
    forked = results[case.id]
    assert (forked.returncode, forked.stderr.strip()) == (real.returncode, line)
    if "huge-sparse" in case_id:
        assert seconds < 10, f"took {seconds:.1f} s: a huge file must be refused from its header"


# -- cases that need a folder of their own -----------------------------------------------------------


NOBODY = 65534


def _drop_to_nobody() -> None:  # runs in the child, before exec
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


@functools.cache
def _nobody_can_run_python() -> bool:
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import trtui"],
            preexec_fn=_drop_to_nobody,
            capture_output=True,
            timeout=30,
        )
    except OSError:
        return False
    return probe.returncode == 0


@pytest.mark.parametrize("command", SOURCE_COMMANDS)
@pytest.mark.parametrize("what", ["engine", "recording-file", "recording-folder", "file-in-folder"])
def test_no_read_permission(command: str, what: str) -> None:
    """chmod 000 inputs. As root (which reads them anyway) trtui runs as user 'nobody'."""
    need(command)
    as_root = os.geteuid() == 0
    if as_root and not _nobody_can_run_python():
        pytest.skip("running as root, and user 'nobody' cannot run this Python to test as non-root")
    with tempfile.TemporaryDirectory(prefix="trtui-noperm-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # 'nobody' may enter
        folder = root / "rec"
        folder.mkdir()
        (folder / "m.engine.profile.json").write_text('[{"count": 1}, {"name": "a", "timeMs": 1.0}]')
        (root / "m.engine").write_bytes(b"ftrt" + bytes(64))
        (root / "m.engine.profile.json").write_text('[{"count": 1}]')
        target = {
            "engine": root / "m.engine",
            "recording-file": root / "m.engine.profile.json",
            "recording-folder": folder,
            "file-in-folder": folder / "m.engine.profile.json",
        }[what]
        arg = str(folder if what == "file-in-folder" else target)
        if what == "recording-folder":
            folder.chmod(0)
        else:
            target.chmod(0)
        try:
            if not as_root and os.access(target, os.R_OK):
                pytest.skip("this user can read a chmod 000 file")
            proc = subprocess.run(
                trtui_argv(*_source(command, arg)),
                cwd=root,
                env=cli_env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=30,
                preexec_fn=_drop_to_nobody if as_root else None,
            )
        finally:
            folder.chmod(0o755)
            target.chmod(0o644)
    line = assert_one_line_error(proc)
    if command == "profile":
        assert "permission" in line.lower() or "cannot" in line.lower(), line


def test_character_device_is_refused(tmp_path: Path) -> None:
    need("profile")
    assert_one_line_error(run_cli(["profile", "/dev/zero", "--duration", "1"], cwd=tmp_path, timeout=10))


@pytest.mark.parametrize(
    ("option", "make"),
    [("--json", "dir"), ("--json", "missing-parent"), ("--csv", "dir"), ("--export-dir", "file")],
)
def test_bad_output_path_writes_nothing(tmp_path: Path, option: str, make: str) -> None:
    need("profile")
    if make == "dir":
        (tmp_path / "out").mkdir()
        target = "out"
    elif make == "file":
        (tmp_path / "out").write_text("x")
        target = "out"
    else:
        target = "no/such/folder/out.json"
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = run_cli(["profile", "demo", "--duration", "0.2", option, target], cwd=tmp_path)
    assert_one_line_error(proc, mentions=[option, "out"])
    assert sorted(p.name for p in tmp_path.iterdir()) == before
