"""An unexpected exception in any screen ends the process non-zero with one line, not Textual's
traceback and exit status 0 (issue 22)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

import trtui.ui
from trtui.cli import main
from trtui.common.errors import InternalError
from trtui.ui.guard import GuardedApp, run_guarded


class _Crashes(GuardedApp[int]):
    def compose(self) -> ComposeResult:
        yield Static("x")

    def on_mount(self) -> None:
        raise ValueError("supplied range of [nan, nan] is not finite")


def test_a_crash_in_a_screen_raises_one_line_with_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InternalError) as err:
        run_guarded(_Crashes(), headless=True, size=(40, 10))
    assert err.value.exit_code == 1
    line = str(err.value)
    assert "\n" not in line and "ValueError: supplied range of [nan, nan] is not finite" in line
    path = Path(line.rsplit("the traceback is in ", 1)[1])
    try:
        report = path.read_text()
        assert "Traceback" in report and "on_mount" in report
    finally:
        path.unlink()
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "Traceback" not in out.out


def test_the_debug_switch_also_prints_the_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRTUI_DEBUG", "1")
    with pytest.raises(InternalError) as err:
        run_guarded(_Crashes(), headless=True, size=(40, 10))
    Path(str(err.value).rsplit("the traceback is in ", 1)[1]).unlink()
    assert "on_mount" in capsys.readouterr().err


def test_a_clean_exit_returns_the_result() -> None:
    class _Quits(GuardedApp[int]):
        def on_mount(self) -> None:
            self.exit(7)

    assert run_guarded(_Quits(), headless=True, size=(40, 10)) == 7


def _app_classes() -> set[type[App[Any]]]:
    for mod in pkgutil.iter_modules(trtui.ui.__path__):
        importlib.import_module(f"trtui.ui.{mod.name}")
    found: set[type[App[Any]]] = set()
    todo: list[type[App[Any]]] = [App]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("trtui.") and sub not in found:
                found.add(sub)
            todo.append(sub)
    return found


def test_every_trtui_app_is_guarded() -> None:
    apps = _app_classes()
    assert {a.__name__ for a in apps} >= {"TrtuiApp", "CompareApp", "FleetApp", "SweepApp", "TuneApp"}
    assert [a.__name__ for a in apps if not issubclass(a, GuardedApp)] == []


def _crashing_run(self: App[Any], *args: Any, **kwargs: Any) -> None:
    """`App.run` as it ends after an unhandled exception: return code 1, no result."""
    self._return_code = 1
    self.error_console.print("Traceback (most recent call last):\nValueError: boom")


def test_every_screen_runner_turns_a_crash_into_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The CLI's screens (live, attach's fleet, compare, sweep, tune) all end with exit code 1."""
    monkeypatch.setattr(App, "run", _crashing_run)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    from trtui.commands import tune as tune_command
    from trtui.commands.attach import run_fleet
    from trtui.ui.app import run_app
    from trtui.ui.compare_app import run_compare_app
    from trtui.ui.sweep_app import run_sweep_app

    class _Feed:
        def start(self, publish: Any) -> None:
            pass

        def stop(self) -> None:
            pass

    class _Anything:
        def __getattr__(self, name: str) -> Any:
            return lambda *a, **k: None

    runners = [
        lambda: run_app(_Feed()),  # type: ignore[arg-type]
        lambda: run_fleet(["http://127.0.0.1:9"], None),
        lambda: run_compare_app(_Anything()),  # type: ignore[arg-type]
        lambda: run_sweep_app(_Anything()),  # type: ignore[arg-type]
        lambda: tune_command._run_screen(_Anything(), "label"),  # type: ignore[arg-type]
    ]
    for run in runners:
        with pytest.raises(InternalError, match="ValueError: boom") as err:
            run()
        assert err.value.exit_code == 1
    assert len(list(tmp_path.glob("trtui-crash-*.txt"))) == len(runners)


def test_the_cli_exits_1_on_a_crashed_screen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import trtui.commands.demo as demo

    def crash(args: Any) -> int:
        raise InternalError("the screen stopped on an unexpected error (a bug in trtui): ValueError: x")

    monkeypatch.setattr(demo, "run", crash)
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("trtui: error: the screen stopped")
