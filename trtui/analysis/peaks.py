"""Peak math throughput and memory bandwidth of a GPU from its facts (compute capability, SMs,
clocks, bus width), not from marketing sheets.

Peak FLOP/s = FLOPs per clock per SM (the table below) x SMs x SM clock. Memory bandwidth =
2 x memory clock x bus width / 8 (CUDA's and NVML's memory clock is half the data rate: trtexec's
"Memory Clock Rate" 9.751 GHz on a 384-bit RTX 3090 gives 936 GB/s; 1.512 GHz on a 5120-bit
A100 80GB PCIe gives 1935 GB/s; Jetson's EMC frequency on a 256-bit AGX Orin at 3199 MHz gives
205 GB/s, DRAM the CPU shares).

The table: dense (no structured sparsity) FLOPs per clock per SM, a fused multiply-add counted as
2 FLOPs (INT8/FP8/FP4: operations). `fp32` is the CUDA cores' FP32 rate, `fp16_vec` their packed
FP16 rate (non-tensor layers), the rest are tensor-core rates; FP16 and BF16 share one rate;
`fp16_acc32` is FP16 inputs with FP32 accumulation. Sources, the per-SM figures re-derived from
each document's whole-GPU figures at its stated SM count and clock:

- 7.0 Volta: NVIDIA Tesla V100 GPU Architecture whitepaper (80 SMs, 1530 MHz: 125 TFLOPS tensor,
  15.7 FP32). INT8 is the CUDA cores' dp4a (4 x FP32 rate).
- 7.2 Xavier: Jetson AGX Xavier technical brief (8 Volta SMs, 1377 MHz: 22 INT8 TOPS).
- 7.5 Turing: NVIDIA Turing GPU Architecture whitepaper (TITAN RTX / Quadro RTX 6000 / T4 rates;
  GeForce RTX 20: FP32 accumulation at half rate, e.g. 2080 Ti 53.8 vs 107.6 TFLOPS).
- 8.0 Ampere GA100: NVIDIA A100 Tensor Core GPU Architecture whitepaper (108 SMs, 1410 MHz:
  312 TFLOPS FP16/BF16, 156 TF32, 624 INT8 TOPS, 19.5 FP32).
- 8.6 Ampere GA102: NVIDIA Ampere GA102 GPU Architecture whitepaper (RTX 3090: 82 SMs, 1695 MHz,
  142 TFLOPS FP16 with FP16 accumulation, 71 with FP32, 35.6 TF32, 284 INT8 TOPS; A40 / A10 /
  RTX A6000: FP32 accumulation and TF32 at full rate).
- 8.7 Orin: NVIDIA Jetson AGX Orin Series technical brief (16 SMs, 1.3 GHz: 5.3 FP32 TFLOPS,
  170 sparse = 85 dense INT8 TOPS).
- 8.9 Ada: NVIDIA Ada GPU Architecture whitepaper (RTX 4090: 128 SMs, 2520 MHz, 330 TFLOPS FP16
  with FP16 accumulation, 165 with FP32, 660 FP8 / INT8; L4 / L40S / RTX 6000 Ada: FP32
  accumulation at full rate).
- 9.0 Hopper: NVIDIA H100 Tensor Core GPU Architecture whitepaper (H100 SXM5: 132 SMs, 1830 MHz:
  989 TFLOPS FP16/BF16, 495 TF32, 1979 FP8 and INT8).
- 10.0 Blackwell: NVIDIA Blackwell architecture technical brief / HGX B200 datasheet (148 SMs:
  2.25 PFLOPS dense FP16, 4.5 FP8 / INT8, 9 FP4).
- 11.0 (10.1 before CUDA 13) Thor: NVIDIA Jetson AGX Thor technical brief (20 SMs, 1.575 GHz:
  2070 sparse = 1035 dense FP4 TFLOPS; FP8 / FP16 scaled as Blackwell's tensor cores).
- 12.0 / 12.1 Blackwell GB20x: NVIDIA RTX Blackwell GPU Architecture whitepaper (RTX 5090: 170 SMs,
  2407 MHz: 419 TFLOPS FP16 with FP16 accumulation, 209.5 with FP32, 838 FP8 / INT8, 1676 FP4).

GeForce parts (the device name says "GeForce") run FP16/BF16 tensor math with FP32 accumulation
and TF32 at half the rate on 7.5, 8.6, 8.9 and 12.x (FP8 layers are held against the
FP16-accumulation FP8 rate, the faster); other parts of the same compute capability
at full rate.

Pure: no GPU access.
"""

