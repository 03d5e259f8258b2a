"""The engine runtime: the TensorRT adapter (module detection, loading and its errors, inspector,
profiler, engine session), the CUDA side (device check, buffers, graphs, CUPTI kernel tracing), the
inference loop, changing a running engine's batch and contexts (`reshape`), and the one GPU worker
thread."""
