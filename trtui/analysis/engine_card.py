"""The engine card: what an engine is, in one place (TensorRT version, build device, I/O with shape,
type and format, optimization profiles, layers by type and precision, weights and activations,
memory, builder settings).

Layer counts, weights and activations follow TREx (trt-engine-explorer)'s definitions:

- layers: every layer but NoOp and Constant layers (TREx folds NoOps away and sets constants apart);
- weights: the sum of the layers' `Weights` (count x size of its type; biases are not counted);
- activations: the sum, over those layers, of the bytes of every input and output tensor at its
  data type (a tensor counts once for each layer that reads or writes it);
- MB = 2**20 bytes.

Pure: no GPU access.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from trtui.analysis.work import parameter_type, tensor_bytes, weight_bytes
from trtui.core.model import DeviceSpec, EngineFacts, EngineIo, LayerInfo, TensorInfo

MB = 2**20
_SKIP = frozenset(("NoOp", "Constant"))
_WIDTH_WORDS = {"two": 2, "four": 4, "eight": 8, "sixteen": 16, "thirty-two": 32}
_DTYPE_IN_FORMAT = re.compile(
    r"\b(FP32|FP16|BFloat16|BF16|FP8|Int8|INT8|UInt8|Int32|Int64|BOOL|Bool|Half|Float)\b"
)


def short_format(fmt: str | None, dtype: str | None = None) -> str | None:
    """A TensorRT format description in a few characters: "Row major linear FP32" -> "FP32 NCHW",
    "Channel major FP16 format where channel % 8 == 0" -> "FP16 NHWC8", "Thirty-two wide channel
    vectorized row major Int8 format" -> "Int8 NC/32HW32". The text as given when not recognised."""
    if not fmt:
        return dtype
    low = fmt.lower()
    m = _DTYPE_IN_FORMAT.search(fmt)
    word = m.group(1) if m else (dtype or "")
    three = "3 spatial" in low
    layout: str | None = None
    vec = re.match(r"^([a-z-]+) wide channel vectorized", low)
    if vec and vec.group(1) in _WIDTH_WORDS:
        n = _WIDTH_WORDS[vec.group(1)]
        layout = f"NC/{n}{'D' if three else ''}HW{n}"
    elif low.startswith("channel major"):
        mod = re.search(r"channel % (\d+) == 0", low) or re.search(r"channel == (\d+)", low)
        layout = f"N{'D' if three else ''}HWC{mod.group(1) if mod else ''}"
    elif low.startswith("row major"):
        layout = "NCDHW" if three else "NCHW"
    if layout is None:
        return fmt
    return f"{word} {layout}".strip()


@dataclass(frozen=True, slots=True)
class EngineCard:
    """The engine card's figures (None: not known)."""

    trt_version: str | None
    built_for: str | None
    io: tuple[EngineIo, ...]
    profiles: int | None
    layers: int  # TREx's count (no NoOp, no Constant)
    by_type: tuple[tuple[str, int], ...]
    by_precision: tuple[tuple[str, int], ...]
    weights_bytes: float | None  # None when no layer reports weights (names-only layer info)
    activations_bytes: float | None
    device_memory_bytes: int | None
    context_memory_bytes: int | None
    builder: tuple[tuple[str, str], ...]
    hardware: DeviceSpec | None
    detailed: bool  # the layer information has details (shapes, weights)
    source: str | None


def io_text(t: EngineIo) -> str:
    """TREx's way of writing a binding: "input1: [1, 3, 224, 224]xFP32 NCHW"."""
    shape = "?" if t.shape is None else "[" + ", ".join(str(d) for d in t.shape) + "]"
    fmt = short_format(t.format, t.dtype) or t.dtype or "unknown type"
    return f"{t.name}: {shape}x{fmt}"


def complete_io(io: Sequence[EngineIo], layers: Sequence[LayerInfo]) -> tuple[EngineIo, ...]:
    """Engine I/O with the format (and type, shape) filled from the layer that reads or writes the
    tensor of the same name, where the engine's own list leaves them out (a live engine)."""
    seen: dict[str, TensorInfo] = {}
    for layer in layers:
        for ti in (*layer.inputs, *layer.outputs):
            seen.setdefault(ti.name, ti)
    out: list[EngineIo] = []
    for t in io:
        src = seen.get(t.name)
        if src is None or (t.format and t.dtype and t.shape is not None):
            out.append(t)
            continue
        out.append(replace(t, format=t.format or src.format, dtype=t.dtype or src.dtype,
                           shape=t.shape if t.shape is not None else src.shape))
    return tuple(out)


