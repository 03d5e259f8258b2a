"""`trtui serve` and `trtui attach` on the command line: bad input is one line and exit 2; a
served demo answers, is labelled simulated, needs its token, and stops cleanly on signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from remote_support import ROOT, get, served

from trtui.cli import main
from trtui.remote.access import check_bind, check_url, is_loopback, parse_listen, read_token

TOKEN = "cli-test-token-0123456789"


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("trtui: error: ") and says in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["serve", "demo", "--listen", "0.0.0.0:0"], "needs a token"),
        (["serve", "demo", "--listen", "[::]:0"], "needs a token"),
        (["serve", "demo", "--listen", "example.com:9464"], "needs a token"),
        (["serve", "demo", "--listen", "127.0.0.1"], "HOST:PORT"),
        (["serve", "demo", "--listen", "127.0.0.1:http"], "not a number"),
        (["serve", "demo", "--listen", "127.0.0.1:70000"], "0-65535"),
        (["serve", "demo", "--token-file", "/nonexistent/token"], "cannot read"),
        (["serve", "/nonexistent.engine"], "nonexistent.engine"),
        (["serve", "demo", "--top-layers", "0"], "top-layers"),
        (["attach", "ftp://host:1"], "expected http://"),
        (["attach", "http://127.0.0.1:1/?token=x"], "no query"),
        (["attach", "http://user:pw@127.0.0.1:1"], "no query"),
        (["attach", "http://127.0.0.1:1", "http://127.0.0.1:1"], "twice"),
        (["attach", "http://127.0.0.1:1"], "needs a terminal"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    one_line_error(capsys, argv, says)


def test_a_short_or_odd_token_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    short = tmp_path / "short"
    short.write_text("abc\n")
    short.chmod(0o600)
    one_line_error(capsys, ["serve", "demo", "--token-file", str(short)], "16 to 4096")
    spaced = tmp_path / "spaced"
    spaced.write_text("a token with spaces inside\n")
    spaced.chmod(0o600)
    one_line_error(capsys, ["serve", "demo", "--token-file", str(spaced)], "without spaces")
    monkeypatch.setenv("TRTUI_TOKEN", "short")
    one_line_error(capsys, ["serve", "demo"], "$TRTUI_TOKEN")


def test_a_token_file_must_be_a_small_private_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # /dev/zero used to be read whole: a MemoryError traceback after 5 s and 1.3 GB.
    for not_regular in ("/dev/zero", str(tmp_path)):
        one_line_error(capsys, ["serve", "demo", "--token-file", not_regular], "not a regular file")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # no writer: opening it must not wait for one
    one_line_error(capsys, ["serve", "demo", "--token-file", str(fifo)], "not a regular file")
    big = tmp_path / "big"
    big.write_text("a" * 5000)
    big.chmod(0o600)
    one_line_error(capsys, ["serve", "demo", "--token-file", str(big)], "larger than 4096")
    shared = tmp_path / "shared"
    shared.write_text(TOKEN)
    for mode in (0o644, 0o640, 0o620, 0o604):
        shared.chmod(mode)
        one_line_error(capsys, ["serve", "demo", "--token-file", str(shared)], f"chmod 600 {shared}")
        one_line_error(capsys, ["attach", "http://127.0.0.1:1", "--token-file", str(shared)], "chmod 600")
    shared.chmod(0o400)
    assert read_token(shared) == TOKEN


def test_a_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        one_line_error(capsys, ["serve", "demo", "--listen", f"127.0.0.1:{port}"], "in use")


def test_access_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_listen("[::1]:9464") == ("::1", 9464) and parse_listen(":80") == ("127.0.0.1", 80)
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1") and not is_loopback("myhost")
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", TOKEN)
    monkeypatch.delenv("TRTUI_TOKEN", raising=False)
    assert read_token(None) is None
    monkeypatch.setenv("TRTUI_TOKEN", TOKEN)
    assert read_token(None) == TOKEN
    f = tmp_path / "tok"
    f.write_text(f"  {TOKEN}x\n")
    f.chmod(0o600)
    assert read_token(f) == TOKEN + "x"  # the file wins over the environment
    assert check_url("http://h:1/") == "http://h:1"


def test_served_demo_metrics_need_the_token_and_say_simulated() -> None:
    with served(env={"TRTUI_TOKEN": TOKEN}) as (proc, url):
        assert get(url, "/metrics")[0] == 401
        status, body = get(url, "/metrics", TOKEN)
        assert status == 200
        lines = [ln for ln in body.decode().splitlines() if ln and not ln.startswith("#")]
        assert lines and all('simulated="true"' in ln for ln in lines)
        assert any(ln.startswith("trtui_inference_latency_seconds_bucket") for ln in lines)
        assert proc.poll() is None


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["INT", "TERM", "HUP"])
def test_signals_stop_serve_cleanly(sig: signal.Signals) -> None:
    with served() as (proc, url):
        assert get(url, "/metrics")[0] == 200
        proc.send_signal(sig)
        assert proc.wait(10) == 0
        assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
        with pytest.raises(OSError):
            get(url, "/metrics", timeout=2)


def test_duration_ends_the_run() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "trtui",
            "serve",
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--duration",
            "0.5",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0 and out.stderr == ""


def test_snapshot_json_never_carries_non_finite_numbers() -> None:
    from trtui.commands.serve import _finite

    assert _finite({"a": [1.0, float("nan"), {"b": float("-inf")}], "NaN name": "NaN"}) == {
        "a": [1.0, None, {"b": None}],
        "NaN name": "NaN",
    }
