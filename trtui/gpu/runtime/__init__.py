"""The engine runtime: TensorRT adapter (module detection, loading, inspector, profiler), the CUDA
side (device check, buffers, graphs), the inference loop and the one GPU worker thread."""
