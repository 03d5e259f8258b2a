"""Is there a usable NVIDIA GPU? Checked through the CUDA driver library with ctypes, BEFORE any
TensorRT Runtime exists: on a machine without a usable GPU a lean Runtime is created anyway
("CUDA initialization failure" in the log) and crashes the interpreter when used.

Needs neither pycuda nor TensorRT, so the message is about the GPU, not about a missing package.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass

from trtui.common.errors import NoGpu, UserError

_LIBS = ("libcuda.so.1", "libcuda.so", "nvcuda.dll")

# CUresult codes worth naming (cuda.h).
_CU_ERRORS = {
    100: "no CUDA-capable device is detected",
    999: "unknown CUDA error",
    35: "the NVIDIA driver is older than the CUDA runtime needs",
    3: "CUDA is not initialized",
    101: "invalid device ordinal",
    46: "all CUDA devices are busy or unavailable (compute mode exclusive/prohibited)",
    304: "the OS call failed (is /dev/nvidia* accessible to this user?)",
    2: "out of memory while initializing CUDA",
}
_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76
# the roofline's device facts (cuda.h CUdevice_attribute), the same ones trtexec prints
_CU_ATTR_CLOCK_RATE = 13  # kHz
_CU_ATTR_MULTIPROCESSOR_COUNT = 16
_CU_ATTR_INTEGRATED = 18
_CU_ATTR_MEMORY_CLOCK_RATE = 36  # kHz
_CU_ATTR_GLOBAL_MEMORY_BUS_WIDTH = 37  # bits


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """What the CUDA driver says of one device, read before TensorRT loads (`check_cuda_device`)."""

    index: int
    name: str
    compute_capability: tuple[int, int]
    total_memory: int  # bytes
    driver_version: str  # "13.0"
    # the CUDA driver's attributes (None where the driver did not answer); clocks are rated ones
    sms: int | None = None
    sm_clock_khz: int | None = None
    mem_clock_khz: int | None = None
    bus_width_bits: int | None = None
    integrated: bool | None = None


def _attribute(lib: ctypes.CDLL, attr: int, dev: ctypes.c_int) -> int | None:
    value = ctypes.c_int(0)
    try:
        code = lib.cuDeviceGetAttribute(ctypes.byref(value), attr, dev)
    except (AttributeError, OSError):
        return None
    return int(value.value) if code == 0 and value.value > 0 else (0 if code == 0 else None)


def _load_libcuda() -> ctypes.CDLL:
    errors = []
    for name in (*_LIBS, ctypes.util.find_library("cuda")):
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError as err:
            errors.append(str(err))
    raise NoGpu(
        "no NVIDIA driver found (libcuda is missing): trtui needs an NVIDIA GPU with its driver "
        "to run an engine; 'trtui demo' runs without one"
    )


def _check(lib: ctypes.CDLL, code: int, what: str) -> None:
    if code == 0:
        return
    text = _CU_ERRORS.get(code)
    if text is None:
        msg = ctypes.c_char_p()
        try:
            lib.cuGetErrorString(code, ctypes.byref(msg))
            text = msg.value.decode() if msg.value else f"CUDA error {code}"
        except (AttributeError, OSError):
            text = f"CUDA error {code}"
    raise NoGpu(f"no usable NVIDIA GPU: {what} failed: {text}")


def check_cuda_device(index: int = 0) -> DeviceFacts:
    """Facts about CUDA device `index`, or NoGpu / UserError saying why it cannot be used."""
    lib = _load_libcuda()
    _check(lib, lib.cuInit(0), "CUDA initialization")
    count = ctypes.c_int(0)
    _check(lib, lib.cuDeviceGetCount(ctypes.byref(count)), "listing CUDA devices")
    if count.value == 0:
        raise NoGpu("no usable NVIDIA GPU: the driver reports no CUDA device")
    if not 0 <= index < count.value:
        raise UserError(f"--device {index} does not exist: this machine has {count.value} CUDA device(s) "
                        f"(0..{count.value - 1})")
    dev = ctypes.c_int(0)
    _check(lib, lib.cuDeviceGet(ctypes.byref(dev), index), "opening the CUDA device")
    name_buf = ctypes.create_string_buffer(256)
    _check(lib, lib.cuDeviceGetName(name_buf, 256, dev), "reading the device name")
    major, minor = ctypes.c_int(0), ctypes.c_int(0)
    lib.cuDeviceGetAttribute(ctypes.byref(major), _CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev)
    lib.cuDeviceGetAttribute(ctypes.byref(minor), _CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev)
    total = ctypes.c_size_t(0)
    try:
        fn = lib.cuDeviceTotalMem_v2
    except AttributeError:
        fn = lib.cuDeviceTotalMem
    fn(ctypes.byref(total), dev)
    drv = ctypes.c_int(0)
    lib.cuDriverGetVersion(ctypes.byref(drv))
    return DeviceFacts(
        index=index,
        name=name_buf.value.decode(errors="replace"),
        compute_capability=(major.value, minor.value),
        total_memory=int(total.value),
        driver_version=f"{drv.value // 1000}.{(drv.value % 1000) // 10}",
        sms=_attribute(lib, _CU_ATTR_MULTIPROCESSOR_COUNT, dev) or None,
        sm_clock_khz=_attribute(lib, _CU_ATTR_CLOCK_RATE, dev) or None,
        mem_clock_khz=_attribute(lib, _CU_ATTR_MEMORY_CLOCK_RATE, dev) or None,
        bus_width_bits=_attribute(lib, _CU_ATTR_GLOBAL_MEMORY_BUS_WIDTH, dev) or None,
        integrated=_integrated(_attribute(lib, _CU_ATTR_INTEGRATED, dev)),
    )


def _integrated(value: int | None) -> bool | None:
    return None if value is None else bool(value)
