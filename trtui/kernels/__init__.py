"""Kernel-level profiling: which GPU kernels each layer launched, and what they cost.

Pure modules (no GPU import): `records` (what a tracer recorded around one profiled inference),
`names` (demangling and short names), `attribute` (kernels -> layers, by NVTX ranges or by stream
order), `aggregate` (rolling per-layer and engine-wide kernel statistics, as a frozen
`KernelSnapshot`), `trace` (Chrome trace-event export), `simulated` (kernels of the simulated
engine), `report` (JSON summary block and text lines). The CUPTI recorder is `trtui.gpu.runtime.cupti_tracer`.
"""
