"""README.md says what the code does: the exit codes each command returns, the benchmark groups."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _paragraph(start: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    at = text.index(start)
    return " ".join(text[at:].split("\n\n", 1)[0].split())


def test_the_exit_codes_name_every_command_that_exits_1() -> None:
    para = _paragraph("Exit codes:")
    one = para[para.index("; 1 ") : para.index("; 2 ")]
    for command in ("trtui tune", "trtui sweep", "trtui check"):
        assert f"`{command}`" in one, (command, one)


def test_the_benchmark_groups_in_the_readme_are_those_bench_lists() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "bench", "--list"], capture_output=True, text=True, cwd=REPO, timeout=60,
        check=True,
    ).stdout.split()
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text[text.index("python -m bench stats") : text.index("python -m bench --list")]
    documented = re.findall(r"[a-z_]+", block.split("one group:", 1)[1])
    assert sorted(documented) == sorted(listed)


def test_the_tuner_key_c_is_described_as_it_acts() -> None:
    from trtui.ui.tune_app import TuneApp

    (description,) = [b.description for b in TuneApp.BINDINGS if getattr(b, "key", None) == "c"]
    assert description == "Stop search"  # the session ends the search on a cancel (tune/search.py)
    text = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert "`c` stops the search (the running build is cancelled" in text
    assert "`c` cancels the running build (its process is killed) and `q` quits" not in text


def test_the_floors_diagram_is_the_architecture_test_s_table() -> None:
    """README's diagram draws every row of `FLOORS` but the package root, top floor first, one line
    each, and nothing else (a package added, moved or renamed must be drawn again)."""
    sys.path.insert(0, str(REPO / "tests" / "architecture"))
    from test_architecture import FLOORS

    text = (REPO / "README.md").read_text(encoding="utf-8")
    diagram = text[text.index("### The floors") :].split("```", 2)[1].strip("\n").splitlines()
    drawn = [re.findall(r"([a-z_]+)(?:/|\.py)", re.split(r"\s{3,}", line.strip())[0]) for line in diagram]
    rows = [row for row in reversed(FLOORS) if "trtui" not in row]
    assert drawn == [[pkg.removeprefix("trtui.") for pkg in row] for row in rows]
