"""A recording's device facts (for the roofline) and engine facts (for the engine card).

Device: trtexec's `device_information` in the run metadata ("Compute Capability": 8.0, "SMs": 108,
"Compute Clock Rate": 1.41 GHz, "Memory Bus Width": 5120 bits, "Memory Clock Rate": 1.512 GHz),
else TREx's device metadata file (CUDA attributes: MULTIPROCESSOR_COUNT, CLOCK_RATE and
MEMORY_CLOCK_RATE in kHz, GLOBAL_MEMORY_BUS_WIDTH, INTEGRATED).

Engine: the layer information's I/O (type, shape, format, per-profile shapes), the TensorRT version
where the recording names it, and the builder settings of TREx's build metadata
(`build_options`: precision flags, memory pools, timing settings).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from trtui.core.model import DeviceSpec, EngineFacts, EngineIo
from trtui.recording.loader import Recording


def _num(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) and value > 0 else None
    if isinstance(value, str):
        m = re.match(r"\s*([0-9]*\.?[0-9]+)", value)
        return _num(float(m.group(1))) if m else None
    return None


def _cc(value: object) -> tuple[int, int] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return int(value[0]), int(value[1])
    m = re.match(r"\s*(\d+)\.(\d+)", str(value)) if value is not None else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def _from_device_information(dev: Mapping[str, Any]) -> DeviceSpec | None:
    if not dev:
        return None
    sms = _num(dev.get("SMs"))
    sm_ghz = _num(dev.get("Compute Clock Rate"))
    mem_ghz = _num(dev.get("Memory Clock Rate"))
    bus = _num(dev.get("Memory Bus Width"))
    cc = _cc(dev.get("Compute Capability"))
    if cc is None and sms is None and sm_ghz is None:
        return None
    return DeviceSpec(
        name=dev.get("Selected Device") or dev.get("Device"),
        compute_capability=cc,
        sms=int(sms) if sms else None,
        sm_clock_mhz=sm_ghz * 1000 if sm_ghz else None,
        mem_clock_mhz=mem_ghz * 1000 if mem_ghz else None,
        bus_width_bits=int(bus) if bus else None,
        source="the recording's device_information",
    )


def _from_attributes(name: str | None, a: Mapping[str, Any]) -> DeviceSpec | None:
    sms = _num(a.get("MULTIPROCESSOR_COUNT"))
    clock = _num(a.get("CLOCK_RATE"))
    mem = _num(a.get("MEMORY_CLOCK_RATE"))
    bus = _num(a.get("GLOBAL_MEMORY_BUS_WIDTH"))
    integrated = a.get("INTEGRATED")
    return DeviceSpec(
        name=name,
        compute_capability=_cc(a.get("ComputeCapability")),
        sms=int(sms) if sms else None,
        sm_clock_mhz=clock / 1000 if clock else None,
        mem_clock_mhz=mem / 1000 if mem else None,
        bus_width_bits=int(bus) if bus else None,
        integrated=bool(integrated) if isinstance(integrated, (int, bool)) else None,
        source="the recording's device metadata",
    )


def recording_hardware(rec: Recording) -> DeviceSpec | None:
    """The device facts of a recording (None when it records none)."""
    spec = _from_device_information(rec.run_meta.device_information) if rec.run_meta is not None else None
    attrs = _from_attributes(rec.device_meta.name, rec.device_meta.attributes) if rec.device_meta else None
    if spec is None:
        return attrs
    if attrs is not None:  # fill what device_information leaves out
        spec = DeviceSpec(
            name=spec.name or attrs.name,
            compute_capability=spec.compute_capability or attrs.compute_capability,
            sms=spec.sms or attrs.sms,
            sm_clock_mhz=spec.sm_clock_mhz or attrs.sm_clock_mhz,
            mem_clock_mhz=spec.mem_clock_mhz or attrs.mem_clock_mhz,
            bus_width_bits=spec.bus_width_bits or attrs.bus_width_bits,
            integrated=attrs.integrated,
            source=spec.source,
        )
    return spec


def recording_engine_facts(rec: Recording) -> EngineFacts:
    """What a recording says about its engine beyond the layers."""
    doc = rec.layer_doc
    io = [EngineIo(t.name, t.mode, t.dtype, t.shape, t.format) for t in (doc.io if doc is not None else ())]
    trt = None
    if rec.run_meta is not None:
        v = rec.run_meta.trtui.get("trt_version") or rec.run_meta.device_information.get("TensorRT Version")
        trt = str(v) if v else None
    builder: list[tuple[str, str]] = []
    if rec.build_meta is not None:
        builder = [(k, v) for k, v in rec.build_meta.build_options.items()]
    profiles = None
    if doc is not None and doc.io and any(t.opt_shapes for t in doc.io):
        profiles = max(len(t.opt_shapes) for t in doc.io)
    return EngineFacts(
        trt_version=trt,
        built_for=rec.device,
        io=tuple(io),
        profiles=profiles,
        builder=tuple(builder),
        source="trtexec recording" if rec.run_meta is None or not rec.run_meta.trtui else "trtui recording",
    )
