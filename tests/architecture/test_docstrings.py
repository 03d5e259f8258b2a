"""Docstrings where a reader needs them (`doc_scan` says which): every module, every public class,
every public function another module uses, every Protocol method, and every public method or property
whose name another module uses."""

from __future__ import annotations

from pathlib import Path

from arch_scan import write_tree
from doc_scan import missing_docstrings

PACKAGE = Path(__file__).resolve().parents[2] / "trtui"


def test_the_scan_finds_each_kind_of_missing_docstring(tmp_path: Path) -> None:
    pkg = write_tree(tmp_path, {
        "trtui/__init__.py": "",
        "trtui/a.py": (
            '"""Module a."""\n'
            "from typing import Protocol\n"
            "class Open:\n"
            "    def used(self): ...\n"
            "    def unused_elsewhere(self): ...\n"
            "    def _private(self): ...\n"
            "class Seam(Protocol):\n"
            '    def told(self) -> None:\n        """Documented."""\n'
            "    def untold(self) -> None: ...\n"
            "def called(): ...\n"
            "def local_only(): ...\n"
            'def documented():\n    """Yes."""\n'
            "class _Hidden:\n    pass\n"
        ),
        "trtui/b.py": (
            "from trtui.a import called, documented\n"
            "from trtui import a as alias\n"
            "def f(x):\n"
            "    x.used()\n"
            "    alias.Open()\n"
        ),
    })
    found = [str(m) for m in missing_docstrings(pkg)]
    assert found == [
        "trtui.a.Open:3 (class)",
        "trtui.a.Open.used:4 (method)",
        "trtui.a.Seam:7 (class)",
        "trtui.a.Seam.untold:10 (protocol method)",
        "trtui.a.called:11 (function)",
        "trtui.b:1 (module)",
    ]


def test_every_public_name_a_reader_needs_has_a_docstring() -> None:
    assert (PACKAGE / "pipeline" / "session.py").is_file()  # the scan reads the real tree
    missing = [str(m) for m in missing_docstrings(PACKAGE)]
    assert missing == []
