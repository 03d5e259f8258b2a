"""Which Jetson power rail stands for the GPU and which for the whole module: rules on rail names
(no reading). The layouts, from NVIDIA's Jetson power documentation, are listed in
`trtui.telemetry.power_rails`, which reads the rails."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Rails = tuple[tuple[str, float], ...]

# Rails that are inside another rail and must not be counted twice in a module total.
NESTED_RAILS = {"VDDQ_VDD2_1V8AO": "VIN_SYS_5V0"}
_AGX_ORIN = ("VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0")
_AGX_XAVIER = ("GPU", "CPU", "SOC", "CV", "VDDRQ", "SYS5V")


@dataclass(frozen=True, slots=True)
class RailRoles:
    """Which rails make the GPU figure and the module figure, with the words that say so."""

    board: str  # "AGX Orin", "Orin NX / Nano", "Thor", "Nano", "AGX Xavier", "unknown"
    gpu: tuple[str, ...]  # rail names summed for the GPU figure; () when none
    gpu_label: str | None  # e.g. "VDD_GPU_SOC (GPU+SoC rail)"
    module: tuple[str, ...]  # rail names summed for the whole module; () when unknown
    module_label: str | None
    not_added: tuple[str, ...] = ()  # rails left out of the module sum (nested in another)

    def gpu_w(self, rails: Rails | None) -> float | None:
        """The GPU figure in W: the sum of the GPU rails in `rails`; None when a GPU rail is missing or
        none is known."""
        return _sum(rails, self.gpu)

    def module_w(self, rails: Rails | None) -> float | None:
        """The whole module in W: the sum of the module rails in `rails`; None when one of them is
        missing or none is known."""
        return _sum(rails, self.module)


def _sum(rails: Rails | None, names: tuple[str, ...]) -> float | None:
    if not rails or not names:
        return None
    by = {n.upper(): w for n, w in rails}
    values = [by.get(n.upper()) for n in names]
    if any(v is None for v in values):
        return None
    return float(sum(v for v in values if v is not None))


def rail_roles(names: Iterable[str]) -> RailRoles:
    """The roles of a board's rails, from their names (case-insensitive)."""
    shown = {n.upper(): n for n in names}
    have = set(shown)

    def real(*wanted: str) -> tuple[str, ...]:
        return tuple(shown[w] for w in wanted)

    if set(_AGX_ORIN) <= have:
        nested = tuple(shown[n] for n in NESTED_RAILS if n in have)
        return RailRoles(
            "AGX Orin",
            real("VDD_GPU_SOC"),
            "VDD_GPU_SOC (GPU+SoC rail)",
            real(*_AGX_ORIN),
            "VDD_GPU_SOC+VDD_CPU_CV+VIN_SYS_5V0 (module)",
            nested,
        )
    if "VDD_IN" in have:
        gpu = real("VDD_CPU_GPU_CV") if "VDD_CPU_GPU_CV" in have else ()
        return RailRoles(
            "Orin NX / Nano",
            gpu,
            f"{shown['VDD_CPU_GPU_CV']} (GPU+CPU+CV rail)" if gpu else None,
            real("VDD_IN"),
            "VDD_IN (module input)",
        )
    if "VDD_GPU" in have:
        module = real("VIN") if "VIN" in have else ()
        return RailRoles(
            "Thor",
            real("VDD_GPU"),
            f"{shown['VDD_GPU']} (GPU rail)",
            module,
            "VIN (module input)" if module else None,
        )
    if "POM_5V_IN" in have:
        gpu = real("POM_5V_GPU") if "POM_5V_GPU" in have else ()
        return RailRoles(
            "Nano",
            gpu,
            "POM_5V_GPU (GPU rail)" if gpu else None,
            real("POM_5V_IN"),
            "POM_5V_IN (module input)",
        )
    if set(_AGX_XAVIER) <= have:
        return RailRoles(
            "AGX Xavier",
            real("GPU"),
            "GPU (GPU rail)",
            real(*_AGX_XAVIER),
            "+".join(_AGX_XAVIER) + " (module)",
        )
    for upper, name in shown.items():
        if "GPU" in upper:
            return RailRoles("unknown", (name,), f"{name} (rail named GPU)", (), None)
    return RailRoles("unknown", (), None, (), None)


def describe_roles(roles: RailRoles, rails: Mapping[str, float] | None = None) -> list[str]:
    """Lines for `trtui telemetry`: which rail is used for what."""
    lines = []
    if roles.gpu_label:
        lines.append(f"GPU energy rail: {roles.gpu_label}")
    if roles.module_label:
        extra = (
            f"; not added again: {', '.join(roles.not_added)} (inside VIN_SYS_5V0)" if roles.not_added else ""
        )
        lines.append(f"module energy rails: {roles.module_label}{extra}")
    elif rails:
        lines.append(f"module total: unknown for this board ({roles.board}); rails shown by label")
    return lines
