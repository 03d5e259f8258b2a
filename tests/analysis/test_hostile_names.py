"""Layer names are untrusted (engines, recordings, the network): a name holding control characters
(\\x01, \\x0b, ESC sequences) leaves every text output well-formed and harmless (issue 22: it made
the JUnit XML ill-formed and reached the terminal raw)."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from own_recordings import own_recording_dirs

from trtui.cli import main
from trtui.common import format as fmt

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "trtui-junit.xsd"
HOSTILE = "conv1\x1b[2J\x1b]0;pwned\x07\x01\x0b\u202e + relu1"
PLAIN = "conv1 + relu1"
CONTROL = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]


def _hostile_copy(src: Path, dst: Path, slower: float = 1.0) -> Path:
    shutil.copytree(src, dst)
    for path in dst.glob("*.json"):
        text = path.read_text()
        if PLAIN in text:
            path.write_text(text.replace(json.dumps(PLAIN)[1:-1], json.dumps(HOSTILE)[1:-1]))
    if slower != 1.0:  # the hostile layer regresses, so that it also appears as a <failure>
        prof = next(p for p in dst.glob("*.profile.json") if ".metadata" not in p.name)
        rows = json.loads(prof.read_text())
        for row in rows:
            if row.get("name") == HOSTILE:
                for key in ("timeMs", "averageMs", "medianMs"):
                    row[key] *= slower
        prof.write_text(json.dumps(rows))
    return dst


@pytest.fixture
def sides(tmp_path: Path) -> tuple[Path, Path]:
    src = own_recording_dirs()[0]
    return _hostile_copy(src, tmp_path / "base"), _hostile_copy(src, tmp_path / "cand", 3.0)


def _no_control(text: str) -> None:
    bad = sorted({hex(ord(ch)) for ch in text if ch in CONTROL or ch in "\u202e\x9b"})
    assert bad == [], f"control characters in the output: {bad}"


def test_junit_with_hostile_names_is_well_formed_and_valid(sides: tuple[Path, Path], tmp_path: Path) -> None:
    base, cand = sides
    junit, md = tmp_path / "r.xml", tmp_path / "r.md"
    code = main(["check", str(cand), "--baseline", str(base), "--layers", "--junit", str(junit),
                 "--markdown", str(md), "--quiet"])  # fmt: skip
    assert code == 1
    text = junit.read_text(encoding="utf-8")
    _no_control(text.replace("\n", ""))
    root = ET.fromstring(text)  # well-formed (an \x01 or \x0b made this raise)
    names = [case.get("name") for case in root.iter("testcase")]
    assert f"layer {fmt.safe(HOSTILE)}" in names
    failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert f"layer {fmt.safe(HOSTILE)}" in failed
    if shutil.which("xmllint") is None:
        pytest.skip("xmllint (libxml2-utils) is not installed: parsed with xml.etree only")
    done = subprocess.run(["xmllint", "--noout", "--schema", str(SCHEMA), str(junit)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    _no_control(md.read_text(encoding="utf-8").replace("\n", ""))


def test_the_schema_rejects_what_trtui_must_not_write(tmp_path: Path) -> None:
    """The schema has teeth: a test case without its name, or a failure without a message, fails."""
    if shutil.which("xmllint") is None:
        pytest.skip("xmllint (libxml2-utils) is not installed")
    bad = tmp_path / "bad.xml"
    bad.write_text('<testsuites name="x" tests="1" failures="1" errors="0" time="0"><testsuite name="x" '
                   'tests="1" failures="1" errors="0" skipped="0" time="0"><testcase classname="c" time="0">'
                   '<failure type="regression">x</failure></testcase></testsuite></testsuites>')  # fmt: skip
    done = subprocess.run(["xmllint", "--noout", "--schema", str(SCHEMA), str(bad)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode != 0


@pytest.mark.parametrize("command", ["check", "analyze", "compare"])
def test_terminal_output_carries_no_escape_from_a_name(
    sides: tuple[Path, Path], command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base, cand = sides
    argv = {
        "check": ["check", str(cand), "--baseline", str(base), "--layers"],
        "analyze": ["analyze", str(cand), "--top", "20"],
        "compare": ["compare", str(base), str(cand), "--text"],
    }[command]
    main(argv)
    out = capsys.readouterr()
    assert "\x1b" not in out.out and "\x1b" not in out.err
    _no_control(out.out.replace("\n", ""))
    assert fmt.safe(HOSTILE) in out.out  # shown, escaped: the reader sees what the name holds


def test_csv_and_prometheus_labels_escape_names() -> None:
    import csv
    import io

    from trtui.remote.metrics import _label
    from trtui.sweep.results import _cell

    buf = io.StringIO()
    csv.writer(buf).writerow([_cell(HOSTILE)])
    _no_control(buf.getvalue().rstrip("\r\n"))
    _no_control(_label(HOSTILE))


def test_safe_escapes_every_control_character_and_keeps_the_rest() -> None:
    for ch in CONTROL + ["\n", "\t", "\x85", "\x9b", "\u2028", "\u202e", "\ud800", "\ufffe"]:
        out = fmt.safe(f"a{ch}b")
        assert out.startswith("a\\") and out.endswith("b") and ch not in out
    kept = "Conv_0 + Relu_1 [profile 1] (#2) ünï 名前 \\ \"x\" <y> & |z|"
    assert fmt.safe(kept) == kept
    assert fmt.safe_block("a\x1b\nb") == "a\\x1b\nb"


def test_the_screens_show_names_escaped() -> None:
    """The hotspot table's cells, the comparison screen's names, the details and the header."""
    from trtui.analysis.report import clip
    from trtui.core.model import LayerInfo, SourceInfo
    from trtui.ui.details import details_text
    from trtui.ui.table_cells import fit_cell

    source = SourceInfo(kind="recording", label=HOSTILE, simulated=False)
    details = details_text(HOSTILE, LayerInfo(name=HOSTILE, type=HOSTILE), None, (), source, 80).plain
    for text in (fit_cell(HOSTILE, 60, "<"), clip(HOSTILE, 60), details):
        assert "\x1b" not in text and fmt.safe(HOSTILE)[:20] in text
        _no_control(text.replace("\n", ""))
