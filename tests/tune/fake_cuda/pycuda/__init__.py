"""A fake pycuda (only `pycuda.driver`, as much as trtui.gpu.build.builder's latency measurement uses)."""
