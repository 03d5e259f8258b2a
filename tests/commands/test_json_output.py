"""`--json` is compact by default (the C encoder), indented on request."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def profile(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trtui", "profile", "demo", "--duration", "0.5", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_json_is_compact_by_default_and_indented_on_request(tmp_path: Path) -> None:
    compact, indented = tmp_path / "c.json", tmp_path / "i.json"
    assert profile("--json", str(compact)).returncode == 0
    assert profile("--json", str(indented), "--json-indent", "2").returncode == 0
    text = compact.read_text()
    assert text.count("\n") == 1 and text.startswith('{"schema":"trtui.summary/1",')
    assert "\n  " in indented.read_text()
    assert json.loads(text)["schema"] == json.loads(indented.read_text())["schema"]


def test_a_bad_indent_is_one_line(tmp_path: Path) -> None:
    res = profile("--json", str(tmp_path / "x.json"), "--json-indent", "99")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "--json-indent" in res.stderr
    assert not (tmp_path / "x.json").exists()
