"""Kernel-level profiling: which GPU kernels each layer launched, and what they cost.

The records themselves (what a tracer captured around one profiled inference) are core values,
`trtui.core.kernel_records`. Pure modules here (no GPU import): `tracer` (the recorder interface a
source hands the GPU loop), `names` (demangling, short names, kernel families), `attribute` (kernels
-> layers, by NVTX ranges or by stream order), `aggregate` (rolling per-layer and engine-wide kernel
statistics) publishing `snapshot_values.KernelSnapshot` (frozen), `trace` (Chrome trace-event
export), `simulated` (kernels of the simulated engine), `report` (JSON summary block and text lines).
The CUPTI recorder is `trtui.gpu.runtime.cupti_tracer`.
"""