from __future__ import annotations

from dataclasses import dataclass

from trtui.core.model import DeviceSpec

# FLOPs (ops) per clock per SM, dense; None: the architecture has no such math.
Rates = dict[str, int | None]

_KEYS = ("fp32", "fp16_vec", "tf32", "fp16", "fp16_acc32", "int8", "fp8", "fp4")


def _r(fp32: int, fp16_vec: int, tf32: int | None, fp16: int, fp16_acc32: int, int8: int,
       fp8: int | None = None, fp4: int | None = None) -> Rates:
    values = (fp32, fp16_vec, tf32, fp16, fp16_acc32, int8, fp8, fp4)
    return dict(zip(_KEYS, values, strict=True))


PEAK_TABLE: dict[tuple[int, int], Rates] = {
    (7, 0): _r(128, 256, None, 1024, 1024, 512),
    (7, 2): _r(128, 256, None, 1024, 1024, 2048),
    (7, 5): _r(128, 256, None, 1024, 1024, 2048),
    (8, 0): _r(128, 512, 1024, 2048, 2048, 4096),
    (8, 6): _r(256, 256, 512, 1024, 1024, 2048),
    (8, 7): _r(256, 512, 1024, 2048, 2048, 4096),
    (8, 9): _r(256, 256, 512, 1024, 1024, 2048, 2048),
    (9, 0): _r(256, 512, 2048, 4096, 4096, 8192, 8192),
    (10, 0): _r(256, 512, 4096, 8192, 8192, 16384, 16384, 32768),
    (11, 0): _r(256, 512, 4096, 8192, 8192, 16384, 16384, 32768),
    (12, 0): _r(256, 256, 512, 1024, 1024, 2048, 2048, 4096),
}
_ALIASES = {(10, 1): (11, 0), (10, 3): (10, 0), (12, 1): (12, 0)}
# compute capabilities whose GeForce parts halve FP32-accumulation tensor math and TF32
_GEFORCE_HALVED = frozenset(((7, 5), (8, 6), (8, 9), (12, 0)))


def rates_for(cc: tuple[int, int] | None, device_name: str | None = None) -> Rates | None:
    """The table's row for a compute capability (GeForce rates where the name says GeForce);
    None for an unknown compute capability."""
    if cc is None:
        return None
    key = _ALIASES.get(cc, cc)
    row = PEAK_TABLE.get(key)
    if row is None:
        return None
    if device_name and "geforce" in device_name.lower() and key in _GEFORCE_HALVED:
        row = dict(row)
        for k in ("fp16_acc32", "tf32"):
            v = row[k]
            row[k] = v // 2 if v else v
    return row


@dataclass(frozen=True, slots=True)
class Peak:
    """One peak a layer is held against: FLOP/s (or op/s) and which math it is."""

    flops_per_s: float
    math: str  # "FP16 tensor", "TF32 tensor", "FP32", ...


@dataclass(frozen=True, slots=True)
class DevicePeaks:
    """A device's rates at given clocks: per-SM rates scaled by SMs and SM clock, and bandwidth."""

    rates: Rates
    sms: int
    sm_clock_hz: float
    bandwidth_bytes_per_s: float | None
    device: str | None = None

    def rate(self, key: str) -> float | None:
        """A table rate in FLOP/s at these clocks; None when the architecture lacks it."""
        v = self.rates.get(key)
        return None if v is None else float(v) * self.sms * self.sm_clock_hz

    def tensor_max(self) -> Peak:
        """The fastest tensor math this device has (a lower bound on any tensor layer's time)."""
        best = max(((k, self.rates.get(k) or 0) for k in _KEYS if k not in ("fp32", "fp16_vec")),
                   key=lambda kv: kv[1])
        return Peak(float(best[1]) * self.sms * self.sm_clock_hz, f"{_MATH[best[0]]} (fastest)")


