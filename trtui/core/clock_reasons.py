"""Clock-event ("throttle") reasons: NVML's bitmask decoded to words (pure)."""

from __future__ import annotations

from collections.abc import Iterable

# Documented bits (nvml.h `nvmlClocksEventReason*`, formerly `nvmlClocksThrottleReason*`).
CLOCK_EVENT_REASONS: tuple[tuple[str, int], ...] = (
    ("GpuIdle", 0x1),
    ("ApplicationsClocksSetting", 0x2),
    ("SwPowerCap", 0x4),
    ("HwSlowdown", 0x8),
    ("SyncBoost", 0x10),
    ("SwThermalSlowdown", 0x20),
    ("HwThermalSlowdown", 0x40),
    ("HwPowerBrakeSlowdown", 0x80),
    ("DisplayClockSetting", 0x100),
)

# Reasons that do not slow a busy GPU down: an idle GPU, or clocks the user chose.
BENIGN_REASONS = frozenset({"GpuIdle", "ApplicationsClocksSetting", "DisplayClockSetting"})


def decode_reasons(mask: int, bits: Iterable[tuple[str, int]] = CLOCK_EVENT_REASONS) -> tuple[str, ...]:
    """Words for the set bits, in table order; bits the table does not know become hex."""
    words: list[str] = []
    known = 0
    for word, bit in bits:
        known |= bit
        if bit and mask & bit == bit:
            words.append(word)
    rest = mask & ~known
    if rest:
        words.append(f"0x{rest:x}")
    return tuple(words)


def slowdown_reasons(reasons: Iterable[str] | None) -> tuple[str, ...]:
    """The reasons that actually lower clocks under load (drops GpuIdle and user settings)."""
    if not reasons:
        return ()
    return tuple(r for r in reasons if r not in BENIGN_REASONS)
