"""tegrastats: parse its lines, and read it from a subprocess that stops with trtui.

Line formats (NVIDIA's tegrastats documentation; the notes in ../shared/notes list real lines):

- Orin, JetPack 6:
  `RAM 4722/7844MB (lfb 1x512kB) SWAP 0/3922MB (cached 0MB) CPU [2%@1510,...] EMC_FREQ 2%@1866
  GR3D_FREQ 10%@1300 ... GPU@46.437C ... VDD_IN 4765mW/4765mW VDD_CPU_GPU_CV 597mW/597mW`
- Orin, JetPack 7.2: per-GPC frequencies in brackets, lower-case sensor names, three power
  figures: `GR3D_FREQ 12%@[1300,1300] ... gpu@47.625C ... VDD_GPU_SOC 5139mW/5139mW/5139mW`
- Thor (JetPack 7): `GR3D_FREQ @[1000,1000,1000]`: frequencies per GPC and **no** utilization.
- Older boards: `EMC_FREQ 0%`, `GR3D_FREQ 0%` (no frequency), `POM_5V_IN 3116/3116` (no mW).

tegrastats is an optional fallback: the sampler starts it only when a metric has no other
source and the binary exists, and `close()` stops it (also at interpreter exit).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

TEGRASTATS_ENV = "TRTUI_TEGRASTATS"  # path of the binary; "none" (or "") disables tegrastats
DEFAULT_PATHS = ("/usr/bin/tegrastats",)

_RAM_RE = re.compile(r"\bRAM (\d+)/(\d+)([kMG])B")
_FREQ_RE = re.compile(r"\b(EMC_FREQ|GR3D_FREQ|GR3D2_FREQ) (?:(\d+)%)?(?:@\[?([0-9,]+)\]?)?")
_TEMP_RE = re.compile(r"\b([A-Za-z][A-Za-z0-9_]*)@(-?[0-9]+(?:\.[0-9]+)?)C\b")
_POWER_RE = re.compile(r"\b([A-Z][A-Z0-9_]*) (\d+)(?:mW)?/(\d+)(?:mW)?(?:/(\d+)(?:mW)?)?(?=\s|$)")
_UNIT_MIB = {"k": 1 / 1024, "M": 1.0, "G": 1024.0}


@dataclass(frozen=True, slots=True)
class TegrastatsReading:
    """One parsed tegrastats line; None where the line does not carry the field."""

    ram_used_mib: float | None = None
    ram_total_mib: float | None = None
    emc_util_pct: float | None = None
    emc_freq_mhz: float | None = None
    gpu_util_pct: float | None = None  # None on Thor: GR3D_FREQ has no utilization there
    gpu_freqs_mhz: tuple[float, ...] = ()  # one per GPC where bracketed
    temps_c: tuple[tuple[str, float], ...] = ()
    rails_w: tuple[tuple[str, float], ...] = ()  # current power of each rail

    @property
    def gpu_freq_mhz(self) -> float | None:
        """The GPU clock in MHz: the highest GPC's where there are several."""
        return max(self.gpu_freqs_mhz) if self.gpu_freqs_mhz else None

    @property
    def gpu_temp_c(self) -> float | None:
        """The GPU sensor's temperature in degrees C; None when the line has none."""
        for name, celsius in self.temps_c:
            if name.lower() == "gpu":
                return celsius
        return None


def parse_line(line: str) -> TegrastatsReading | None:
    """Parse one tegrastats line; None when it carries nothing we know (a blank or error line)."""
    ram_used = ram_total = None
    m = _RAM_RE.search(line)
    if m:
        scale = _UNIT_MIB[m.group(3)]
        ram_used, ram_total = int(m.group(1)) * scale, int(m.group(2)) * scale
    emc_util = emc_freq = gpu_util = None
    gpu_freqs: tuple[float, ...] = ()
    for fm in _FREQ_RE.finditer(line):
        name, pct, freqs = fm.group(1), fm.group(2), fm.group(3)
        values = tuple(float(f) for f in freqs.split(",") if f) if freqs else ()
        if name == "EMC_FREQ":
            emc_util = float(pct) if pct is not None else None
            emc_freq = values[0] if values else None
        elif name == "GR3D_FREQ":
            gpu_util = float(pct) if pct is not None else None
            gpu_freqs = values
    temps = tuple((tm.group(1), float(tm.group(2))) for tm in _TEMP_RE.finditer(line))
    rails: list[tuple[str, float]] = []
    for pm in _POWER_RE.finditer(line):
        name = pm.group(1)
        if name in ("RAM", "SWAP", "IRAM"):
            continue
        rails.append((name, int(pm.group(2)) / 1000.0))
    reading = TegrastatsReading(
        ram_used_mib=ram_used,
        ram_total_mib=ram_total,
        emc_util_pct=emc_util,
        emc_freq_mhz=emc_freq,
        gpu_util_pct=gpu_util,
        gpu_freqs_mhz=gpu_freqs,
        temps_c=temps,
        rails_w=tuple(rails),
    )
    return None if reading == TegrastatsReading() else reading


