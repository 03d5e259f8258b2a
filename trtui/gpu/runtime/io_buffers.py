"""Engine inputs and outputs: what each tensor needs (pure planning), and the pycuda buffers.

Sizes come from the resolved shapes of an execution context; dtypes are handled by name, so the
types numpy lacks (bf16, fp8, int4, fp4, e8m0) are allocated as raw bytes (int4/fp4 pack two
values per byte). Vectorized formats (e.g. CHW32) pad the vectorized dimension. Outputs whose shape
depends on the data are sized from `get_max_output_size` and served by an output allocator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

# Bits per element by TensorRT DataType name (`DataType.itemsize` is None for E8M0 in 11.4).
DTYPE_BITS: dict[str, int] = {
    "FLOAT": 32, "HALF": 16, "BF16": 16, "INT8": 8, "INT32": 32, "INT64": 64, "BOOL": 8,
    "UINT8": 8, "FP8": 8, "INT4": 4, "FP4": 4, "E8M0": 8,
}  # fmt: skip
# numpy dtypes for random data; None: fill raw bytes.
NUMPY_DTYPES: dict[str, Any] = {
    "FLOAT": np.float32, "HALF": np.float16, "INT8": np.int8, "INT32": np.int32, "INT64": np.int64,
    "BOOL": np.bool_, "UINT8": np.uint8,
}  # fmt: skip
# Names trtui shows (the same as the inspector's precision names).
DISPLAY_DTYPES: dict[str, str] = {
    "FLOAT": "FP32", "HALF": "FP16", "BF16": "BF16", "INT8": "INT8", "INT32": "INT32", "INT64": "INT64",
    "BOOL": "BOOL", "UINT8": "UINT8", "FP8": "FP8", "INT4": "INT4", "FP4": "FP4", "E8M0": "E8M0",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """One I/O tensor as the engine and a configured context describe it."""

    name: str
    is_input: bool
    dtype: str  # TensorRT DataType name: "FLOAT", "HALF", "BF16", ...
    shape: tuple[int, ...]  # resolved for the context; -1 left only in data-dependent outputs
    on_host: bool = False  # shape tensors live in host memory
    vectorized_dim: int = -1
    components: int = 1
    max_output_bytes: int | None = None  # for data-dependent outputs
    shape_values: tuple[int, ...] | None = None  # values for host shape-tensor inputs

    @property
    def data_dependent(self) -> bool:
        """True when the shape is known only after the inference (a -1 left in it)."""
        return any(d < 0 for d in self.shape)

    @property
    def display_dtype(self) -> str:
        """The type as trtui shows it ("FP16" for HALF); unknown names unchanged."""
        return DISPLAY_DTYPES.get(self.dtype, self.dtype)


def tensor_bytes(spec: TensorSpec) -> int:
    """Bytes a buffer for `spec` needs (at least 1: a zero-size allocation has no address)."""
    if spec.data_dependent:
        if spec.max_output_bytes is None or spec.max_output_bytes < 0:
            raise ValueError(f"output '{spec.name}' has a data-dependent shape and no size bound")
        return max(int(spec.max_output_bytes), 1)
    bits = DTYPE_BITS.get(spec.dtype)
    if bits is None:
        raise ValueError(f"tensor '{spec.name}' has an unknown data type {spec.dtype}")
    dims = list(spec.shape)
    if 0 <= spec.vectorized_dim < len(dims) and spec.components > 1:
        v = spec.vectorized_dim
        dims[v] = math.ceil(dims[v] / spec.components) * spec.components
    count = math.prod(dims) if dims else 1
    return max(math.ceil(count * bits / 8), 1)


def random_fill(spec: TensorSpec, nbytes: int, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """Random input bytes of the right kind: floats in [-1, 1), small integers, booleans; raw
    random bytes for types numpy lacks (bf16/fp8/int4/fp4)."""
    if spec.shape_values is not None:
        arr = np.zeros(nbytes // (DTYPE_BITS[spec.dtype] // 8), dtype=NUMPY_DTYPES[spec.dtype])
        arr[: len(spec.shape_values)] = spec.shape_values
        return arr.view(np.uint8)
    np_dtype = NUMPY_DTYPES.get(spec.dtype)
    if np_dtype is None:
        if spec.dtype in ("BF16", "FP8", "E8M0", "FP4"):
            # Avoid NaN/Inf patterns: random small magnitudes in the low mantissa bits.
            out = rng.integers(0, 256, size=nbytes, dtype=np.uint8)
            if spec.dtype == "BF16":
                out[1::2] = 0x3F  # exponent of ~1.0 (little-endian high byte)
            elif spec.dtype == "FP8":
                out &= 0b1011_0111  # E4M3: keep exponent well below all-ones
            return out
        return rng.integers(0, 256, size=nbytes, dtype=np.uint8)
    itemsize = np.dtype(np_dtype).itemsize
    n = nbytes // itemsize
    if np.issubdtype(np_dtype, np.floating):
        arr = (rng.random(n, dtype=np.float32) * 2 - 1).astype(np_dtype)
    elif np_dtype is np.bool_:
        arr = rng.integers(0, 2, size=n).astype(np.bool_)
    else:
        arr = rng.integers(0, 8, size=n).astype(np_dtype)
    raw: npt.NDArray[np.uint8] = np.asarray(arr).view(np.uint8)
    if raw.size < nbytes:
        raw = np.concatenate([raw, np.zeros(nbytes - raw.size, dtype=np.uint8)])
    return raw


class DeviceBuffer:
    """A device allocation, with an optional pinned host mirror (for transfers or host tensors)."""

    def __init__(self, driver: Any, spec: TensorSpec, nbytes: int, host_mirror: bool) -> None:
        self.spec = spec
        self.nbytes = nbytes
        self._driver = driver
        self.host: Any = driver.pagelocked_empty(nbytes, np.uint8) if host_mirror or spec.on_host else None
        self.device: Any = None if spec.on_host else driver.mem_alloc(nbytes)

    @property
    def address(self) -> int:
        """The address TensorRT gets: the device allocation, or the pinned host array for a host tensor."""
        if self.device is not None:
            return int(self.device)
        return int(self.host.ctypes.data)

    def grow(self, nbytes: int) -> int:
        """Reallocate to at least `nbytes` (data-dependent outputs); returns the new address."""
        if nbytes <= self.nbytes or self.device is None:
            return self.address
        self.device.free()
        self.device = self._driver.mem_alloc(nbytes)
        self.nbytes = nbytes
        if self.host is not None:
            self._free_host()
            self.host = self._driver.pagelocked_empty(nbytes, np.uint8)
        return self.address

    def _free_host(self) -> None:
        base = getattr(self.host, "base", None)
        if base is not None and hasattr(base, "free"):
            base.free()

    def free(self) -> None:
        """Free the device and pinned host memory now. Idempotent."""
        if self.device is not None:
            self.device.free()
            self.device = None
        if self.host is not None:
            self._free_host()
            self.host = None


class IoBuffers:
    """All buffers of one execution context. Inputs are filled with random data once."""

    def __init__(
        self, driver: Any, specs: Sequence[TensorSpec], *, transfers: bool, rng: np.random.Generator
    ) -> None:
        self.specs = tuple(specs)
        self.transfers = transfers
        self._driver = driver
        self.buffers: dict[str, DeviceBuffer] = {}
        try:
            for spec in self.specs:
                nbytes = tensor_bytes(spec)
                buf = DeviceBuffer(driver, spec, nbytes, host_mirror=transfers)
                self.buffers[spec.name] = buf
                if spec.is_input:
                    data = random_fill(spec, nbytes, rng)
                    if buf.host is not None:
                        buf.host[: data.size] = data
                    if buf.device is not None:
                        driver.memcpy_htod(buf.device, data)
        except BaseException:
            self.free()
            raise

    @property
    def total_bytes(self) -> int:
        """Bytes allocated for the tensors, one count per tensor (a pinned host mirror is not added)."""
        return sum(b.nbytes for b in self.buffers.values())

    def addresses(self) -> dict[str, int]:
        return {name: b.address for name, b in self.buffers.items()}

    def copy_in(self, stream: Any) -> None:
        """H2D of every device input (for --transfers)."""
        for b in self.buffers.values():
            if b.spec.is_input and b.device is not None and b.host is not None:
                self._driver.memcpy_htod_async(b.device, b.host, stream)

    def copy_out(self, stream: Any) -> None:
        """D2H of every device output (for --transfers)."""
        for b in self.buffers.values():
            if not b.spec.is_input and b.device is not None and b.host is not None:
                self._driver.memcpy_dtoh_async(b.host, b.device, stream)

    def free(self) -> None:
        """Free every buffer; the context that used them must be gone or drained. Idempotent."""
        for b in self.buffers.values():
            b.free()
        self.buffers.clear()


def make_output_allocator(
    trt: Any, buffer: DeviceBuffer, on_shape: Callable[[str, tuple[int, ...]], None]
) -> Any:
    """An `IOutputAllocator` for a data-dependent output: hands back the preallocated buffer and grows
    it when TensorRT asks for more."""
    base = trt.IOutputAllocator

    class _Allocator(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            base.__init__(self)
            self.shape: tuple[int, ...] | None = None

        def reallocate_output(self, tensor_name: str, memory: int, size: int, alignment: int) -> int:
            try:
                return buffer.grow(int(size))
            except Exception:
                return 0  # TensorRT treats a null pointer as "cannot allocate"

        def reallocate_output_async(self, tensor_name: str, memory: int, size: int, alignment: int,
                                    stream: int) -> int:
            return self.reallocate_output(tensor_name, memory, size, alignment)

        def notify_shape(self, tensor_name: str, shape: Any) -> None:
            self.shape = tuple(shape)
            on_shape(tensor_name, self.shape)

    return _Allocator()