_MATH = {
    "fp32": "FP32", "fp16_vec": "FP16 vector", "tf32": "TF32 tensor", "fp16": "FP16 tensor",
    "fp16_acc32": "FP16 tensor, FP32 accumulation", "int8": "INT8 tensor", "fp8": "FP8 tensor",
    "fp4": "FP4 tensor",
}


def memory_bandwidth(mem_clock_mhz: float | None, bus_width_bits: int | None) -> float | None:
    """Bytes per second: 2 x memory clock x bus width / 8 (see the module docstring)."""
    if not mem_clock_mhz or not bus_width_bits or mem_clock_mhz <= 0 or bus_width_bits <= 0:
        return None
    return 2.0 * mem_clock_mhz * 1e6 * bus_width_bits / 8.0


def device_peaks(spec: DeviceSpec | None, sm_clock_mhz: float | None = None,
                 mem_clock_mhz: float | None = None) -> DevicePeaks | None:
    """The peaks of `spec` at its clocks, or at `sm_clock_mhz` / `mem_clock_mhz` where given
    (a live run's current clocks). None when the compute capability, SM count or SM clock is
    unknown (no roofline without them)."""
    if spec is None:
        return None
    rates = rates_for(spec.compute_capability, spec.name)
    sm_clock = sm_clock_mhz or spec.sm_clock_mhz
    if rates is None or not spec.sms or not sm_clock or sm_clock <= 0:
        return None
    bw = memory_bandwidth(mem_clock_mhz or spec.mem_clock_mhz, spec.bus_width_bits)
    return DevicePeaks(rates, int(spec.sms), float(sm_clock) * 1e6, bw, spec.name)


_TENSOR_KEY = {"TF32": "tf32", "INT8": "int8", "UINT8": "int8", "INT4": "int8", "FP8": "fp8", "FP4": "fp4"}


def layer_peak(peaks: DevicePeaks, precision: str | None, tensor: bool, accumulation: str | None = None,
               explicit_fp32: bool = False) -> Peak:
    """The peak a layer is held against. Where the layer JSON does not say which math ran, the
    fastest plausible one is taken, so the attainable time stays a lower bound:

    - tensor layers (convolution, deconvolution, matrix multiply): FP16/BF16 at the FP16- or the
      FP32-accumulation rate the tactic names (the faster one when it names none); TF32, INT8,
      FP8, FP4 at theirs; FP32 at the FP32 rate only when the tactic says FP32 math, else TF32
      where the architecture has it (TensorRT allows TF32 by default); an unknown precision, or
      one the architecture lacks, at the fastest tensor rate;
    - other layers: the CUDA cores' FP32 rate (16-bit types: the packed FP16 rate when faster).
    """
    def at(key: str) -> Peak | None:
        v = peaks.rate(key)
        return None if v is None else Peak(v, _MATH[key])

    if not tensor:
        fp32 = at("fp32")
        assert fp32 is not None
        if precision in ("FP16", "BF16"):
            vec = at("fp16_vec")
            if vec is not None and vec.flops_per_s > fp32.flops_per_s:
                return vec
        return fp32
    if precision in ("FP16", "BF16"):
        if accumulation == "FP32":
            return at("fp16_acc32") or peaks.tensor_max()
        options = [p for p in (at("fp16"), at("fp16_acc32")) if p is not None]
        best = max(options, key=lambda p: p.flops_per_s)
        if accumulation == "FP16" or best.math == "FP16 tensor":
            return at("fp16") or best
        return best
    if precision == "FP32":
        if explicit_fp32:
            fp32 = at("fp32")
            assert fp32 is not None
            return fp32
        return at("tf32") or at("fp32") or peaks.tensor_max()
    key = _TENSOR_KEY.get(precision or "")
    if key is not None:
        found = at(key)
        if found is not None:
            return found
    return peaks.tensor_max()