def find_tegrastats(environ: dict[str, str] | None = None) -> str | None:
    """The tegrastats binary, or None: `$TRTUI_TEGRASTATS` if set ("none" disables), else PATH,
    else /usr/bin/tegrastats."""
    env = os.environ if environ is None else environ
    if TEGRASTATS_ENV in env:
        value = env[TEGRASTATS_ENV].strip()
        if not value or value.lower() == "none":
            return None
        return value if os.access(value, os.X_OK) else None
    found = shutil.which("tegrastats")
    if found:
        return found
    for path in DEFAULT_PATHS:
        if os.access(path, os.X_OK):
            return path
    return None


class TegrastatsReader:
    """Runs `tegrastats --interval MS` and keeps the newest parsed line.

    Start it with `start()`; `latest(max_age_s)` returns the newest reading no older than
    `max_age_s`; `close()` terminates the process and joins the reader thread."""

    def __init__(
        self,
        binary: str,
        interval_ms: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.binary = binary
        self.interval_ms = max(100, int(interval_ms))
        self._clock = clock
        self._lock = threading.Lock()
        self._latest: tuple[float, TegrastatsReading] | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._thread: threading.Thread | None = None
        self.error: str | None = None
        self.lines = 0

    @property
    def running(self) -> bool:
        """The subprocess was started and has not exited."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def started(self) -> bool:
        return self._proc is not None

    def start(self) -> bool:
        """Start the subprocess; False (and `error` set) when it cannot be started."""
        if self._proc is not None:
            return self.running
        try:
            self._proc = subprocess.Popen(
                [self.binary, "--interval", str(self.interval_ms)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                bufsize=1,
                start_new_session=True,  # its own group: close() stops it and any child at once
            )
        except OSError as err:
            self.error = f"cannot start {self.binary}: {err.strerror or err}"
            return False
        atexit.register(self.close)
        self._thread = threading.Thread(target=self._pump, name="trtui-tegrastats", daemon=True)
        self._thread.start()
        return True

    def _pump(self) -> None:
        proc = self._proc
        if proc is None or proc.stdout is None:
            return
        try:
            for line in proc.stdout:
                reading = parse_line(line)
                if reading is None:
                    continue
                with self._lock:
                    self._latest = (self._clock(), reading)
                    self.lines += 1
        except (OSError, ValueError):
            pass  # the pipe closed under us: close() is running

    def latest(self, max_age_s: float = 5.0) -> TegrastatsReading | None:
        """The newest parsed line, if it is at most `max_age_s` old (seconds); else None. Thread-safe."""
        with self._lock:
            latest = self._latest
        if latest is None or self._clock() - latest[0] > max_age_s:
            return None
        return latest[1]

    def wait_first(self, timeout_s: float) -> bool:
        """Block until a first line has been parsed (or timeout); True if one has."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self._latest is not None:
                    return True
            if not self.running:
                return False
            time.sleep(0.02)
        with self._lock:
            return self._latest is not None

    def close(self) -> None:
        """Stop tegrastats (its whole process group) and the reader thread."""
        proc, self._proc = self._proc, None
        thread, self._thread = self._thread, None
        if proc is None:
            return
        atexit.unregister(self.close)
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=2.0)
        if thread is not None:
            thread.join(timeout=2.0)
        # Close our end only once the reader thread has let go of it (closing a pipe another
        # thread is reading from blocks until that read returns).
        if proc.stdout is not None and (thread is None or not thread.is_alive()):
            with contextlib.suppress(OSError):
                proc.stdout.close()


def _signal_group(proc: subprocess.Popen[str], sig: int) -> None:
    """Signal tegrastats and anything it started (it runs in its own session)."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError, OSError):
        with contextlib.suppress(OSError):
            proc.send_signal(sig)
