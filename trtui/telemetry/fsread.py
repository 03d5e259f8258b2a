"""Tolerant reads of sysfs, procfs and small system files.

Every reader returns `None` instead of raising when a file is missing, unreadable (permission
denied: debugfs without root), a directory, or holds something that is not what we expect. The
roots are settable so that tests can point them at fixture trees, as psutil's PROCFS_PATH does:

- `TRTUI_SYSFS_ROOT` stands in for `/sys`;
- `TRTUI_PROC_ROOT` stands in for `/proc`;
- `TRTUI_FS_ROOT` is prepended to the other absolute paths trtui reads for telemetry
  (`/var/lib/nvpmodel/status`, `/etc/nvpmodel.conf`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SYSFS_ENV = "TRTUI_SYSFS_ROOT"
PROC_ENV = "TRTUI_PROC_ROOT"
FS_ENV = "TRTUI_FS_ROOT"

# sysfs attributes are one page at most; cap reads so that a wrong path never slurps a big file.
_MAX_READ = 64 * 1024


@dataclass(frozen=True, slots=True)
class Roots:
    """Where /sys, /proc and / are, for this process (real paths, or a fixture tree)."""

    sysfs: Path = Path("/sys")
    proc: Path = Path("/proc")
    fs: Path = Path("/")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Roots:
        """The roots named by TRTUI_SYSFS_ROOT, TRTUI_PROC_ROOT and TRTUI_FS_ROOT in `environ` (the
        process environment when None); an unset or empty variable means the real root."""
        env = os.environ if environ is None else environ
        return cls(
            sysfs=Path(env.get(SYSFS_ENV) or "/sys"),
            proc=Path(env.get(PROC_ENV) or "/proc"),
            fs=Path(env.get(FS_ENV) or "/"),
        )

    def file(self, absolute: str) -> Path:
        """An absolute path such as `/etc/nvpmodel.conf`, under the `fs` root."""
        return self.fs / absolute.lstrip("/")


def read_text(path: Path) -> str | None:
    """The file's text, stripped of whitespace and NULs (device-tree strings end in NUL), or None."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_READ)
    except (OSError, ValueError):
        return None
    try:
        text = data.decode("utf-8", errors="replace")
    except Exception:  # pragma: no cover - decode with errors="replace" does not raise
        return None
    return text.strip().strip("\x00").strip()


def read_raw(path: Path) -> bytes | None:
    """The file's bytes, or None."""
    try:
        with open(path, "rb") as fh:
            return fh.read(_MAX_READ)
    except (OSError, ValueError):
        return None


def read_int(path: Path) -> int | None:
    """A file holding one integer (sysfs style), or None when absent or garbage."""
    text = read_text(path)
    if not text:
        return None
    token = text.split()[0]
    try:
        return int(token, 0) if token.lower().startswith("0x") else int(token)
    except ValueError:
        return None


def read_float(path: Path) -> float | None:
    """A file holding one finite number, or None when absent, garbage, NaN or infinite."""
    text = read_text(path)
    if not text:
        return None
    try:
        value = float(text.split()[0])
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def list_dir(path: Path) -> list[str]:
    """Sorted entry names, or [] when the directory is missing or unreadable."""
    try:
        return sorted(os.listdir(path))
    except (OSError, ValueError):
        return []


def resolve(path: Path) -> Path | None:
    """The real path behind a symlink (sysfs `device` links), or None when it does not exist."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return real


def parse_meminfo(text: str) -> dict[str, int]:
    """`/proc/meminfo` -> {key: kB}. Lines that do not parse are skipped."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        if not sep:
            continue
        parts = rest.split()
        if not parts:
            continue
        try:
            value = int(parts[0])
        except ValueError:
            continue
        unit = parts[1].lower() if len(parts) > 1 else ""
        if unit == "mb":
            value *= 1024
        elif unit == "gb":
            value *= 1024 * 1024
        out[key.strip()] = value
    return out