def engine_card(layers: Sequence[LayerInfo], facts: EngineFacts | None,
                hardware: DeviceSpec | None = None) -> EngineCard:
    """The card of an engine from its layers and what else is known about it."""
    counted = [layer for layer in layers if (layer.type or "") not in _SKIP]
    detailed = any(layer.type is not None for layer in layers)
    by_type = Counter(parameter_type(layer) or "unknown" for layer in counted)
    by_prec = Counter(layer.precision or "unknown" for layer in counted)
    weights: float | None = None
    acts: float | None = None
    if detailed:
        if any("Weights" in layer.params for layer in counted):
            w_sizes = [weight_bytes(layer.params) for layer in counted]
            weights = sum(w for w in w_sizes if w is not None)
        a_sizes = [tensor_bytes(t) for layer in counted for t in (*layer.inputs, *layer.outputs)]
        acts = sum(a for a in a_sizes if a is not None) if a_sizes else None
    f = facts or EngineFacts()
    return EngineCard(
        trt_version=f.trt_version,
        built_for=f.built_for,
        io=complete_io(f.io, layers),
        profiles=f.profiles,
        layers=len(counted),
        by_type=tuple(sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_precision=tuple(sorted(by_prec.items(), key=lambda kv: (-kv[1], kv[0]))),
        weights_bytes=weights,
        activations_bytes=acts,
        device_memory_bytes=f.device_memory_bytes,
        context_memory_bytes=f.context_memory_bytes,
        builder=f.builder,
        hardware=hardware,
        detailed=detailed,
        source=f.source,
    )


def _mb(x: float | None) -> str:
    return "unknown" if x is None else f"{x / MB:.1f} MB"


def _shape(s: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in s)


def hardware_text(h: DeviceSpec | None) -> str:
    """ "NVIDIA A100 80GB PCIe, compute 8.0, 108 SMs, 1410 MHz, 5120-bit bus at 1512 MHz" """
    if h is None:
        return "unknown"
    bits = [h.name or "unknown device"]
    if h.compute_capability:
        bits.append(f"compute {h.compute_capability[0]}.{h.compute_capability[1]}")
    bits.append(f"{h.sms} SMs" if h.sms else "SMs unknown")
    bits.append(f"SM clock {h.sm_clock_mhz:.0f} MHz" if h.sm_clock_mhz else "SM clock unknown")
    if h.bus_width_bits and h.mem_clock_mhz:
        bits.append(f"{h.bus_width_bits}-bit memory at {h.mem_clock_mhz:.0f} MHz")
    else:
        bits.append("memory bus unknown")
    if h.integrated:
        bits.append("memory shared with the CPU")
    return ", ".join(bits)


def card_lines(card: EngineCard, headroom_ms: float | None = None) -> list[str]:
    """The card as plain text lines (the text reports and the screen)."""
    lines = []
    if headroom_ms is not None:
        lines.append(f"total headroom: {headroom_ms:.4f} ms per inference (measured - attainable, summed)")
    lines.append(f"TensorRT: {card.trt_version or 'unknown'}   built for: {card.built_for or 'unknown'}")
    lines.append(f"device: {hardware_text(card.hardware)}")
    ins = [t for t in card.io if t.mode != "output"]
    outs = [t for t in card.io if t.mode == "output"]
    if not card.io:
        lines.append("inputs/outputs: unknown")
    for label, group in (("input", ins), ("output", outs)):
        for t in group:
            lines.append(f"{label}: {io_text(t)}")
            for i, (lo, opt, hi) in enumerate(t.profiles):
                lines.append(f"  profile {i}: min {_shape(lo)}  opt {_shape(opt)}  max {_shape(hi)}")
    lines.append(f"optimization profiles: {'unknown' if card.profiles is None else card.profiles}")
    types = ", ".join(f"{k} {v}" for k, v in card.by_type) or "none"
    precs = ", ".join(f"{k} {v}" for k, v in card.by_precision) or "none"
    lines.append(f"layers: {card.layers} (no NoOp / Constant)   by type: {types}")
    lines.append(f"by precision: {precs}")
    lines.append(f"weights: {_mb(card.weights_bytes)}   activations: {_mb(card.activations_bytes)}")
    dev = "unknown" if card.device_memory_bytes is None else _mb(card.device_memory_bytes)
    ctx = "not available" if card.context_memory_bytes is None else _mb(card.context_memory_bytes)
    lines.append(f"engine device memory: {dev}   context memory allocated: {ctx}")
    if card.builder:
        lines.append("builder: " + "; ".join(f"{k} {v}" for k, v in card.builder))
    else:
        lines.append("builder: unknown")
    return lines


def card_dict(card: EngineCard, headroom_ms: float | None = None) -> dict[str, object]:
    """JSON-ready card (bytes as integers, null where unknown)."""
    h = card.hardware
    return {
        "total_headroom_ms": headroom_ms,
        "trt_version": card.trt_version,
        "built_for": card.built_for,
        "device": None if h is None else {
            "name": h.name,
            "compute_capability": None if h.compute_capability is None else list(h.compute_capability),
            "sms": h.sms, "sm_clock_mhz": h.sm_clock_mhz, "mem_clock_mhz": h.mem_clock_mhz,
            "bus_width_bits": h.bus_width_bits, "integrated": h.integrated, "source": h.source,
        },
        "io": [
            {"name": t.name, "mode": t.mode, "dtype": t.dtype,
             "shape": None if t.shape is None else list(t.shape), "format": t.format,
             "format_short": short_format(t.format, t.dtype), "text": io_text(t),
             "profiles": [{"min": list(a), "opt": list(b), "max": list(c)} for a, b, c in t.profiles]}
            for t in card.io
        ],
        "profiles": card.profiles,
        "layers": card.layers,
        "layers_by_type": dict(card.by_type),
        "layers_by_precision": dict(card.by_precision),
        "weights_bytes": None if card.weights_bytes is None else int(card.weights_bytes),
        "activations_bytes": None if card.activations_bytes is None else int(card.activations_bytes),
        "device_memory_bytes": card.device_memory_bytes,
        "context_memory_bytes": card.context_memory_bytes,
        "builder": dict(card.builder),
        "source": card.source,
    }
