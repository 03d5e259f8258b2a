"""A fake pycuda (only `pycuda.driver`, as much as trtui.gpu.builder's latency measurement uses)."""
